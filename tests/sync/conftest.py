"""The team server as a real process, shared by the server's HTTP tests and the client's.

`start_server` sets a database up with the real CLI (`init`, `adduser --password-stdin`; run in
this process to spare a Python start each), then runs `python -m workbench server serve` under
uvicorn on a free 127.0.0.1 port and waits until `/healthz` answers.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from workbench.app import main
from workbench.sync.server import db

STARTUP_TIMEOUT = 20.0


@dataclass
class Server:
    url: str
    db_url: str
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    def cli(self, *argv: str, stdin: str = "") -> tuple[int, str]:
        """`workbench server ... --db` in this process (spares a Python start per command)."""
        err = io.StringIO()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("sys.stdin", io.StringIO(stdin))
            mp.setattr("sys.stderr", err)
            code = main(["server", *argv, "--db", self.db_url])
        return code, err.getvalue()

    def logs(self) -> str:
        return "".join(
            (self.workdir / name).read_text("utf-8", errors="replace")
            for name in ("stdout.log", "stderr.log")
        )

    def count(self, table: str) -> int:
        engine = db.make_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return conn.execute(
                    select(func.count()).select_from(db.metadata.tables[table])
                ).scalar_one()
        finally:
            engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def start_server(
    workdir: Path, db_url: str, users: Sequence[tuple[str, str, str]]
) -> Iterator[Server]:
    """A migrated server database at `db_url` with `users` (name, role, password), served by a
    uvicorn subprocess whose logs go to `workdir`; terminated on exit."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "XDG_DATA_HOME": str(workdir / "data"),
        "HOME": str(workdir),
    }
    port = free_port()
    stdout = (workdir / "stdout.log").open("wb")
    stderr = (workdir / "stderr.log").open("wb")
    server = Server(f"http://127.0.0.1:{port}", db_url, workdir, env, None)  # type: ignore[arg-type]
    try:
        code, err = server.cli("init")
        assert code == 0, err
        for name, role, password in users:
            code, err = server.cli(
                "adduser", name, "--role", role, "--password-stdin", stdin=password + "\n"
            )
            assert code == 0, err
        server.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench",
                "server",
                "serve",
                "--db",
                db_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "debug",
            ],
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if server.process.poll() is not None:
                pytest.fail(f"server exited with {server.process.returncode}:\n{server.logs()}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not healthy after {STARTUP_TIMEOUT} s:\n{server.logs()}")
            time.sleep(0.05)
        yield server
    finally:
        if server.process is not None:
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=10)
        stdout.close()
        stderr.close()

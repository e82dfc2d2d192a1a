"""Real processes for the fault-injection tests (SYNC.md §2.4): the uvicorn server from
`conftest.start_server`, and client devices that run `tests.sync.client_proc` in their own
process, each talking to the server through its own seeded `FaultProxy`, all on 127.0.0.1.

A device signs in once in the test process (``SyncClient.login`` + ``adopt_server_user``, as
``workbench login`` does) and hands its token to its process in an environment variable, so
no keyring is involved anywhere. The comparison helpers read the devices' SQLite files and the
server database directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, text

from tests.sync.conftest import STARTUP_TIMEOUT, Server
from tests.sync.faultproxy import FaultProxy
from tests.sync.harness import server_projection, snapshot_of
from workbench.services.sync_setup import adopt_server_user
from workbench.storage.store import Store
from workbench.sync.client import SyncClient
from workbench.sync.server import db, scopes, service
from workbench.sync.server.rows import load_fields

ROOT = Path(__file__).resolve().parents[2]
TABLES = ("accounts", "contacts", "positions")
REPLY_TIMEOUT = 60.0


class AgentDied(AssertionError):
    """The device process ended or did not answer in time (its stderr is in the message)."""


class Agent:
    """One client device process (`tests.sync.client_proc`) and its fault proxy."""

    def __init__(
        self,
        name: str,
        db_path: Path,
        proxy: FaultProxy,
        token: str,
        *,
        user: str,
        user_id: str,
        device_id: str,
        env: dict[str, str],
    ) -> None:
        self.name, self.db_path, self.proxy, self.token = name, db_path, proxy, token
        self.user, self.user_id, self.device_id = user, user_id, device_id
        self.env = env
        self.events: list[dict[str, Any]] = []
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.stderr_path = db_path.with_suffix(".stderr.log")
        self.start()

    def start(self) -> None:
        """Start the process (on the same database after a kill); `wait_ready` waits for it."""
        stderr = self.stderr_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.sync.client_proc", str(self.db_path), self.proxy.url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=self.env,
        )
        stderr.close()
        self._replies = queue.Queue()
        self._kept: list[dict[str, Any]] = []
        self._exiting = False
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()

    def wait_ready(self) -> Agent:
        assert self.process is not None
        ready = self._wait(lambda m: m.get("event") == "ready", REPLY_TIMEOUT)
        assert ready["pid"] == self.process.pid
        return self

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                message = {"event": "garbage", "line": raw.decode("utf-8", "replace")}
            if "event" in message:
                self.events.append(message)
                if message["event"] == "ready":
                    self._replies.put(message)
            else:
                self._replies.put(message)
        self._replies.put({"event": "eof"})

    def _wait(self, match: Any, timeout: float) -> dict[str, Any]:
        """The first message (kept or arriving) that `match`es; others are kept for later."""
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(self._kept):
                if match(message):
                    return self._kept.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AgentDied(f"{self.name}: no answer within {timeout} s\n{self.stderr()}")
            try:
                message = self._replies.get(timeout=left)
            except queue.Empty:
                continue
            if message.get("event") == "eof":
                self._replies.put(message)
                raise AgentDied(f"{self.name}: the process ended\n{self.stderr()}")
            self._kept.append(message)

    def stderr(self) -> str:
        stats = self.proxy.stats
        text_ = self.stderr_path.read_text("utf-8", errors="replace")
        return (
            f"proxy: seen {dict(stats.seen)}, faults {dict(stats.injected)}, "
            f"last {list(stats.history)[-8:]}\n{text_[-6000:]}"
        )

    def send(self, cmd: str, **args: Any) -> int:
        assert self.process is not None and self.process.stdin is not None
        self._next += 1
        line = json.dumps({"cmd": cmd, "id": self._next, **args}) + "\n"
        self.process.stdin.write(line.encode())
        self.process.stdin.flush()
        return self._next

    def reply(self, ident: int, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        message = self._wait(lambda m: m.get("id") == ident, timeout)
        if not message["ok"]:
            raise AssertionError(f"{self.name}: {message['error']}\n{message.get('trace')}")
        return message

    def call(self, cmd: str, timeout: float = REPLY_TIMEOUT, **args: Any) -> dict[str, Any]:
        return self.reply(self.send(cmd, **args), timeout)

    def sync_until_caught_up(self, **args: Any) -> dict[str, Any]:
        answer = self.call(
            "sync", until_caught_up=True, max_cycles=args.pop("max_cycles", 200), **args
        )
        return answer

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, exactly like a crash or a pulled power cord."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def request_exit(self) -> None:
        if self.process is not None and self.process.poll() is None and not self._exiting:
            self._exiting = True
            with contextlib.suppress(OSError):  # it ended meanwhile
                self.send("exit")

    def close(self) -> None:
        """Let the process finish (it closes its database), or kill it after 10 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.request_exit()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Cluster:
    """A running server, its database, and the devices of one test."""

    server: Server
    root: Path
    seed: int = 1
    agents: list[Agent] = field(default_factory=list)
    proxies: list[FaultProxy] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = db.make_engine(self.server.db_url)
        return self._engine

    def add_user(self, name: str, role: str = "am") -> str:
        password = f"pass phrase of {name} 2026"
        code, err = self.server.cli(
            "adduser", name, "--role", role, "--password-stdin", stdin=password + "\n"
        )
        assert code == 0, err
        self.passwords[name], self.roles[name] = password, role
        user_id = service.user_id_by_name(self.engine, name)
        assert user_id is not None
        return user_id

    def login(self, db_path: Path, user: str) -> tuple[str, str, str]:
        """Sign a database in (as `workbench login` does); returns (token, user id, device)."""
        store = Store(_fresh_file(db_path, self.root.parent))
        try:
            device_id = store.device_id()
            with SyncClient(self.server.url) as client:
                answer = client.login(user, self.passwords[user], device_id, f"{user} laptop")
            store.observe_hlc(answer.server_hlc)
            adopt_server_user(store, answer.user_id, user, answer.role.value)
        finally:
            store.close()
        return answer.token, answer.user_id, device_id

    def devices(self, *specs: tuple[str, str] | tuple[str, str, dict[str, str]]) -> list[Agent]:
        """Sign in and start several devices (name, user[, extra env]) at once: a process
        start costs seconds, so they overlap."""
        logins = [self.login(self.root / f"{spec[0]}.db", spec[1]) for spec in specs]
        agents = [
            self._start(spec[0], spec[1], login, spec[2] if len(spec) > 2 else None)
            for spec, login in zip(specs, logins, strict=True)
        ]
        return [agent.wait_ready() for agent in agents]

    def device(self, name: str, user: str, *, env: dict[str, str] | None = None) -> Agent:
        return self._start(name, user, self.login(self.root / f"{name}.db", user), env).wait_ready()

    def _start(
        self, name: str, user: str, login: tuple[str, str, str], env: dict[str, str] | None
    ) -> Agent:
        db_path = self.root / f"{name}.db"
        token, user_id, device_id = login
        self.seed += 1
        host, port = self.server.url.removeprefix("http://").split(":")
        proxy = FaultProxy(host, int(port), seed=self.seed).start()
        self.proxies.append(proxy)
        agent = Agent(
            name,
            db_path,
            proxy,
            token,
            user=user,
            user_id=user_id,
            device_id=device_id,
            env=client_env(self.root, token, self.server.db_url, env),
        )
        self.agents.append(agent)
        return agent

    def close(self) -> None:
        """End every device process (killed: their files are not needed any more, and a
        clean exit costs a second each) and proxy."""
        for agent in self.agents:
            if agent.process is not None and agent.process.poll() is None:
                agent.process.kill()
        for agent in self.agents:
            if agent.process is not None:
                agent.process.wait(timeout=10)
        for proxy in self.proxies:
            proxy.stop()
        if self._engine is not None:
            self._engine.dispose()

    # -- server-side facts ---------------------------------------------------------------
    def head(self) -> int:
        with self.engine.connect() as conn:
            return db.head_seq(conn)

    def changes_of(self, device_ids: Iterable[str]) -> list[str]:
        """Change ids the server recorded for these devices (one per row of the ledger)."""
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    select(db.sync_change.c.change_id).where(
                        db.sync_change.c.device_id.in_(list(device_ids))
                    )
                )
            )

    def clock_flag(self, device_id: str) -> bool:
        with self.engine.connect() as conn:
            return bool(
                conn.scalar(
                    select(db.devices.c.clock_flag).where(db.devices.c.device_id == device_id)
                )
            )

    def row(self, table: str, row_id: str) -> dict[str, Any] | None:
        """A server row's fields as {field: value} (None: no such row)."""
        with self.engine.connect() as conn:
            raw = conn.scalar(
                select(db.sync_row.c.fields).where(
                    db.sync_row.c.tbl == table, db.sync_row.c.row_id == row_id
                )
            )
        return None if raw is None else {k: v[0] for k, v in load_fields(raw).items()}

    def rows(self, tables: tuple[str, ...] | None = None) -> dict[tuple[str, str], Any]:
        return {(r.tbl, r.row_id): r for r in service.all_rows(self.engine, tables)}

    def projection(self, user: str, tables: tuple[str, ...] = TABLES) -> dict[Any, Any]:
        """The server's rows a device of ``user`` must hold, as `local_snapshot` shows them."""
        user_id = service.user_id_by_name(self.engine, user)
        assert user_id is not None
        with self.engine.connect() as conn:
            held = set(scopes.read_scopes(conn, user_id, self.roles[user]))
        return server_projection(self, held, tables)  # type: ignore[arg-type]

    def conflicts(self) -> dict[str, tuple[Any, ...]]:
        """Server conflict records: id -> (row_id, field, winner value, loser value)."""
        out = {}
        for (_, row_id), row in self.rows(("sync_conflict",)).items():
            f = {k: v[0] for k, v in load_fields(row.fields).items()}
            out[row_id] = (f["row_id"], f["field"], f["winner_value"], f["loser_value"])
        return out

    def sql(self, query: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(query), params))


_template: list[Path] = []


def _fresh_file(path: Path, scratch: Path) -> Path:
    """A new, migrated, never-used local database at `path` (a copy of one migrated once per
    session in `scratch`: the migrations cost more than the rest of a sign-in). It has no
    device id yet; each copy makes its own on first use."""
    if not _template:
        made = Path(tempfile.mkdtemp(prefix="wb-template-", dir=scratch)) / "empty.db"
        Store(made).close()
        assert not made.with_name("empty.db-wal").exists()
        assert not LocalFile(made).sql("SELECT * FROM sync_state")
        _template.append(made)
    shutil.copyfile(_template[0], path)
    return path


def client_env(
    root: Path, token: str, audit_db: str | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "HOME": str(root),
        "XDG_DATA_HOME": str(root / "data"),
        # No process of these tests may ever reach the user's real keyring.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "WB_SYNC_TOKEN": token,
    }
    if audit_db:
        env["WB_AUDIT_DB"] = audit_db
    env.update(extra or {})
    return env


# -- local files ------------------------------------------------------------------------------


class LocalFile:
    """Read-only SQL on a device's SQLite file (the device process may be running or dead)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            return [tuple(r) for r in conn.execute(query, args)]
        finally:
            conn.close()

    def ids(self, table: str, *, live: bool = False) -> set[str]:
        where = " WHERE deleted_at IS NULL" if live else ""
        return {r[0] for r in self.sql(f"SELECT id FROM {table}{where}")}

    def state(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.sql("SELECT k, v FROM sync_state")}

    def outbox(self) -> list[str]:
        return [r[0] for r in self.sql("SELECT change_id FROM sync_outbox ORDER BY device_seq")]

    def attention(self) -> list[tuple[str, str, list[dict[str, Any]]]]:
        return [
            (r[0], r[1], json.loads(r[2]))
            for r in self.sql("SELECT change_id, reason, ops FROM sync_attention")
        ]

    def conflicts(self) -> dict[str, tuple[Any, ...]]:
        return {
            r[0]: tuple(r[1:])
            for r in self.sql(
                "SELECT id, row_id, field, winner_value, loser_value FROM sync_conflict"
            )
        }


def local_snapshot(path: Path, tables: tuple[str, ...] = TABLES) -> dict[Any, Any]:
    return snapshot_of(LocalFile(path), tables)  # type: ignore[arg-type]


def diff(left: dict[Any, Any], right: dict[Any, Any], limit: int = 5) -> str:
    """A short description of how two snapshots differ (for assertion messages)."""
    only_left = sorted(set(left) - set(right))[:limit]
    only_right = sorted(set(right) - set(left))[:limit]
    changed = [
        (k, {f: (v, right[k].get(f)) for f, v in left[k].items() if right[k].get(f) != v})
        for k in sorted(set(left) & set(right))
        if left[k] != right[k]
    ][:limit]
    return f"only left: {only_left}; only right: {only_right}; differ: {changed}"


# -- the server process -----------------------------------------------------------------------


def kill_server(server: Server) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)


def restart_server(server: Server) -> None:
    """Serve the same database on the same port again (after `kill_server`)."""
    port = server.url.rsplit(":", 1)[1]
    with (
        (server.workdir / "stdout.log").open("ab") as out,
        (server.workdir / "stderr.log").open("ab") as err,
    ):
        server.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench",
                "server",
                "serve",
                "--db",
                server.db_url,
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--log-level",
                "debug",
            ],
            stdout=out,
            stderr=err,
            env=server.env,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if server.process.poll() is not None:
            pytest.fail(f"restarted server exited:\n{server.logs()[-4000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"restarted server not healthy:\n{server.logs()[-4000:]}")
        time.sleep(0.05)


def wait_for(condition: Any, timeout: float, what: str, step: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)

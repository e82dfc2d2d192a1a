"""The server as it runs for real: `python -m workbench server serve` under uvicorn on 127.0.0.1.

One server process per database kind (SQLite file, PostgreSQL schema) for the whole module,
set up with the real CLI (`init`, `adduser --password-stdin`, `revoke-device`; run in this
process to spare a Python start each), spoken to with httpx.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from workbench.app import main
from workbench.sync.server import db

from .conftest import drop_pg_schema, pg_schema_url

PASSWORD = "Mật khẩu đủ dài 2026"  # non-ASCII on purpose: stdin and logs must cope
VICTIM_PASSWORD = "victim passphrase 42"
WRONG = "wrong-guess-Zq81"
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"server-{request.param}")
    schema = database = None
    if request.param == "sqlite":
        db_url = str(workdir / "server.db")
    else:
        database = request.getfixturevalue("pg_database")
        schema, db_url = pg_schema_url(database)
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "XDG_DATA_HOME": str(workdir / "data"),
        "HOME": str(workdir),
    }
    port = _free_port()
    stdout = (workdir / "stdout.log").open("wb")
    stderr = (workdir / "stderr.log").open("wb")
    server = Server(f"http://127.0.0.1:{port}", db_url, workdir, env, None)  # type: ignore[arg-type]
    try:
        for argv, stdin in (
            (["init"], ""),
            (["adduser", "anh", "--role", "am", "--password-stdin"], PASSWORD + "\n"),
            (["adduser", "victim", "--role", "rm", "--password-stdin"], VICTIM_PASSWORD + "\n"),
        ):
            code, err = server.cli(*argv, stdin=stdin)
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
        if schema is not None and database is not None:
            drop_pg_schema(database, schema)


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        yield client


def _login(http: httpx.Client, user: str = "anh", password: str = PASSWORD) -> httpx.Response:
    return http.post(
        "/sync/v1/login",
        json={
            "user": user,
            "password": password,
            "device_id": str(uuid.uuid4()),
            "device_name": "Anh's laptop",
        },
    )


def test_health(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_login_and_me(http: httpx.Client) -> None:
    response = _login(http)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token", "user_id", "role", "device_id"}
    assert body["role"] == "am"
    me = http.get("/sync/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "user_id": body["user_id"],
        "user": "anh",
        "role": "am",
        "device_id": body["device_id"],
        "device_name": "Anh's laptop",
    }


def test_wrong_password_and_unknown_user_get_the_same_401(http: httpx.Client) -> None:
    wrong = _login(http, "anh", WRONG)
    unknown = _login(http, "no-such-user", WRONG)
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "detail": "invalid user name or password",
            "code": "invalid_credentials",
        }
    )
    assert _login(http).status_code == 200  # one failure does not lock anh out


def test_repeated_failures_are_rate_limited_with_retry_after(http: httpx.Client) -> None:
    for _ in range(5):
        assert _login(http, "victim", WRONG).status_code == 401
    limited = _login(http, "victim", VICTIM_PASSWORD)  # even the right password waits
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 300
    assert limited.json()["code"] == "rate_limited"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-real-token"}, {"Authorization": "Basic YW5oOnB3"}],
    ids=["no-token", "bad-token", "wrong-scheme"],
)
def test_me_without_a_valid_token_is_401(http: httpx.Client, headers: dict[str, str]) -> None:
    response = http.get("/sync/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_is_401(http: httpx.Client, server: Server) -> None:
    body = _login(http).json()
    auth = {"Authorization": f"Bearer {body['token']}"}
    assert http.get("/sync/v1/me", headers=auth).status_code == 200
    code, err = server.cli("revoke-device", body["device_id"])
    assert code == 0, err
    response = http.get("/sync/v1/me", headers=auth)
    assert response.status_code == 401
    assert response.json()["code"] == "device_revoked"


def test_an_oversized_body_is_413_and_not_parsed(http: httpx.Client, server: Server) -> None:
    before = server.count("login_attempts")
    response = http.post(
        "/sync/v1/login",
        content=b"{" + b" " * (8 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert server.count("login_attempts") == before


@pytest.mark.parametrize(
    "content",
    [b'{"user": "anh", "password": ', b"[]", b'{"user": "anh"}', b"\xff\xfe"],
    ids=["truncated", "array", "missing-fields", "not-utf8"],
)
def test_malformed_login_is_422_and_writes_nothing(
    http: httpx.Client, server: Server, content: bytes
) -> None:
    before = (server.count("login_attempts"), server.count("devices"))
    response = http.post(
        "/sync/v1/login", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert (server.count("login_attempts"), server.count("devices")) == before


def test_passwords_and_tokens_never_reach_the_server_output(
    http: httpx.Client, server: Server
) -> None:
    token = _login(http).json()["token"]
    http.get("/sync/v1/me", headers={"Authorization": f"Bearer {token}"})
    logs = server.logs()
    assert "POST /sync/v1/login" in logs  # the capture works
    assert "login ok" in logs and "login failed" in logs
    for secret in (PASSWORD, VICTIM_PASSWORD, WRONG, token):
        assert secret not in logs

"""The server as it runs for real: `python -m workbench server serve` under uvicorn on 127.0.0.1.

One server process per database kind (SQLite file, PostgreSQL schema) for the whole module,
set up with the real CLI (`init`, `adduser --password-stdin`, `revoke-device`; run in this
process to spare a Python start each), spoken to with httpx.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from workbench.domain.hlc import unpack
from workbench.sync.protocol import ErrorBody, LoginResponse, MeResponse

from ..conftest import Server, start_server
from .conftest import drop_pg_schema, pg_schema_url

PASSWORD = "Mật khẩu đủ dài 2026"  # non-ASCII on purpose: stdin and logs must cope
VICTIM_PASSWORD = "victim passphrase 42"
WRONG = "wrong-guess-Zq81"


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
    users = [("anh", "am", PASSWORD), ("victim", "rm", VICTIM_PASSWORD)]
    try:
        with start_server(workdir, db_url, users) as running:
            yield running
    finally:
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
    assert set(body) == {"token", "user_id", "role", "device_id", "server_hlc"}
    assert body["role"] == "am"
    LoginResponse.model_validate_json(response.content)
    server_ms, _ = unpack(body["server_hlc"])
    assert abs(server_ms - time.time() * 1000) < 60_000  # derived from the wall clock
    me = http.get("/sync/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    MeResponse.model_validate_json(me.content)
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
            "code": "unauthorized",
            "message": "invalid user name or password",
            "retry_after": None,
            "wipe": False,
        }
    )
    assert _login(http).status_code == 200  # one failure does not lock anh out


def test_repeated_failures_are_rate_limited_with_retry_after(http: httpx.Client) -> None:
    for _ in range(5):
        assert _login(http, "victim", WRONG).status_code == 401
    limited = _login(http, "victim", VICTIM_PASSWORD)  # even the right password waits
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 300
    error = ErrorBody.model_validate_json(limited.content)
    assert error.code == "rate_limited"
    assert error.retry_after == int(limited.headers["Retry-After"])


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-real-token"}, {"Authorization": "Basic YW5oOnB3"}],
    ids=["no-token", "bad-token", "wrong-scheme"],
)
def test_me_without_a_valid_token_is_401(http: httpx.Client, headers: dict[str, str]) -> None:
    response = http.get("/sync/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert ErrorBody.model_validate_json(response.content).code == "unauthorized"


def test_a_revoked_token_is_401(http: httpx.Client, server: Server) -> None:
    body = _login(http).json()
    auth = {"Authorization": f"Bearer {body['token']}"}
    assert http.get("/sync/v1/me", headers=auth).status_code == 200
    code, err = server.cli("revoke-device", body["device_id"])
    assert code == 0, err
    response = http.get("/sync/v1/me", headers=auth)
    assert response.status_code == 401
    # No remote wipe yet: the server does not store a per-device wipe decision (SYNC.md §1.10).
    assert ErrorBody.model_validate_json(response.content) == ErrorBody(
        code="unauthorized", message="this device has been revoked", wipe=False
    )


def test_an_oversized_body_is_413_and_not_parsed(http: httpx.Client, server: Server) -> None:
    before = server.count("login_attempts")
    response = http.post(
        "/sync/v1/login",
        content=b"{" + b" " * (8 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert ErrorBody.model_validate_json(response.content).code == "payload_too_large"
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
    assert ErrorBody.model_validate_json(response.content).code == "invalid"
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

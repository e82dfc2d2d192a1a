"""The sync routes under attack, against the real server process (`python -m workbench server
serve` under uvicorn on 127.0.0.1), over a SQLite file and over PostgreSQL.

Login itself (wrong passwords, rate limits, /me, oversized and malformed login bodies, the
log check after logins) is covered by tests/sync/server/test_http.py; this module covers
push, pull and snapshot: authentication, authorisation (SYNC.md §1.10: the server enforces
scopes on pull *and* push), device binding, body limits, validation, and that nothing refused
is written and no secret reaches the logs.

Requests are built by hand (plain JSON through httpx), as an attacker would, not through the
client library that would refuse to send most of them.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.sync.conftest import Server, start_server
from tests.sync.server.conftest import drop_pg_schema, pg_database, pg_schema_url  # noqa: F401
from workbench.domain.hlc import pack, system_now_ms
from workbench.domain.ids import new_id
from workbench.storage.outbox import SYNC_SCHEMA_VERSION
from workbench.sync.protocol import MAX_SNAPSHOT_SCOPES, ErrorBody
from workbench.sync.server import db, service

PASSWORDS = {
    "anh": "Mật khẩu của Anh 2026",
    "binh": "binh's passphrase 42",
    "cuong": "cuong-pass-Zq81-long",
}
WRONG = "not-the-password-91"
SECRET = "BINH-SECRET-7f3a"  # in binh's rows only: must never reach anh
PUSH, PULL, SNAPSHOT = "/sync/v1/push", "/sync/v1/pull", "/sync/v1/snapshot"
LEDGER_TABLES = ("sync_change", "sync_row", "sync_log", "sync_log_scope", "sync_row_scope")


def _hlc() -> int:
    return pack(system_now_ms(), 0)


@dataclass
class Device:
    """A signed-in device, spoken for with raw HTTP."""

    http: httpx.Client
    user: str
    user_id: str
    device_id: str
    token: str
    seqs: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def body(self, *changes: dict[str, Any], device_id: str | None = None) -> dict[str, Any]:
        return {
            "protocol": 1,
            "schema_version": SYNC_SCHEMA_VERSION,
            "device_id": device_id or self.device_id,
            "hlc": _hlc(),
            "changes": list(changes),
        }

    def change(self, *ops: dict[str, Any]) -> dict[str, Any]:
        return {"change_id": new_id(), "device_seq": next(self.seqs), "hlc": _hlc(), "ops": ops}

    def push(self, *ops: dict[str, Any]) -> httpx.Response:
        return self.http.post(PUSH, json=self.body(self.change(*ops)), headers=self.auth)

    def pull_request(self, cursor: int = 0, version: int = 0, limit: int = 100) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "schema_version": SYNC_SCHEMA_VERSION,
            "cursor": cursor,
            "scope_set_version": version,
            "limit": limit,
            "hlc": 0,
        }


def upsert(tbl: str, row_id: str, **fields: Any) -> dict[str, Any]:
    return {"op": "upsert", "tbl": tbl, "id": row_id, "fields": fields, "base": {}}


@dataclass
class World:
    server: Server
    http: httpx.Client
    anh: Device
    binh: Device
    revoked: Device
    rows: dict[str, str]  # what exists: name -> id
    tokens: list[str]


def _login(http: httpx.Client, user: str, password: str | None = None) -> Device:
    device_id = new_id()
    response = http.post(
        "/sync/v1/login",
        json={
            "user": user,
            "password": password or PASSWORDS[user],
            "device_id": device_id,
            "device_name": f"{user} laptop",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Device(http, user, body["user_id"], device_id, body["token"])


def _applied(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == "applied", result
    return dict(result)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp(f"security-{request.param}")
    schema = database = None
    if request.param == "sqlite":
        db_url = str(workdir / "server.db")
    else:
        database = request.getfixturevalue("pg_database")
        schema, db_url = pg_schema_url(database)
    users = [(name, "am", password) for name, password in PASSWORDS.items()]
    try:
        with (
            start_server(workdir, db_url, users) as server,
            httpx.Client(base_url=server.url, timeout=30.0) as http,
        ):
            anh, binh, cuong = (_login(http, name) for name in PASSWORDS)
            wrong = {"user": "anh", "password": WRONG, "device_id": new_id(), "device_name": "x"}
            assert http.post("/sync/v1/login", json=wrong).status_code == 401
            rows = {name: new_id() for name in ("A", "a_contact", "a_pos", "B", "b_contact")}
            rows["b_pos"] = new_id()
            _applied(
                anh.push(
                    upsert("accounts", rows["A"], name="Công ty Anh", owner_id=anh.user_id),
                    upsert("contacts", rows["a_contact"], given_name="Lan"),
                    upsert(
                        "positions",
                        rows["a_pos"],
                        contact_id=rows["a_contact"],
                        account_id=rows["A"],
                        title="CFO",
                    ),
                )
            )
            _applied(
                binh.push(
                    upsert("accounts", rows["B"], name=f"{SECRET} Co", owner_id=binh.user_id),
                    upsert("contacts", rows["b_contact"], given_name="Hoa", notes=SECRET),
                    upsert(
                        "positions",
                        rows["b_pos"],
                        contact_id=rows["b_contact"],
                        account_id=rows["B"],
                        title=SECRET,
                    ),
                )
            )
            code, err = server.cli("revoke-device", cuong.device_id)
            assert code == 0, err
            yield World(server, http, anh, binh, cuong, rows, [anh.token, binh.token, cuong.token])
    finally:
        if schema is not None and database is not None:
            drop_pg_schema(database, schema)


def _ledger(server: Server) -> dict[str, int]:
    return {table: server.count(table) for table in LEDGER_TABLES}


def _rows(server: Server) -> dict[tuple[str, str], tuple[str, str, bool]]:
    engine = db.make_engine(server.db_url)
    try:
        return {
            (r.tbl, r.row_id): (r.fields, r.scopes, bool(r.deleted))
            for r in service.all_rows(engine)
        }
    finally:
        engine.dispose()


def _error(response: httpx.Response, status: int, code: str) -> ErrorBody:
    assert response.status_code == status, response.text
    error = ErrorBody.model_validate_json(response.content)
    assert error.code == code
    return error


# -- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["none", "bad", "revoked", "password"])
@pytest.mark.parametrize("route", ["push", "pull", "snapshot"])
def test_no_valid_token_is_401_and_writes_nothing(world: World, route: str, token: str) -> None:
    device = world.revoked if token == "revoked" else world.anh
    choices: dict[str, dict[str, Any]] = {
        "none": {},
        "bad": {"Authorization": "Bearer " + "x" * 43},
        "revoked": device.auth,
        # Someone pasting a password where the token goes: refused, and never logged.
        "password": {"Authorization": f"Bearer {PASSWORDS['anh']}".encode()},
    }
    headers = choices[token]
    before = _ledger(world.server)
    account = new_id()
    if route == "push":
        body = device.body(
            device.change(upsert("accounts", account, name="x", owner_id=device.user_id))
        )
        response = world.http.post(PUSH, json=body, headers=headers)
    elif route == "pull":
        response = world.http.post(PULL, json=device.pull_request(), headers=headers)
    else:
        body = {"scopes": [f"user:{device.user_id}", "ref"]}
        response = world.http.post(SNAPSHOT, json=body, headers=headers)
    error = _error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    if token == "revoked":
        assert error.message == "this device has been revoked"
    assert _ledger(world.server) == before
    assert (("accounts", account)) not in _rows(world.server)


# -- authorisation: push ----------------------------------------------------------------------


def _forgeries(world: World) -> dict[str, list[dict[str, Any]]]:
    r, anh, binh = world.rows, world.anh, world.binh
    return {
        "edit-their-account": [upsert("accounts", r["B"], notes="hijacked")],
        "take-their-account": [upsert("accounts", r["B"], owner_id=anh.user_id)],
        "delete-their-account": [
            {"op": "delete", "tbl": "accounts", "id": r["B"], "base": {"_deleted": None}}
        ],
        "edit-their-contact": [upsert("contacts", r["b_contact"], phone="0999")],
        "edit-their-position": [upsert("positions", r["b_pos"], title="CEO")],
        "position-under-their-account": [
            upsert("positions", new_id(), contact_id=r["a_contact"], account_id=r["B"])
        ],
        "opportunity-under-their-account": [
            upsert("opportunities", new_id(), account_id=r["B"], name="Deal", amount_minor=5)
        ],
        "account-owned-by-them": [
            upsert("accounts", new_id(), name="Planted", owner_id=binh.user_id)
        ],
        "user-directory": [upsert("users", binh.user_id, role="admin")],
        # One allowed op does not carry a forbidden one through: the change is all or nothing.
        "mixed-with-an-allowed-op": [
            upsert("accounts", r["A"], notes="fine"),
            upsert("accounts", r["B"], notes="hijacked"),
        ],
    }


FORGERIES = [
    "edit-their-account",
    "take-their-account",
    "delete-their-account",
    "edit-their-contact",
    "edit-their-position",
    "position-under-their-account",
    "opportunity-under-their-account",
    "account-owned-by-them",
    "user-directory",
    "mixed-with-an-allowed-op",
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_push_outside_ones_scopes_is_rejected_and_stores_nothing(
    world: World, forgery: str
) -> None:
    ops = _forgeries(world)[forgery]
    rows_before = _rows(world.server)
    changes_before = world.server.count("sync_change")
    change = world.anh.change(*ops)
    body = world.anh.body(change)
    response = world.http.post(PUSH, json=body, headers=world.anh.auth)
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == "rejected", result
    assert result["reason"].startswith("no_access"), result["reason"]
    assert result.get("conflicts", []) == []
    assert _rows(world.server) == rows_before, "a refused change altered the server's rows"
    assert world.server.count("sync_change") == changes_before + 1  # recorded as rejected
    # Sent again (a lost answer): the same refusal from the ledger, still nothing stored.
    replay = world.http.post(PUSH, json=body, headers=world.anh.auth)
    (again,) = replay.json()["results"]
    assert (again["status"], again["original_status"]) == ("duplicate", "rejected")
    assert _rows(world.server) == rows_before


def test_a_device_one_schema_behind_may_push_but_not_pull(world: World) -> None:
    """Schema 2 only added tables and columns: a device that queued edits before upgrading
    still gets them in, but it may not pull (it would skip rows of tables it does not know
    and never get them back); it is told to upgrade (426), and its position is untouched."""
    account = world.rows["A"]
    body = world.anh.body(world.anh.change(upsert("accounts", account, city="Huế")))
    body["schema_version"] = 1
    response = world.http.post(PUSH, json=body, headers=world.anh.auth)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"
    old_pull = {**world.anh.pull_request(), "schema_version": 1}
    refused = world.http.post(PULL, json=old_pull, headers=world.anh.auth)
    assert refused.status_code == 426, refused.text
    assert ErrorBody.model_validate_json(refused.content).code == "upgrade_required"
    too_old = world.anh.body(world.anh.change(upsert("accounts", account, city="Vinh")))
    too_old["schema_version"] = 0
    assert world.http.post(PUSH, json=too_old, headers=world.anh.auth).status_code in (422, 426)


# -- authorisation: pull and snapshot ---------------------------------------------------------


def test_pulls_and_snapshots_never_carry_another_users_rows(world: World) -> None:
    """A new device of anh syncs from scratch by hand, in small pages; every answer is read as
    raw text, so a leak anywhere in it (values, ids, scopes, conflict records) shows."""
    device = _login(world.http, "anh")
    world.tokens.append(device.token)
    forbidden = [
        SECRET,
        world.rows["B"],
        world.rows["b_contact"],
        world.rows["b_pos"],
        f"user:{world.binh.user_id}",
    ]
    pages: list[str] = []
    cursor = version = 0
    held: set[str] = set()
    for _ in range(500):
        response = world.http.post(
            PULL, json=device.pull_request(cursor, version, limit=2), headers=device.auth
        )
        assert response.status_code == 200, response.text
        pages.append(response.text)
        page = response.json()
        version = page["scope_set_version"]
        added = [e["scope"] for e in page["scope_events"] if e["event"] == "added"]
        held.update(added)
        if added:  # one stream for all the scopes a batch of events added
            pages += _snapshot_pages(world, device, added, held)
        for op in page["ops"]:
            assert set(op["scopes"]) <= held, op
        # The cursor stays at 0 through the scope events: the whole log is read back, so
        # every logged version (refused changes' echoes included) passes the scope filter.
        cursor = page["cursor"]
        if not page["has_more"] and not page["scope_events"]:
            break
    else:
        raise AssertionError("the pull did not end")
    assert held == {f"account:{world.rows['A']}", "ref", f"user:{world.anh.user_id}"}
    text = "\n".join(pages)
    assert world.rows["A"] in text and "Công ty Anh" in text  # the check can see rows at all
    for needle in forbidden:
        assert needle not in text, f"{needle} reached another user's device"


def _snapshot_pages(world: World, device: Device, scopes: list[str], held: set[str]) -> list[str]:
    """Every page of the snapshot of the union of ``scopes``, one row per page, as raw text."""
    pages = []
    body: dict[str, Any] = {"scopes": scopes, "limit": 1}
    seen: set[tuple[str, str]] = set()
    for _ in range(500):
        got = world.http.post(SNAPSHOT, json=body, headers=device.auth)
        assert got.status_code == 200, got.text
        pages.append(got.text)
        snap = got.json()
        for row in snap["rows"]:
            assert set(row["scopes"]) <= held, row
            assert set(row["scopes"]) & set(scopes), row
            assert (row["tbl"], row["id"]) not in seen, row  # each row once
            seen.add((row["tbl"], row["id"]))
        if snap["next"] is None:
            return pages
        body = {**body, "after": snap["next"], "as_of": snap["as_of"]}
    raise AssertionError(f"the snapshot of {scopes} did not end")


@pytest.mark.parametrize("scope", ["their-account", "their-user", "finance", "all", "unknown"])
def test_a_forged_snapshot_scope_is_403(world: World, scope: str) -> None:
    key = {
        "their-account": f"account:{world.rows['B']}",
        "their-user": f"user:{world.binh.user_id}",
        "finance": "finance",
        "all": "all",
        "unknown": f"account:{uuid.uuid4()}",
    }[scope]
    response = world.http.post(SNAPSHOT, json={"scopes": [key]}, headers=world.anh.auth)
    _error(response, 403, "forbidden")
    assert SECRET not in response.text and world.rows["b_contact"] not in response.text
    # Hidden among scopes anh holds: the whole request is refused, none of it is served.
    mine = [f"account:{world.rows['A']}", "ref", f"user:{world.anh.user_id}"]
    for scopes in ([*mine, key], [key, *mine]):
        response = world.http.post(SNAPSHOT, json={"scopes": scopes}, headers=world.anh.auth)
        _error(response, 403, "forbidden")
        assert world.rows["A"] not in response.text and SECRET not in response.text


def test_requests_for_another_device_are_403_and_write_nothing(world: World) -> None:
    before = _ledger(world.server)
    anh, binh = world.anh, world.binh
    for device_id in (binh.device_id, new_id(), world.revoked.device_id):
        account = new_id()
        body = anh.body(
            anh.change(upsert("accounts", account, name="x", owner_id=anh.user_id)),
            device_id=device_id,
        )
        _error(world.http.post(PUSH, json=body, headers=anh.auth), 403, "forbidden")
        pull = {**anh.pull_request(), "device_id": device_id}
        _error(world.http.post(PULL, json=pull, headers=anh.auth), 403, "forbidden")
    assert _ledger(world.server) == before


# -- limits and validation --------------------------------------------------------------------


@pytest.mark.parametrize("route", [PUSH, PULL])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_an_oversized_body_is_413_and_writes_nothing(
    world: World, route: str, framing: str
) -> None:
    before = _ledger(world.server)
    body = world.anh.body(
        world.anh.change(upsert("accounts", new_id(), name="x", owner_id=world.anh.user_id))
    )
    body["changes"][0]["ops"][0]["fields"]["notes"] = "n" * (8 * 1024 * 1024)
    raw = json.dumps(body).encode()
    headers = {**world.anh.auth, "Content-Type": "application/json"}
    if framing == "chunked":

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(raw), 1 << 20):
                yield raw[start : start + (1 << 20)]

        response = world.http.post(route, content=chunks(), headers=headers)
    else:
        response = world.http.post(route, content=raw, headers=headers)
    _error(response, 413, "payload_too_large")
    assert _ledger(world.server) == before


def _push_variants(world: World) -> dict[str, bytes]:
    anh = world.anh
    good = anh.body(anh.change(upsert("accounts", new_id(), name="ok", owner_id=anh.user_id)))

    def variant(edit: Any) -> bytes:
        body = json.loads(json.dumps(good))
        edit(body)
        return json.dumps(body).encode()

    def op(body: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = body["changes"][0]["ops"][0]
        return found

    return {
        "truncated": json.dumps(good).encode()[:-7],
        "not-json": b"protocol=1&changes=all",
        "not-utf8": b'{"protocol": 1, "device_id": "\xff\xfe"}',
        "array": b"[]",
        "empty-object": b"{}",
        "protocol-2": variant(lambda b: b.update(protocol=2)),
        "seq-as-text": variant(lambda b: b["changes"][0].update(device_seq="1")),
        "hlc-as-float": variant(lambda b: b["changes"][0].update(hlc=1.5)),
        "bool-for-int": variant(lambda b: b["changes"][0].update(device_seq=True)),
        "unknown-top-field": variant(lambda b: b.update(password=PASSWORDS["anh"])),
        "unknown-change-field": variant(lambda b: b["changes"][0].update(user_id="x")),
        "unknown-op-field": variant(lambda b: op(b).update(owner=PASSWORDS["binh"])),
        "unknown-op-kind": variant(lambda b: op(b).update(op="drop")),
        "value-is-a-list": variant(lambda b: op(b)["fields"].update(name=[PASSWORDS["anh"]])),
        "value-is-an-object": variant(lambda b: op(b)["fields"].update(name={"$gt": ""})),
        "nul-in-value": variant(lambda b: op(b)["fields"].update(name="a\x00b")),
        "bad-uuid": variant(lambda b: op(b).update(id="../../etc/passwd")),
        "private-table": variant(lambda b: op(b).update(tbl="_sync_outbox")),
        "no-changes": variant(lambda b: b.update(changes=[])),
        "two-ops-one-row": variant(lambda b: b["changes"][0]["ops"].append(op(b))),
        "duplicate-change": variant(lambda b: b["changes"].append(b["changes"][0])),
    }


PUSH_VARIANTS = [
    "truncated",
    "not-json",
    "not-utf8",
    "array",
    "empty-object",
    "protocol-2",
    "seq-as-text",
    "hlc-as-float",
    "bool-for-int",
    "unknown-top-field",
    "unknown-change-field",
    "unknown-op-field",
    "unknown-op-kind",
    "value-is-a-list",
    "value-is-an-object",
    "nul-in-value",
    "bad-uuid",
    "private-table",
    "no-changes",
    "two-ops-one-row",
    "duplicate-change",
]


@pytest.mark.parametrize("variant", PUSH_VARIANTS)
def test_a_malformed_push_is_refused_and_writes_nothing(world: World, variant: str) -> None:
    before = _ledger(world.server)
    raw = _push_variants(world)[variant]
    response = world.http.post(
        PUSH, content=raw, headers={**world.anh.auth, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    assert ErrorBody.model_validate_json(response.content).code == "invalid"
    for secret in PASSWORDS.values():
        assert secret not in response.text  # validation errors never echo input
    assert _ledger(world.server) == before


@pytest.mark.parametrize(
    "change",
    [
        {"cursor": -1},
        {"limit": 0},
        {"limit": 10**6},
        {"cursor": "5"},
        {"scope_set_version": 1.0},
        {"schema_version": None},
        {"scopes": ["all"]},
        {"user_id": "someone"},
    ],
    ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()),
)
def test_a_malformed_pull_is_422(world: World, change: dict[str, Any]) -> None:
    before = _ledger(world.server)
    body = {**world.anh.pull_request(), **change}
    response = world.http.post(PULL, json=body, headers=world.anh.auth)
    _error(response, 422, "invalid")
    assert _ledger(world.server) == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"scopes": []},
        {"scopes": "ref"},
        {"scopes": ["account:../../etc"]},
        {"scopes": ["ref", "ref"]},
        {"scopes": ["ref"] + [f"account:{uuid.UUID(int=i)}" for i in range(MAX_SNAPSHOT_SCOPES)]},
        {"scopes": ["ref" * 30]},
        {"scopes": ["ref"], "limit": "abc"},
        {"scopes": ["ref"], "limit": -1},
        {"scopes": ["ref"], "limit": 100000},
        {"scopes": ["ref"], "as_of": 1e3},
        {"scopes": ["ref"], "after": "users:" + "0" * 36},
        {"scopes": ["ref"], "as_of": 1, "after": "users; DROP TABLE users"},
        {"scopes": ["ref"], "user": "binh"},
        "[]",
    ],
    ids=lambda b: json.dumps(b)[:60],
)
def test_a_malformed_snapshot_request_is_422(world: World, body: Any) -> None:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    headers = {**world.anh.auth, "Content-Type": "application/json"}
    response = world.http.post(SNAPSHOT, content=content, headers=headers)
    _error(response, 422, "invalid")


def test_the_snapshot_is_not_served_by_get(world: World) -> None:
    """SYNC.md §1.9's GET of one scope: the stream is a POST with a body (docs/sync.md)."""
    response = world.http.get(SNAPSHOT, params={"scope": "ref"}, headers=world.anh.auth)
    _error(response, 405, "invalid")


def test_no_password_or_token_reaches_the_server_logs(world: World) -> None:
    """Runs last in this module: every request above has been logged by then."""
    logs = world.server.logs()
    assert "POST /sync/v1/push" in logs and "POST /sync/v1/snapshot" in logs  # logs captured
    for secret in (*PASSWORDS.values(), WRONG, *world.tokens):
        assert secret not in logs

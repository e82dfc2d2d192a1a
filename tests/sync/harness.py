"""An in-process team: the real server app (through Starlette's test transport, no socket) and
real client devices, each with its own SQLite file, for engine and property tests.

`FaultyTransport` wraps the test transport and injects the transport faults of SYNC.md §2.2:
drop the request, drop the response after the server committed, duplicate a request,
truncate a pull page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from workbench.services.sync_setup import adopt_server_user
from workbench.storage.store import Store
from workbench.sync.client import SyncClient
from workbench.sync.engine import SyncEngine
from workbench.sync.report import SyncReport
from workbench.sync.server import db, service
from workbench.sync.server.app import ServerClock, create_app
from workbench.sync.server.auth import Auth
from workbench.sync.server.rows import load_fields

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"


class FaultyTransport(httpx.BaseTransport):
    """Passes requests to ``inner`` unless a fault was injected for the next request."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.fault: str | None = None
        self.requests = 0

    def inject_once(self, fault: str | None) -> None:
        self.fault = fault

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault, self.fault = self.fault, None
        self.requests += 1
        if fault == "drop_request":
            raise httpx.ConnectError("injected: request dropped")
        if fault == "duplicate":
            request.read()
            first = self.inner.handle_request(request)
            first.read()
        response = self.inner.handle_request(request)
        if fault == "drop_response":
            response.read()
            raise httpx.ReadError("injected: response lost after the server committed")
        if fault == "truncate_page" and request.url.path.endswith(("/pull", "/snapshot")):
            body = response.read()
            return httpx.Response(
                response.status_code,
                headers={"content-type": "application/json"},
                content=body[: max(1, len(body) // 2)],
            )
        return response


@dataclass
class Team:
    """A server database, its app and its test transport."""

    root: Path
    engine: Any
    auth: Auth
    clock: ServerClock
    client: TestClient
    users: dict[str, str] = field(default_factory=dict)  # name -> id

    def add_user(self, name: str, role: str) -> str:
        user = self.auth.create_user(name, role, PASSWORD)
        service.register_user(self.engine, self.clock, user.id, name, role)
        self.users[name] = user.id
        return user.id

    def device(self, name: str, user: str, transport: httpx.BaseTransport | None = None) -> Device:
        store = Store(self.root / f"{name}.db")
        return Device.sign_in(self, store, user, transport)

    def assign(self, account_id: str, user: str) -> int:
        return service.server_write(
            self.engine, self.clock, service.assign_ops(self.engine, account_id, self.users[user])
        )

    def rows(self, tables: tuple[str, ...] | None = None) -> dict[tuple[str, str], Any]:
        return {(r.tbl, r.row_id): r for r in service.all_rows(self.engine, tables)}

    def head(self) -> int:
        with self.engine.connect() as conn:
            return db.head_seq(conn)

    def close(self) -> None:
        self.client.close()
        self.engine.dispose()


def make_team(root: Path, db_url: str | None = None, clock: ServerClock | None = None) -> Team:
    url = db_url or str(root / "server.db")
    engine = db.make_engine(url)
    db.upgrade(engine)
    auth = Auth(engine, hasher=FAST_HASHER)
    clock = clock or ServerClock()
    app = create_app(url, auth=auth, clock=clock)
    return Team(root, engine, auth, clock, TestClient(app))


@dataclass
class Device:
    team: Team
    store: Store
    user: str
    user_id: str
    transport: FaultyTransport
    engine: SyncEngine

    @classmethod
    def sign_in(
        cls, team: Team, store: Store, user: str, transport: httpx.BaseTransport | None = None
    ) -> Device:
        faulty = FaultyTransport(transport or team.client._transport)
        client = SyncClient("http://testserver", transport=faulty)
        answer = client.login(user, PASSWORD, store.device_id(), f"{user} laptop")
        store.observe_hlc(answer.server_hlc)
        adopt_server_user(store, answer.user_id, user, answer.role.value)
        return cls(team, store, user, answer.user_id, faulty, SyncEngine(store, client))

    def sync(self) -> SyncReport:
        return self.engine.sync_once()

    def sync_until_caught_up(self, rounds: int = 6) -> SyncReport:
        report = self.sync()
        for _ in range(rounds):
            if report.caught_up:
                break
            report = self.sync()
        return report

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.store.unit(remote=True) as uow:
            return [tuple(r) for r in uow.session.connection().exec_driver_sql(query, args)]

    def value(self, table: str, row_id: str, column: str) -> Any:
        rows = self.sql(f"SELECT {column} FROM {table} WHERE id = ?", row_id)
        return rows[0][0] if rows else None

    def ids(self, table: str) -> set[str]:
        return {r[0] for r in self.sql(f"SELECT id FROM {table}")}

    def attention(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.sql("SELECT change_id, reason FROM sync_attention")]

    def conflicts(self) -> list[dict[str, Any]]:
        cols = ("id", "tbl", "row_id", "field", "kind", "winner_value", "loser_value", "status")
        return [
            dict(zip(cols, r, strict=True))
            for r in self.sql(f"SELECT {', '.join(cols)} FROM sync_conflict")
        ]

    def close(self) -> None:
        self.engine.client.close()
        self.store.close()


def snapshot_of(device: Device, tables: tuple[str, ...]) -> dict[tuple[str, str], dict[str, Any]]:
    """Synced column values per row (what must equal across replicas)."""
    from workbench.storage.outbox import synced_columns

    out: dict[tuple[str, str], dict[str, Any]] = {}
    for table in tables:
        cols = synced_columns(table)
        for row in device.sql(f"SELECT id, deleted_at IS NOT NULL, {', '.join(cols)} FROM {table}"):
            values = dict(zip(("_deleted", *cols), row[1:], strict=True))
            values["_deleted"] = bool(values["_deleted"])
            out[(table, row[0])] = values
    return out


def server_projection(
    team: Team, user_scopes: set[str] | None, tables: tuple[str, ...]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The server's rows a device with ``user_scopes`` holds (None: all), as `snapshot_of`."""
    from workbench.storage.outbox import synced_columns
    from workbench.storage.tables import SYNCED_TABLES
    from workbench.sync.apply import _column_value

    out: dict[tuple[str, str], dict[str, Any]] = {}
    for (tbl, row_id), row in team.rows(tables).items():
        scopes = set(json.loads(row.scopes))
        if user_scopes is not None and not scopes & user_scopes:
            continue
        fields = load_fields(row.fields)
        values: dict[str, Any] = {"_deleted": bool(row.deleted)}
        for col in synced_columns(tbl):
            raw = fields.get(col, [None])[0]
            value = _column_value(SYNCED_TABLES[tbl], col, raw)
            values[col] = (
                value.isoformat(sep=" ")
                if hasattr(value, "isoformat") and not isinstance(value, str)
                else value
            )
        out[(tbl, row_id)] = values
    return out

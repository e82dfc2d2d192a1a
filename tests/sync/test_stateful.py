"""The sync protocol as a Hypothesis state machine (SYNC.md §2.1 P1–P4, P6, P8; §2.2).

Four devices of a small team share one in-process server (tests/sync/harness.py: the real app
through Starlette's test transport, real client engines on SQLite files):

- A and B: the two laptops of account manager ``am1``;
- C: the laptop of finance user ``fin1`` (sees every account, edits the money terms, which are
  ``fail_if_concurrent``);
- D: the laptop of account manager ``am2``, the other end of every reassignment.

Hypothesis interleaves offline edits (create, edit a field, archive/restore), syncs with a
transport fault or a crash at a chosen request of the cycle, network loss, time passing and
per-device clock skew (beyond the server's 5-minute skew guard), restarts (the SQLite file is
reopened by a new engine) and an administrator reassigning accounts between am1 and am2.

After every step: no change id twice on the server (P3); every write the server has not
answered to its device is still in that device's outbox; what a device holds is covered by the
scope set the server last gave it; and no pull or snapshot answer ever carries a row outside
the user's scopes at the time it was served (P6, checked on the transport).

Teardown: faults off, everyone online, round-robin syncs until a round in which every device
is caught up and the server head did not move (at most ``QUIESCE_ROUNDS``; P8). Then P1 (each
device equals the server's projection for its user, A equals B), P4 (a device bootstrapped
from scratch equals the incremental replica), the server's field versions equal an
independent last-writer-wins model over the ledger, and P2 (every local write is current,
knowingly replaced, a conflict loser with its value, or rejected and in the author's attention
list).

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (default; on two cores about 60 s on SQLite and 45 s
for the 12 PostgreSQL examples, 2–4 s per example: most of it is real HTTP round trips through
the app and snapshot bootstraps) and ``nightly``. A failure prints the shrunk schedule and a
``@reproduce_failure`` blob; shrinking a failure can take several minutes.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from starlette.testclient import TestClient

import workbench.sync.apply as client_apply
import workbench.sync.engine as client_engine
from tests.sync.harness import FAST_HASHER, Device, FaultyTransport, Team, make_team
from tests.sync.server.conftest import (  # pg_database: a session fixture, used by name
    drop_pg_schema,
    pg_database,  # noqa: F401
    pg_schema_url,
)
from workbench.domain.merge import DELETED
from workbench.storage import outbox
from workbench.storage.store import Store
from workbench.sync.client import SyncClient
from workbench.sync.engine import REMOVED_KEY, SCOPE_SET_VERSION_KEY, SCOPES_KEY, SyncEngine
from workbench.sync.protocol import MAX_SNAPSHOT_LIMIT
from workbench.sync.server import db as server_db
from workbench.sync.server import scopes as scoping
from workbench.sync.server import service
from workbench.sync.server.app import ServerClock, create_app
from workbench.sync.server.auth import Auth
from workbench.sync.server.db import sync_change, sync_row, sync_scope_set
from workbench.sync.server.rows import load_fields

# -- settings -----------------------------------------------------------------------------------

_COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=25, stateful_step_count=30, **_COMMON)
settings.register_profile("nightly", max_examples=5000, stateful_step_count=150, **_COMMON)
# Loaded explicitly (not settings.load_profile): this module must not change the defaults of
# the other Hypothesis tests in the session.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "nightly"):
    PROFILE = "ci"
SQLITE_SETTINGS = settings.get_profile(PROFILE)
PG_SETTINGS = settings(SQLITE_SETTINGS, max_examples=max(12, SQLITE_SETTINGS.max_examples // 10))

# -- the team -----------------------------------------------------------------------------------

DEVICES = {"A": "am1", "B": "am1", "C": "fin1", "D": "am2"}
ROLES = {"am1": "am", "am2": "am", "fin1": "finance"}
CREATORS = ("A", "B", "D")  # finance does not create accounts
EDITORS = ("A", "B", "C", "D")

FIELD_VALUES: dict[str, tuple[Any, ...]] = {
    "city": ("", "Hà Nội", "Huế", "Đà Nẵng"),
    "phone": ("", "+84 24 1111", "+84 24 2222"),
    "notes": ("", "gọi lại", "x", "y"),
    "tier": ("core", "key", "growth"),
    "payment_terms_days": (0, 15, 30, 60),  # fail_if_concurrent
    "credit_limit_minor": (None, 0, 1_000_000, 5_000_000),  # fail_if_concurrent
}
FINANCE_FIELDS = ("payment_terms_days", "credit_limit_minor")

FAULTS = (
    "drop_request",
    "drop_response",
    "duplicate",
    "truncate_page",
    "crash_in_pull_apply",  # the local transaction applying a pull/snapshot page dies
    "crash_in_push_apply",  # the local transaction applying a push answer dies
)
T0 = 1_760_000_000_000  # fake "true" time, Unix ms
DAY = 86_400_000
QUIESCE_ROUNDS = 8
SYNCED_CHECK_TABLES = ("accounts", "account_team", "users")


class Crash(Exception):
    """The client process died inside a local transaction (the machine then restarts it)."""


def note(text: str) -> None:
    """`hypothesis.event` (shown by ``--hypothesis-show-statistics``), also outside a test."""
    with contextlib.suppress(InvalidArgument):  # outside: the machine driven by hand
        event(text)


# -- transports -----------------------------------------------------------------------------------


class ScopeAudit(httpx.BaseTransport):
    """Checks every pull and snapshot answer the server produced for ``user`` (P6).

    The oracle is semantic, not the server's scope sets: an account manager may receive an
    account (and its conflict records) only while owning it, or a conflict record whose loser
    they are; finance may receive every account; everyone gets the user directory. The check
    runs right after the server answered, in the same (single-threaded) state it served from.
    """

    def __init__(self, inner: httpx.BaseTransport, machine: SyncMachine, user: str) -> None:
        self.inner = inner
        self.machine = machine
        self.user = user

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        path = request.url.path
        if response.status_code == 200 and path.endswith(("/pull", "/snapshot")):
            body = json.loads(response.read())
            rows = body.get("ops", []) if path.endswith("/pull") else body.get("rows", [])
            self.machine.audit_served(self.user, [(r["tbl"], r["id"]) for r in rows])
        return response


class ScheduledTransport(FaultyTransport):
    """`FaultyTransport` whose fault hits the n-th request of the next cycle, not the first;
    a hook can also run just before the n-th request (the user typing during a cycle)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        super().__init__(inner)
        self.schedule: dict[int, str] = {}
        self.hooks: dict[int, Callable[[], None]] = {}
        self.count = 0

    def arm(
        self,
        at: int = 0,
        fault: str | None = None,
        hooks: dict[int, Callable[[], None]] | None = None,
    ) -> None:
        self.count = 0
        self.schedule = {at: fault} if fault else {}
        self.hooks = dict(hooks or {})

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        n, self.count = self.count, self.count + 1
        hook = self.hooks.pop(n, None)
        if hook is not None:
            hook()
        self.fault = self.schedule.pop(n, None)
        return super().handle_request(request)


@contextmanager
def crash_on_call(module: Any, name: str, at: int) -> Iterator[None]:
    """Make the ``at``-th call of ``module.name`` run and then raise `Crash` (inside the
    caller's local transaction, which therefore rolls back)."""
    original = getattr(module, name)
    calls = [0]

    def crashing(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] == at + 1:
            raise Crash(f"{name} call {at}")
        return result

    setattr(module, name, crashing)
    try:
        yield
    finally:
        setattr(module, name, original)


# -- ledger -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalChange:
    """One outbox entry as it was written by a local unit of work."""

    device: str
    device_id: str
    device_seq: int
    change_id: str
    hlc: int
    ops: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class FieldWrite:
    """One applied write of one field, as the server applied it."""

    key: tuple[str, str, str]  # tbl, row id, field
    seq: int
    hlc: int
    node: str
    value: Any
    base: int | None
    change_id: str
    device: str | None  # None: a server write
    device_seq: int | None

    @property
    def order(self) -> tuple[int, str]:
        return (self.hlc, self.node)


def op_fields(op: dict[str, Any]) -> list[tuple[str, Any, int | None]]:
    """(field, value, base) for every field an outbox op writes, ``_deleted`` included."""
    if op["op"] == "upsert":
        return [(f, v, op["base"].get(f)) for f, v in op["fields"].items()]
    return [(DELETED, op["op"] == "delete", op["base"].get(DELETED))]


def norm(value: Any) -> Any:
    """Values compared across SQLite rows and server JSON: dates as ISO text, bools as ints."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


# -- files --------------------------------------------------------------------------------------

# Examples run on tmpfs when there is one: commits with synchronous=FULL cost an fsync each, and
# durability is not what this test checks (that is the subprocess kill tests' job, P7).
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") else None
_TEMPLATES: dict[str, Path] = {}


def _template(kind: str) -> Path:
    """A migrated, never-used database file (``client`` or ``server``), made once per process:
    copying it spares every example the migrations (about 0.4 s per file)."""
    if kind not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="wb-stateful-templates-", dir=SCRATCH))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / f"{kind}.db"
        if kind == "client":
            Store(path).close()  # no device id yet: that is made on first use
        else:
            engine = server_db.make_engine(str(path))
            server_db.upgrade(engine)
            engine.dispose()
        _TEMPLATES[kind] = path
    return _TEMPLATES[kind]


def _copy_db(template: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copyfile(source, target.with_name(target.name + suffix))


def make_sqlite_team(root: Path, clock: ServerClock) -> Team:
    """`harness.make_team` on a copy of a migrated server file."""
    path = root / "server.db"
    _copy_db(_template("server"), path)
    engine = server_db.make_engine(str(path))
    auth = Auth(engine, hasher=FAST_HASHER)
    app = create_app(str(path), auth=auth, clock=clock)
    return Team(root, engine, auth, clock, TestClient(app))


@contextmanager
def portal(team: Team) -> Iterator[None]:
    """Keep the test client's event loop thread for the whole example (a new one per request
    costs about 15 ms)."""
    team.client.__enter__()
    try:
        yield
    finally:
        team.client.__exit__(None, None, None)


# -- the machine --------------------------------------------------------------------------------


class SyncMachine(RuleBasedStateMachine):
    accounts = Bundle("accounts")

    def __init__(self, db_url: Callable[[], tuple[str, Callable[[], None]]] | None = None) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="wb-stateful-", dir=SCRATCH))
        self.cleanup_db: Callable[[], None] = lambda: None
        url = None
        if db_url is not None:
            url, self.cleanup_db = db_url()
        self.now = T0
        self.skew = dict.fromkeys([*DEVICES, "server"], 0)
        self.acting = "server"
        self._saved_now_ms = outbox.now_ms
        outbox.now_ms = self._device_now
        clock = ServerClock(now_ms=self._now)
        self.team: Team = (
            make_team(self.root, db_url=url, clock=clock)
            if url is not None
            else make_sqlite_team(self.root, clock)
        )
        self._portal = portal(self.team)
        self._portal.__enter__()
        for user, role in ROLES.items():
            self.team.add_user(user, role)
        self.devices: dict[str, Device] = {}
        self.scheduled: dict[str, ScheduledTransport] = {}
        self.device_ids: dict[str, str] = {}
        self.online = dict.fromkeys(DEVICES, True)
        self.changes: dict[str, LocalChange] = {}  # change id -> local change
        self.seen_seq = dict.fromkeys(DEVICES, 0)
        self.created_by: dict[str, set[str]] = {d: set() for d in DEVICES}
        self.admin_writes: list[tuple[int, str, str]] = []  # (seq, account id, owner id)
        self.leaks: list[str] = []
        self.counter = 0
        for name, user in DEVICES.items():
            self._sign_in(name, user)

    # -- clocks ----------------------------------------------------------------------------
    def _now(self) -> int:
        return self.now

    def _device_now(self) -> int:
        return self.now + self.skew.get(self.acting, 0)

    # -- devices ---------------------------------------------------------------------------
    def _sign_in(self, name: str, user: str) -> Device:
        self.acting = name
        path = self.root / f"{name}.db"
        _copy_db(_template("client"), path)
        store = Store(path)
        scheduled = ScheduledTransport(ScopeAudit(self.team.client._transport, self, user))
        device = Device.sign_in(self.team, store, user, scheduled)
        self.devices[name] = device
        self.scheduled[name] = scheduled
        self.device_ids[name] = store.device_id()
        return device

    def reopen(self, name: str) -> None:
        """Restart: drop the engine and the open database, reopen the same file with a new
        engine and the same device token (nothing held in memory survives)."""
        old = self.devices[name]
        token = old.engine.client._token
        old.close()
        self.acting = name
        store = Store(self.root / f"{name}.db")
        scheduled = ScheduledTransport(ScopeAudit(self.team.client._transport, self, old.user))
        faulty = FaultyTransport(scheduled)
        client = SyncClient("http://testserver", token, transport=faulty)
        self.devices[name] = Device(
            self.team, store, old.user, old.user_id, faulty, SyncEngine(store, client)
        )
        self.scheduled[name] = scheduled
        assert store.device_id() == self.device_ids[name]

    def _sql(self, name: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
        """A read of a device's file (a plain connection: no unit of work needed to look)."""
        with self.devices[name].store.engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(query, args)]

    def _record_new_changes(self, name: str) -> list[str]:
        rows = self._sql(
            name,
            "SELECT device_seq, change_id, hlc, ops FROM sync_outbox WHERE device_seq > ?"
            " ORDER BY device_seq",
            self.seen_seq[name],
        )
        out = []
        for device_seq, change_id, hlc, ops in rows:
            self.changes[change_id] = LocalChange(
                name, self.device_ids[name], device_seq, change_id, hlc, tuple(json.loads(ops))
            )
            self.seen_seq[name] = max(self.seen_seq[name], device_seq)
            out.append(change_id)
        return out

    def _local(self, name: str, work: Callable[[Any], None]) -> None:
        self.acting = name
        with self.devices[name].store.unit() as uow:
            work(uow)
            uow.commit()
        self._record_new_changes(name)

    # -- rules -----------------------------------------------------------------------------
    @initialize(target=accounts, warm=st.booleans())
    def start(self, warm: bool) -> Any:
        """Half the examples start from a shared account every device has synced (so edits
        race from the first step); the others from devices that never synced."""
        if not warm:
            return multiple()
        account = self.create_account("A", False, "Hà Nội")
        self.everyone_syncs()
        return account

    @rule(
        target=accounts,
        device=st.sampled_from(CREATORS),
        foreign_owner=st.sampled_from([False, False, False, True]),
        city=st.sampled_from(FIELD_VALUES["city"]),
    )
    def create_account(self, device: str, foreign_owner: bool, city: str) -> str:
        """A new account owned by the creator, or (refused by the server) by the other AM."""
        user = self.devices[device].user
        other = "am2" if user == "am1" else "am1"
        owner = self.team.users[other if foreign_owner else user]
        if not self._sql(device, "SELECT 1 FROM users WHERE id = ?", owner):
            owner = self.team.users[user]  # the other AM is not in this directory yet
        self.counter += 1
        ids: list[str] = []
        name = f"Khách hàng {self.counter}"
        self._local(
            device,
            lambda uow: ids.append(
                uow.insert("accounts", {"name": name, "owner_id": owner, "city": city})
            ),
        )
        self.created_by[device].add(ids[0])
        return ids[0]

    def _held_account(self, device: str, which: int) -> str | None:
        """One of the accounts a device holds, chosen by index (names, unlike ids, give the
        same order on every replay of an example)."""
        held = self._sql(device, "SELECT id FROM accounts ORDER BY name, id")
        return held[which % len(held)][0] if held else None

    @rule(
        device=st.sampled_from(EDITORS),
        which=st.integers(0, 7),
        field=st.sampled_from(sorted(FIELD_VALUES)),
        pick=st.integers(0, 3),
        finance_bias=st.booleans(),
    )
    def edit(self, device: str, which: int, field: str, pick: int, finance_bias: bool) -> None:
        """An offline edit of one field of an account the device holds (archived or not)."""
        account = self._held_account(device, which)
        if account is None:
            return
        if device == "C" and finance_bias:
            field = FINANCE_FIELDS[pick % 2]
        values = FIELD_VALUES[field]
        value = values[pick % len(values)]
        self._local(device, lambda uow: uow.update("accounts", account, {field: value}))

    @rule(
        which=st.integers(0, 7),
        pair=st.integers(0, 11),
        field=st.sampled_from(sorted(FIELD_VALUES)),
        picks=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    )
    def race(self, which: int, pair: int, field: str, picks: tuple[int, int]) -> None:
        """Two devices that hold the same account edit the same field of it, before either
        syncs (an account two devices hold, and the pair, chosen by index)."""
        holders: dict[tuple[str, str], list[str]] = {}
        for device in EDITORS:
            for key in self._sql(device, "SELECT name, id FROM accounts"):
                holders.setdefault(key, []).append(device)
        shared = sorted(k for k, ds in holders.items() if len(ds) > 1)
        if not shared:
            return
        key = shared[which % len(shared)]
        pairs = [(a, b) for a in holders[key] for b in holders[key] if a != b]
        account = key[1]
        values = FIELD_VALUES[field]
        for device, pick in zip(pairs[pair % len(pairs)], picks, strict=True):
            value = values[pick % len(values)]
            self._local(device, lambda uow, v=value: uow.update("accounts", account, {field: v}))

    @rule(device=st.sampled_from(EDITORS), which=st.integers(0, 7), restore=st.booleans())
    def archive_or_restore(self, device: str, which: int, restore: bool) -> None:
        account = self._held_account(device, which)
        if account is None:
            return
        if restore:
            self._local(device, lambda uow: uow.restore("accounts", account))
        else:
            self._local(device, lambda uow: uow.archive("accounts", account))

    @rule(
        device=st.sampled_from(EDITORS),
        fault=st.one_of(st.none(), st.sampled_from(FAULTS)),
        at=st.integers(0, 4),
        page=st.integers(1, 25),
        typing=st.none()
        | st.tuples(
            st.integers(0, 4),
            st.integers(0, 7),
            st.sampled_from(sorted(FIELD_VALUES)),
            st.integers(0, 3),
        ),
    )
    def sync(
        self,
        device: str,
        fault: str | None,
        at: int,
        page: int,
        typing: tuple[int, int, str, int] | None,
    ) -> None:
        """One cycle of an online device, maybe with a fault at its ``at``-th request (or
        ``at``-th local apply, for the crashes), a small pull page size, and the user saving
        an edit while the cycle runs (``typing``: before which request, then like `edit`)."""
        if not self.online[device]:
            return
        hooks = {}
        if typing is not None:
            before, which, field, pick = typing
            hooks[before] = lambda: self.edit(device, which, field, pick, False)
        self._sync(device, fault, at, page, hooks)

    @rule()
    def everyone_syncs(self) -> None:
        """A calm moment: every online device runs one cycle without faults."""
        for device in EDITORS:
            if self.online[device]:
                self._sync(device, None)

    @rule(
        device=st.sampled_from(EDITORS),
        kind=st.sampled_from(["network", "restart", "clock"]),
        ms=st.sampled_from([0, 1, 1_000, 60_000, 3_600_000, DAY, 7 * DAY]),
        skew=st.sampled_from([0, 0, -3_600_000, -60_000, 60_000, 400_000, 3_600_000]),
    )
    def disrupt(self, device: str, kind: str, ms: int, skew: int) -> None:
        """``network``: the device goes offline (its syncs are skipped) or back online.
        ``restart``: the app restarts (`reopen`). ``clock``: ``ms`` pass for everyone and the
        device's clock gets a new skew (up to ±1 h: beyond the server's 5-minute guard)."""
        if kind == "network":
            self.online[device] = not self.online[device]
        elif kind == "restart":
            self.reopen(device)
        else:
            self.now += ms
            self.skew[device] = skew

    @rule(account=accounts, to_am2=st.booleans())
    def admin_reassigns(self, account: str, to_am2: bool) -> None:
        """A server-side write through the single write path; changes scope sets."""
        with self.team.engine.connect() as conn:
            exists = conn.execute(
                select(sync_row.c.row_id).where(
                    (sync_row.c.tbl == "accounts") & (sync_row.c.row_id == account)
                )
            ).first()
        if exists is None:
            return  # not on the server (yet, or refused)
        user = "am2" if to_am2 else "am1"
        self.acting = "server"
        seq = self.team.assign(account, user)
        self.admin_writes.append((seq, account, self.team.users[user]))

    # -- sync helpers ----------------------------------------------------------------------
    def _sync(
        self,
        name: str,
        fault: str | None,
        at: int = 0,
        page: int = 2000,
        hooks: dict[int, Callable[[], None]] | None = None,
    ) -> Any:
        device = self.devices[name]
        device.engine.page_limit = page
        # Snapshot pages as small as pull pages: one stream serves all the scopes a batch of
        # events adds, and small pages let faults break bootstraps off between pages.
        device.engine.snapshot_limit = min(page, MAX_SNAPSHOT_LIMIT)
        self.acting = name
        transport = self.scheduled[name]
        crash = {
            "crash_in_pull_apply": (client_apply, "_apply_ops"),
            "crash_in_push_apply": (client_engine, "_row_keys"),
        }.get(fault or "")
        try:
            if crash is None:
                transport.arm(at, fault, hooks)
                return device.sync()
            transport.arm(hooks=hooks)
            with crash_on_call(*crash, at):
                try:
                    return device.sync()
                except Crash:
                    self.reopen(name)
                    return None
        finally:
            self.scheduled[name].arm()

    # -- server views ----------------------------------------------------------------------
    def audit_served(self, user: str, keys: list[tuple[str, str]]) -> None:
        """P6 on the wire: called by `ScopeAudit` with the rows of one served page."""
        if ROLES[user] == "finance":
            return
        rows = self._server_rows(("accounts", "account_team", outbox.CONFLICT_TABLE))
        visible = self._visible_accounts(rows, self.team.users[user])
        for tbl, row_id in keys:
            if tbl == "users":
                continue
            account = self._account_of(rows, tbl, row_id)
            if account in visible:
                continue
            if tbl == outbox.CONFLICT_TABLE:
                loser = rows[(tbl, row_id)][0]["loser_user"][0]
                if loser == self.team.users[user]:
                    continue
            self.leaks.append(f"{user} received {tbl} {row_id} of account {account}")

    @staticmethod
    def _account_of(rows: dict[tuple[str, str], Any], tbl: str, row_id: str) -> str | None:
        if tbl == outbox.CONFLICT_TABLE:
            fields = rows[(tbl, row_id)][0]
            tbl, row_id = fields["tbl"][0], fields["row_id"][0]
        if tbl == "accounts":
            return row_id
        if tbl == "account_team":
            return str(rows[(tbl, row_id)][0]["account_id"][0])
        return None

    @staticmethod
    def _visible_accounts(rows: dict[tuple[str, str], Any], user_id: str) -> set[str]:
        """An account manager's accounts: owned, or with a live team membership."""
        out = set()
        for (tbl, row_id), (fields, deleted) in rows.items():
            if tbl == "accounts" and fields["owner_id"][0] == user_id:
                out.add(row_id)
            elif tbl == "account_team" and not deleted and fields["user_id"][0] == user_id:
                out.add(fields["account_id"][0])
        return out

    def _server_rows(self, tables: tuple[str, ...]) -> dict[tuple[str, str], Any]:
        """(fields, deleted) of the server's rows of ``tables``."""
        return {
            (r.tbl, r.row_id): (load_fields(r.fields), bool(r.deleted))
            for r in service.all_rows(self.team.engine, tables)
        }

    def _server_ledger(self) -> dict[str, Any]:
        with self.team.engine.connect() as conn:
            return {
                r.change_id: r
                for r in conn.execute(
                    select(
                        sync_change.c.seq,
                        sync_change.c.change_id,
                        sync_change.c.device_id,
                        sync_change.c.hlc,
                        sync_change.c.status,
                    )
                )
            }

    def _user_scopes(self, user: str) -> frozenset[str]:
        with self.team.engine.connect() as conn:
            return scoping.read_scopes(conn, self.team.users[user], ROLES[user])

    def _attention(self, name: str) -> set[str]:
        return {r[0] for r in self._sql(name, "SELECT change_id FROM sync_attention")}

    def _outbox(self, name: str) -> set[str]:
        return {r[0] for r in self._sql(name, "SELECT change_id FROM sync_outbox")}

    # -- invariants (after every step) ------------------------------------------------------
    def check_all_invariants(self) -> None:
        """Every invariant, for a machine driven by hand (`replay`)."""
        self.exactly_once()
        self.nothing_served_out_of_scope()
        self.unanswered_writes_are_in_the_outbox()
        self.held_rows_are_covered_by_granted_scopes()

    @invariant()
    def exactly_once(self) -> None:  # P3
        assert service.duplicate_change_ids(self.team.engine) == []

    @invariant()
    def nothing_served_out_of_scope(self) -> None:  # P6, on the wire
        assert self.leaks == []

    @invariant()
    def unanswered_writes_are_in_the_outbox(self) -> None:
        ledger = self._server_ledger()
        for name in DEVICES:
            kept = self._outbox(name)
            attention: set[str] | None = None
            for change in self.changes.values():
                if change.device != name or change.change_id in kept:
                    continue
                answered = ledger.get(change.change_id)
                if answered is not None and answered.status == "applied":
                    continue
                attention = attention if attention is not None else self._attention(name)
                assert change.change_id in attention, (
                    f"{name}'s change {change.change_id} left the outbox without an applied "
                    f"answer ({answered.status if answered else 'unknown to the server'}) and "
                    "is not in its attention list"
                )

    @invariant()
    def held_rows_are_covered_by_granted_scopes(self) -> None:  # P6, at rest
        with self.team.engine.connect() as conn:
            granted = {
                (r.device_id, r.version): set(json.loads(r.scopes))
                for r in conn.execute(select(sync_scope_set))
            }
        for name in DEVICES:
            state = dict(self._sql(name, "SELECT k, v FROM sync_state"))
            version = int(state.get(SCOPE_SET_VERSION_KEY) or 0)
            held = set(json.loads(state.get(SCOPES_KEY) or "[]"))
            removed = set(json.loads(state.get(REMOVED_KEY) or "[]"))
            device_id = self.device_ids[name]
            if version:
                assert held == granted[(device_id, version)], f"{name} holds another scope set"
            # Scope sets the server announced since the one the device committed: a cycle
            # that broke off may have written rows of any of them.
            allowed = held | removed
            for (d, v), scopes in granted.items():
                if d == device_id and v >= version:
                    allowed |= scopes
            cursor = int(state.get("cursor") or 0)
            for row_id, scopes, seq in self._sql(
                name,
                "SELECT a.id, v.scopes, v.seq FROM accounts a"
                " LEFT JOIN sync_version v ON v.tbl = 'accounts' AND v.row_id = a.id",
            ):
                if scopes is None:
                    assert row_id in self.created_by[name], (
                        f"{name} holds account {row_id} it neither made nor received"
                    )
                elif row_id in self.created_by[name] and seq is not None and seq > cursor:
                    # Its own creation, answered (the scopes came with the push answer) and
                    # not pulled past yet: the scope event adding its account may be to come.
                    continue
                else:
                    assert set(json.loads(scopes)) & allowed, (
                        f"{name} holds account {row_id} under {scopes}, outside {sorted(allowed)}"
                    )

    # -- teardown: quiesce, then P8, P1, P4, P2 ---------------------------------------------
    def teardown(self) -> None:
        try:
            if self.devices:
                self._quiesce_and_check()
        finally:
            for device in self.devices.values():
                device.close()
            self._portal.__exit__(None, None, None)
            self.team.close()
            outbox.now_ms = self._saved_now_ms
            self.cleanup_db()
            shutil.rmtree(self.root, ignore_errors=True)

    def _quiesce_and_check(self) -> None:
        for name in DEVICES:
            self.online[name] = True
            self.scheduled[name].arm()
        for _ in range(QUIESCE_ROUNDS):
            head = self.team.head()
            reports = {name: self._sync(name, None) for name in DEVICES}
            if all(r.caught_up for r in reports.values()) and self.team.head() == head:
                break
        else:
            raise AssertionError(
                f"P8: not quiescent after {QUIESCE_ROUNDS} rounds: "
                + "; ".join(f"{n}: {r}" for n, r in reports.items())
            )
        head = self.team.head()
        for name in DEVICES:
            state = dict(self._sql(name, "SELECT k, v FROM sync_state"))
            assert int(state["cursor"]) == head, f"P4: {name}'s cursor is not the head"
            assert not self._outbox(name), f"P8: {name}'s outbox is not empty"
        assert self.leaks == []

        # P1: every replica equals the server's projection for its user.
        snapshots = {name: self.snapshot(name) for name in DEVICES}
        for name, user in DEVICES.items():
            expected = self.projection(user)
            assert_same(snapshots[name], expected, f"P1: device {name} ({user}) vs the server")
        assert_same(snapshots["A"], snapshots["B"], "P1: A vs B (same user)")

        # P4: a device bootstrapped from scratch equals the incremental replica (for am1, who
        # gains and loses accounts, and for finance; am2's replica is held to P1 above).
        for name, user in (("A", "am1"), ("C", "fin1")):
            fresh = f"fresh-{user}"
            self.skew[fresh] = 0
            device = self._sign_in(fresh, user)
            self.acting = fresh
            report = device.sync_until_caught_up()
            assert report.caught_up, f"P4: a fresh {user} device did not catch up: {report}"
            assert_same(self.snapshot(fresh), snapshots[name], f"P4: fresh {user} vs {name}")

        self.check_ledger()

    # -- replicas --------------------------------------------------------------------------
    def snapshot(self, name: str) -> dict[tuple[str, str], dict[str, Any]]:
        """Synced columns and the tombstone of every row, and the conflict records, held by
        a device."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for table in SYNCED_CHECK_TABLES:
            cols = outbox.synced_columns(table)
            for row in self._sql(
                name, f"SELECT id, deleted_at IS NOT NULL, {', '.join(cols)} FROM {table}"
            ):
                values = dict(zip((DELETED, *cols), row[1:], strict=True))
                out[(table, row[0])] = {k: norm(v) for k, v in values.items()}
        cols = CONFLICT_COLUMNS
        for row in self._sql(name, f"SELECT id, {', '.join(cols)} FROM sync_conflict"):
            out[(outbox.CONFLICT_TABLE, row[0])] = dict(zip(cols, row[1:], strict=True))
        return out

    def projection(self, user: str) -> dict[tuple[str, str], dict[str, Any]]:
        """What the server says a device of ``user`` holds, in the form of `snapshot`."""
        scopes = self._user_scopes(user)
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for r in service.all_rows(self.team.engine, (*SYNCED_CHECK_TABLES, outbox.CONFLICT_TABLE)):
            if not scoping.visible(set(json.loads(r.scopes)), scopes):
                continue
            fields = load_fields(r.fields)
            if r.tbl == outbox.CONFLICT_TABLE:
                out[(r.tbl, r.row_id)] = {c: fields.get(c, [None])[0] for c in CONFLICT_COLUMNS}
                continue
            values = {DELETED: int(bool(r.deleted))}
            for col in outbox.synced_columns(r.tbl):
                values[col] = norm(fields[col][0]) if col in fields else MISSING
            out[(r.tbl, r.row_id)] = values
        return out

    # -- P2 ---------------------------------------------------------------------------------
    def field_writes(self, ledger: dict[str, Any]) -> dict[tuple[str, str, str], list[FieldWrite]]:
        """Every applied write of every account field, in seq order."""
        by_key: dict[tuple[str, str, str], list[FieldWrite]] = {}
        for change in self.changes.values():
            answered = ledger.get(change.change_id)
            if answered is None or answered.status != "applied":
                continue
            assert answered.device_id == change.device_id
            for op in change.ops:
                for name, value, base in op_fields(op):
                    key = (op["tbl"], op["id"], name)
                    by_key.setdefault(key, []).append(
                        FieldWrite(
                            key,
                            answered.seq,
                            answered.hlc,
                            change.device_id,
                            value,
                            base,
                            change.change_id,
                            change.device,
                            change.device_seq,
                        )
                    )
        by_seq = {r.seq: r for r in ledger.values()}
        for seq, account, owner in self.admin_writes:
            key = ("accounts", account, "owner_id")
            answered = by_seq[seq]
            # The server has seen every stored value: its writes replace knowingly.
            by_key.setdefault(key, []).append(
                FieldWrite(
                    key, seq, answered.hlc, "server", owner, seq - 1, answered.change_id, None, None
                )
            )
        for writes in by_key.values():
            writes.sort(key=lambda w: w.seq)
        return by_key

    def check_ledger(self) -> None:
        ledger = self._server_ledger()
        statuses = [r.status for r in ledger.values() if r.device_id is not None]
        note(f"changes applied: {min(statuses.count('applied') // 10 * 10, 50)}+")
        note(f"changes rejected: {min(statuses.count('rejected'), 3)}+")
        restamped = sum(
            1
            for c in self.changes.values()
            if c.change_id in ledger and ledger[c.change_id].hlc != c.hlc
        )
        note(f"re-stamped by the skew guard: {min(restamped, 3)}+")
        note(f"reassignments: {min(len(self.admin_writes), 3)}+")
        assert len(ledger) == len(set(ledger)), "P3: a change id twice in sync_change"
        rows = {
            k: fields
            for k, (fields, _) in self._server_rows(("accounts", outbox.CONFLICT_TABLE)).items()
        }
        conflicts = [f for (t, _), f in rows.items() if t == outbox.CONFLICT_TABLE]
        losers: dict[str, list[dict[str, Any]]] = {}
        by_created: dict[tuple[str, str, int], list[Any]] = {}
        for c in conflicts:
            values = {k: v[0] for k, v in c.items()}
            if values.get("loser_change"):
                losers.setdefault(values["loser_change"], []).append(values)
            key = (values["row_id"], values["field"], values["created_seq"])
            by_created.setdefault(key, []).append(json.loads(values["loser_value"]))
        writes = self.field_writes(ledger)
        kinds = sorted({c["kind"][0] for c in conflicts})
        note(f"conflict kinds: {', '.join(kinds) or 'none'}")

        # The server's field versions equal last-writer-wins over the applied writes.
        holders: dict[tuple[str, str, str], list[FieldWrite]] = {}
        for key, ws in writes.items():
            best: FieldWrite | None = None
            trail = []
            for w in ws:
                best = w if best is None or w.order > best.order else best
                trail.append(best)
            holders[key] = trail
            assert best is not None
            tbl, row_id, name = key
            stored = rows[(tbl, row_id)].get(name)
            assert stored is not None, f"{key} missing on the server"
            assert (norm(stored[0]), stored[1], stored[2]) == (
                norm(best.value),
                best.hlc,
                best.node,
            ), f"server state of {key} is {stored}, LWW over the ledger says {best}"

        problems: list[str] = []
        for change in self.changes.values():
            answered = ledger.get(change.change_id)
            attention = self._attention(change.device)
            if answered is None or answered.status == "rejected":  # (d)
                if change.change_id not in attention:
                    problems.append(
                        f"{change.device} {change.change_id} "
                        f"{'rejected' if answered else 'never applied'} and not in attention"
                    )
                continue
            for op in change.ops:
                for name, value, _base in op_fields(op):
                    key = (op["tbl"], op["id"], name)
                    why = self._unaccounted(
                        key, change, value, writes[key], holders[key], losers, by_created
                    )
                    if why:
                        problems.append(
                            f"{change.device} {change.change_id} {key}={value!r}: {why}"
                        )
        assert not problems, "P2: writes not accounted for:\n" + "\n".join(problems)

    @staticmethod
    def _unaccounted(
        key: tuple[str, str, str],
        change: LocalChange,
        value: Any,
        ws: list[FieldWrite],
        holders: list[FieldWrite],
        losers: dict[str, list[dict[str, Any]]],
        by_created: dict[tuple[str, str, int], list[Any]],
    ) -> str | None:
        """Why an applied write of ``value`` to ``key`` is lost, or None if it is not.

        Accounted for: (c) a conflict record names it the loser with its value; else its value
        lives on in the field's winners (itself, or equal values written by others) until the
        present (a), or until a write of another value that had seen it (b: its base is at or
        after the run of that value began, or it came later from a device that wrote the
        value), or that recorded the value as a conflict loser.
        """
        _tbl, row_id, name = key
        for record in losers.get(change.change_id, []):
            if record["field"] == name and json.loads(record["loser_value"]) == value:
                return None  # (c)
        i = next(n for n, w in enumerate(ws) if w.change_id == change.change_id)
        if norm(holders[i].value) != norm(value):
            return f"lost at seq {ws[i].seq} to {holders[i]} without a conflict record"
        start = i
        while start > 0 and norm(holders[start - 1].value) == norm(value):
            start -= 1
        j = i + 1
        while j < len(ws) and norm(holders[j].value) == norm(value):
            j += 1
        if j == len(ws):
            return None  # (a): the value is current
        y = holders[j]
        assert y is ws[j]
        run_start = holders[start].seq
        if y.base is not None and y.base >= run_start:
            return None  # (b)
        run = [w for w in ws[start:j] if norm(w.value) == norm(value)]
        if y.device is not None and any(
            w.device == y.device and w.device_seq is not None and w.device_seq < y.device_seq
            for w in run
        ):
            return None  # (b): its own device wrote the value before
        if value in by_created.get((row_id, name, y.seq), []):
            return None  # (c): the replacing write recorded the value as a loser
        return f"replaced at seq {y.seq} by {y} that had not seen it, without a conflict record"


MISSING = "<missing>"
CONFLICT_COLUMNS = (
    "tbl",
    "row_id",
    "field",
    "kind",
    "winner_change",
    "loser_change",
    "winner_value",
    "loser_value",
    "winner_user",
    "loser_user",
    "status",
    "created_seq",
)


def assert_same(
    got: dict[tuple[str, str], dict[str, Any]],
    want: dict[tuple[str, str], dict[str, Any]],
    what: str,
) -> None:
    if got == want:
        return
    lines = [what]
    for key in sorted(set(got) | set(want)):
        if key not in got:
            lines.append(f"  missing {key}: {want[key]}")
        elif key not in want:
            lines.append(f"  extra {key}: {got[key]}")
        elif got[key] != want[key]:
            diff = {
                f: (got[key].get(f, MISSING), want[key].get(f, MISSING))
                for f in set(got[key]) | set(want[key])
                if got[key].get(f, MISSING) != want[key].get(f, MISSING)
            }
            lines.append(f"  differs {key}: (device, server) {diff}")
    raise AssertionError("\n".join(lines))


# -- the tests ----------------------------------------------------------------------------------


def test_sync_protocol_state_machine_on_sqlite() -> None:
    run_state_machine_as_test(SyncMachine, settings=SQLITE_SETTINGS)


def test_sync_protocol_state_machine_on_postgresql(request: pytest.FixtureRequest) -> None:
    database: str = request.getfixturevalue("pg_database")  # fails loudly if unreachable

    def schema() -> tuple[str, Callable[[], None]]:
        name, url = pg_schema_url(database)
        return url, lambda: drop_pg_schema(database, name)

    run_state_machine_as_test(lambda: SyncMachine(db_url=schema), settings=PG_SETTINGS)


# -- shrunk schedules of the bugs this machine found, replayed by hand --------------------------


@contextmanager
def replay() -> Iterator[SyncMachine]:
    """A machine driven step by step; teardown (quiesce, P1, P4, P2) checks the end state."""
    machine = SyncMachine()
    try:
        yield machine
        machine.check_all_invariants()
    finally:
        machine.teardown()


def test_scopes_of_a_broken_off_bootstrap_leave_when_taken_away() -> None:
    """A batch of scope events breaks off after the first page of its snapshot stream (a row
    of the new account) was written; the account is taken away before the next pull, so no
    event names its scope again: its rows must still go."""
    with replay() as m:
        account = m.create_account("B", False, "")
        # requests: push, pull (scope events), the snapshot of account:…, ref and user:… in
        # pages of one row: the account's first row, then the second page (answer lost)
        m._sync("B", "drop_response", at=3, page=1)
        assert m._sql("B", "SELECT count(*) FROM sync_state WHERE k LIKE 'boot:%'") == [(1,)]
        m.admin_reassigns(account, to_am2=True)
        m.check_all_invariants()
        m._sync("B", None)


def test_a_created_row_moved_away_before_the_first_pull_leaves() -> None:
    """The server applies a new account, an administrator reassigns it before the creating
    device pulled: no scope event ever names it on that device, yet it must go."""
    with replay() as m:
        account = m.create_account("D", False, "Huế")
        m._sync("D", "drop_request", at=1)  # the push is answered, the pull is lost
        m.admin_reassigns(account, to_am2=False)
        m._sync("D", None)


def test_conflict_records_leave_with_their_account() -> None:
    """am2 holds a conflict record of its account (finance lost it); the account moves to
    am1: the record leaves am2's device with the account (it stays with the loser)."""
    with replay() as m:
        account = m.create_account("D", False, "")
        m.everyone_syncs()  # D pushes it (after C pulled)
        m.everyone_syncs()  # C has it
        m.edit("C", 0, "city", 1, False)
        m.disrupt("D", "clock", 60_000, 0)
        m.edit("D", 0, "city", 2, False)  # later: wins, finance's value is the loser
        m._sync("C", None)
        m._sync("D", None)
        m.everyone_syncs()
        assert m._sql("D", "SELECT count(*) FROM sync_conflict") == [(1,)]
        m.admin_reassigns(account, to_am2=False)
        m.everyone_syncs()
        assert m._sql("D", "SELECT count(*) FROM sync_conflict") == [(0,)]
        assert m._sql("C", "SELECT count(*) FROM sync_conflict") == [(1,)]

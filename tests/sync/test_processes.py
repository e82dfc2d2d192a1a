"""Fault injection with real processes and real sockets on 127.0.0.1 (SYNC.md §2.4).

The uvicorn server runs as a subprocess over a SQLite file and over PostgreSQL; every client
device is a `tests.sync.client_proc` subprocess with its own SQLite file, talking to the server
through its own seeded `FaultProxy`. Each scenario checks the properties of SYNC.md §2.1 that
its fault threatens: exactly-once (P3), convergence (P1), no gaps (P4: a cursor never passes
unapplied data, a re-pull from the cursor is empty, a fresh bootstrap equals the incremental
replica), durability of local intent (P7), scoping (P6), liveness (P8).

One server per database kind serves the module (each test has its own users, so their data
never meet); the crash test kills its own server.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sync.client_proc import audit
from tests.sync.conftest import Server, start_server
from tests.sync.procs import (
    TABLES,
    Agent,
    Cluster,
    LocalFile,
    diff,
    kill_server,
    local_snapshot,
    restart_server,
    wait_for,
)
from tests.sync.server.conftest import drop_pg_schema, pg_database, pg_schema_url  # noqa: F401
from workbench.domain.hlc import MAX_FORWARD_SKEW_MS, system_now_ms, unpack
from workbench.storage.outbox import SYNC_SCHEMA_VERSION
from workbench.storage.store import Store
from workbench.sync.apply import BOOT_PREFIX, bootstrap_key
from workbench.sync.client import SyncClient
from workbench.sync.protocol import MAX_SNAPSHOT_SCOPES, PullRequest
from workbench.sync.server import scopes, service
from workbench.sync.server.rows import load_fields

DATABASES = ["sqlite", "postgresql"]
PUSH, PULL, SNAPSHOT = "/sync/v1/push", "/sync/v1/pull", "/sync/v1/snapshot"
DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS
_names = itertools.count(1)


@pytest.fixture(scope="module", params=DATABASES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"procs-{request.param}")
    with ServerDatabase(request, workdir) as db_url, start_server(workdir, db_url, []) as running:
        yield running


class ServerDatabase:
    """A server database URL of the requested kind: a SQLite file or a scratch PostgreSQL
    schema (dropped afterwards). PostgreSQL being unreachable fails, never skips."""

    def __init__(self, request: pytest.FixtureRequest, workdir: Path, kind: str | None = None):
        self.kind = kind or request.param
        self.request, self.workdir = request, workdir
        self.schema: str | None = None
        self.database: str | None = None

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            return str(self.workdir / "server.db")
        self.database = self.request.getfixturevalue("pg_database")
        self.schema, url = pg_schema_url(self.database)
        return url

    def __exit__(self, *exc: object) -> None:
        if self.schema is not None and self.database is not None:
            drop_pg_schema(self.database, self.schema)


@pytest.fixture
def cluster(server: Server, tmp_path: Path) -> Iterator[Cluster]:
    team = Cluster(server, tmp_path, seed=next(_names) * 1000)
    yield team
    team.close()


def _user(cluster: Cluster, role: str = "am") -> str:
    name = f"u{next(_names)}"
    cluster.add_user(name, role)
    return name


# -- checks -------------------------------------------------------------------------------------


def quiesce(agents: list[Agent], passes: int = 6) -> None:
    """Faults off, then sync every device until one whole pass moves nothing (P8)."""
    for agent in agents:
        agent.proxy.set_faults({})
    for _ in range(passes):
        moved = False
        for agent in agents:
            answer = agent.sync_until_caught_up(max_cycles=20)
            assert answer["caught_up"], f"{agent.name} not caught up: {answer['reports'][-3:]}"
            moved |= any(r["pushed"] or r["pulled"] for r in answer["reports"])
        if not moved:
            return
    raise AssertionError(f"no quiescence within {passes} passes")


def assert_converged(cluster: Cluster, user: str, agents: list[Agent]) -> None:
    """P1: every device of `user` equals the server's projection for the user, conflict
    records included."""
    expected = cluster.projection(user)
    for agent in agents:
        local = local_snapshot(agent.db_path)
        assert local == expected, f"{agent.name} differs from the server: {diff(local, expected)}"
    conflicts = [LocalFile(agent.db_path).conflicts() for agent in agents]
    mine = _server_conflicts_of(cluster, user)
    for agent, local_conflicts in zip(agents, conflicts, strict=True):
        assert local_conflicts == mine, f"{agent.name} conflict records differ from the server"


def _server_conflicts_of(cluster: Cluster, user: str) -> dict[str, tuple[Any, ...]]:
    user_id = service.user_id_by_name(cluster.engine, user)
    assert user_id is not None
    with cluster.engine.connect() as conn:
        held = scopes.read_scopes(conn, user_id, cluster.roles[user])
    out = {}
    for (_, row_id), row in cluster.rows(("sync_conflict",)).items():
        if not scopes.visible(set(json.loads(row.scopes)), held):
            continue
        f = {k: v[0] for k, v in load_fields(row.fields).items()}
        out[row_id] = (f["row_id"], f["field"], f["winner_value"], f["loser_value"])
    return out


def assert_exactly_once(cluster: Cluster, agents: list[Agent], created: list[str]) -> None:
    """P3: the ledger holds each change id of these devices once, and exactly those made."""
    recorded = cluster.changes_of(a.device_id for a in agents)
    assert len(recorded) == len(set(recorded)), "a change id was recorded twice"
    assert len(created) == len(set(created))
    assert set(recorded) == set(created), (
        f"{len(set(created) - set(recorded))} change(s) lost, "
        f"{len(set(recorded) - set(created))} unknown change(s) recorded"
    )
    assert service.duplicate_change_ids(cluster.engine) == []


def team_workload(
    cluster: Cluster,
    faults: dict[str, float],
    *,
    path: str | None = None,
    rounds: int = 30,
    page_limit: int = 2000,
    new_accounts_midway: bool = False,
) -> tuple[str, list[Agent], list[str], list[str]]:
    """Two laptops of one user edit shared accounts and sync concurrently through faulty
    proxies; returns (user, agents, every change id they made, every contact they created).
    Both devices must drain their outboxes and catch up while the faults stay on."""
    user = _user(cluster)
    a, b = cluster.devices(("a", user), ("b", user))
    base = a.call("create", accounts=5, prefix="Công ty", contacts_per_account=1)
    created, contacts = list(base["changes"]), list(base["contacts"])
    for agent in (a, b):
        assert agent.sync_until_caught_up()["caught_up"]
        # Snapshot pages as small as pull pages: the faults hit bootstraps mid-stream too.
        agent.call("config", page_limit=page_limit, snapshot_limit=page_limit)
        agent.proxy.set_faults(faults, path_prefix=path)
    for fault in faults:  # at least once where it hurts most, whatever the dice say
        for where in (PUSH,) if fault == "drop_response" else (PULL, SNAPSHOT):
            b.proxy.inject_once(fault, where)
    calls = {
        agent: agent.send(
            "work",
            rounds=rounds,
            accounts=base["accounts"],
            seed=i,
            tag=agent.name,
            # New scopes midway: the other device bootstraps them under the faults.
            new_account_at=rounds // 2 if new_accounts_midway else None,
        )
        for i, agent in enumerate((a, b))
    }
    for agent, ident in calls.items():
        work = agent.reply(ident, timeout=90)
        created += work["changes"]
        contacts += work["contacts"]
    for agent in (a, b):
        answer = agent.sync_until_caught_up(deadline_s=45)
        assert answer["caught_up"] and answer["waiting"] == 0, json.dumps(answer["reports"][-3:])
    quiesce([a, b])
    return user, [a, b], created, contacts


# -- scenarios -----------------------------------------------------------------------------------


def test_lost_responses_after_commit_are_replayed_exactly_once(cluster: Cluster) -> None:
    user, agents, created, contacts = team_workload(
        cluster, {"drop_response": 0.3}, path=PUSH, rounds=16
    )
    dropped = sum(agent.proxy.stats.injected["drop_response"] for agent in agents)
    assert dropped >= 2, f"only {dropped} responses were dropped; the scenario proves nothing"
    replays = sum(agent.call("state")["push_statuses"].get("duplicate", 0) for agent in agents)
    assert replays >= 1, "no push was answered from the ledger"
    assert_exactly_once(cluster, agents, created)
    server_contacts = {k[1] for k in cluster.projection(user, ("contacts",))}
    assert server_contacts == set(contacts), "a contact was lost or doubled"
    assert_converged(cluster, user, agents)


def test_resets_before_requests_leave_no_gap(cluster: Cluster) -> None:
    user, agents, created, _ = team_workload(
        cluster, {"drop_before": 0.1}, rounds=16, page_limit=7, new_accounts_midway=True
    )
    resets = sum(agent.proxy.stats.injected["drop_before"] for agent in agents)
    assert resets >= 3, f"only {resets} requests were reset"
    assert_exactly_once(cluster, agents, created)
    assert_converged(cluster, user, agents)
    for agent in agents:
        state = agent.call("state")
        assert state["violations"] == [] and state["audits"] > 0

    # The gap check: the same cursor again yields nothing, and a from-scratch bootstrap of a
    # new device equals the incremental one.
    b = agents[1]
    local = LocalFile(b.db_path).state()
    head = cluster.head()
    assert int(local["cursor"]) == int(local["head_seq"]) == head
    with SyncClient(cluster.server.url, b.token) as client:
        again = client.pull(
            PullRequest(
                device_id=b.device_id,
                schema_version=SYNC_SCHEMA_VERSION,
                cursor=int(local["cursor"]),
                scope_set_version=int(local["scope_set_version"]),
                limit=1000,
                hlc=int(local["hlc"]),
            )
        )
    assert (again.ops, again.scope_events, again.cursor, again.has_more) == ([], [], head, False)
    fresh = cluster.device("fresh", user)
    assert fresh.sync_until_caught_up()["caught_up"]
    assert local_snapshot(fresh.db_path) == local_snapshot(b.db_path), diff(
        local_snapshot(fresh.db_path), local_snapshot(b.db_path)
    )
    assert LocalFile(fresh.db_path).conflicts() == LocalFile(b.db_path).conflicts()


def test_truncated_pages_never_move_the_cursor_past_unapplied_data(cluster: Cluster) -> None:
    user, agents, created, _ = team_workload(
        cluster, {"truncate": 0.05}, rounds=16, page_limit=5, new_accounts_midway=True
    )
    cut = [
        (agent.name, path)
        for agent in agents
        for _, path, fault in agent.proxy.stats.history
        if fault == "truncate"
    ]
    assert any(path in (PULL, SNAPSHOT) for _, path in cut), f"no page was cut: {cut}"
    for agent in agents:
        state = agent.call("state")
        # Checked after every sync cycle against the server log (client_proc.audit).
        assert state["audits"] > 0
        assert state["violations"] == [], "\n".join(state["violations"])
    assert_exactly_once(cluster, agents, created)
    assert_converged(cluster, user, agents)


@pytest.mark.parametrize("kind", DATABASES)
def test_server_killed_mid_push_loses_and_doubles_nothing(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    workdir = tmp_path / "server"
    workdir.mkdir()
    with (
        ServerDatabase(request, workdir, kind) as db_url,
        start_server(workdir, db_url, []) as server,
    ):
        cluster = Cluster(server, tmp_path, seed=7)
        try:
            user = _user(cluster)
            a = cluster.device("a", user)
            # ~4 MB of contacts in 20 changes: pushes of <= 2 MiB each.
            made = a.call(
                "bulk_contacts", n=2000, per_unit=100, prefix="Khách", notes="ghi chú " * 200
            )
            total = len(made["changes"])
            ident = a.send("sync", until_caught_up=True, max_cycles=400, pause_s=0.1, deadline_s=55)
            wait_for(lambda: a.proxy.stats.seen[PUSH] >= 2, 60, "the second push")
            time.sleep(random.Random(kind).uniform(0.0, 0.03))  # it is in the server now
            kill_server(server)
            committed = len(cluster.changes_of([a.device_id]))
            assert 0 < committed < total, f"killed at {committed}/{total}: not mid-push"
            restart_server(server)
            answer = a.reply(ident, timeout=90)
            assert answer["caught_up"] and answer["waiting"] == 0, json.dumps(
                answer["reports"][-3:]
            )
            assert any(r["offline"] for r in answer["reports"]), "the crash went unnoticed"
            assert sum(r["rejected"] for r in answer["reports"]) == 0
            assert_exactly_once(cluster, [a], made["changes"])
            local = local_snapshot(a.db_path, ("contacts",))
            assert len(local) == 2000
            assert local == cluster.projection(user, ("contacts",)), diff(
                local, cluster.projection(user, ("contacts",))
            )
        finally:
            cluster.close()


def _boot_positions_hold(cluster: Cluster, agent: Agent) -> list[str]:
    """For an interrupted bootstrap, every row of the stream's scopes up to the stored keyset
    position must be on the device (the position never runs ahead of applied rows). A new
    device's first batch of scope events adds its whole scope set: its streams are that set
    in chunks of ``MAX_SNAPSHOT_SCOPES``."""
    local = LocalFile(agent.db_path)
    problems = []
    with cluster.engine.connect() as conn:
        held = sorted(scopes.read_scopes(conn, agent.user_id, "am"))
    streams = [held[i : i + MAX_SNAPSHOT_SCOPES] for i in range(0, len(held), MAX_SNAPSHOT_SCOPES)]
    by_key = {bootstrap_key(stream): stream for stream in streams}
    for key, value in local.state().items():
        if not key.startswith(BOOT_PREFIX):
            continue
        if key not in by_key:
            problems.append(f"{key}: not a stream of the scope set {held}")
            continue
        _, _, after = value.partition(" ")
        if not after:
            continue  # the stream is done
        after_tbl, _, after_id = after.partition(":")
        have = {(t, i) for t in TABLES for i in local.ids(t)}
        for scope in by_key[key]:
            rows = cluster.sql(
                "SELECT tbl, row_id FROM sync_row_scope WHERE scope = :scope", scope=scope
            )
            for tbl, row_id in rows:
                if (
                    (tbl, row_id) <= (after_tbl, after_id)
                    and tbl in TABLES
                    and (tbl, row_id) not in have
                ):
                    problems.append(f"{scope}: {tbl} {row_id} before {after} missing")
    return problems


def test_a_client_killed_mid_apply_keeps_its_writes_and_a_consistent_cursor(
    cluster: Cluster,
) -> None:
    user = _user(cluster)
    a, b1, b2 = cluster.devices(("a", user), ("b1", user), ("b2", user))
    a.call("create", accounts=2, prefix="Tập đoàn", contacts_per_account=1)
    assert a.sync_until_caught_up()["caught_up"]
    assert b1.sync_until_caught_up()["caught_up"]  # b1 is an existing replica; b2 is new
    a.call("bulk_contacts", n=1200, per_unit=200, prefix="Liên hệ")
    assert a.sync_until_caught_up()["caught_up"]

    # b2, new, bootstraps all its scopes (2 accounts, ref, the user's 1200 contacts) in one
    # stream of pages of 400 rows: killed while it parses and applies the third page.
    b2.call("config", snapshot_limit=400)
    b2.send("sync", until_caught_up=True, max_cycles=50)
    wait_for(lambda: b2.proxy.stats.passed[SNAPSHOT] >= 3, 60, "b2's third snapshot page")
    b2.kill()
    # b1 pulls the 1200 ops in pages of 150 while its "UI" keeps committing new contacts.
    b1.call("config", page_limit=150)
    b1.call("writer", prefix="Viết tay", interval_s=0.005)
    wait_for(lambda: len(b1.events) >= 3, 30, "the writer's first commits")
    b1.send("sync", until_caught_up=True, max_cycles=50)
    # P8: the writer must not keep the cycle in its push phase (it once did, for a minute).
    wait_for(lambda: b1.proxy.stats.passed[PULL] >= 3, 20, "b1's third page despite the writer")
    # Killed while it applies one of pages 3 to 5 of 8, whichever the seed picks: counted in
    # pages, not waited in time, as a fast machine applies the remaining pages within 0.2 s.
    last = 3 + random.Random(cluster.seed).randrange(3)
    wait_for(lambda: b1.proxy.stats.passed[PULL] >= last, 20, f"b1's page {last}")
    b1.kill()

    committed = [e["id"] for e in b1.events if e.get("event") == "committed"]
    assert committed, f"the writer committed nothing before the kill:\n{b1.stderr()}"
    for agent in (b1, b2):
        local = LocalFile(agent.db_path)
        assert local.sql("PRAGMA integrity_check") == [("ok",)]
        store = Store(agent.db_path)
        try:
            problems = audit(store, cluster.engine)
        finally:
            store.close()
        assert problems == [], f"{agent.name}: cursor ahead of its data:\n" + "\n".join(problems)
        assert _boot_positions_hold(cluster, agent) == []
    assert LocalFile(b2.db_path).state().get("cursor") is None, "b2 finished its bootstrap"
    assert int(LocalFile(b1.db_path).state()["cursor"]) < cluster.head(), "b1 finished pulling"
    # P7: every write the UI saw committed is still there.
    assert set(committed) <= LocalFile(b1.db_path).ids("contacts")

    for agent in (b1, b2):
        agent.start()
        agent.wait_ready()
    quiesce([a, b1, b2])
    assert set(committed) <= {k[1] for k in cluster.projection(user, ("contacts",))}
    assert_converged(cluster, user, [a, b1, b2])


def test_two_laptops_of_one_user_converge_in_either_order(cluster: Cluster) -> None:
    user = _user(cluster)
    a, b = cluster.devices(("a", user), ("b", user))
    first, second = a.call("create", accounts=2, prefix="Hai máy")["accounts"]
    # Created and edited before the first push: both changes go in one request (the server
    # once inserted the account twice there and answered 500 to every retry).
    a.call("edit", edits=[{"tbl": "accounts", "id": first, "fields": {"notes": "mới"}}])
    for agent in (a, b, a):
        assert agent.sync_until_caught_up()["caught_up"]
    mine = {"phone": "0901", "email": "a@vd.vn", "tier": "key", "city": "Huế", "notes": "của A"}
    theirs = {"phone": "0902", "email": "b@vd.vn", "tier": "tail", "city": "Huế", "website": "b"}
    outcomes = []
    for account, order in ((first, (a, b, a)), (second, (b, a, b))):
        a.call("edit", edits=[{"tbl": "accounts", "id": account, "fields": mine}])
        b.call("edit", edits=[{"tbl": "accounts", "id": account, "fields": theirs}])  # later
        for agent in order:
            assert agent.sync_until_caught_up()["caught_up"]
        row = cluster.row("accounts", account)
        assert row is not None
        outcomes.append({f: row[f] for f in {*mine, *theirs}})
        recorded = sorted(
            (field, json.loads(winner), json.loads(loser))
            for row_id, field, winner, loser in cluster.conflicts().values()
            if row_id == account
        )
        # One record per concurrent *differing* write: city was set to the same value.
        assert recorded == [
            ("email", "b@vd.vn", "a@vd.vn"),
            ("phone", "0902", "0901"),
            ("tier", "tail", "key"),
        ], f"order {[x.name for x in order]}: {recorded}"
    assert outcomes[0] == outcomes[1] == {**mine, **theirs}
    quiesce([a, b])
    assert_converged(cluster, user, [a, b])


def test_reassigned_account_refuses_pending_edits_into_attention(cluster: Cluster) -> None:
    x_user, y_user = _user(cluster), _user(cluster)
    x, y = cluster.devices(("x", x_user), ("y", y_user))
    made = x.call("create", accounts=1, prefix="Chuyển", contacts_per_account=1, tax_codes=True)
    account, contact, position = made["accounts"][0], made["contacts"][0], made["positions"][0]
    assert x.sync_until_caught_up()["caught_up"]
    assert y.sync_until_caught_up()["caught_up"]
    assert account not in LocalFile(y.db_path).ids("accounts")
    before = cluster.row("accounts", account)

    # x edits offline; meanwhile the administrator gives the account to y.
    x.call(
        "edit",
        edits=[
            {"tbl": "accounts", "id": account, "fields": {"notes": "gọi lại", "phone": "0912"}},
            {"tbl": "positions", "id": position, "fields": {"title": "CEO"}},
        ],
    )
    code, err = cluster.server.cli("assign", account, y_user)
    assert code == 0, err

    answer = x.sync_until_caught_up()
    assert answer["caught_up"] and answer["waiting"] == 0
    assert sum(r["rejected"] for r in answer["reports"]) == 2
    items = LocalFile(x.db_path).attention()
    assert sorted(reason for _, reason, _ in items) == ["no_access", "no_access"]
    kept = {
        (op["tbl"], json.dumps(op["fields"], sort_keys=True)) for _, _, ops in items for op in ops
    }
    assert kept == {
        ("accounts", json.dumps({"notes": "gọi lại", "phone": "0912"}, sort_keys=True)),
        ("positions", json.dumps({"title": "CEO"}, sort_keys=True)),
    }
    x_file = LocalFile(x.db_path)
    assert account not in x_file.ids("accounts") and position not in x_file.ids("positions")
    assert contact in x_file.ids("contacts")  # also in x's own scope: x created it

    after = cluster.row("accounts", account)
    assert after is not None and before is not None
    assert after["owner_id"] == y.user_id
    assert {k: v for k, v in after.items() if k != "owner_id"} == {
        k: v for k, v in before.items() if k != "owner_id"
    }
    assert cluster.row("positions", position)["title"] == "CFO"  # type: ignore[index]

    assert y.sync_until_caught_up()["caught_up"]
    y_file = LocalFile(y.db_path)
    assert {account} <= y_file.ids("accounts") and position in y_file.ids("positions")
    assert contact in y_file.ids("contacts")
    assert y_file.sql("SELECT owner_id FROM accounts WHERE id = ?", account) == [(y.user_id,)]
    quiesce([x, y])
    assert_converged(cluster, x_user, [x])
    assert_converged(cluster, y_user, [y])


def test_skewed_clocks_year_ahead_restamped_day_behind_still_ordered(cluster: Cluster) -> None:
    user = _user(cluster)
    skewed, normal, behind = cluster.devices(
        ("skewed", user, {"WB_CLOCK_OFFSET_MS": str(YEAR_MS)}),
        ("normal", user),
        ("behind", user, {"WB_CLOCK_OFFSET_MS": str(-DAY_MS)}),
    )
    (account,) = normal.call("create", accounts=1, prefix="Đồng hồ")["accounts"]
    assert normal.sync_until_caught_up()["caught_up"]
    assert skewed.sync_until_caught_up()["caught_up"]

    start = system_now_ms()
    skewed.call("edit", edits=[{"tbl": "accounts", "id": account, "fields": {"phone": "111"}}])
    local_ms, _ = unpack(skewed.call("state")["hlc"])
    assert local_ms > start + YEAR_MS // 2, "the skew is not in effect"
    assert skewed.sync_until_caught_up()["caught_up"]
    assert cluster.clock_flag(skewed.device_id) and not cluster.clock_flag(normal.device_id)
    (stamped,) = cluster.sql("SELECT hlc FROM sync_change WHERE device_id = :d", d=skewed.device_id)
    stamped_ms, _ = unpack(stamped[0])
    assert start - 1000 <= stamped_ms <= system_now_ms() + MAX_FORWARD_SKEW_MS

    # A later edit on a correct clock wins, on the server and on the skewed laptop.
    assert normal.sync_until_caught_up()["caught_up"]
    normal.call("edit", edits=[{"tbl": "accounts", "id": account, "fields": {"phone": "222"}}])
    assert normal.sync_until_caught_up()["caught_up"]
    assert skewed.sync_until_caught_up()["caught_up"]
    assert cluster.row("accounts", account)["phone"] == "222"  # type: ignore[index]
    assert LocalFile(skewed.db_path).sql("SELECT phone FROM accounts WHERE id = ?", account) == [
        ("222",)
    ]

    # A clock a day behind still overwrites what it has seen: the HLC jumped past it.
    assert behind.sync_until_caught_up()["caught_up"]
    conflicts_before = set(cluster.conflicts())
    behind.call("edit", edits=[{"tbl": "accounts", "id": account, "fields": {"phone": "333"}}])
    assert behind.sync_until_caught_up()["caught_up"]
    assert cluster.row("accounts", account)["phone"] == "333"  # type: ignore[index]
    assert set(cluster.conflicts()) == conflicts_before, "a knowing overwrite made a conflict"
    assert not cluster.clock_flag(behind.device_id)  # lagging clocks need no guard

    # Concurrent offline edits of one field: converge, with the losing value kept.
    skewed.call("edit", edits=[{"tbl": "accounts", "id": account, "fields": {"city": "Vinh"}}])
    normal.call("edit", edits=[{"tbl": "accounts", "id": account, "fields": {"city": "Huế"}}])
    for agent in (normal, skewed, normal):
        assert agent.sync_until_caught_up()["caught_up"]
    quiesce([skewed, normal, behind])
    assert_converged(cluster, user, [skewed, normal, behind])
    city = [c for c in cluster.conflicts().values() if c[0] == account and c[1] == "city"]
    assert len(city) == 1 and {json.loads(city[0][2]), json.loads(city[0][3])} == {"Vinh", "Huế"}
    for row in cluster.sql("SELECT fields FROM sync_row WHERE tbl = 'accounts'"):
        for _value, hlc, _node, _seq in load_fields(row[0]).values():
            assert unpack(hlc)[0] <= system_now_ms() + MAX_FORWARD_SKEW_MS, "a skewed HLC got in"

"""Snapshots of many scopes at once (`service.snapshot`, docs/sync.md "as built"), on SQLite and
PostgreSQL: each row once, with the caller's scopes; pages that resume where the last one
ended; a request naming a scope the caller does not hold refused whole; and pages served by an
index walk in ``(tbl, row_id)`` order, not a sort of everything left."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from tests.sync.harness import Team, make_team
from workbench.sync import protocol
from workbench.sync.protocol import BootstrapRequest, BootstrapResponse
from workbench.sync.server import db, service
from workbench.sync.server import scopes as scoping


@pytest.fixture
def team(db_url: str, tmp_path: Path) -> Iterator[Team]:
    team = make_team(tmp_path, db_url=db_url)
    team.add_user("lan", "am")
    team.add_user("minh", "am")
    team.add_user("root", "admin")
    yield team
    team.close()


class World:
    """lan holds accounts A0..A2 (a contact positioned at A0 and A1, activities), minh holds
    B; one of minh's contacts also has a position at A0 (an administrator put it there)."""

    def __init__(self, team: Team) -> None:
        self.team = team
        lan, minh = team.device("lan", "lan"), team.device("minh", "minh")
        self.lan_id, self.minh_id = lan.user_id, minh.user_id
        with lan.store.unit() as uow:
            self.a = [
                uow.insert("accounts", {"name": f"Công ty {i}", "owner_id": lan.user_id})
                for i in range(3)
            ]
            self.shared = uow.insert("contacts", {"given_name": "Mai", "family_name": "Trần"})
            for account in self.a[:2]:
                uow.insert("positions", {"contact_id": self.shared, "account_id": account})
            for i, account in enumerate(self.a * 3):
                uow.insert(
                    "activities",
                    {
                        "account_id": account,
                        "owner_id": lan.user_id,
                        "kind": "call",
                        "subject": f"Gọi {i}",
                        "occurred_at": datetime(2026, 1, 1, 9, i),
                    },
                )
            uow.commit()
        with minh.store.unit() as uow:
            self.b = uow.insert("accounts", {"name": "Công ty Minh", "owner_id": minh.user_id})
            self.crossed = uow.insert("contacts", {"given_name": "Hà", "family_name": "Lê"})
            uow.insert("positions", {"contact_id": self.crossed, "account_id": self.b})
            uow.commit()
        assert lan.sync().caught_up and minh.sync().caught_up
        service.server_write(
            team.engine,
            team.clock,
            [
                protocol.Op(
                    op="upsert",
                    tbl="positions",
                    id="0190a000-0000-7000-8000-000000000001",
                    fields={"contact_id": self.crossed, "account_id": self.a[0]},
                )
            ],
        )
        lan.close()
        minh.close()

    def caller(self, user: str, role: str = "am") -> service.Caller:
        return service.Caller(self.team.users[user], role, "0190a000-0000-7000-8000-00000000d0d0")

    def scope_rows(self, scopes: list[str] | None) -> set[tuple[str, str]]:
        """The rows the union of ``scopes`` holds (None: every row), from the scope table."""
        query = select(db.sync_row_scope.c.tbl, db.sync_row_scope.c.row_id)
        if scopes is not None:
            query = query.where(db.sync_row_scope.c.scope.in_(scopes))
        with self.team.engine.connect() as conn:
            return {(t, r) for t, r in conn.execute(query)}


@pytest.fixture
def world(team: Team) -> World:
    return World(team)


def page(world: World, caller: service.Caller, **request: Any) -> BootstrapResponse:
    req = BootstrapRequest(**request)
    answer = BootstrapResponse.model_validate_json(service.snapshot(world.team.engine, caller, req))
    answer.check_follows(req)
    return answer


def stream(world: World, caller: service.Caller, scopes: list[str], limit: int) -> list[Any]:
    """Every page of one stream."""
    pages = [page(world, caller, scopes=scopes, limit=limit)]
    while pages[-1].next is not None:
        last = pages[-1]
        pages.append(
            page(world, caller, scopes=scopes, as_of=last.as_of, after=last.next, limit=limit)
        )
        assert len(pages) < 500
    return pages


def test_a_many_scope_snapshot_serves_each_row_once_with_the_callers_scopes(world: World) -> None:
    scopes = [f"account:{a}" for a in world.a] + ["ref", f"user:{world.lan_id}"]
    answer = page(world, world.caller("lan"), scopes=scopes)
    keys = [row.key for row in answer.rows]
    assert keys == sorted(set(keys)), "each row once, in (tbl, id) order"
    assert set(keys) == world.scope_rows(scopes)
    assert answer.next is None
    by_key = {row.key: row for row in answer.rows}
    # Every row names exactly its scopes lan holds, asked for or not (`shown_scopes`).
    with world.team.engine.connect() as conn:
        held = scoping.read_scopes(conn, world.lan_id, "am")
    stored = world.team.rows()
    for key, row in by_key.items():
        assert set(row.scopes) == set(json.loads(stored[key].scopes)) & held, key
    # In two requested scopes: once, with both; in one of minh's too: only lan's is named.
    assert {f"account:{a}" for a in world.a[:2]} <= set(by_key[("contacts", world.shared)].scopes)
    assert f"account:{world.a[0]}" in by_key[("contacts", world.crossed)].scopes
    assert f"account:{world.b}" not in by_key[("contacts", world.crossed)].scopes
    assert by_key[("accounts", world.a[0])].scopes == [f"account:{world.a[0]}"]  # not finance
    assert ("accounts", world.b) not in by_key
    # Scopes the caller holds but did not ask for are named too (the shared contact).
    answer = page(world, world.caller("lan"), scopes=[f"account:{world.a[1]}"])
    shared = next(row for row in answer.rows if row.key == ("contacts", world.shared))
    assert f"account:{world.a[0]}" in shared.scopes


@pytest.mark.parametrize("plan", ["sorted", "walk"])
@pytest.mark.parametrize("limit", [1, 2, 7])
def test_pages_resume_where_the_last_one_ended(
    world: World, monkeypatch: pytest.MonkeyPatch, plan: str, limit: int
) -> None:
    if plan == "walk":  # SQLite walks the snapshot index even for a few rows left
        monkeypatch.setattr(service, "_SORT_AT_MOST", 1)
    scopes = [f"account:{a}" for a in world.a] + ["ref"]
    whole = page(world, world.caller("lan"), scopes=scopes)
    pages = stream(world, world.caller("lan"), scopes, limit)
    assert [row for p in pages for row in p.rows] == whole.rows
    assert {p.as_of for p in pages} == {whole.as_of}
    assert all(0 < len(p.rows) <= limit for p in pages)
    assert [p.next for p in pages[:-1]] == [protocol.keyset_token(p.rows[-1]) for p in pages[:-1]]
    # A write after the snapshot began: a resumed stream keeps its as_of and serves the rows
    # after its position as they are now (pull then replays from as_of).
    middle = pages[len(pages) // 2]
    service.server_write(
        world.team.engine,
        world.team.clock,
        [protocol.Op(op="upsert", tbl="accounts", id=world.a[2], fields={"city": "Huế"})],
    )
    rest = page(
        world,
        world.caller("lan"),
        scopes=scopes,
        as_of=middle.as_of,
        after=middle.next,
        limit=protocol.MAX_SNAPSHOT_LIMIT,
    )
    assert rest.as_of == whole.as_of
    assert [r.key for r in rest.rows] == [
        r.key for p in pages[len(pages) // 2 + 1 :] for r in p.rows
    ]
    city = [r for r in rest.rows if r.key == ("accounts", world.a[2])]
    assert not city or city[0].fields["city"].value == "Huế"


def test_a_scope_the_caller_does_not_hold_refuses_the_whole_request(world: World) -> None:
    mine = [f"account:{a}" for a in world.a] + ["ref", f"user:{world.lan_id}"]
    for foreign in (
        f"account:{world.b}",
        f"user:{world.minh_id}",
        "finance",
        "all",
        "account:0190a000-0000-7000-8000-0000000000ff",  # no such account
    ):
        for scopes in ([foreign], [*mine, foreign], [foreign, *mine]):
            with pytest.raises(service.Refusal) as refused:
                service.snapshot(
                    world.team.engine, world.caller("lan"), BootstrapRequest(scopes=scopes)
                )
            assert refused.value.code == "forbidden"
            assert foreign in str(refused.value)


def test_an_admin_may_ask_for_any_scope_and_all_of_them(world: World) -> None:
    root = world.caller("root", "admin")
    every = page(world, root, scopes=["all"])
    assert {row.key for row in every.rows} == world.scope_rows(None)
    assert len(every.rows) == len({row.key for row in every.rows})
    theirs = page(world, root, scopes=[f"account:{world.b}", "ref"])
    assert {row.key for row in theirs.rows} == world.scope_rows([f"account:{world.b}", "ref"])
    assert [r.key for p in stream(world, root, ["all"], 3) for r in p.rows] == [
        r.key for r in every.rows
    ]


# -- the plan of a page ------------------------------------------------------------------------


def _page_queries(engine: Engine, run: Any) -> list[tuple[str, Any]]:
    """The statements reading sync_row_scope in (tbl, row_id) order while ``run()`` runs."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM sync_row_scope" in statement and "ORDER BY" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _plan(engine: Engine, statement: str, params: Any) -> str:
    with engine.connect() as conn, conn.begin():
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            return "\n".join(str(r[-1]) for r in rows)
        # Whether the order can come from the index at all (a tiny table would be planned as
        # a sequential scan and a sort whatever the indexes): with sorts and sequential scans
        # priced out, an order no index gives still shows a Sort node.
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        rows = conn.exec_driver_sql(f"EXPLAIN {statement}", params)
        return "\n".join(str(r[0]) for r in rows)


@pytest.mark.parametrize("which", ["many", "one", "all"])
def test_a_page_is_an_index_walk_in_key_order(
    world: World, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    monkeypatch.setattr(service, "_SORT_AT_MOST", 1)  # the walk, for these few rows
    engine = world.team.engine
    scopes = {
        "many": [f"account:{a}" for a in world.a] + ["ref"],
        "one": [f"account:{world.a[0]}"],
        "all": ["all"],
    }[which]
    caller = world.caller("root", "admin") if which == "all" else world.caller("lan")
    first = page(world, caller, scopes=scopes, limit=2)
    assert first.next is not None
    request = BootstrapRequest(scopes=scopes, as_of=first.as_of, after=first.next, limit=2)
    (query,) = _page_queries(engine, lambda: service.snapshot(engine, caller, request))
    plan = _plan(engine, *query)
    sqlite = engine.dialect.name == "sqlite"
    primary = "sqlite_autoindex_sync_row_scope_1" if sqlite else "pk_sync_row_scope"
    index = primary if which == "one" else db.SNAPSHOT_INDEX
    if sqlite:
        assert f"COVERING INDEX {index}" in plan, plan
        assert "(tbl,row_id)>(?,?)" in plan, plan  # starts at the resume position
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert f"Index Only Scan using {index}" in plan, plan
        assert "Sort" not in plan, plan
        assert "ROW(tbl, row_id) >=" in plan, plan  # starts at the resume position

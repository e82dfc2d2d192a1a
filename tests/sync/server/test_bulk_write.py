"""The server's bulk writes (`db.bulk_update`, the ledger written by `db.bulk_insert`) on SQLite
and on PostgreSQL, where `bulk_update` is one ``UPDATE ... FROM json_array_elements(...)``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic_core import to_json
from sqlalchemy import Engine, select

from tests.sync.harness import Team, make_team
from workbench.sync.server import db

_ROW_COLUMNS = ("tbl", "row_id", "fields", "deleted", "scopes", "account_ref", "user_ref", "seq")
_UPDATE_COLUMNS = ("fields", "deleted", "scopes", "account_ref", "user_ref", "seq")
_KEYS = ("tbl", "row_id")


def _seed(engine: Engine, count: int) -> None:
    rows = [
        ("contacts", f"row-{i:04d}", '{"v":1}', False, '["u:x"]', None, None, 1)
        for i in range(count)
    ]
    with db.write_transaction(engine) as conn:
        db.bulk_insert(conn, db.sync_row, _ROW_COLUMNS, rows)


def _stored(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(
                db.sync_row.c.row_id,
                db.sync_row.c.fields,
                db.sync_row.c.deleted,
                db.sync_row.c.scopes,
                db.sync_row.c.account_ref,
                db.sync_row.c.user_ref,
                db.sync_row.c.seq,
            )
        )
        return {r[0]: tuple(r[1:]) for r in found}


def test_bulk_update_writes_every_value_as_given(engine: Engine) -> None:
    _seed(engine, 6)
    tricky = '{"f":{"name":"Đặng \\"Thu\\" \\\\ Hà","note":"a\\nb"},"v":[1,"dev",2]}'
    updates = [
        (tricky, True, '["a:1","u:x"]', "acc-1", "user-1", 2**40, "contacts", "row-0000"),
        ('{"v":2}', False, "[]", None, None, 2, "contacts", "row-0001"),
        ("first", False, "[]", None, None, 3, "contacts", "row-0002"),
        ("ünï €", False, '["u:x"]', None, "user-2", 4, "contacts", "row-0003"),
        ("last", True, "[]", "acc-2", None, 5, "contacts", "row-0002"),  # a key again: it wins
    ]
    with db.write_transaction(engine) as conn:
        db.bulk_update(conn, db.sync_row, _UPDATE_COLUMNS, _KEYS, updates)
    stored = _stored(engine)
    assert stored["row-0000"] == (tricky, True, '["a:1","u:x"]', "acc-1", "user-1", 2**40)
    assert stored["row-0001"] == ('{"v":2}', False, "[]", None, None, 2)
    assert stored["row-0002"] == ("last", True, "[]", "acc-2", None, 5)
    assert stored["row-0003"] == ("ünï €", False, '["u:x"]', None, "user-2", 4)
    assert stored["row-0004"] == stored["row-0005"] == ('{"v":1}', False, '["u:x"]', None, None, 1)


def test_bulk_update_of_one_row_and_of_a_missing_key(engine: Engine) -> None:
    _seed(engine, 3)
    with db.write_transaction(engine) as conn:
        one = [("one", False, "[]", None, None, 7, "contacts", "row-0001")]
        db.bulk_update(conn, db.sync_row, _UPDATE_COLUMNS, _KEYS, one)
        # A key without a row updates nothing, and the others are still written.
        db.bulk_update(
            conn,
            db.sync_row,
            _UPDATE_COLUMNS,
            _KEYS,
            [
                ("two", False, "[]", None, None, 8, "contacts", "row-0002"),
                ("none", False, "[]", None, None, 9, "contacts", "no-such-row"),
            ],
        )
    stored = _stored(engine)
    assert set(stored) == {"row-0000", "row-0001", "row-0002"}
    assert stored["row-0001"][0] == "one" and stored["row-0001"][5] == 7
    assert stored["row-0002"][0] == "two" and stored["row-0002"][5] == 8
    assert stored["row-0000"][0] == '{"v":1}'


def test_bulk_update_probes_the_primary_key_of_an_unanalysed_table(
    pg_database: str, tmp_path: Path
) -> None:
    """PostgreSQL: the planner would hash the given rows and scan the whole table when it
    takes a freshly grown table to be small; the statement must look each row up by key."""
    from tests.sync.server.conftest import drop_pg_schema, pg_schema_url

    schema, url = pg_schema_url(pg_database)
    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        _seed(engine, 5000)
        statement = db._pg_json_update(engine.dialect, db.sync_row, _UPDATE_COLUMNS, _KEYS)
        rows = [("x", False, "[]", None, None, 2, "contacts", f"row-{i:04d}") for i in range(50)]
        with db.write_transaction(engine) as conn:
            plan = "\n".join(
                r[0]
                for r in conn.exec_driver_sql(f"EXPLAIN {statement}", (to_json(rows).decode(),))
            )
        assert "Seq Scan" not in plan and "pk_sync_row" in plan, plan
    finally:
        engine.dispose()
        drop_pg_schema(pg_database, schema)


@pytest.fixture
def team(db_url: str, tmp_path: Path) -> Iterator[Team]:
    team = make_team(tmp_path, db_url)
    team.add_user("lan", "am")
    yield team
    team.close()


def test_a_push_records_each_answer_once_with_its_time(team: Team) -> None:
    """The ledger (`sync_change`) goes through `bulk_insert`: its timestamps are converted as
    the column type converts them, and a push sent twice is answered from it the second time
    (the lookup by change id: one array parameter on PostgreSQL)."""
    a = team.device("a", "lan")
    with a.store.unit() as uow:
        ids = uow.insert_many("contacts", [{"given_name": f"G{i}"} for i in range(3)])
        uow.commit()
    before = datetime.now(UTC)
    assert a.sync().pushed == 1  # one unit of work, one change
    for i, row_id in enumerate(ids):
        with a.store.unit() as uow:
            uow.update("contacts", row_id, {"phone": f"+8490000000{i}"})
            uow.commit()
    a.transport.inject_once("duplicate")  # the server receives the same push twice
    assert a.sync().pushed == 3
    after = datetime.now(UTC)
    with team.engine.connect() as conn:
        ledger = conn.execute(
            select(
                db.sync_change.c.change_id, db.sync_change.c.applied_at, db.sync_change.c.status
            ).order_by(db.sync_change.c.seq)
        ).all()
    assert len(ledger) == 1 + 4  # the user directory row written by `add_user`, then ours
    assert len({r.change_id for r in ledger}) == len(ledger)
    assert all(r.status == "applied" for r in ledger)
    for row in ledger[1:]:
        assert row.applied_at.tzinfo is not None
        assert before <= row.applied_at <= after
    b = team.device("b", "lan")
    b.sync()
    phones = sorted(r[0] for r in b.sql("SELECT phone FROM contacts"))
    assert phones == ["+84900000000", "+84900000001", "+84900000002"]

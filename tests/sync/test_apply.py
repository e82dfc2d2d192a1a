"""The client's pull apply (SYNC.md §1.8, client side) on real SQLite files, with pull pages
built directly (no server)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from workbench.domain.hlc import pack, system_now_ms, unpack
from workbench.storage.store import Store
from workbench.sync import apply
from workbench.sync.apply import apply_pull_page
from workbench.sync.protocol import FieldValue, PulledOp, PullResponse

MARIA = "dev-maria"
NOW_MS = system_now_ms()
PAST = pack(NOW_MS - 3_600_000, 0)  # an hour before any local edit of a test
FUTURE = pack(NOW_MS + 3_600_000, 0)  # after any local edit of a test, however slow the run


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "client.db")
    yield s
    s.close()


def _id() -> str:
    return str(uuid.uuid4())


def _op(
    seq: int,
    tbl: str,
    row_id: str,
    fields: dict[str, Any],
    *,
    hlc: int = PAST,
    node: str = MARIA,
    deleted: bool | None = None,
) -> PulledOp:
    """`deleted` defaults to the op's `_deleted` value (the two must agree), else False."""
    return PulledOp.build(
        seq=seq,
        tbl=tbl,
        id=row_id,
        deleted=bool(fields.get("_deleted", False)) if deleted is None else deleted,
        scopes=[f"account:{row_id}"],
        fields={f: FieldValue(value=v, hlc=hlc, node=node) for f, v in fields.items()},
    )


def _page(*ops: PulledOp, cursor: int | None = None, server_hlc: int = PAST) -> PullResponse:
    end = cursor if cursor is not None else max((o.seq for o in ops), default=0)
    return PullResponse(
        ops=list(ops),
        scope_set_version=1,
        cursor=end,
        head_seq=end,
        has_more=False,
        server_hlc=server_hlc,
    )


def _sql(store: Store, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(store.path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def _outbox_ops(store: Store) -> list[list[dict[str, Any]]]:
    return [json.loads(r[0]) for r in _sql(store, "SELECT ops FROM sync_outbox ORDER BY 1")]


def _field_version(store: Store, table: str, row_id: str, field: str) -> tuple[Any, ...]:
    ((hlc, node, seq, fields),) = _sql(
        store,
        "SELECT hlc, node, seq, fields FROM sync_version WHERE tbl = ? AND row_id = ?",
        table,
        row_id,
    )
    return tuple(json.loads(fields).get(field, (hlc, node, seq)))


def _account_op(seq: int, account_id: str, **fields: Any) -> PulledOp:
    values = {"name": "Công ty Cổ phần Sao Mai", "city": "Đà Nẵng", "phone": "+842363888999"}
    return _op(seq, "accounts", account_id, {**values, **fields})


def _snapshot(store: Store) -> tuple[list[tuple[Any, ...]], ...]:
    return (
        _sql(store, "SELECT * FROM accounts ORDER BY id"),
        _sql(store, "SELECT * FROM contacts ORDER BY id"),
        _sql(store, "SELECT * FROM sync_version ORDER BY tbl, row_id"),
        _sql(store, "SELECT * FROM sync_outbox"),
        _sql(store, "SELECT * FROM search_docs ORDER BY ref_id"),
    )


def test_remote_account_and_contact_appear_searchable_without_outbox(store: Store) -> None:
    account_id, contact_id = _id(), _id()
    page = _page(
        _account_op(7, account_id),
        _op(
            8,
            "contacts",
            contact_id,
            {"family_name": "Đặng", "given_name": "Thu Hà", "birthday": "1990-04-30"},
        ),
    )
    changes = apply_pull_page(store, page)

    assert changes.ids("accounts") == {account_id} and changes.ids("contacts") == {contact_id}
    assert account_id in changes.accounts
    with store.read() as q:
        assert [h.ref_id for h in q.search("sao mai")] == [account_id]
        assert [h.ref_id for h in q.search("dang thu")] == [contact_id]
    assert _outbox_ops(store) == []
    ((name_folded, row_seq),) = _sql(
        store, "SELECT name_folded, row_seq FROM accounts WHERE id = ?", account_id
    )
    assert name_folded == "cong ty co phan sao mai" and row_seq == 7
    ((birthday, sort_given),) = _sql(
        store, "SELECT birthday, sort_given FROM contacts WHERE id = ?", contact_id
    )
    assert birthday == date(1990, 4, 30).isoformat() and sort_given
    assert _field_version(store, "accounts", account_id, "name") == (PAST, MARIA, 7)
    assert store.sync_state("cursor") == "8" and store.sync_state("head_seq") == "8"
    # Every remote HLC and server_hlc were observed: the next local write orders after them.
    assert int(store.sync_state("hlc") or 0) > PAST


def test_server_hlc_is_observed_into_the_persistent_clock(store: Store) -> None:
    apply_pull_page(store, _page(cursor=0, server_hlc=FUTURE))
    assert int(store.sync_state("hlc") or 0) > FUTURE
    assert store.sync_state("cursor") == "0"


def test_remote_edit_updates_the_field_and_its_seq(store: Store) -> None:
    account_id = _id()
    apply_pull_page(store, _page(_account_op(3, account_id)))
    edit = _op(9, "accounts", account_id, {"city": "Huế"}, hlc=PAST + 5)
    changes = apply_pull_page(store, _page(edit))

    (row,) = changes.rows
    assert row.after == {"city": "Huế"}
    assert _sql(store, "SELECT city, row_seq FROM accounts")[0] == ("Huế", 9)
    assert _field_version(store, "accounts", account_id, "city") == (PAST + 5, MARIA, 9)
    assert _field_version(store, "accounts", account_id, "name") == (PAST, MARIA, 3)
    with store.read() as q:
        assert [h.ref_id for h in q.search("hue")] == [account_id]
    assert _outbox_ops(store) == []


def test_a_remote_contact_edit_rewrites_its_search_document(store: Store) -> None:
    # The document is built from the row as the page wrote it (`UnitOfWork.update_many`
    # hands it to the reindex), not read back: the old name and phone must be gone from it.
    contact_id = _id()
    first = {"family_name": "Đặng", "given_name": "Thu Hà", "phone": "+84912345678"}
    apply_pull_page(store, _page(_op(3, "contacts", contact_id, first)))
    edit = {"family_name": "Lê", "phone": "+84987654321"}
    apply_pull_page(store, _page(_op(4, "contacts", contact_id, edit, hlc=PAST + 1)))

    with store.read() as q:
        assert [h.ref_id for h in q.search("le thu")] == [contact_id]
        assert [h.ref_id for h in q.search("0987654321")] == [contact_id]
        assert q.search("dang thu") == [] and q.search("0912345678") == []
        (hit,) = q.search("le thu")
    assert hit.title == "Lê Thu Hà"
    ((sort_family,),) = _sql(store, "SELECT sort_family FROM contacts")
    assert sort_family.startswith("le")


def test_newer_pending_local_edit_survives_while_other_fields_take_remote(store: Store) -> None:
    account_id = _id()
    apply_pull_page(store, _page(_account_op(3, account_id)))
    with store.unit() as u:
        u.update("accounts", account_id, {"city": "Hà Nội"})
        u.commit()
    local = _field_version(store, "accounts", account_id, "city")
    assert local[2] is None  # pending

    remote = _op(4, "accounts", account_id, {"city": "Huế", "phone": "+84911111111"}, hlc=PAST + 1)
    apply_pull_page(store, _page(remote))

    assert _sql(store, "SELECT city, phone, row_seq FROM accounts")[0] == (
        "Hà Nội",
        "+84911111111",
        4,
    )
    assert _field_version(store, "accounts", account_id, "city") == local
    assert _field_version(store, "accounts", account_id, "phone") == (PAST + 1, MARIA, 4)
    assert len(_outbox_ops(store)) == 1  # only the local edit, nothing echoed


def test_older_pending_local_edit_gives_way(store: Store) -> None:
    account_id = _id()
    apply_pull_page(store, _page(_account_op(3, account_id)))
    with store.unit() as u:
        u.update("accounts", account_id, {"city": "Hà Nội"})
        u.commit()

    apply_pull_page(store, _page(_op(4, "accounts", account_id, {"city": "Huế"}, hlc=FUTURE)))

    assert _sql(store, "SELECT city FROM accounts")[0] == ("Huế",)
    assert _field_version(store, "accounts", account_id, "city") == (FUTURE, MARIA, 4)


def test_remote_delete_and_restore(store: Store) -> None:
    account_id = _id()
    apply_pull_page(store, _page(_account_op(3, account_id)))

    delete = _op(4, "accounts", account_id, {"_deleted": True}, hlc=PAST + 1, deleted=True)
    changes = apply_pull_page(store, _page(delete))
    assert [r.op.value for r in changes.rows] == ["archive"]
    assert _sql(store, "SELECT deleted_at IS NOT NULL FROM accounts")[0] == (1,)
    with store.read() as q:
        assert q.search("sao mai") == []

    restore = _op(5, "accounts", account_id, {"_deleted": False}, hlc=PAST + 2)
    changes = apply_pull_page(store, _page(restore))
    assert [r.op.value for r in changes.rows] == ["restore"]
    assert _sql(store, "SELECT deleted_at, row_seq FROM accounts")[0] == (None, 5)
    assert _field_version(store, "accounts", account_id, "_deleted") == (PAST + 2, MARIA, 5)
    with store.read() as q:
        assert [h.ref_id for h in q.search("sao mai")] == [account_id]
    assert _outbox_ops(store) == []


def test_a_row_created_deleted_is_stored_as_a_tombstone(store: Store) -> None:
    account_id = _id()
    apply_pull_page(store, _page(_account_op(3, account_id, _deleted=True)))
    assert _sql(store, "SELECT deleted_at IS NOT NULL FROM accounts")[0] == (1,)


def test_reapplying_a_page_is_a_no_op(store: Store) -> None:
    account_id, contact_id = _id(), _id()
    page = _page(
        _account_op(3, account_id),
        _op(4, "contacts", contact_id, {"given_name": "Lan", "email": "lan@saomai.vn"}),
        _op(
            5, "accounts", account_id, {"city": "Huế", "_deleted": True}, hlc=PAST + 1, deleted=True
        ),
    )
    apply_pull_page(store, page)
    before = _snapshot(store)

    changes = apply_pull_page(store, page)

    assert changes.empty
    assert _snapshot(store) == before


def test_unknown_tables_and_fields_are_skipped(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    account_id = _id()
    page = _page(
        _op(2, "invoices", _id(), {"amount_minor": 5}),
        _account_op(3, account_id, shoe_size=44, name_folded="evil"),
    )
    apply_pull_page(store, page)
    assert _sql(store, "SELECT name_folded FROM accounts")[0] == ("cong ty co phan sao mai",)
    assert "invoices" in caplog.text and "shoe_size" in caplog.text
    assert store.sync_state("cursor") == "3"


def test_a_failure_mid_page_keeps_neither_rows_nor_cursor(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_pull_page(store, _page(cursor=0))
    first, second = _id(), _id()
    real = apply._apply_op
    calls = 0

    def flaky(work: Any, op: PulledOp, authority: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk gone")
        real(work, op, authority)

    monkeypatch.setattr(apply, "_apply_op", flaky)
    page = _page(_account_op(3, first), _account_op(4, second))
    with pytest.raises(OSError):
        apply_pull_page(store, page)

    assert _sql(store, "SELECT count(*) FROM accounts")[0] == (0,)
    assert _sql(store, "SELECT count(*) FROM sync_version")[0] == (0,)
    assert store.sync_state("cursor") == "0"

    monkeypatch.setattr(apply, "_apply_op", real)
    apply_pull_page(store, page)  # the page is fetched again and applies whole
    assert len(_sql(store, "SELECT id FROM accounts")) == 2
    assert store.sync_state("cursor") == "4"


def test_a_local_edit_after_apply_sends_the_remote_seq_as_base(store: Store) -> None:
    account_id = _id()
    apply_pull_page(store, _page(_account_op(3, account_id)))
    apply_pull_page(store, _page(_op(8, "accounts", account_id, {"city": "Huế"}, hlc=PAST + 1)))
    with store.unit() as u:
        u.update("accounts", account_id, {"city": "Hội An", "phone": "+84905000000"})
        u.commit()

    ((op,),) = _outbox_ops(store)
    assert op["op"] == "upsert" and op["id"] == account_id
    assert op["fields"] == {"city": "Hội An", "phone": "+84905000000"}
    assert op["base"] == {"city": 8, "phone": 3}
    # The local write is ordered after everything the page carried.
    ((hlc,),) = _sql(store, "SELECT hlc FROM sync_outbox")
    assert unpack(hlc) > unpack(PAST + 1)


def test_a_pulled_echo_of_our_own_pending_write_adopts_its_seq(store: Store) -> None:
    account_id = _id()
    apply_pull_page(store, _page(_account_op(3, account_id)))
    with store.unit() as u:
        u.update("accounts", account_id, {"city": "Hà Nội"})
        u.commit()
    hlc, node, _ = _field_version(store, "accounts", account_id, "city")

    # Our push's acknowledgement was lost; the pull brings the same write back with its seq.
    apply_pull_page(
        store, _page(_op(6, "accounts", account_id, {"city": "Hà Nội"}, hlc=hlc, node=node))
    )
    assert _field_version(store, "accounts", account_id, "city") == (hlc, node, 6)


def test_a_partial_op_for_a_missing_row_does_not_wedge_the_pull(store: Store) -> None:
    contact_id = _id()
    apply_pull_page(store, _page(_op(5, "contacts", contact_id, {"phone": "+84912345678"})))
    assert _sql(store, "SELECT given_name, phone, row_seq FROM contacts")[0] == (
        "",
        "+84912345678",
        5,
    )
    assert store.sync_state("cursor") == "5"


def test_a_newer_pending_local_delete_survives_a_remote_edit(store: Store) -> None:
    account_id = _id()
    apply_pull_page(store, _page(_account_op(3, account_id)))
    with store.unit() as u:
        u.archive("accounts", account_id)
        u.commit()

    apply_pull_page(store, _page(_op(4, "accounts", account_id, {"city": "Huế"}, hlc=PAST + 1)))

    assert _sql(store, "SELECT city, deleted_at IS NOT NULL FROM accounts")[0] == ("Huế", 1)
    assert _field_version(store, "accounts", account_id, "_deleted")[2] is None


def test_our_own_answered_write_coming_back_changes_only_seq_and_scopes(store: Store) -> None:
    """The echo of this device's push: held at exactly the pulled versions, so no row is
    rewritten and nothing is reported to the UI; the row's seq and scopes are recorded."""
    with store.unit() as u:
        contact_id = u.insert("contacts", {"given_name": "Lan", "family_name": "Trần"})
        u.commit()
    ((hlc, node, fields),) = _sql(store, "SELECT hlc, node, fields FROM sync_version")
    assert json.loads(fields) == {}
    with sqlite3.connect(store.path) as con:  # what the push answer does (engine._Answered)
        con.execute("UPDATE sync_version SET seq = 12")
    rows_before = _sql(store, "SELECT * FROM contacts")
    values = {"given_name": "Lan", "family_name": "Trần"}
    echo = PulledOp.build(
        seq=12,
        tbl="contacts",
        id=contact_id,
        deleted=False,
        scopes=["user:0190a0a0-0000-7000-8000-000000000001"],
        fields={f: FieldValue(value=v, hlc=hlc, node=node) for f, v in values.items()},
    )

    changes = apply_pull_page(store, _page(echo))

    assert changes.empty
    assert _sql(store, "SELECT row_seq FROM contacts") == [(12,)]
    assert [r[:-1] for r in _sql(store, "SELECT * FROM contacts")] == [r[:-1] for r in rows_before]
    assert _sql(store, "SELECT hlc, node, seq, fields, scopes FROM sync_version") == [
        (hlc, node, 12, "{}", '["user:0190a0a0-0000-7000-8000-000000000001"]')
    ]


def test_several_ops_of_one_row_in_a_page_apply_in_order_with_derived_columns(
    store: Store,
) -> None:
    contact_id = _id()
    apply_pull_page(store, _page(_op(3, "contacts", contact_id, {"given_name": "Lan"})))
    page = _page(
        _op(4, "contacts", contact_id, {"family_name": "Đặng"}, hlc=PAST + 1),
        _op(5, "contacts", contact_id, {"given_name": "Ánh"}, hlc=PAST + 2),
        _op(6, "contacts", contact_id, {"_deleted": True}, hlc=PAST + 3, deleted=True),
    )

    changes = apply_pull_page(store, page)

    ((row,),) = [[r for r in changes.rows if r.table == "contacts"]]
    assert row.after["family_name"] == "Đặng" and row.after["given_name"] == "Ánh"
    given, family, gone, seq = _sql(
        store, "SELECT given_name, family_name, deleted_at IS NOT NULL, row_seq FROM contacts"
    )[0]
    assert (given, family, gone, seq) == ("Ánh", "Đặng", 1, 6)
    ((sort_family,),) = _sql(store, "SELECT sort_family FROM contacts")
    assert sort_family.startswith("dang")  # derived columns follow the new name


def test_rows_read_for_a_page_are_typed_as_a_select_reads_them(store: Store) -> None:
    # `store.stored_rows`, which the pull's apply reads with, runs plain SQL and applies each
    # column's result processor itself: a date, a datetime, a boolean and a NULL must come
    # back as `select` gives them, or every later page would see changes where there are none.
    from sqlalchemy import select

    from workbench.storage.store import stored_rows
    from workbench.storage.tables import AccountPlan

    account_id, plan_id = _id(), _id()
    plan = {
        "account_id": account_id,
        "period": "2027",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "client_knows": True,
        "last_reviewed": None,
        "_deleted": True,
    }
    apply_pull_page(
        store, _page(_account_op(3, account_id), _op(4, "account_plans", plan_id, plan))
    )

    with store.unit(remote=True) as uow:
        conn = uow.session.connection()
        (read,) = stored_rows(conn, AccountPlan, [plan_id, _id()])
        table = AccountPlan.__table__
        expected = dict(conn.execute(select(table).where(table.c.id == plan_id)).mappings().one())
    assert read == expected
    assert read["period_start"] == date(2027, 1, 1) and read["client_knows"] is True
    assert read["deleted_at"] is not None and read["last_reviewed"] is None

"""The sync inbox over a real SQLite file: conflicts and refused changes, decided by the user.

Conflict and attention rows are written with plain SQL, as the sync engine leaves them; each
action must change the record, the item's status and write the outbox entries that carry the
decision to the server, all in one transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from workbench.domain.drafts import AccountDraft, ContactDraft, PositionDraft
from workbench.domain.errors import ValidationError
from workbench.domain.hlc import pack
from workbench.domain.ids import new_id
from workbench.services import sync_inbox
from workbench.services.accounts import archive_account, create_account
from workbench.services.contacts import create_contact
from workbench.storage.store import RowNotFoundError, Store

# 2026-03-12 07:05:00 UTC and five minutes later
MS = int(datetime(2026, 3, 12, 7, 5, tzinfo=UTC).timestamp() * 1000)
LATER = MS + 5 * 60_000


def _sql(store: Store, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with store.engine.begin() as conn:
        result = conn.exec_driver_sql(sql, params)
        return [tuple(r) for r in result] if result.returns_rows else []


def add_conflict(
    store: Store,
    table: str,
    row_id: str,
    field: str,
    winner: Any,
    loser: Any,
    *,
    kind: str = "concurrent_update",
    winner_user: str | None = None,
    loser_user: str | None = None,
    winner_ms: int = LATER,
    loser_ms: int = MS,
    status: str = "open",
) -> str:
    cid = new_id()
    _sql(
        store,
        "INSERT INTO sync_conflict (id, tbl, row_id, field, kind, winner_value, loser_value,"
        " winner_hlc, loser_hlc, winner_user, loser_user, status, created_seq)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        cid,
        table,
        row_id,
        field,
        kind,
        json.dumps(winner, ensure_ascii=False),
        json.dumps(loser, ensure_ascii=False),
        pack(winner_ms, 0),
        pack(loser_ms, 3),
        winner_user,
        loser_user,
        status,
        100,
    )
    return cid


def add_attention(store: Store, ops: list[dict[str, Any]], reason: str = "no_access") -> int:
    _sql(
        store,
        "INSERT INTO sync_attention (change_id, device_seq, hlc, ops, reason, detail, status,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
        new_id(),
        7,
        pack(MS, 1),
        json.dumps(ops, ensure_ascii=False),
        reason,
        "account reassigned",
        LATER,
    )
    return int(_sql(store, "SELECT MAX(id) FROM sync_attention")[0][0])


def outbox_ops(store: Store) -> list[list[dict[str, Any]]]:
    rows = _sql(store, "SELECT ops FROM sync_outbox ORDER BY device_seq")
    return [json.loads(r[0]) for r in rows]


def status_of(store: Store, cid: str) -> str:
    return str(_sql(store, "SELECT status FROM sync_conflict WHERE id = ?", cid)[0][0])


@pytest.fixture
def people(store: Store, user_id: str) -> dict[str, str]:
    with store.unit() as u:
        nam = u.insert("users", {"name": "Lê Hoàng Nam", "email": "nam@workbench.vn", "role": "rm"})
        u.commit()
    account = create_account(
        store,
        AccountDraft(name="Công ty Cổ phần Đặng Gia", owner_id=user_id, city="Đà Nẵng"),
    ).id
    contact = create_contact(
        store,
        ContactDraft(
            family_name="Đặng",
            middle_name="Thị",
            given_name="Lan",
            position=PositionDraft(account_id=account, title="Kế toán trưởng"),
        ),
    ).id
    return {"me": user_id, "nam": nam, "account": account, "contact": contact}


def test_open_conflicts_are_listed_newest_first_with_names_values_and_times(
    store: Store, people: dict[str, str]
) -> None:
    older = add_conflict(
        store,
        "accounts",
        people["account"],
        "city",
        "Hà Nội",
        "Đà Nẵng",
        winner_user=people["nam"],
        loser_user=people["me"],
    )
    newer = add_conflict(
        store,
        "contacts",
        people["contact"],
        "mobile",
        "+84912345678",
        "+84987654321",
        winner_user="someone-unknown",
        winner_ms=LATER + 60_000,
    )
    gone = add_conflict(
        store,
        "contacts",
        "0192aaaa-0000-7000-8000-00000000beef",
        "email",
        "a@x.vn",
        "b@x.vn",
        winner_ms=MS - 60_000,
        loser_ms=MS - 120_000,
    )
    add_conflict(store, "accounts", people["account"], "phone", "1", "2", status="kept")

    items = sync_inbox.open_conflicts(store)
    assert [i.id for i in items] == [newer, older, gone]
    by_id = {i.id: i for i in items}

    city = by_id[older]
    assert (city.record, city.table, city.field) == ("Công ty Cổ phần Đặng Gia", "accounts", "city")
    assert (city.winner_value, city.loser_value) == ("Hà Nội", "Đà Nẵng")
    assert (city.winner_user, city.loser_user) == ("Lê Hoàng Nam", "Trần Minh Anh")
    assert city.winner_at == datetime(2026, 3, 12, 7, 10)
    assert city.loser_at == datetime(2026, 3, 12, 7, 5)
    assert city.exists and not city.deleted and not city.on_deleted_record

    mobile = by_id[newer]
    assert mobile.record == "Đặng Thị Lan"
    assert mobile.winner_user == "someone-unknown"  # not in users here: the id, not nothing
    assert mobile.loser_user == ""

    missing = by_id[gone]
    assert not missing.exists
    assert missing.record == "contacts 0000beef"


def test_reference_values_come_with_names(store: Store, people: dict[str, str]) -> None:
    add_conflict(store, "accounts", people["account"], "owner_id", people["nam"], people["me"])
    (item,) = sync_inbox.open_conflicts(store)
    assert item.refs == {people["nam"]: "Lê Hoàng Nam", people["me"]: "Trần Minh Anh"}


def test_keep_current_resolves_without_touching_the_record(
    store: Store, people: dict[str, str]
) -> None:
    cid = add_conflict(store, "accounts", people["account"], "city", "Hà Nội", "Huế")
    _sql(store, "UPDATE accounts SET city = 'Hà Nội' WHERE id = ?", people["account"])
    before = len(outbox_ops(store))

    changes = sync_inbox.keep_current(store, cid)

    assert status_of(store, cid) == "kept"
    assert changes.touches("sync_conflict") and not changes.touches("accounts")
    ops = outbox_ops(store)[before:]
    assert ops == [
        [
            {
                "op": "upsert",
                "tbl": "sync_conflict",
                "id": cid,
                "fields": {"status": "kept"},
                "base": {"status": None},
            }
        ]
    ]
    assert _sql(store, "SELECT city FROM accounts WHERE id = ?", people["account"]) == [("Hà Nội",)]
    assert sync_inbox.open_conflicts(store) == []


def test_use_mine_writes_the_overwritten_value_as_an_ordinary_edit(
    store: Store, people: dict[str, str]
) -> None:
    cid = add_conflict(store, "accounts", people["account"], "city", "Hà Nội", "Huế")
    before = len(outbox_ops(store))

    changes = sync_inbox.use_mine(store, cid)

    assert _sql(store, "SELECT city FROM accounts WHERE id = ?", people["account"]) == [("Huế",)]
    assert status_of(store, cid) == "used_mine"
    assert changes.ids("accounts") == {people["account"]}
    assert changes.ids("sync_conflict") == {cid}
    new_ops = [op for ops in outbox_ops(store)[before:] for op in ops]
    assert {"tbl": "sync_conflict", "status": "used_mine"} in [
        {"tbl": op["tbl"], "status": op["fields"]["status"]}
        for op in new_ops
        if op["tbl"] == "sync_conflict"
    ]
    edit = next(op for op in new_ops if op["tbl"] == "accounts")
    assert edit["op"] == "upsert" and edit["id"] == people["account"]
    assert edit["fields"] == {"city": "Huế"}
    # Undo may invert the record edit, never the inbox row.
    assert sync_inbox.without_inbox(changes).tables() == {"accounts"}


def test_edit_value_turns_typed_text_into_the_columns_type(
    store: Store, people: dict[str, str]
) -> None:
    birthday = add_conflict(
        store, "contacts", people["contact"], "birthday", "1990-01-02", "1990-02-01"
    )
    terms = add_conflict(store, "accounts", people["account"], "payment_terms_days", 30, 60)

    sync_inbox.edit_value(store, birthday, "15/06/1990")
    sync_inbox.edit_value(store, terms, " 45 ")

    assert _sql(store, "SELECT birthday FROM contacts WHERE id = ?", people["contact"]) == [
        ("1990-06-15",)
    ]
    terms_now = _sql(
        store, "SELECT payment_terms_days FROM accounts WHERE id = ?", people["account"]
    )
    assert terms_now == [(45,)]
    assert status_of(store, birthday) == status_of(store, terms) == "edited"


def test_a_bad_typed_value_writes_nothing(store: Store, people: dict[str, str]) -> None:
    cid = add_conflict(store, "accounts", people["account"], "payment_terms_days", 30, 60)
    before = len(outbox_ops(store))
    with pytest.raises(ValidationError) as caught:
        sync_inbox.edit_value(store, cid, "forty")
    assert caught.value.errors[0].field == "payment_terms_days"
    assert status_of(store, cid) == "open"
    assert len(outbox_ops(store)) == before


def test_dates_from_the_outbox_are_iso_text(store: Store, people: dict[str, str]) -> None:
    cid = add_conflict(store, "contacts", people["contact"], "birthday", None, "1985-11-30")
    sync_inbox.use_mine(store, cid)
    with store.read() as q:
        detail = q.contact_detail(people["contact"])
    assert detail is not None and detail.birthday == date(1985, 11, 30)


def test_restore_brings_the_record_back_with_the_edit(store: Store, people: dict[str, str]) -> None:
    archive_account(store, people["account"])
    cid = add_conflict(
        store,
        "accounts",
        people["account"],
        "phone",
        True,
        "+842838123456",
        kind="update_on_deleted",
        winner_user=people["nam"],
    )
    (item,) = sync_inbox.open_conflicts(store)
    assert item.on_deleted_record and item.deleted
    before = len(outbox_ops(store))

    changes = sync_inbox.restore_record(store, cid)

    row = _sql(store, "SELECT deleted_at, phone FROM accounts WHERE id = ?", people["account"])
    assert row == [(None, "+842838123456")]
    assert status_of(store, cid) == "restored"
    assert changes.touches("accounts")
    kinds = [(op["op"], op["tbl"]) for ops in outbox_ops(store)[before:] for op in ops]
    assert ("restore", "accounts") in kinds and ("upsert", "sync_conflict") in kinds


def test_restore_when_the_field_is_the_tombstone(store: Store, people: dict[str, str]) -> None:
    archive_account(store, people["account"])
    cid = add_conflict(
        store, "accounts", people["account"], "_deleted", True, False, kind="delete_on_updated"
    )
    sync_inbox.restore_record(store, cid)
    assert _sql(store, "SELECT deleted_at FROM accounts WHERE id = ?", people["account"]) == [
        (None,)
    ]


def test_discard_mine_leaves_the_record_deleted(store: Store, people: dict[str, str]) -> None:
    archive_account(store, people["account"])
    cid = add_conflict(
        store, "accounts", people["account"], "phone", True, "+8428", kind="update_on_deleted"
    )
    sync_inbox.discard_mine(store, cid)
    assert status_of(store, cid) == "discarded"
    deleted = _sql(store, "SELECT deleted_at FROM accounts WHERE id = ?", people["account"])
    assert deleted[0][0] is not None
    assert outbox_ops(store)[-1][0]["fields"] == {"status": "discarded"}


def test_a_conflict_already_resolved_is_refused(store: Store, people: dict[str, str]) -> None:
    cid = add_conflict(store, "accounts", people["account"], "city", "A", "B")
    sync_inbox.keep_current(store, cid)
    before = len(outbox_ops(store))
    with pytest.raises(sync_inbox.NotOpen):
        sync_inbox.use_mine(store, cid)
    with pytest.raises(sync_inbox.NotOpen):
        sync_inbox.keep_current(store, "no-such-conflict")
    assert status_of(store, cid) == "kept"
    assert len(outbox_ops(store)) == before


def test_use_mine_on_a_record_not_on_this_device_changes_nothing(store: Store) -> None:
    cid = add_conflict(store, "accounts", new_id(), "city", "A", "B")
    with pytest.raises(RowNotFoundError):
        sync_inbox.use_mine(store, cid)
    assert status_of(store, cid) == "open"
    assert outbox_ops(store) == []


# -- needs attention ---------------------------------------------------------------------------
def test_attention_items_show_reason_values_and_times(store: Store, people: dict[str, str]) -> None:
    aid = add_attention(
        store,
        [
            {
                "op": "upsert",
                "tbl": "accounts",
                "id": people["account"],
                "fields": {"city": "Cần Thơ", "owner_id": people["nam"], "notes": ""},
                "base": {"city": 4, "owner_id": 4, "notes": 4},
            },
            {"op": "delete", "tbl": "contacts", "id": people["contact"], "base": {"_deleted": 5}},
        ],
    )
    (item,) = sync_inbox.attention_items(store)
    assert item.id == aid and item.reason == "no_access" and item.detail == "account reassigned"
    assert item.made_at == datetime(2026, 3, 12, 7, 5)
    assert item.created_at == datetime(2026, 3, 12, 7, 10)
    assert [(op.op, op.record) for op in item.ops] == [
        ("upsert", "Công ty Cổ phần Đặng Gia"),
        ("delete", "Đặng Thị Lan"),
    ]
    assert item.refs == {people["nam"]: "Lê Hoàng Nam"}
    assert item.summary == (
        "Công ty Cổ phần Đặng Gia: city = Cần Thơ, owner_id = Lê Hoàng Nam; Đặng Thị Lan: deleted"
    )
    assert item.can_reapply


def test_reapply_updates_rows_still_here_as_a_new_edit(
    store: Store, people: dict[str, str]
) -> None:
    aid = add_attention(
        store,
        [
            {
                "op": "upsert",
                "tbl": "accounts",
                "id": people["account"],
                "fields": {"city": "Cần Thơ", "credit_limit_minor": 500_000_000},
                "base": {"city": 4, "credit_limit_minor": 4},
            },
            {"op": "delete", "tbl": "contacts", "id": people["contact"], "base": {"_deleted": 5}},
        ],
        reason="concurrent_finance_edit",
    )
    before = len(outbox_ops(store))

    changes = sync_inbox.reapply(store, aid)

    row = _sql(
        store, "SELECT city, credit_limit_minor FROM accounts WHERE id = ?", people["account"]
    )
    assert row == [("Cần Thơ", 500_000_000)]
    gone = _sql(store, "SELECT deleted_at FROM contacts WHERE id = ?", people["contact"])
    assert gone[0][0] is not None
    assert _sql(store, "SELECT status FROM sync_attention WHERE id = ?", aid) == [("reapplied",)]
    assert changes.touches("accounts", "contacts") and changes.touches("sync_attention")
    (ops,) = outbox_ops(store)[before:]
    assert [(op["op"], op["tbl"]) for op in ops] == [("upsert", "accounts"), ("delete", "contacts")]
    assert sync_inbox.attention_items(store) == []


def test_reapply_inserts_rows_gone_from_this_device_under_new_ids(
    store: Store, people: dict[str, str]
) -> None:
    old_contact, old_position = new_id(), new_id()
    aid = add_attention(
        store,
        [
            {
                "op": "upsert",
                "tbl": "contacts",
                "id": old_contact,
                "fields": {"family_name": "Võ", "given_name": "Bình", "birthday": "1991-04-30"},
                "base": {"family_name": None, "given_name": None, "birthday": None},
            },
            {
                "op": "upsert",
                "tbl": "positions",
                "id": old_position,
                "fields": {
                    "contact_id": old_contact,
                    "account_id": people["account"],
                    "title": "Giám đốc",
                },
                "base": {"contact_id": None, "account_id": None, "title": None},
            },
        ],
    )
    sync_inbox.reapply(store, aid)

    (contact,) = _sql(store, "SELECT id, birthday FROM contacts WHERE given_name = 'Bình'")
    assert contact[0] != old_contact and contact[1] == "1991-04-30"
    (position,) = _sql(store, "SELECT id, contact_id FROM positions WHERE title = 'Giám đốc'")
    assert position[0] != old_position and position[1] == contact[0]


def test_reapply_of_a_partial_edit_to_a_record_gone_is_refused(store: Store) -> None:
    aid = add_attention(
        store,
        [{"op": "upsert", "tbl": "accounts", "id": new_id(), "fields": {"city": "Huế"}}],
    )
    with pytest.raises(ValidationError):
        sync_inbox.reapply(store, aid)
    assert _sql(store, "SELECT status FROM sync_attention WHERE id = ?", aid) == [("open",)]
    assert outbox_ops(store) == []


def test_reapply_is_refused_where_the_server_would_refuse_again(store: Store) -> None:
    aid = add_attention(store, [], reason="server_only_field")
    (item,) = sync_inbox.attention_items(store)
    assert not item.can_reapply
    with pytest.raises(ValidationError):
        sync_inbox.reapply(store, aid)


def test_dismiss_keeps_the_item_and_its_values(store: Store, people: dict[str, str]) -> None:
    ops = [{"op": "upsert", "tbl": "accounts", "id": people["account"], "fields": {"city": "X"}}]
    aid = add_attention(store, ops)
    changes = sync_inbox.dismiss(store, aid)
    assert changes.ids("sync_attention") == {str(aid)}
    rows = _sql(store, "SELECT status, ops FROM sync_attention WHERE id = ?", aid)
    assert rows[0][0] == "dismissed" and json.loads(rows[0][1]) == ops
    assert sync_inbox.attention_items(store) == []
    with pytest.raises(sync_inbox.NotOpen):
        sync_inbox.dismiss(store, aid)


def test_reason_codes_read_as_sentences() -> None:
    assert sync_inbox.reason_text("no_access") == "You no longer have access to this account"
    for code in (
        "server_only_field",
        "concurrent_finance_edit",
        "stale_hlc",
        "invalid_value",
        "unknown_table",
        "upgrade_required",
    ):
        assert " " in sync_inbox.reason_text(code)
    assert sync_inbox.reason_text("quota_exceeded") == "quota_exceeded"


def test_overview_counts_what_waits(store: Store, people: dict[str, str]) -> None:
    add_conflict(store, "accounts", people["account"], "city", "A", "B")
    add_conflict(store, "accounts", people["account"], "phone", "1", "2", status="kept")
    add_attention(store, [])
    store.set_sync_state({"server_url": "https://sync.example.vn", "server_user": "anh"})
    waiting = len(outbox_ops(store))
    view = sync_inbox.overview(store)
    assert (view.conflicts, view.attention, view.waiting) == (1, 1, waiting)
    assert view.signed_in and view.server_url == "https://sync.example.vn"

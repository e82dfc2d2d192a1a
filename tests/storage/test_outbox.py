"""Sync capture (SYNC.md §1.4): every unit of work records its ops, versions and HLC in the
same transaction as the edit, on real SQLite files."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from workbench.domain.hlc import unpack
from workbench.services.undo import undo
from workbench.storage import migrate, outbox
from workbench.storage.store import Store


def _outbox(store: Store) -> list[dict[str, Any]]:
    con = sqlite3.connect(store.path)
    try:
        rows = con.execute(
            "SELECT device_seq, change_id, hlc, schema_version, ops, state, created_at"
            " FROM sync_outbox ORDER BY device_seq"
        ).fetchall()
    finally:
        con.close()
    keys = ("device_seq", "change_id", "hlc", "schema_version", "ops", "state", "created_at")
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    for r in out:
        r["ops"] = json.loads(r["ops"])
    return out


def _sql(store: Store, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(store.path)
    try:
        rows = con.execute(sql, params).fetchall()
        con.commit()
    finally:
        con.close()
    return rows


def _version(store: Store, table: str, row_id: str) -> tuple[int, str, int | None, dict[str, Any]]:
    ((hlc, node, seq, fields),) = _sql(
        store,
        "SELECT hlc, node, seq, fields FROM sync_version WHERE tbl = ? AND row_id = ?",
        table,
        row_id,
    )
    return hlc, node, seq, json.loads(fields)


def _new_account(store: Store, **values: Any) -> str:
    with store.unit() as u:
        account_id = u.insert("accounts", {"name": "Công ty TNHH An Khang", **values})
        u.commit()
    return account_id


LOCAL_COLUMNS = {"id", "created_at", "updated_at", "row_seq", "deleted_at"}


def test_insert_is_an_upsert_of_every_synced_field_with_empty_bases(store: Store) -> None:
    account_id = _new_account(store, city="Hà Nội")
    (entry,) = _outbox(store)
    assert entry["state"] == "pending"
    assert entry["schema_version"] == outbox.SYNC_SCHEMA_VERSION
    assert uuid.UUID(entry["change_id"]).version == 7
    (op,) = entry["ops"]
    assert op["op"] == "upsert" and op["tbl"] == "accounts" and op["id"] == account_id
    fields = op["fields"]
    # Defaults applied by the INSERT are what is sent, not the None the object started with.
    assert fields["name"] == "Công ty TNHH An Khang" and fields["city"] == "Hà Nội"
    assert fields["kind"] == "company" and fields["country"] == "VN"
    assert fields["payment_terms_days"] == 30 and fields["credit_limit_minor"] is None
    assert not (set(fields) & (LOCAL_COLUMNS | {"name_folded"}))
    assert set(fields) == set(outbox.synced_columns("accounts"))
    assert op["base"] == dict.fromkeys(fields)


def test_dates_travel_as_iso_strings_and_derived_sort_keys_stay_home(store: Store) -> None:
    with store.unit() as u:
        cid = u.insert(
            "contacts", {"given_name": "Lan", "family_name": "Đặng", "birthday": date(1990, 5, 1)}
        )
        u.commit()
    with store.unit() as u:
        u.update("contacts", cid, {"given_name": "Lanh"})
        u.commit()
    insert, edit = (e["ops"] for e in _outbox(store))
    assert insert[0]["fields"]["birthday"] == "1990-05-01"
    assert not ({"sort_given", "sort_family"} & set(insert[0]["fields"]))
    # The sort keys changed with the name (see the ChangeSet), but only the name is sent.
    assert edit == [
        {
            "op": "upsert",
            "tbl": "contacts",
            "id": cid,
            "fields": {"given_name": "Lanh"},
            "base": {"given_name": None},
        }
    ]


def test_update_sends_changed_fields_with_the_seq_each_held_before(store: Store) -> None:
    account_id = _new_account(store)
    with store.unit() as u:
        u.update("accounts", account_id, {"name": "New", "city": "Huế", "tier": "core"})
        u.commit()
    (op,) = _outbox(store)[-1]["ops"]
    # tier was set to the value it had: not a change, not sent.
    assert op["fields"] == {"name": "New", "city": "Huế"}
    assert op["base"] == {"name": None, "city": None}  # never synced

    # What the sync client will do on an ack: the row came back at seq 41, then name at 57.
    hlc, node, _seq, fields = _version(store, "accounts", account_id)
    fields["name"] = [hlc, node, 57]
    _sql(
        store,
        "UPDATE sync_version SET seq = 41, fields = ? WHERE row_id = ?",
        json.dumps(fields),
        account_id,
    )
    with store.unit() as u:
        u.update("accounts", account_id, {"name": "Newer", "phone": "0912 345 678"})
        u.commit()
    (op,) = _outbox(store)[-1]["ops"]
    assert op["fields"] == {"name": "Newer", "phone": "0912 345 678"}
    assert op["base"] == {"name": 57, "phone": 41}


def test_versions_record_the_hlc_and_device_of_each_write(store: Store) -> None:
    account_id = _new_account(store)
    first = _outbox(store)[0]["hlc"]
    assert _version(store, "accounts", account_id) == (first, store.device_id(), None, {})
    with store.unit() as u:
        u.update("accounts", account_id, {"city": "Huế"})
        u.commit()
    second = _outbox(store)[-1]["hlc"]
    hlc, node, seq, fields = _version(store, "accounts", account_id)
    # Untouched fields keep the insert's version; the edited one has its own.
    assert (hlc, node, seq) == (first, store.device_id(), None)
    assert fields == {"city": [second, store.device_id(), None]}


def test_archive_and_restore_are_delete_and_restore_ops(store: Store) -> None:
    account_id = _new_account(store)
    with store.unit() as u:
        u.archive("accounts", account_id)
        u.commit()
    _sql(store, "UPDATE sync_version SET seq = 12 WHERE row_id = ?", account_id)
    with store.unit() as u:
        u.restore("accounts", account_id)
        u.commit()
    archive_ops, restore_ops = (e["ops"] for e in _outbox(store)[1:])
    assert archive_ops == [
        {"op": "delete", "tbl": "accounts", "id": account_id, "base": {"_deleted": None}}
    ]
    # The archive's own _deleted version is still pending (seq NULL) in this simulation.
    assert restore_ops == [
        {"op": "restore", "tbl": "accounts", "id": account_id, "base": {"_deleted": None}}
    ]
    *_, fields = _version(store, "accounts", account_id)
    fields["_deleted"][2] = 13
    _sql(
        store, "UPDATE sync_version SET fields = ? WHERE row_id = ?", json.dumps(fields), account_id
    )
    with store.unit() as u:
        u.archive("accounts", account_id)
        u.commit()
    assert _outbox(store)[-1]["ops"][0]["base"] == {"_deleted": 13}


def test_one_outbox_row_per_unit_of_work(store: Store, user_id: str) -> None:
    before = len(_outbox(store))
    with store.unit() as u:
        acc = u.insert("accounts", {"name": "Ngân hàng Á Châu", "owner_id": user_id})
        cid = u.insert("contacts", {"given_name": "Lan"})
        u.insert("positions", {"contact_id": cid, "account_id": acc, "title": "CFO"})
        u.update("accounts", acc, {"city": "Hà Nội"})  # coalesced into the insert
        u.commit()
    entries = _outbox(store)[before:]
    assert len(entries) == 1
    ops = entries[0]["ops"]
    assert [(o["op"], o["tbl"]) for o in ops] == [
        ("upsert", "accounts"),
        ("upsert", "contacts"),
        ("upsert", "positions"),
    ]
    assert ops[0]["fields"]["city"] == "Hà Nội" and ops[0]["base"]["city"] is None
    assert ops[2]["fields"]["account_id"] == acc and ops[2]["fields"]["contact_id"] == cid


def test_device_seq_counts_units(store: Store) -> None:
    for name in ("A", "B", "C"):
        _new_account(store, name=name)
    seqs = [e["device_seq"] for e in _outbox(store)]
    assert seqs == [1, 2, 3]


def test_rollback_empty_and_no_op_units_write_no_outbox_row(store: Store) -> None:
    account_id = _new_account(store)
    hlc_before = _sql(store, "SELECT v FROM sync_state WHERE k = 'hlc'")
    with store.unit() as u:
        u.insert("accounts", {"name": "Half-way"})
        u.update("accounts", account_id, {"name": "Never saved"})
    with store.unit() as u:
        assert u.commit().empty
    with store.unit() as u:
        u.update("accounts", account_id, {"name": "Công ty TNHH An Khang"})  # same value
        u.commit()
    store.set_setting("theme", "dark")  # local-only table
    assert len(_outbox(store)) == 1
    assert _sql(store, "SELECT v FROM sync_state WHERE k = 'hlc'") == hlc_before
    assert _sql(store, "SELECT count(*) FROM sync_version") == [(1,)]


def test_a_failed_commit_leaves_neither_the_edit_nor_its_outbox_row(store: Store) -> None:
    with store.unit() as u:
        u.insert("accounts", {"name": "X"})
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            u.insert("accounts", {"name": "Y", "owner_id": "no-such-user"})
            u.commit()
    assert _outbox(store) == []
    assert _sql(store, "SELECT count(*) FROM accounts") == [(0,)]


def test_hlc_strictly_increases_and_survives_reopening(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "now_ms", lambda: 1_760_000_000_000)  # a frozen wall clock
    store = Store(db_path)
    account_id = _new_account(store)
    for city in ("Huế", "Vinh"):
        with store.unit() as u:
            u.update("accounts", account_id, {"city": city})
            u.commit()
    store.close()
    store = Store(db_path)
    with store.unit() as u:
        u.update("accounts", account_id, {"city": "Đà Lạt"})
        u.commit()
    hlcs = [e["hlc"] for e in _outbox(store)]
    assert hlcs == sorted(set(hlcs)) and len(hlcs) == 4
    assert [unpack(h) for h in hlcs] == [(1_760_000_000_000, c) for c in range(4)]
    assert _sql(store, "SELECT v FROM sync_state WHERE k = 'hlc'") == [(str(hlcs[-1]),)]
    assert _version(store, "accounts", account_id)[3]["city"][0] == hlcs[-1]
    store.close()


def test_a_wall_clock_jump_backwards_never_lowers_the_hlc(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "now_ms", lambda: 1_760_000_000_000)
    _new_account(store, name="A")
    monkeypatch.setattr(outbox, "now_ms", lambda: 1_700_000_000_000)
    _new_account(store, name="B")
    first, second = (e["hlc"] for e in _outbox(store))
    assert second > first


def test_device_id_is_stable_per_file_and_differs_between_files(tmp_path: Path) -> None:
    one = Store(tmp_path / "one.db")
    made = one.device_id()
    assert uuid.UUID(made).version == 7
    _new_account(one)
    one.close()
    one = Store(tmp_path / "one.db")
    assert one.device_id() == made
    assert _sql(one, "SELECT DISTINCT node FROM sync_version") == [(made,)]
    one.close()
    two = Store(tmp_path / "two.db")
    _new_account(two)
    assert two.device_id() != made
    two.close()


def test_bulk_insert_many_is_split_into_changes_of_at_most_1000_ops(store: Store) -> None:
    rows = [
        {"name": f"Công ty số {i}", "city": "Hà Nội", "credit_limit_minor": i or None}
        for i in range(5000)
    ]
    with store.unit() as u:
        ids = u.insert_many("accounts", rows)
        changes = u.commit()
    # The ChangeSet stays as small as before: routing only, no copy of every value.
    assert all(dict(r.after) == {} for r in changes.rows)
    entries = _outbox(store)
    assert [len(e["ops"]) for e in entries] == [outbox.MAX_OPS_PER_CHANGE] * 5
    assert len({e["hlc"] for e in entries}) == 5  # each change has its own tick
    ops = [op for e in entries for op in e["ops"]]
    assert [o["id"] for o in ops] == ids
    assert {o["op"] for o in ops} == {"upsert"}
    assert ops[7]["fields"]["name"] == "Công ty số 7" and ops[7]["fields"]["kind"] == "company"
    assert ops[0]["fields"]["credit_limit_minor"] is None
    assert set(ops[7]["fields"]) == set(outbox.synced_columns("accounts"))
    assert ops[7]["base"] == dict.fromkeys(outbox.synced_columns("accounts"))
    assert _sql(store, "SELECT count(*), min(hlc), max(hlc) FROM sync_version") == [
        (5000, entries[0]["hlc"], entries[-1]["hlc"])
    ]
    with store.read() as q:
        assert [h.title for h in q.search("so 4999")] == ["Công ty số 4999"]


def test_bulk_inserted_archived_rows_are_sent_as_deleted(store: Store) -> None:
    from datetime import datetime

    with store.unit() as u:
        (cid,) = u.insert_many(
            "contacts",
            [
                {
                    "given_name": "Cũ",
                    "birthday": date(1970, 1, 2),
                    "deleted_at": datetime(2020, 1, 1),
                }
            ],
        )
        u.commit()
    upsert, delete = _outbox(store)[0]["ops"]
    assert upsert["fields"]["birthday"] == "1970-01-02" and "sort_given" not in upsert["fields"]
    assert delete == {"op": "delete", "tbl": "contacts", "id": cid, "base": {"_deleted": None}}


def test_undo_is_a_new_outbox_entry(store: Store) -> None:
    account_id = _new_account(store, city="Hà Nội")
    with store.unit() as u:
        u.update("accounts", account_id, {"city": "Huế"})
        edit = u.commit()
    undo(store, edit)
    entries = _outbox(store)
    assert len(entries) == 3
    assert entries[2]["ops"] == [
        {
            "op": "upsert",
            "tbl": "accounts",
            "id": account_id,
            "fields": {"city": "Hà Nội"},
            "base": {"city": None},
        }
    ]
    assert entries[2]["hlc"] > entries[1]["hlc"]
    # Undoing a creation archives the row: a delete op.
    with store.unit() as u:
        new_id = u.insert("contacts", {"given_name": "Lan"})
        created = u.commit()
    undo(store, created)
    assert _outbox(store)[-1]["ops"] == [
        {"op": "delete", "tbl": "contacts", "id": new_id, "base": {"_deleted": None}}
    ]


def test_rows_from_before_sync_have_no_base_after_the_upgrade(db_path: Path) -> None:
    """A file made by the 0001 schema: its rows were never versioned or sent."""
    from alembic import command

    from workbench.storage.engine import make_engine

    engine = make_engine(db_path)
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO accounts (id, name, name_folded, kind, tier, tax_code, tax_code_kind,"
            " industry, city, country, address, website, phone, email, currency,"
            " payment_terms_days, notes, created_at, updated_at) VALUES ('0190-old', 'Old', 'old',"
            " 'company', 'core', '', '', '', '', 'VN', '', '', '', '', 'VND', 30, '',"
            " '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
        )
    engine.dispose()

    store = Store(db_path)
    assert store.backup_made is not None
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    with store.unit() as u:
        u.update("accounts", "0190-old", {"city": "Huế"})
        u.commit()
    (entry,) = _outbox(store)
    assert entry["ops"][0]["base"] == {"city": None}
    hlc, node, seq, fields = _version(store, "accounts", "0190-old")
    assert (hlc, node, seq) == (0, "", None)  # older than any write
    assert fields == {"city": [entry["hlc"], store.device_id(), None]}
    store.close()


def test_generated_demo_data_writes_no_outbox(tmp_path: Path) -> None:
    """A demo portfolio must never be pushed, so generating it captures nothing for sync."""
    from workbench.demo.generator import generate

    path = tmp_path / "demo.db"
    generate(path, accounts=5)
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT count(*) FROM sync_outbox").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM accounts").fetchone() == (5,)
    finally:
        con.close()


def test_the_outbox_split_matches_the_protocol_limit() -> None:
    from workbench.sync import protocol

    assert outbox.MAX_OPS_PER_CHANGE == protocol.MAX_OPS_PER_CHANGE


def test_server_managed_tables_are_never_pushed(store: Store) -> None:
    with store.unit() as u:
        u.insert("users", {"name": "Local placeholder", "role": "am"})
        u.commit()
    assert _outbox(store) == []

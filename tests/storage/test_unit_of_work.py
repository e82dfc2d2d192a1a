"""The one write path: change capture, tombstones, undo, and use from a worker thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from workbench.domain.changes import Op
from workbench.services.undo import undo
from workbench.storage.store import RowNotFoundError, Store
from workbench.storage.tables import Account


def test_insert_is_captured_with_its_values(store: Store, user_id: str) -> None:
    with store.unit() as u:
        account_id = u.insert("accounts", {"name": "Công ty TNHH An Khang", "owner_id": user_id})
        changes = u.commit()
    (row,) = [r for r in changes.rows if r.table == "accounts"]
    assert row.op is Op.INSERT and row.row_id == account_id
    assert row.after["name"] == "Công ty TNHH An Khang"
    assert account_id in changes.accounts


def test_update_records_before_and_after_of_changed_fields_only(store: Store) -> None:
    with store.unit() as u:
        account_id = u.insert("accounts", {"name": "Old", "city": "Hà Nội"})
        u.commit()
    with store.unit() as u:
        u.update("accounts", account_id, {"name": "New", "city": "Hà Nội"})
        changes = u.commit()
    (row,) = changes.rows
    assert row.op is Op.UPDATE
    assert dict(row.before) == {"name": "Old", "name_folded": "old"}
    assert dict(row.after) == {"name": "New", "name_folded": "new"}


def test_archive_is_a_tombstone_and_undo_restores(store: Store) -> None:
    with store.unit() as u:
        account_id = u.insert("accounts", {"name": "Ngân hàng Á Châu"})
        u.commit()
    with store.unit() as u:
        u.archive("accounts", account_id)
        archived = u.commit()
    assert archived.rows[0].op is Op.ARCHIVE
    with store.unit() as u:
        assert u.values("accounts", account_id)["deleted_at"] is not None
    undone = undo(store, archived)
    assert undone.rows[0].op is Op.RESTORE
    with store.unit() as u:
        assert u.values("accounts", account_id)["deleted_at"] is None


def test_undo_of_an_edit_puts_old_values_back(store: Store) -> None:
    from datetime import date

    with store.unit() as u:
        cid = u.insert(
            "contacts", {"given_name": "Lan", "family_name": "Đặng", "birthday": date(1990, 5, 1)}
        )
        u.commit()
    with store.unit() as u:
        u.update("contacts", cid, {"given_name": "Lanh", "birthday": date(1991, 6, 2)})
        edit = u.commit()
    undo(store, edit)
    with store.unit() as u:
        v = u.values("contacts", cid)
    assert v["given_name"] == "Lan" and v["birthday"] == date(1990, 5, 1)


def test_hard_delete_is_refused(store: Store) -> None:
    with store.unit() as u:
        account_id = u.insert("accounts", {"name": "X"})
        u.commit()
    with store.unit() as u, pytest.raises(RuntimeError, match="archived, never deleted"):
        u.session.delete(u.session.get(Account, account_id))
        u.commit()


def test_leaving_without_commit_writes_nothing(store: Store) -> None:
    with store.unit() as u:
        u.insert("accounts", {"name": "Half-way"})
    with store.read() as q:
        assert q.search("half") == []
        assert q.account_choices() == []


def test_unknown_rows_and_columns_are_errors(store: Store) -> None:
    with store.unit() as u:
        with pytest.raises(RowNotFoundError):
            u.update("accounts", "nope", {"name": "x"})
        account_id = u.insert("accounts", {"name": "X"})
        with pytest.raises(ValueError, match="cannot be set"):
            u.update("accounts", account_id, {"row_seq": 5})


def test_store_works_from_a_worker_thread(store: Store) -> None:
    """The GUI's database worker is another thread: the file (not :memory:) is shared."""
    result: list[str] = []

    def work() -> None:
        with store.unit() as u:
            u.insert("accounts", {"name": "Tổng Công ty Điện lực"})
            u.commit()
        with store.read() as q:
            result.extend(h.title for h in q.search("dien luc"))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert result == ["Tổng Công ty Điện lực"]
    with store.read() as q:
        assert [h.title for h in q.search("điện")] == ["Tổng Công ty Điện lực"]


def test_a_remote_unit_trades_the_last_fsync_for_speed_and_puts_it_back(store: Store) -> None:
    """Server data may be lost to a power cut (it is fetched again), a local edit may not:
    only a remote unit runs with synchronous=NORMAL, and the pooled connection is FULL after."""
    with store.unit(remote=True) as uow:
        inside = uow.session.connection().exec_driver_sql("PRAGMA synchronous").scalar()
    with store.unit() as uow:
        local = uow.session.connection().exec_driver_sql("PRAGMA synchronous").scalar()
    with store.engine.connect() as conn:
        pooled = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (inside, local, pooled) == (1, 2, 2)


def test_a_remote_unit_leaves_every_pooled_connection_with_keys_and_full_sync(
    tmp_path: Path,
) -> None:
    """A remote unit relaxes foreign keys and fsync for server data only: no connection goes
    back to the pool without them (a later local edit must have both)."""
    store = Store(tmp_path / "pool.db")
    try:
        with store.engine.connect(), store.engine.connect():
            pass  # two idle connections in the pool
        for _ in range(3):
            with store.unit(remote=True) as uow:
                uow.insert("contacts", {"given_name": "Lan", "family_name": "Trần"})
                uow.commit()
        with store.engine.connect() as a, store.engine.connect() as b, store.engine.connect() as c:
            for conn in (a, b, c):
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()

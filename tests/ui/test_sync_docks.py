"""The Conflicts and Needs attention docks in the real window, over a real database file.

Conflict and attention rows are written with SQL as the sync engine leaves them; the tests
click the docks' buttons and check the database: the record's value, the item's status and
the outbox entries that carry the decision to the server.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt

from tests.ui.conftest import Seed, add_attention, add_conflict, settle, sql
from workbench.services.sync_inbox import REASONS
from workbench.ui.i18n import load_catalog, set_language


def _open_dock(qtbot: Any, window: Any, ctx: Any, name: str, rows: int) -> Any:
    window.show_dock(name)
    panel = window.panels[name]
    qtbot.waitUntil(lambda: panel.exposed() and panel.loads > 0, timeout=5000)
    settle(qtbot, ctx)
    assert panel.model.rowCount() == rows
    return panel


def _cell(panel: Any, row: int, column: int) -> str:
    return str(panel.model.index(row, column).data(Qt.ItemDataRole.DisplayRole))


def _select(qtbot: Any, panel: Any, row: int) -> None:
    panel.view.selectRow(row)
    qtbot.waitUntil(lambda: panel.selected() is not None)


def _status(seeded: Seed, table: str, item_id: Any) -> str:
    return str(sql(seeded.path, f"SELECT status FROM {table} WHERE id = ?", item_id)[0][0])


def _outbox_ops(seeded: Seed) -> list[dict[str, Any]]:
    rows = sql(seeded.path, "SELECT ops FROM sync_outbox ORDER BY device_seq")
    return [op for (text,) in rows for op in json.loads(text)]


def test_conflicts_dock_lists_both_values_with_who_and_when(
    open_window: Any, seeded: Seed, qtbot: Any, qtmodeltester: Any
) -> None:
    add_conflict(
        seeded.path,
        "accounts",
        seeded.accounts["dang"],
        "city",
        "Hà Nội",
        "Đà Nẵng",
        winner_user=seeded.rm,
        loser_user=seeded.am,
        minutes_ago=30,
    )
    add_conflict(
        seeded.path,
        "contacts",
        seeded.contacts["lan"],
        "mobile",
        True,
        "+84987654321",
        kind="update_on_deleted",
        winner_user=seeded.rm,
        loser_user=seeded.am,
    )
    window, ctx = open_window(seeded.path, "am")
    panel = _open_dock(qtbot, window, ctx, "dock.conflicts", 2)
    qtmodeltester.check(panel.model)

    # Newest first: the contact deleted while Anh edited it, then the two cities.
    assert _cell(panel, 0, 0) == "Đặng Thị Lan\nContact · Mobile"
    assert _cell(panel, 0, 1).startswith("Deleted\nLê Hoàng Nam · ")
    assert _cell(panel, 0, 2).startswith("+84987654321\nTrần Minh Anh (you) · ")
    assert _cell(panel, 0, 3) == "Edit on deleted"
    assert _cell(panel, 1, 0) == "Công ty Cổ phần Đặng Gia\nAccount · City"
    assert _cell(panel, 1, 1).startswith("Hà Nội\nLê Hoàng Nam")
    assert _cell(panel, 1, 3) == "Both edited"
    tip = str(panel.model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole))
    assert "Lê Hoàng Nam and Trần Minh Anh changed City" in tip
    assert panel.count_label.text() == "2 conflicts"
    assert panel.stack.currentWidget() is panel.view


def test_keep_current_and_use_mine_resolve_and_write_the_outbox(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    sql(seeded.path, "UPDATE accounts SET city = 'Hà Nội' WHERE id = ?", seeded.accounts["dang"])
    kept = add_conflict(seeded.path, "accounts", seeded.accounts["dang"], "city", "Hà Nội", "Huế")
    mine = add_conflict(
        seeded.path, "accounts", seeded.accounts["acb"], "city", "Hà Nội", "Cần Thơ", minutes_ago=5
    )
    window, ctx = open_window(seeded.path, "am")
    panel = _open_dock(qtbot, window, ctx, "dock.conflicts", 2)
    assert panel.selected() is not None and panel.selected().id == kept  # first row selected

    assert panel.buttons.currentIndex() == 0 and panel.keep_button.isEnabled()
    qtbot.mouseClick(panel.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    assert _status(seeded, "sync_conflict", kept) == "kept"
    assert sql(seeded.path, "SELECT city FROM accounts WHERE id = ?", seeded.accounts["dang"]) == [
        ("Hà Nội",)
    ]

    settle(qtbot, ctx)
    assert panel.selected() is not None and panel.selected().id == mine
    qtbot.mouseClick(panel.mine_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    assert _status(seeded, "sync_conflict", mine) == "used_mine"
    assert sql(seeded.path, "SELECT city FROM accounts WHERE id = ?", seeded.accounts["acb"]) == [
        ("Cần Thơ",)
    ]
    ops = _outbox_ops(seeded)
    statuses = {op["id"]: op["fields"]["status"] for op in ops if op["tbl"] == "sync_conflict"}
    assert statuses == {kept: "kept", mine: "used_mine"}
    edit = ops[-1] if ops[-1]["tbl"] == "accounts" else ops[-2]
    assert (edit["id"], edit["fields"]) == (seeded.accounts["acb"], {"city": "Cần Thơ"})
    # The record edit is undoable like any other; the empty state says all is well.
    assert window.undo_action.isEnabled()
    assert panel.stack.currentWidget() is panel.empty
    assert "No conflicts" in panel.empty.text()
    assert "Every edit merged cleanly" in panel.empty.text()
    settle(qtbot, ctx)


def test_edit_types_a_third_value(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    cid = add_conflict(
        seeded.path, "accounts", seeded.accounts["dang"], "payment_terms_days", 30, 60
    )
    window, ctx = open_window(seeded.path, "am")
    panel = _open_dock(qtbot, window, ctx, "dock.conflicts", 1)
    assert panel.edit_button.isEnabled()
    panel.edit_item()
    dialog = panel.dialog
    assert dialog is not None and dialog.text() == "30"
    dialog.set_text("forty-five")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=5000)
    assert "not a whole number" in dialog.error.text()
    assert _status(seeded, "sync_conflict", cid) == "open"

    qtbot.mouseClick(
        dialog.findChild(type(panel.keep_button), "conflict_edit.use_mine"),
        Qt.MouseButton.LeftButton,
    )
    assert dialog.text() == "60"
    dialog.set_text("45")
    dialog.save()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    assert _status(seeded, "sync_conflict", cid) == "edited"
    terms = sql(
        seeded.path, "SELECT payment_terms_days FROM accounts WHERE id = ?", seeded.accounts["dang"]
    )
    assert terms == [(45,)]
    settle(qtbot, ctx)


def test_a_deleted_record_can_be_restored_or_let_go(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    sql(
        seeded.path,
        "UPDATE contacts SET deleted_at = '2026-03-12 07:06:00' WHERE id IN (?, ?)",
        seeded.contacts["lan"],
        seeded.contacts["an"],
    )
    restore = add_conflict(
        seeded.path,
        "contacts",
        seeded.contacts["lan"],
        "mobile",
        True,
        "+84987654321",
        kind="update_on_deleted",
    )
    discard = add_conflict(
        seeded.path,
        "contacts",
        seeded.contacts["an"],
        "email",
        True,
        "an@acb.com.vn",
        kind="delete_on_updated",
        minutes_ago=10,
    )
    window, ctx = open_window(seeded.path, "am")
    panel = _open_dock(qtbot, window, ctx, "dock.conflicts", 2)
    _select(qtbot, panel, 0)
    assert panel.buttons.currentIndex() == 1  # Restore / Discard my edit
    assert panel.restore_button.isVisible() and not panel.keep_button.isVisible()

    qtbot.keyClick(panel.view, Qt.Key.Key_R)  # R restores
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    assert _status(seeded, "sync_conflict", restore) == "restored"
    row = sql(
        seeded.path, "SELECT deleted_at, mobile FROM contacts WHERE id = ?", seeded.contacts["lan"]
    )
    assert row == [(None, "+84987654321")]

    settle(qtbot, ctx)
    _select(qtbot, panel, 0)
    qtbot.mouseClick(panel.discard_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    assert _status(seeded, "sync_conflict", discard) == "discarded"
    still = sql(seeded.path, "SELECT deleted_at FROM contacts WHERE id = ?", seeded.contacts["an"])
    assert still[0][0] is not None
    settle(qtbot, ctx)


def test_a_conflict_resolved_elsewhere_meanwhile_is_reported(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    cid = add_conflict(seeded.path, "accounts", seeded.accounts["dang"], "city", "A", "B")
    window, ctx = open_window(seeded.path, "am")
    panel = _open_dock(qtbot, window, ctx, "dock.conflicts", 1)
    sql(seeded.path, "UPDATE sync_conflict SET status = 'kept' WHERE id = ?", cid)
    with qtbot.waitSignal(ctx.hub.status, timeout=5000) as said:
        panel.use_mine()
    assert "Already dealt with" in said.args[0]
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    settle(qtbot, ctx)


def test_the_lists_reload_when_a_sync_ends(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    from workbench.sync.report import SyncReport

    window, ctx = open_window(seeded.path, "am")
    panel = _open_dock(qtbot, window, ctx, "dock.conflicts", 0)
    assert "No conflicts" in panel.empty.text()
    assert "Every edit merged cleanly" in panel.empty.text()
    add_conflict(seeded.path, "accounts", seeded.accounts["dang"], "city", "A", "B")
    ctx.hub.sync_finished.emit(SyncReport(caught_up=True, conflicts=1))
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    settle(qtbot, ctx)


def test_needs_attention_lists_refused_changes_and_reapplies_them(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    aid = add_attention(
        seeded.path,
        [
            {
                "op": "upsert",
                "tbl": "accounts",
                "id": seeded.accounts["dang"],
                "fields": {"credit_limit_minor": 500_000_000, "owner_id": seeded.rm},
                "base": {"credit_limit_minor": 3, "owner_id": 3},
            }
        ],
        reason="concurrent_finance_edit",
        detail="credit_limit_minor changed by someone else",
    )
    window, ctx = open_window(seeded.path, "finance")
    panel = _open_dock(qtbot, window, ctx, "dock.attention", 1)
    first = _cell(panel, 0, 0)
    assert first.startswith("Công ty Cổ phần Đặng Gia\n")
    assert "Credit limit: 500.000.000" in first or "Credit limit: 500,000,000" in first
    assert "Owner: Lê Hoàng Nam" in first
    assert _cell(panel, 0, 1).startswith("Someone else changed this finance value")
    tip = str(panel.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole))
    assert "Account · Công ty Cổ phần Đặng Gia" in tip and "Owner: Lê Hoàng Nam" in tip
    assert panel.count_label.text() == "1 change needs attention"

    qtbot.mouseClick(panel.reapply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=5000)
    assert _status(seeded, "sync_attention", aid) == "reapplied"
    row = sql(
        seeded.path,
        "SELECT credit_limit_minor, owner_id FROM accounts WHERE id = ?",
        seeded.accounts["dang"],
    )
    assert row == [(500_000_000, seeded.rm)]
    last = _outbox_ops(seeded)[-1]
    assert last["tbl"] == "accounts" and last["fields"]["credit_limit_minor"] == 500_000_000
    assert "Nothing needs attention" in panel.empty.text()
    assert "The server accepted every change" in panel.empty.text()
    settle(qtbot, ctx)


def test_dismiss_keeps_the_values_in_the_database(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    ops = [{"op": "delete", "tbl": "contacts", "id": seeded.contacts["an"], "base": {}}]
    aid = add_attention(seeded.path, ops, reason="no_access")
    blocked = add_attention(seeded.path, [], reason="server_only_field")
    window, ctx = open_window(seeded.path, "am")
    panel = _open_dock(qtbot, window, ctx, "dock.attention", 2)
    # Newest first; the server-only refusal cannot be re-applied.
    assert panel.selected() is not None and panel.selected().id == blocked
    assert not panel.reapply_button.isEnabled()
    assert "refuse these values again" in panel.reapply_button.toolTip()
    assert _cell(panel, 0, 1).startswith("Only the server may change this field")

    _select(qtbot, panel, 1)
    assert _cell(panel, 1, 0) == "Nguyễn Văn An\nDeleted"
    assert _cell(panel, 1, 1) == "You no longer have access to this account"
    qtbot.keyClick(panel.view, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=5000)
    assert sql(seeded.path, "SELECT status, ops FROM sync_attention WHERE id = ?", aid) == [
        ("dismissed", json.dumps(ops, ensure_ascii=False))
    ]
    settle(qtbot, ctx)


def test_docks_speak_vietnamese(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    add_conflict(seeded.path, "accounts", seeded.accounts["dang"], "city", "Hà Nội", "Huế")
    set_language("vi")
    try:
        window, ctx = open_window(seeded.path, "am")
        assert window.docks["dock.conflicts"].windowTitle() == "Xung đột"
        assert window.docks["dock.attention"].windowTitle() == "Cần xử lý"
        panel = _open_dock(qtbot, window, ctx, "dock.conflicts", 1)
        assert panel.keep_button.text() == "Giữ hiện tại"
        assert _cell(panel, 0, 0) == "Công ty Cổ phần Đặng Gia\nKhách hàng · Thành phố"
        assert _cell(panel, 0, 3) == "Cả hai cùng sửa"
        attention = _open_dock(qtbot, window, ctx, "dock.attention", 0)
        assert "Không có gì cần xử lý" in attention.empty.text()
    finally:
        set_language("en")


def test_every_refusal_reason_reads_in_vietnamese() -> None:
    catalog, _ = load_catalog("vi")
    assert [text for text in REASONS.values() if text not in catalog] == []


def test_a_dock_left_out_of_the_perspective_still_opens(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, ctx = open_window(seeded.path, "finance")
    assert window.docks["dock.conflicts"].isHidden()
    panel = _open_dock(qtbot, window, ctx, "dock.conflicts", 0)
    assert panel.exposed()

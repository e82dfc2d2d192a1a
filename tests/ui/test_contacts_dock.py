"""The Contacts dock and the contact dialog, on a real database through the real worker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from tests.ui.conftest import Seed, settle
from workbench.storage.queries import ContactFilter
from workbench.storage.store import Store
from workbench.ui.dialogs.contact_dialog import ContactDialog, parse_day


def contacts_panel(window: Any, qtbot: Any) -> Any:
    """The Contacts panel, brought to the front and loaded."""
    window.docks["dock.contacts"].show()
    window.docks["dock.contacts"].raise_()
    panel = window.panels["dock.contacts"]
    qtbot.waitUntil(lambda: panel.isVisible() and panel.model.total > 0, timeout=5000)
    settle(qtbot, window.ctx)
    return panel


def names(panel: Any) -> list[str]:
    model = panel.model
    return [model.index(i, 0).data() for i in range(model.rowCount())]


def stored_contacts(seed: Seed) -> list[Any]:
    """What is really in the file, read with a separate connection."""
    store = Store(seed.path)
    try:
        with store.read() as q:
            return q.contact_page(ContactFilter(), limit=100)
    finally:
        store.close()


def ready_dialog(qtbot: Any, dialog: Any) -> ContactDialog:
    assert isinstance(dialog, ContactDialog)
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=5000)
    return dialog


def open_dialog(panel: Any, command: str) -> Any:
    """Run the dock's New or Edit command and return the dialog it opened."""
    getattr(panel, command)()
    return panel.dialog


def pick_account(dialog: ContactDialog, name: str) -> None:
    combo = dialog.account_combo
    combo.setCurrentIndex(combo.findText(name))


def save_and_wait(qtbot: Any, dialog: ContactDialog) -> None:
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=5000)


def test_bad_input_is_shown_per_field_kept_and_nothing_is_written(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    dialog = ready_dialog(qtbot, open_dialog(panel, "new_item"))
    assert dialog.windowTitle() == "New contact"
    dialog.family_edit.setText("Võ")
    dialog.middle_edit.setText("Thị")
    dialog.given_edit.setText("Hồng")
    dialog.email_edit.setText("hong.vo@danggia.vn")
    dialog.mobile_edit.setText("12345")
    dialog.tax_edit.setText("0100109107")
    dialog.birthday_edit.setText("31/02/1990")
    pick_account(dialog, "Công ty Cổ phần Đặng Gia")
    dialog.title_edit.setText("Trưởng phòng Mua hàng")

    save_and_wait(qtbot, dialog)

    assert "check digit" in dialog.form.error_of("tax_code")
    assert "12345" in dialog.form.error_of("mobile")
    assert "dd/mm/yyyy" in dialog.form.error_of("birthday")
    assert dialog.form.error_of("given") == ""
    assert dialog.isVisible()
    assert (dialog.tax_edit.text(), dialog.mobile_edit.text()) == ("0100109107", "12345")
    assert dialog.given_edit.text() == "Hồng"
    assert dialog.account_combo.currentText() == "Công ty Cổ phần Đặng Gia"
    assert len(stored_contacts(seeded)) == 2

    dialog.tax_edit.setText("079085001234")  # a personal code: a citizen id from HCMC
    dialog.mobile_edit.setText("0903 123 456")
    dialog.birthday_edit.setText("27/11/1985")
    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        dialog.save_button.click()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: "Võ Thị Hồng" in names(panel), timeout=5000)
    new = next(c for c in stored_contacts(seeded) if c.id == saved.args[0])
    assert (new.mobile, new.title, new.account_id) == (
        "+84903123456",
        "Trưởng phòng Mua hàng",
        seeded.accounts["dang"],
    )
    assert ctx.undo.undo_label() == "add Võ Thị Hồng"
    qtbot.waitUntil(
        lambda: panel.current_row() is not None and panel.current_row().id == saved.args[0],
        timeout=5000,
    )


def test_a_missing_given_name_is_reported_under_the_given_name(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, _ctx = open_window(seeded.path)
    dialog = ready_dialog(qtbot, open_dialog(contacts_panel(window, qtbot), "new_item"))
    dialog.family_edit.setText("Phan")
    save_and_wait(qtbot, dialog)
    assert dialog.form.error_of("given") == "A given name is required"
    assert dialog.focusWidget() is dialog.given_edit
    assert len(stored_contacts(seeded)) == 2


def test_enter_moves_on_ctrl_enter_saves_and_esc_cancels(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, _ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    dialog = ready_dialog(qtbot, open_dialog(panel, "new_item"))
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    dialog.family_edit.setFocus()
    dialog.family_edit.setText("Bùi")
    qtbot.keyClick(dialog.family_edit, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.middle_edit
    assert not dialog.saving and dialog.isVisible()
    dialog.given_edit.setText("Yến")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.keyClick(dialog.middle_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Bùi Yến" in names(panel), timeout=5000)

    again = ready_dialog(qtbot, open_dialog(panel, "new_item"))
    qtbot.waitExposed(again)
    with qtbot.waitSignal(again.rejected, timeout=5000):
        qtbot.keyClick(again.family_edit, Qt.Key.Key_Escape)
    assert len(stored_contacts(seeded)) == 3


def test_same_email_warns_and_save_anyway_saves(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, _ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    dialog = ready_dialog(qtbot, open_dialog(panel, "new_item"))
    dialog.given_edit.setText("Lan")
    dialog.family_edit.setText("Dang")
    dialog.order_combo.setCurrentIndex(dialog.order_combo.findData("given_first"))
    dialog.email_edit.setText("lan@danggia.vn")
    save_and_wait(qtbot, dialog)

    assert dialog.duplicates.isVisible()
    warnings = [w.text() for w in dialog.duplicates.findChildren(QLabel, "contact.duplicate")]
    assert warnings == ["Possible duplicate: Đặng Thị Lan (same email)"]
    assert len(stored_contacts(seeded)) == 2

    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save_anyway.click()
    assert len(stored_contacts(seeded)) == 3
    qtbot.waitUntil(lambda: "Lan Dang" in names(panel), timeout=5000)


def test_open_existing_leaves_the_draft_unsaved_and_opens_the_person(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    dialog = ready_dialog(qtbot, open_dialog(panel, "new_item"))
    dialog.given_edit.setText("Lan")
    dialog.mobile_edit.setText("+84 912 345 678")  # Lan's mobile, typed another way
    save_and_wait(qtbot, dialog)
    assert dialog.duplicates.isVisible()

    lan = seeded.contacts["lan"]
    button = dialog.findChild(QPushButton, f"contact.open.{lan}")
    with qtbot.waitSignal(ctx.hub.open_contact, timeout=5000) as opened:
        button.click()
    assert opened.args == [lan]
    assert not dialog.isVisible()
    existing = dialog.existing_dialog
    assert existing is not None
    ready_dialog(qtbot, existing)
    assert existing.windowTitle() == "Edit Đặng Thị Lan"
    assert existing.account_combo.currentText() == "Công ty Cổ phần Đặng Gia"
    assert existing.mobile_edit.text() == "0912 345 678"
    existing.reject()
    assert len(stored_contacts(seeded)) == 2
    qtbot.waitUntil(
        lambda: panel.current_row() is not None and panel.current_row().id == lan, timeout=5000
    )


def test_edit_keeps_the_position_and_saves_once(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    assert panel.select_contact(seeded.contacts["an"])
    dialog = ready_dialog(qtbot, open_dialog(panel, "edit_item"))
    assert dialog.windowTitle() == "Edit Nguyễn Văn An"
    assert dialog.title_edit.text() == "Giám đốc Khối CNTT"
    dialog.title_edit.setText("Phó Tổng Giám đốc")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save()
        assert not dialog.save_button.isEnabled()  # no double submit while the worker writes
        dialog.save()
        dialog.reject()  # Esc while saving: ignored, the save finishes
        assert dialog.isVisible()
    qtbot.waitUntil(
        lambda: (
            "Phó Tổng Giám đốc"
            in [panel.model.index(i, 1).data() for i in range(panel.model.rowCount())]
        ),
        timeout=5000,
    )
    assert len(stored_contacts(seeded)) == 2
    assert ctx.undo.undo_label() == "edit Nguyễn Văn An"


def test_filter_ignores_diacritics(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, _ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    for typed, expected in (
        ("nguyen", ["Nguyễn Văn An"]),
        ("dang", ["Đặng Thị Lan"]),
        ("Đặng thị", ["Đặng Thị Lan"]),
        ("0912 345", ["Đặng Thị Lan"]),
        ("", ["Nguyễn Văn An", "Đặng Thị Lan"]),
    ):
        with qtbot.waitSignal(panel.model.loaded, timeout=5000):
            panel.filter_edit.setText(typed)
        assert names(panel) == expected, typed
    with qtbot.waitSignal(panel.model.loaded, timeout=5000):
        panel.filter_edit.setText("zzz")
    assert panel.count_label.text() == "No contacts match “zzz”"


def test_sorting_by_account_and_not_by_title(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, _ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    with qtbot.waitSignal(panel.model.loaded, timeout=5000):
        panel.view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    assert names(panel) == ["Đặng Thị Lan", "Nguyễn Văn An"]  # Công ty… before Ngân hàng…
    panel.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # title: not sortable
    assert panel.view.horizontalHeader().sortIndicatorSection() == 2


def test_archive_and_undo(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    assert panel.select_contact(seeded.contacts["lan"])
    with qtbot.waitSignal(ctx.hub.status, timeout=5000) as status:
        panel.archive_item()
    assert status.args == ["Archived Đặng Thị Lan. Undo with Ctrl+Z."]
    qtbot.waitUntil(lambda: names(panel) == ["Nguyễn Văn An"], timeout=5000)
    assert [c.id for c in stored_contacts(seeded)] == [seeded.contacts["an"]]
    ctx.undo.undo()
    qtbot.waitUntil(lambda: len(names(panel)) == 2, timeout=5000)
    assert len(stored_contacts(seeded)) == 2


def test_selecting_a_contact_makes_their_account_current(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    with qtbot.waitSignal(ctx.hub.current_account_changed, timeout=5000) as changed:
        panel.select_contact(seeded.contacts["an"])
    assert changed.args == [seeded.accounts["acb"]]


def test_at_current_account_follows_the_current_account(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    ctx.hub.set_current_account(seeded.accounts["acb"])
    with qtbot.waitSignal(panel.model.loaded, timeout=5000):
        panel.at_account.click()
    assert names(panel) == ["Nguyễn Văn An"]
    assert panel.count_label.text() == "1 contact at the current account"
    with qtbot.waitSignal(panel.model.loaded, timeout=5000):
        ctx.hub.set_current_account(seeded.accounts["dang"])
    assert names(panel) == ["Đặng Thị Lan"]
    # Picking someone here must not send the list to another account they work at.
    panel.select_contact(seeded.contacts["lan"])
    assert ctx.hub.current_account == seeded.accounts["dang"]
    dialog = ready_dialog(qtbot, open_dialog(panel, "new_item"))
    assert dialog.account_combo.currentText() == "Công ty Cổ phần Đặng Gia"
    dialog.reject()
    with qtbot.waitSignal(panel.model.loaded, timeout=5000):
        panel.at_account.click()
    assert len(names(panel)) == 2


def test_open_contact_finds_someone_hidden_by_the_filter(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    with qtbot.waitSignal(panel.model.loaded, timeout=5000):
        panel.filter_edit.setText("nguyen")
    ctx.hub.open_contact.emit(seeded.contacts["lan"])
    qtbot.waitUntil(
        lambda: (
            panel.current_row() is not None and panel.current_row().id == seeded.contacts["lan"]
        ),
        timeout=5000,
    )
    assert panel.filter_edit.text() == "Đặng Thị Lan"


def test_contacts_model_passes_the_model_tester(
    open_window: Any, seeded: Seed, qtbot: Any, qtmodeltester: Any
) -> None:
    window, _ctx = open_window(seeded.path)
    panel = contacts_panel(window, qtbot)
    qtmodeltester.check(panel.model)
    assert panel.model.index(0, 4).data() == ""  # An has no phone
    assert panel.model.index(1, 4).data() == "0912 345 678"


def test_dates_are_read_the_vietnamese_way_or_as_iso() -> None:
    from datetime import date

    import pytest

    assert parse_day("27/11/1985") == date(1985, 11, 27)
    assert parse_day("7-3-1990") == date(1990, 3, 7)
    assert parse_day("1990-03-07") == date(1990, 3, 7)
    assert parse_day("  ") is None
    for bad in ("31/02/1990", "1990/03/07", "tomorrow"):
        with pytest.raises(ValueError):
            parse_day(bad)

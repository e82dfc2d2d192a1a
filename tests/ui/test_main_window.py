"""The shell: perspectives, saved layouts with fallback, the Accounts dock, undo, screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt

from tests.ui.conftest import Seed, settle
from workbench.ui import perspectives
from workbench.ui.i18n import set_language


def _visible_docks(window: Any) -> set[str]:
    return {name for name, dock in window.docks.items() if not dock.isHidden()}


def test_every_dock_has_a_stable_object_name(open_window: Any, seeded: Seed) -> None:
    window, _ctx = open_window(seeded.path)
    names = {d.objectName() for d in window.docks.values()}
    assert names == {
        "dock.accounts",
        "dock.contacts",
        "dock.account",
        "dock.timeline",
        "dock.conflicts",
        "dock.attention",
        "dock.plan",
        "dock.stakeholders",
        "dock.whitespace",
        "dock.opportunities",
        "dock.leads",
    }


def test_perspectives_switch_and_restore_the_users_arrangement(
    open_window: Any, seeded: Seed, settings: QSettings, qtbot: Any
) -> None:
    window, _ctx = open_window(seeded.path, "am")
    assert _visible_docks(window) == {
        "dock.accounts",
        "dock.contacts",
        "dock.opportunities",
        "dock.account",
        "dock.plan",
        "dock.stakeholders",
        "dock.whitespace",
        "dock.timeline",
        "dock.conflicts",
        "dock.attention",
    }
    window.set_perspective("finance")
    assert "dock.timeline" not in _visible_docks(window)
    assert window.perspective_actions["finance"].isChecked()

    # The user closes the Account dock in Finance, goes to AM and back: it stays closed.
    window.docks["dock.account"].close()
    window.set_perspective("am")
    assert "dock.timeline" in _visible_docks(window)
    window.set_perspective("finance")
    assert "dock.account" not in _visible_docks(window)

    # Reset layout brings back the default arrangement of this perspective.
    window.reset_layout()
    assert "dock.account" in _visible_docks(window)


def test_saved_layout_survives_a_restart(
    open_window: Any, seeded: Seed, settings: QSettings
) -> None:
    window, _ctx = open_window(seeded.path, "rm")
    window.docks["dock.contacts"].close()
    window.close()
    assert settings.value("layout/perspective") == "rm"
    again, _ = open_window(seeded.path, None)
    assert again.perspective == "rm"
    assert "dock.contacts" not in _visible_docks(again)


def test_a_damaged_or_old_saved_layout_falls_back_to_the_default(
    open_window: Any, seeded: Seed, settings: QSettings
) -> None:
    settings.setValue("layout/perspective", "sales")
    settings.setValue("layout/sales", b"\x00garbage that is not a Qt state")
    window, _ = open_window(seeded.path, None)
    assert window.perspective == "sales"
    assert _visible_docks(window) == {
        "dock.leads",
        "dock.opportunities",
        "dock.accounts",
        "dock.contacts",
        "dock.account",
        "dock.timeline",
        "dock.conflicts",
        "dock.attention",
    }
    # A state saved under an older layout version is not restored either.
    window.docks["dock.contacts"].close()
    settings.setValue("layout/sales", window.saveState(perspectives.LAYOUT_VERSION - 1))
    ok = perspectives.restore(window, window.docks, settings, "sales")
    assert ok is False
    assert "dock.contacts" in _visible_docks(window)


def test_accounts_dock_filters_by_text_owner_and_tier(
    open_window: Any, seeded: Seed, qtbot: Any, qtmodeltester: Any
) -> None:
    window, _ctx = open_window(seeded.path)
    panel = window.panels["dock.accounts"]
    model = panel.model
    assert model.rowCount() == 3
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        panel.filter_edit.setText("dang gia")
    assert [model.row_at(i).name for i in range(model.rowCount())] == ["Công ty Cổ phần Đặng Gia"]
    panel.filter_edit.clear()
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        panel.owner_combo.setCurrentIndex(panel.owner_combo.findData(seeded.rm))
    assert [model.row_at(i).name for i in range(model.rowCount())] == ["Ngân hàng TMCP Á Châu"]
    with qtbot.waitSignal(model.loaded, timeout=5000):
        panel.owner_combo.setCurrentIndex(0)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        panel.tier_combo.setCurrentIndex(panel.tier_combo.findData("core"))
    assert [model.row_at(i).name for i in range(model.rowCount())] == ["Mekong Logistics Pte Ltd"]


def test_selecting_an_account_makes_it_current(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, ctx = open_window(seeded.path)
    panel = window.panels["dock.accounts"]
    with qtbot.waitSignal(ctx.hub.current_account_changed, timeout=5000) as blocker:
        panel.select_account(seeded.accounts["acb"])
    assert blocker.args == [seeded.accounts["acb"]]
    assert ctx.hub.current_account == seeded.accounts["acb"]


def test_sorting_happens_in_sql(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, _ctx = open_window(seeded.path)
    panel = window.panels["dock.accounts"]
    model = panel.model
    with qtbot.waitSignal(model.loaded, timeout=5000):
        panel.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # tier
    assert [model.row_at(i).tier for i in range(3)] == ["strategic", "key", "core"]


def test_archive_an_account_and_undo_it(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, ctx = open_window(seeded.path)
    panel = window.panels["dock.accounts"]
    panel.select_account(seeded.accounts["mekong"])
    panel.view.setFocus()
    panel.archive_item()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=5000)
    assert window.undo_action.isEnabled()
    assert "Mekong" in window.undo_action.text()
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=5000)
    settle(qtbot, ctx)
    assert window.redo_action.isEnabled()


def test_window_speaks_vietnamese(open_window: Any, seeded: Seed) -> None:
    set_language("vi")
    try:
        window, _ = open_window(seeded.path)
        titles = {d.windowTitle() for d in window.docks.values()}
        assert "Đầu mối" in titles
        assert window.menuBar().actions()[0].text() == "&Tệp"
        header = window.panels["dock.accounts"].model.headerData(
            3, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole
        )
        assert header == "Liên hệ gần nhất"
    finally:
        set_language("en")


def test_screenshot_option_writes_a_png(seeded: Seed, tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "--db",
            str(seeded.path),
            "--screenshot",
            str(out),
            "--perspective",
            "rm",
            "--lang",
            "vi",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (1600, 1000)


def test_a_dock_behind_a_tab_waits_until_it_is_picked(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    """In the AM perspective Contacts is a tab behind Accounts: a contact change marks it
    stale instead of querying; picking its tab loads it."""
    from workbench.domain.drafts import ContactDraft
    from workbench.services.contacts import create_contact

    window, ctx = open_window(seeded.path, "am")
    contacts = window.panels["dock.contacts"]
    assert not contacts.exposed()
    before = contacts.loads
    done: list[Any] = []
    ctx.tasks.run(
        "add",
        lambda store, _c: create_contact(store, ContactDraft(given_name="Hạnh")),
        done.append,
    )
    qtbot.waitUntil(lambda: bool(done))
    ctx.hub.publish(done[0].changes)
    settle(qtbot, ctx)
    assert contacts.loads == before
    window.docks["dock.contacts"].raise_()
    qtbot.waitUntil(lambda: contacts.loads == before + 1, timeout=5000)
    settle(qtbot, ctx)
    assert contacts.model.rowCount() == 3


def test_a_new_empty_database_says_what_to_do(open_window: Any, tmp_path: Path) -> None:
    window, ctx = open_window(tmp_path / "fresh.db")
    assert len(ctx.users) == 1 and ctx.current_user_id == ctx.users[0].id
    label = window.panels["dock.accounts"].count_label.text()
    assert "No accounts yet" in label

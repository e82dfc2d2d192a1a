"""Quick search (Ctrl+K): results as you type, keyboard only, stale answers dropped."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import Seed, settle
from workbench.domain.records import SearchHit
from workbench.ui.dialogs.quick_search import QuickSearch


def popup(window: Any, qtbot: Any) -> QuickSearch:
    search = QuickSearch(window.ctx, window)
    search.show()
    qtbot.waitExposed(search)
    return search


def hits(search: QuickSearch) -> list[tuple[str, str]]:
    return [(h.kind, h.title) for h in search.model.rows]


def type_and_wait(qtbot: Any, search: QuickSearch, text: str) -> None:
    """Type ASCII as key presses; text with diacritics arrives the way a Vietnamese input
    method sends it (a committed string), which QTest's key clicks cannot produce."""
    if text.isascii():
        qtbot.keyClicks(search.edit, text)
    else:
        event = QInputMethodEvent()
        event.setCommitString(text)
        QApplication.sendEvent(search.edit, event)
    qtbot.waitUntil(lambda: search._answered == search._generation, timeout=5000)


def test_dang_finds_the_person_and_enter_opens_them(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, _ctx = open_window(seeded.path)
    search = popup(window, qtbot)
    type_and_wait(qtbot, search, "dang")
    assert hits(search) == [("account", "Công ty Cổ phần Đặng Gia"), ("contact", "Đặng Thị Lan")]
    assert search.results.currentIndex().row() == 0
    qtbot.keyClick(search.edit, Qt.Key.Key_Down)
    qtbot.keyClick(search.edit, Qt.Key.Key_Down)  # stays on the last result
    qtbot.keyClick(search.edit, Qt.Key.Key_Up)
    qtbot.keyClick(search.edit, Qt.Key.Key_Down)
    assert search.results.currentIndex().row() == 1
    with qtbot.waitSignal(search.open_contact, timeout=5000) as opened:
        qtbot.keyClick(search.edit, Qt.Key.Key_Return)
    assert opened.args == [seeded.contacts["lan"]]


def test_enter_opens_an_account(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, _ctx = open_window(seeded.path)
    search = popup(window, qtbot)
    type_and_wait(qtbot, search, "á châu")
    with qtbot.waitSignal(search.open_account, timeout=5000) as opened:
        qtbot.keyClick(search.edit, Qt.Key.Key_Enter)
    assert opened.args == [seeded.accounts["acb"]]


def test_enter_typed_before_the_answer_opens_the_first_result(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, _ctx = open_window(seeded.path)
    search = popup(window, qtbot)
    with qtbot.waitSignal(search.open_contact, timeout=5000) as opened:
        qtbot.keyClicks(search.edit, "nguyen")
        qtbot.keyClick(search.edit, Qt.Key.Key_Return)
    assert opened.args == [seeded.contacts["an"]]


def test_no_matches_and_escape(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, _ctx = open_window(seeded.path)
    search = popup(window, qtbot)
    type_and_wait(qtbot, search, "zzzz")
    assert hits(search) == []
    assert search.hint.text() == "No matches"
    assert search.results.isHidden()
    with qtbot.waitSignal(search.rejected, timeout=5000):
        qtbot.keyClick(search.edit, Qt.Key.Key_Escape)


def test_an_answer_to_older_text_is_dropped(open_window: Any, seeded: Seed, qtbot: Any) -> None:
    window, ctx = open_window(seeded.path)
    search = popup(window, qtbot)
    type_and_wait(qtbot, search, "lan")
    stale = search._generation - 1
    search._answer(([SearchHit("account", "x", "Old answer", "")], stale))
    assert hits(search) == [("contact", "Đặng Thị Lan")]
    qtbot.keyClick(search.edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(search.edit, "x")  # "lax": every keystroke asks again, only the last counts
    settle(qtbot, ctx)
    assert hits(search) == []
    search.reject()


def test_ctrl_k_from_the_window_shows_the_person_in_the_contacts_dock(
    open_window: Any, seeded: Seed, qtbot: Any
) -> None:
    window, ctx = open_window(seeded.path)
    window.quick_search()
    search = window.findChild(QuickSearch)
    assert search is not None
    qtbot.waitExposed(search)
    type_and_wait(qtbot, search, "nguyễn văn")
    qtbot.keyClick(search.edit, Qt.Key.Key_Return)
    panel = window.panels["dock.contacts"]
    qtbot.waitUntil(
        lambda: (
            panel.isVisible()
            and panel.current_row() is not None
            and panel.current_row().id == seeded.contacts["an"]
        ),
        timeout=5000,
    )
    settle(qtbot, ctx)

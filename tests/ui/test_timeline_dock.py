"""The Timeline dock and the activity dialog, on a real database through the real worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.test_account_dock import (
    Portfolio,
    close_app,
    open_app,
    seed_portfolio,
    settle,
    show_account,
)
from workbench.domain.drafts import ActivityDraft, CommitmentDraft
from workbench.domain.records import TimelineItem
from workbench.services.timeline import add_commitment, log_activity
from workbench.storage.store import Store
from workbench.ui.docks.timeline import lines_of, matches, state


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def portfolio(tmp_path: Path) -> Portfolio:
    """The shared portfolio plus an overdue promise and a planned meeting at Đặng Gia."""
    seed = seed_portfolio(tmp_path / "workbench.db")
    store = Store(seed.path)
    add_commitment(
        store,
        CommitmentDraft(
            account_id=seed.dang,
            description="Gửi bảng giá mới",
            to_contact_id=seed.lan,
            due_date=date.today() - timedelta(days=3),
            owner_id=seed.am,
        ),
    )
    log_activity(
        store,
        ActivityDraft(
            account_id=seed.dang,
            kind="meeting",
            subject="Gặp Ban Giám đốc quý 1",
            status="planned",
            occurred_at=utcnow() + timedelta(days=5),
            owner_id=seed.am,
        ),
    )
    store.close()
    return seed


@pytest.fixture
def app(qtbot: Any, tmp_path: Path, portfolio: Portfolio) -> Iterator[tuple[Any, Any]]:
    window, ctx = open_app(qtbot, tmp_path, portfolio.path)
    show_account(qtbot, window, ctx, portfolio.dang)
    yield window, ctx
    close_app(window, ctx)


def timeline_of(window: Any) -> Any:
    return window.panels["dock.timeline"]


def subjects(panel: Any) -> list[str]:
    return [item.subject for item in panel.model.rows]


def select(panel: Any, subject: str) -> TimelineItem:
    row = subjects(panel).index(subject)
    panel.view.setCurrentIndex(panel.model.index(row, 0))
    item = panel.selected_item()
    assert item is not None and item.subject == subject
    return item


def item_named(panel: Any, subject: str) -> TimelineItem:
    return next(i for i in panel.items if i.subject == subject)


def test_timeline_lists_newest_first_with_open_items_marked(
    app: tuple[Any, Any], qtbot: Any
) -> None:
    window, _ctx = app
    panel = timeline_of(window)
    assert subjects(panel) == ["Gặp Ban Giám đốc quý 1", "Gửi bảng giá mới", "Họp rà soát hợp đồng"]
    planned, promise, meeting = panel.items
    assert state(planned) == "planned"
    assert state(promise) == "overdue"
    assert lines_of(promise).badge == "Overdue 3 days"
    assert lines_of(promise).colour == "#d32f2f"
    assert "to Đặng Thị Lan" in lines_of(promise).meta
    assert state(meeting) == "done" and lines_of(meeting).badge == ""
    assert lines_of(meeting).people == "With Đặng Thị Lan"
    assert lines_of(meeting).notes == "Chị Lan muốn giảm phí."
    assert panel.chips["open"].text() == "Open (2)"


def test_quick_log_adds_the_call_on_top_and_updates_last_contact(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    panel = timeline_of(window)
    accounts = window.panels["dock.accounts"]
    column = [c.key for c in accounts.model.columns].index("last_contact")

    def last_contact() -> str:
        return str(accounts.model.index(accounts.model.row_of_id(portfolio.dang), column).data())

    assert last_contact() == "12 days ago"

    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("call"))
    # QTest can only type ASCII keys; an input method commits Vietnamese text like this.
    panel.subject_edit.insert("Gọi chị Lan về hóa đơn tháng 3")
    qtbot.keyClick(panel.subject_edit, Qt.Key.Key_Return)

    assert panel.subject_edit.text() == ""
    qtbot.waitUntil(lambda: "Gọi chị Lan về hóa đơn tháng 3" in subjects(panel), timeout=5000)
    settle(qtbot, ctx)
    top_done = next(i for i in panel.model.rows if i.status == "done")
    assert top_done.subject == "Gọi chị Lan về hóa đơn tháng 3"
    assert top_done.kind == "call" and top_done.owner_name == "Trần Minh Anh"
    assert panel.selected_item() == top_done
    qtbot.waitUntil(lambda: last_contact() == "today", timeout=5000)
    assert window.panels["dock.account"].last_contact_label.text() == "today"
    assert ctx.undo.undo_label() == "log Gọi chị Lan về hóa đơn tháng 3"


def test_quick_log_ignores_an_empty_subject(app: tuple[Any, Any], qtbot: Any) -> None:
    window, ctx = app
    panel = timeline_of(window)
    before = panel.loads
    qtbot.keyClick(panel.subject_edit, Qt.Key.Key_Return)
    settle(qtbot, ctx)
    assert panel.loads == before and len(panel.items) == 3


def open_activity_dialog(qtbot: Any, panel: Any) -> Any:
    from workbench.ui.dialogs.activity_dialog import ActivityDialog

    panel.new_item()
    dialog = panel.findChildren(ActivityDialog)[-1]
    qtbot.waitUntil(lambda: dialog.attendees.count() == 2, timeout=5000)
    return dialog


def test_activity_dialog_logs_attendees_and_a_promise_in_one_go(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    panel = timeline_of(window)
    dialog = open_activity_dialog(qtbot, panel)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("visit"))
    dialog.subject_edit.setText("Thăm nhà máy Đà Nẵng")
    dialog.set_checked([portfolio.lan])
    dialog.set_checked([portfolio.lan, portfolio.hung])
    dialog.notes_edit.setPlainText("Dây chuyền mới chạy từ tháng 5.\nCần thêm giấy phép.")
    dialog.outcome_edit.setText("Đồng ý thí điểm")
    dialog.next_edit.setText("Gửi hợp đồng mẫu")
    dialog.promise_edit.setText("Gửi hợp đồng mẫu trước thứ Sáu")
    due = date.today() + timedelta(days=4)
    dialog.due_edit.setDate(due)
    assert dialog.to_combo.currentData() == portfolio.lan  # the first person ticked
    assert dialog.contact_ids() == [portfolio.lan, portfolio.hung]

    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        dialog.save_button.click()
    activity_id = saved.args[0]
    qtbot.waitUntil(lambda: "Thăm nhà máy Đà Nẵng" in subjects(panel), timeout=5000)
    settle(qtbot, ctx)

    visit = item_named(panel, "Thăm nhà máy Đà Nẵng")
    assert visit.id == activity_id and visit.kind == "visit" and visit.status == "done"
    assert set(visit.attendees) == {"Đặng Thị Lan", "Võ Văn Hùng", "Trần Minh Anh"}
    assert (visit.outcome, visit.next_step) == ("Đồng ý thí điểm", "Gửi hợp đồng mẫu")
    promise = item_named(panel, "Gửi hợp đồng mẫu trước thứ Sáu")
    assert promise.item == "commitment" and promise.due_date == due
    assert promise.attendees == ("Đặng Thị Lan",) and state(promise) == "open"
    assert panel.selected_item() == visit

    ctx.undo.undo()  # one undo takes back the visit and its promise
    qtbot.waitUntil(lambda: "Thăm nhà máy Đà Nẵng" not in subjects(panel), timeout=5000)
    assert "Gửi hợp đồng mẫu trước thứ Sáu" not in subjects(panel)


def test_activity_dialog_keeps_what_was_typed_when_the_subject_is_missing(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    panel = timeline_of(window)
    dialog = open_activity_dialog(qtbot, panel)
    dialog.subject_edit.setText("   ")
    dialog.notes_edit.setPlainText("Ghi chú quan trọng")
    dialog.promise_edit.setText("Gọi lại vào thứ Hai")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog._saving, timeout=5000)
    assert dialog.form.error_of("subject") == "Say what it was about"
    assert dialog.notes_edit.toPlainText() == "Ghi chú quan trọng"
    assert dialog.isVisible()
    settle(qtbot, ctx)
    assert len(panel.items) == 3  # nothing written, not even the promise
    dialog.reject()


def test_a_future_date_makes_the_activity_planned(app: tuple[Any, Any], qtbot: Any) -> None:
    window, _ctx = app
    dialog = open_activity_dialog(qtbot, timeline_of(window))
    assert not dialog.planned_check.isChecked()
    dialog.when_edit.setDateTime(dialog.when_edit.dateTime().addDays(3))
    assert dialog.planned_check.isChecked()
    activity, promise = dialog.draft()
    assert activity.status == "planned" and promise is None
    dialog.reject()


def test_space_marks_the_selected_promise_done(app: tuple[Any, Any], qtbot: Any) -> None:
    window, ctx = app
    panel = timeline_of(window)
    select(panel, "Gửi bảng giá mới")
    assert panel.done_button.isEnabled()
    qtbot.keyClick(panel.view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: item_named(panel, "Gửi bảng giá mới").status == "done", timeout=5000)
    settle(qtbot, ctx)
    assert lines_of(item_named(panel, "Gửi bảng giá mới")).badge == "Kept"
    assert not panel.done_button.isEnabled()
    assert panel.chips["open"].text() == "Open (1)"


def test_the_button_marks_a_planned_meeting_done(app: tuple[Any, Any], qtbot: Any) -> None:
    window, _ctx = app
    panel = timeline_of(window)
    select(panel, "Gặp Ban Giám đốc quý 1")
    panel.done_button.click()
    qtbot.waitUntil(
        lambda: item_named(panel, "Gặp Ban Giám đốc quý 1").status == "done", timeout=5000
    )


def test_archive_an_activity_and_undo(app: tuple[Any, Any], qtbot: Any) -> None:
    window, ctx = app
    panel = timeline_of(window)
    messages: list[str] = []
    ctx.hub.status.connect(messages.append)
    select(panel, "Họp rà soát hợp đồng")
    panel.archive_item()
    qtbot.waitUntil(lambda: "Họp rà soát hợp đồng" not in subjects(panel), timeout=5000)
    assert messages[-1] == "Archived Họp rà soát hợp đồng. Undo with Ctrl+Z."
    assert ctx.undo.undo_label() == "archive Họp rà soát hợp đồng"

    ctx.undo.undo()
    qtbot.waitUntil(lambda: "Họp rà soát hợp đồng" in subjects(panel), timeout=5000)


def test_filters_show_activities_promises_or_open_items(app: tuple[Any, Any], qtbot: Any) -> None:
    window, _ctx = app
    panel = timeline_of(window)
    panel.set_filter("commitments")
    assert subjects(panel) == ["Gửi bảng giá mới"]
    panel.set_filter("activities")
    assert subjects(panel) == ["Gặp Ban Giám đốc quý 1", "Họp rà soát hợp đồng"]
    panel.set_filter("open")
    assert subjects(panel) == ["Gặp Ban Giám đốc quý 1", "Gửi bảng giá mới"]
    panel.focus_filter()  # Ctrl+F steps to the next chip
    assert panel.filter_key == "all" and len(subjects(panel)) == 3


def test_timeline_model_passes_the_model_tester(app: tuple[Any, Any], qtmodeltester: Any) -> None:
    window, _ctx = app
    model = timeline_of(window).model
    assert model.rowCount() == 3
    qtmodeltester.check(model)


def test_the_timeline_ignores_other_accounts(
    app: tuple[Any, Any], portfolio: Portfolio, qtbot: Any
) -> None:
    window, ctx = app
    panel = timeline_of(window)
    before = panel.loads

    def log_elsewhere(store: Any, _c: Any) -> Any:
        return log_activity(store, ActivityDraft(account_id=portfolio.acb, subject="Gọi ACB"))

    ctx.tasks.run("log", log_elsewhere, lambda saved: ctx.hub.publish(saved.changes))
    settle(qtbot, ctx)
    assert panel.loads == before


def make_item(**changes: Any) -> TimelineItem:
    base: dict[str, Any] = {
        "item": "activity",
        "id": "x",
        "kind": "call",
        "status": "done",
        "when": datetime(2026, 3, 2, 8, 0),
        "subject": "s",
        "notes": "",
        "outcome": "",
        "next_step": "",
        "owner_name": "",
        "attendees": (),
        "due_date": None,
    }
    base.update(changes)
    return TimelineItem(**base)


def test_state_tells_overdue_open_planned_and_late_apart() -> None:
    now = datetime(2026, 3, 10, 12, 0)
    assert (
        state(make_item(item="commitment", status="open", due_date=date(2026, 3, 9)), now)
        == "overdue"
    )
    assert (
        state(make_item(item="commitment", status="open", due_date=date(2026, 3, 10)), now)
        == "open"
    )
    assert state(make_item(item="commitment", status="done"), now) == "done"
    assert state(make_item(status="planned", when=datetime(2026, 3, 20)), now) == "planned"
    assert state(make_item(status="planned", when=datetime(2026, 3, 1)), now) == "late"
    assert matches(make_item(status="planned", when=datetime(2026, 3, 20)), "open")
    assert not matches(make_item(), "open")

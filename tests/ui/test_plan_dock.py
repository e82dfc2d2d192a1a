"""The account plan dock on demo data: edit the plan and an objective, watch revenue won move
when a deal is won, and export both PDF versions (the client-safe one read back as text)."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.ui.test_account_dock import close_app, open_app, settle, show_account
from workbench.domain.plans import ActionDraft, ObjectiveDraft
from workbench.services import plans
from workbench.storage.store import Store

RISK = "Ngân sách CNTT năm sau có thể bị cắt giảm"
NOTE = "Ghi chú nội bộ: đừng giảm giá quá 8%"
WEAK = "Đội triển khai ở Đà Nẵng còn mỏng"
OUTCOME = "Trở thành đối tác chuyển đổi số số một của khách hàng"


def _demo_with_plan(path: Path) -> dict[str, Any]:
    from workbench.demo.generator import generate

    generate(path, seed=1, accounts=8)
    store = Store(path)
    try:
        conn_rows = (
            store.engine.connect()
            .exec_driver_sql(
                "SELECT a.id, COUNT(o.id) FROM accounts a LEFT JOIN opportunities o "
                "ON o.account_id = a.id AND o.deleted_at IS NULL WHERE a.deleted_at IS NULL "
                "AND a.parent_id IS NULL GROUP BY a.id ORDER BY COUNT(o.id) DESC, a.id"
            )
            .fetchall()
        )
        account_id = str(conn_rows[0][0])
        view = plans.account_plan(store, account_id)
        for ref in view.plans:  # the demo may have planned this account: start clean
            plans.archive_plan(store, ref.id)
        pid = plans.create_plan(store, account_id, str(date.today().year)).id
        plans.update_plan(
            store,
            pid,
            {
                "desired_outcome": OUTCOME,
                "growth": "Bán chéo gói bảo mật cho ba chi nhánh",
                "risks": RISK,
                "next_steps": "Trình bày lộ trình với Giám đốc tài chính",
                "key_players": "Chị Lan (kế toán trưởng), anh Hùng (CNTT)",
                "strengths": "Quan hệ lâu năm\nHỗ trợ nhanh",
                "weaknesses": WEAK,
                "opportunities": "Mở rộng ra miền Trung",
                "threats": "Đối thủ giảm giá mạnh",
                "competitors": "FPT IS\nViettel Solutions",
                "internal_notes": NOTE,
                "status": "active",
            },
        )
        revenue = plans.add_objective(
            store, pid, ObjectiveDraft("Doanh thu thắng trong kỳ", "revenue_won", 9_000_000_000)
        ).id
        plans.add_objective(
            store, pid, ObjectiveDraft("Mức hài lòng khách hàng", "manual", 80, manual_value=64)
        )
        plans.add_objective(
            store, pid, ObjectiveDraft("Dòng sản phẩm đang dùng", "product_lines", 4)
        )
        plans.add_objective(store, pid, ObjectiveDraft("Quan hệ tốt", "coverage", 5))
        opp = (
            store.engine.connect()
            .exec_driver_sql(
                "SELECT id FROM opportunities WHERE account_id = ? AND deleted_at IS NULL "
                "AND stage NOT IN ('won', 'lost') ORDER BY id LIMIT 1",
                (account_id,),
            )
            .fetchall()
        )
        if opp:
            opp_id = str(opp[0][0])
        else:
            with store.unit() as u:
                opp_id = u.insert(
                    "opportunities",
                    {"account_id": account_id, "name": "Mở rộng ERP", "stage": "negotiate"},
                )
                u.commit()
        today = date.today()
        plans.add_action(
            store,
            pid,
            ActionDraft(
                "Gửi đề xuất mở rộng", due_date=today - timedelta(days=5), opportunity_id=opp_id
            ),
        )
        plans.add_action(store, pid, ActionDraft("Hẹn họp quý", due_date=today + timedelta(days=9)))
        plans.add_update(store, pid, "Đã gặp phòng CNTT, họ quan tâm gói bảo mật")
        return {"account_id": account_id, "plan_id": pid, "revenue": revenue, "opp": opp_id}
    finally:
        store.close()


@pytest.fixture
def demo(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "demo.db"
    info = _demo_with_plan(path)
    info["path"] = path
    return info


@pytest.fixture
def plan_app(qtbot: Any, tmp_path: Path, demo: dict[str, Any]) -> Any:
    window, ctx = open_app(qtbot, tmp_path, demo["path"])
    show_account(qtbot, window, ctx, demo["account_id"])
    panel = window.panels["dock.plan"]
    window.show_dock("dock.plan")
    qtbot.waitUntil(lambda: panel.stack.currentIndex() == 2, timeout=10000)
    yield window, ctx, panel
    close_app(window, ctx)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


def _value(path: Path, sql: str, *params: Any) -> Any:
    store = Store(path)
    try:
        return store.engine.connect().exec_driver_sql(sql, params).fetchall()[0][0]
    finally:
        store.close()


def test_the_dock_shows_the_plan_with_progress_and_overdue_actions(
    plan_app: Any, demo: dict[str, Any], qtmodeltester: Any, qtbot: Any
) -> None:
    window, _ctx, panel = plan_app
    assert panel.texts["desired_outcome"].toPlainText() == OUTCOME
    assert panel.status_combo.currentData() == "active"
    titles = [o.title for o in panel.objectives_model.rows]
    assert titles[:2] == ["Doanh thu thắng trong kỳ", "Mức hài lòng khách hàng"]
    manual = panel.objectives_model.rows[1]
    assert panel.objectives_model.index(1, 1).data() == "64 / 80"
    assert manual.progress == 0.8
    late = panel.actions_model.rows[0]
    assert late.overdue and late.title == "Gửi đề xuất mở rộng"
    from PySide6.QtCore import Qt

    assert panel.actions_model.index(0, 0).data(Qt.ItemDataRole.FontRole).bold()
    assert "Đã gặp phòng CNTT" in panel.updates_model.index(0, 0).data()
    assert not panel.swot.isVisible()  # SWOT is folded away by default
    qtmodeltester.check(panel.objectives_model)
    qtmodeltester.check(panel.actions_model)
    out = os.environ.get("PLAN_SCREENSHOT")
    if out:  # PLAN_SCREENSHOT=/tmp/plan.png: the window, and the dock at two widths
        window.grab().save(out)
        dock = window.docks["dock.plan"]
        dock.setFloating(True)
        for width in (720, 420):
            dock.resize(width, 1000)
            qtbot.wait(100)
            panel.grab().save(out.replace(".png", f"-{width}.png"))
        panel.swot_toggle.setChecked(True)
        qtbot.wait(50)
        panel.stack.currentWidget().widget().grab().save(out.replace(".png", "-page.png"))


def test_editing_the_plan_and_an_objective_saves_and_undoes(
    plan_app: Any, demo: dict[str, Any], qtbot: Any
) -> None:
    _window, ctx, panel = plan_app
    box = panel.texts["next_steps"]
    box.setFocus()
    box.setPlainText("Ký phụ lục trước 30/6")
    box.commit()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: panel.data.plan.next_steps == "Ký phụ lục trước 30/6", timeout=5000)
    path = demo["path"]
    assert _value(path, "SELECT next_steps FROM account_plans WHERE id = ?", demo["plan_id"]) == (
        "Ký phụ lục trước 30/6"
    )
    ctx.undo.undo()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: panel.data.plan.next_steps != "Ký phụ lục trước 30/6", timeout=5000)

    from workbench.ui.dialogs.plan_dialogs import ObjectiveDialog

    panel.objectives_view.setFocus()
    panel.objectives_view.selectRow(1)
    panel.edit_item()
    dialog = next(w for w in panel.findChildren(ObjectiveDialog) if w.isVisible())
    dialog.title_edit.setText("Điểm hài lòng (NPS)")
    dialog.manual.setValue(72)
    dialog.save()
    settle(qtbot, ctx)
    qtbot.waitUntil(
        lambda: panel.objectives_model.rows[1].title == "Điểm hài lòng (NPS)", timeout=5000
    )
    assert panel.objectives_model.rows[1].current == 72
    assert panel.objectives_model.index(1, 1).data() == "72 / 80"


def test_winning_a_deal_moves_revenue_won(plan_app: Any, demo: dict[str, Any], qtbot: Any) -> None:
    _window, ctx, panel = plan_app
    plan = panel.data.plan
    before = next(o for o in plan.objectives if o.id == demo["revenue"]).current
    amount = 1_250_000_000

    def win(store: Any, _ctx: Any) -> Any:
        with store.unit() as uow:
            uow.update(
                "opportunities",
                demo["opp"],
                {
                    "stage": "won",
                    "close_date": date.today(),
                    "amount_minor": amount,
                    "currency": plan.currency,
                },
            )
            return uow.commit()

    ctx.tasks.run("win", win, ctx.hub.publish)
    settle(qtbot, ctx)

    def current() -> Any:
        return next(o for o in panel.data.plan.objectives if o.id == demo["revenue"]).current

    qtbot.waitUntil(lambda: current() == (before or 0) + amount, timeout=5000)
    row = panel.objectives_model.row_of_id(demo["revenue"])
    assert "no data" not in panel.objectives_model.index(row, 1).data()


def test_export_internal_and_client_safe_pdfs(
    plan_app: Any, demo: dict[str, Any], tmp_path: Path
) -> None:
    _window, _ctx, panel = plan_app
    internal, safe = tmp_path / "internal.pdf", tmp_path / "client.pdf"
    panel.export_pdf(client_safe=False, path=internal)
    panel.export_pdf(client_safe=True, path=safe)
    inside, outside = _pdf_text(internal), _pdf_text(safe)
    for text in (OUTCOME, "Mức hài lòng khách hàng", "Gửi đề xuất mở rộng"):
        assert text in inside and text in outside  # Vietnamese diacritics survive
    for text in (RISK, NOTE, WEAK, "Risks and blockers", "Internal notes", "Quan hệ tốt"):
        assert text in inside
        assert text not in outside
    assert "Client version" in outside and "Internal: do not share" in inside


def test_an_account_without_a_plan_offers_to_start_one_and_takes_updates(
    plan_app: Any, demo: dict[str, Any], qtbot: Any
) -> None:
    window, ctx, panel = plan_app
    store = Store(demo["path"])
    try:
        other = str(
            store.engine.connect()
            .exec_driver_sql(
                "SELECT id FROM accounts WHERE id != ? AND deleted_at IS NULL ORDER BY id LIMIT 1",
                (demo["account_id"],),
            )
            .fetchall()[0][0]
        )
        for ref in plans.account_plan(store, other).plans:  # demo plans: none for this test
            plans.archive_plan(store, ref.id)
    finally:
        store.close()
    show_account(qtbot, window, ctx, other)
    qtbot.waitUntil(lambda: panel.stack.currentIndex() == 1, timeout=5000)
    period = str(date.today().year)
    assert panel.start_button.text() == f"Start a plan for {period}"
    assert "has no account plan yet" in panel.empty_label.text()
    out = os.environ.get("PLAN_SCREENSHOT")
    if out:
        panel.grab().save(out.replace(".png", "-empty.png"))
    panel.start_button.click()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: panel.stack.currentIndex() == 2, timeout=5000)
    assert panel.data.plan.period == period and panel.data.plan.account_id == other
    assert panel.objectives_empty.isVisibleTo(panel)
    assert panel.exposed()  # the dock keeps reloading once the plan page covers it
    panel.update_edit.setText("Gọi điện giới thiệu kế hoạch")
    panel.add_update()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: bool(panel.data.plan.updates), timeout=5000)
    assert panel.data.plan.last_reviewed == date.today()
    assert "Gọi điện giới thiệu kế hoạch" in panel.updates_model.index(0, 0).data()
    ctx.undo.undo()  # the update goes, and the review date with it
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: not panel.data.plan.updates, timeout=5000)


def _titles(panel: Any) -> list[str]:
    return [o.title for o in panel.objectives_model.rows]


def test_objectives_move_with_alt_arrows_and_the_context_menu_and_undo(
    plan_app: Any, demo: dict[str, Any], qtbot: Any
) -> None:
    from PySide6.QtCore import Qt

    window, ctx, panel = plan_app
    before = _titles(panel)
    view = panel.objectives_view
    window.activateWindow()
    view.setFocus()
    view.selectRow(0)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    settle(qtbot, ctx)
    moved = [before[1], before[0], *before[2:]]
    qtbot.waitUntil(lambda: _titles(panel) == moved, timeout=5000)
    assert panel.selected_objective().title == before[0]  # the moved one stays selected
    orders = [
        _value(demo["path"], "SELECT sort_order FROM plan_objectives WHERE id = ?", o.id)
        for o in panel.objectives_model.rows
    ]
    assert orders == sorted(orders)  # stored: the dock's order is the saved order
    assert ctx.undo.undo_label() == f"move {before[0]}"

    # The context menu on the last row: move up is there, move down is not possible.
    last = len(before) - 1
    rect = view.visualRect(panel.objectives_model.index(last, 0))
    panel._table_menu(view, rect.center())
    texts = {a.text(): a for a in panel._menu.actions()}
    assert {"Edit…", "Move up", "Move down", "Archive"} <= set(texts)
    assert texts["Move up"].isEnabled() and not texts["Move down"].isEnabled()
    panel._menu.close()
    texts["Move up"].trigger()
    settle(qtbot, ctx)
    expected = [*moved[: last - 1], moved[last], moved[last - 1]]
    qtbot.waitUntil(lambda: _titles(panel) == expected, timeout=5000)

    ctx.undo.undo()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: _titles(panel) == moved, timeout=5000)
    ctx.undo.undo()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: _titles(panel) == before, timeout=5000)
    view.selectRow(0)
    panel.move_objective(-1)  # already first: nothing to write, nothing to undo
    settle(qtbot, ctx)
    assert _titles(panel) == before and ctx.undo.undo_label() is None


def test_an_update_is_archived_with_delete_and_comes_back_with_undo(
    plan_app: Any, demo: dict[str, Any], qtbot: Any
) -> None:
    from PySide6.QtCore import Qt

    window, ctx, panel = plan_app
    plans_store = Store(demo["path"])
    try:
        plans.add_update(plans_store, demo["plan_id"], "Gõ nhầm kế hoạch khác")
    finally:
        plans_store.close()
    panel.request_reload()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: len(panel.data.plan.updates) == 2, timeout=5000)
    view = panel.updates_view
    assert view.isVisibleTo(panel) and not panel.updates_empty.isVisibleTo(panel)
    row = next(
        i for i, u in enumerate(panel.updates_model.rows) if u.text == "Gõ nhầm kế hoạch khác"
    )
    window.activateWindow()
    view.setFocus()
    view.selectRow(row)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: len(panel.data.plan.updates) == 1, timeout=5000)
    assert [u.text for u in panel.updates_model.rows] == [
        "Đã gặp phòng CNTT, họ quan tâm gói bảo mật"
    ]
    gone = _value(
        demo["path"],
        "SELECT COUNT(*) FROM plan_updates WHERE text = ? AND deleted_at IS NOT NULL",
        "Gõ nhầm kế hoạch khác",
    )
    assert gone == 1  # archived, not deleted
    ctx.undo.undo()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: len(panel.data.plan.updates) == 2, timeout=5000)

    # The context menu of the log offers the same, and the last entry can go too.
    view.selectRow(0)
    rect = view.visualRect(panel.updates_model.index(0, 0))
    panel._table_menu(view, rect.center())
    action = next(a for a in panel._menu.actions() if a.text() == "Archive entry")
    panel._menu.close()
    action.trigger()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: len(panel.data.plan.updates) == 1, timeout=5000)


def test_an_unwritable_pdf_path_explains_itself_and_loses_nothing(
    plan_app: Any, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QApplication

    _window, ctx, panel = plan_app
    messages: list[str] = []
    ctx.hub.status.connect(messages.append)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    for path in (blocker / "plan.pdf", tmp_path):  # under a file; a folder's own name
        panel.export_error = None
        panel.export_pdf(client_safe=True, path=path)
        box = panel.export_error
        assert box is not None and box.isVisible()
        assert str(path) in box.text() and "The plan itself is safe" in box.text()
        box.close()
        assert messages[-1].startswith("PDF not saved: ")
        assert QApplication.overrideCursor() is None  # the busy cursor is gone again
    assert blocker.read_text() == "a file where a folder should be"
    assert not list(tmp_path.glob(".*.part"))  # no half-written file left behind
    good = tmp_path / "plan.pdf"
    panel.export_pdf(client_safe=True, path=good)
    assert good.read_bytes().startswith(b"%PDF") and messages[-1] == f"Saved {good}"


def test_a_big_plan_exports_whole(plan_app: Any, demo: dict[str, Any], tmp_path: Path) -> None:
    """15 actions, 10 objectives and 50 updates: every one of them reaches the PDF (over
    several pages). How long it takes is measured apart from the tests (about 0.2 s here, on
    the GUI thread under a busy cursor), never asserted in one."""
    from pypdf import PdfReader

    _window, _ctx, panel = plan_app
    store = Store(demo["path"])
    try:
        pid = demo["plan_id"]
        for i in range(6):
            plans.add_objective(store, pid, ObjectiveDraft(f"Mục tiêu thêm {i}", "manual", 10, 5))
        for i in range(13):
            plans.add_action(store, pid, ActionDraft(f"Hành động thêm {i}"))
        for i in range(49):
            day = date.today() - timedelta(days=7 * i)
            plans.add_update(store, pid, f"Tuần {i}: gặp phòng CNTT, gửi báo giá", None, day)
        data = plans.account_plan(store, demo["account_id"], pid)
    finally:
        store.close()
    assert data.plan is not None
    plan = data.plan
    assert (len(plan.objectives), len(plan.actions), len(plan.updates)) == (10, 15, 50)
    panel.data = data
    panel.export_pdf(client_safe=False, path=tmp_path / "big.pdf")
    reader = PdfReader(tmp_path / "big.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert len(reader.pages) > 1
    assert "Mục tiêu thêm 5" in text and "Hành động thêm 12" in text and "Tuần 48" in text

"""The Whitespace dock on demo data, through the real window and worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.ui.test_account_dock import close_app, open_app, settle, show_account
from workbench.demo.generator import generate
from workbench.domain.pipeline import OpportunityDraft
from workbench.domain.whitespace import HELD, LOST, OPEN, PIPELINE
from workbench.services.opportunities import (
    create_opportunity,
    list_opportunities,
    read_rows,
)
from workbench.services.whitespace import whitespace
from workbench.storage.store import Store
from workbench.ui import fmt
from workbench.ui.docks.whitespace import cell_lines


def group_account(store: Store) -> str:
    """The demo group account (the one with child accounts)."""
    found = read_rows(
        store,
        "SELECT parent_id FROM accounts WHERE parent_id IS NOT NULL AND deleted_at IS NULL",
    )
    return str(found[0][0])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """Demo data plus one cross-sell in the pipeline at the group's first open cell."""
    path = tmp_path / "demo.db"
    generate(path, accounts=8)
    store = Store(path)
    account = group_account(store)
    view = whitespace(store, account)
    assert view is not None
    cell = next(c for c in view.grid.cells.values() if c.state == OPEN)
    create_opportunity(
        store,
        OpportunityDraft(
            account_id=cell.unit_id,
            name="Pipeline test",
            kind="cross_sell",
            stage="propose",
            amount_minor=500_000_000,
            currency=view.currency,
            probability=50,
            close_date=date.today() + timedelta(days=30),
            product_line=cell.product_line,
        ),
    )
    store.close()
    yield path, account, cell.product_line


@pytest.fixture
def app(qtbot: Any, tmp_path: Path, demo: tuple[Path, str, str]) -> Iterator[tuple[Any, Any]]:
    window, ctx = open_app(qtbot, tmp_path, demo[0])
    window.show_dock("dock.whitespace")
    show_account(qtbot, window, ctx, demo[1])
    yield window, ctx
    close_app(window, ctx)


def panel_of(window: Any) -> Any:
    return window.panels["dock.whitespace"]


def wait_loaded(qtbot: Any, ctx: Any, panel: Any) -> None:
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: panel.model.view is not None, timeout=5000)


def test_grid_matches_the_data(app: tuple[Any, Any], qtbot: Any, demo: Any) -> None:
    window, ctx = app
    panel = panel_of(window)
    wait_loaded(qtbot, ctx, panel)
    store = Store(demo[0])
    expected = whitespace(store, demo[1])
    store.close()
    assert expected is not None
    view = panel.model.view
    assert view.grid == expected.grid
    states = {c.state for c in view.grid.cells.values()}
    assert {HELD, PIPELINE, OPEN} <= states
    # The pipeline cell shows its stage and amount; the held ones their value and renewal.
    pipeline = next(c for c in view.grid.cells.values() if c.state == PIPELINE)
    assert pipeline.product_line == demo[2]
    index = panel.model.index_of(pipeline.unit_id, pipeline.product_line)
    text = panel.model.data(index)
    assert "Propose" in text
    held = next(c for c in view.grid.cells.values() if c.state == HELD)
    first, _ = cell_lines(held, view.currency)
    assert first in panel.model.data(panel.model.index_of(held.unit_id, held.product_line))
    # One row per business unit plus totals; one column per line plus unit and total columns.
    assert panel.model.rowCount() == len(view.grid.units) + 1
    assert panel.model.columnCount() == len(view.grid.lines) + 2
    if os.environ.get("WORKBENCH_SHOTS"):
        window.docks["dock.whitespace"].setFloating(True)
        window.docks["dock.whitespace"].resize(1250, 420)
        qtbot.wait(50)
        panel.grab().save(os.path.join(os.environ["WORKBENCH_SHOTS"], "whitespace.png"))


def test_clicking_an_open_cell_creates_a_cross_sell(
    app: tuple[Any, Any], qtbot: Any, demo: Any
) -> None:
    window, ctx = app
    panel = panel_of(window)
    wait_loaded(qtbot, ctx, panel)
    cell = next(c for c in panel.model.view.grid.cells.values() if c.state == OPEN)
    index = panel.model.index_of(cell.unit_id, cell.product_line)
    panel.table.setCurrentIndex(index)
    panel.table.clicked.emit(index)
    box = panel.confirm_box
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot, ctx)
    store = Store(demo[0])
    made = [
        o
        for o in list_opportunities(store)
        if o.kind == "cross_sell"
        and o.product_line == cell.product_line
        and o.account_id == cell.unit_id
    ]
    store.close()
    assert len(made) == 1
    assert made[0].stage == "qualify" and made[0].probability == 10
    assert made[0].owner_id == ctx.current_user_id
    qtbot.waitUntil(
        lambda: panel.model.view.grid.cell(cell.unit_id, cell.product_line).state == PIPELINE,
        timeout=5000,
    )


def test_marking_a_cell_lost_persists(app: tuple[Any, Any], qtbot: Any, demo: Any) -> None:
    window, ctx = app
    panel = panel_of(window)
    wait_loaded(qtbot, ctx, panel)
    cell = next(c for c in panel.model.view.grid.cells.values() if c.state == OPEN)
    dialog = panel.open_mark_dialog(cell, LOST)
    dialog.competitor.setText("FPT IS")
    dialog.note.setPlainText("Chose a local vendor in 2025")
    dialog.accept()
    settle(qtbot, ctx)
    qtbot.waitUntil(
        lambda: panel.model.view.grid.cell(cell.unit_id, cell.product_line).state == LOST,
        timeout=5000,
    )
    store = Store(demo[0])
    marks = read_rows(
        store,
        "SELECT status, competitor, note FROM whitespace_marks WHERE deleted_at IS NULL"
        " AND account_id = ? AND product_line = ?",
        (cell.unit_id, cell.product_line),
    )
    store.close()
    assert marks == [("lost", "FPT IS", "Chose a local vendor in 2025")]
    shown = panel.model.data(panel.model.index_of(cell.unit_id, cell.product_line))
    assert "FPT IS" in shown
    # Clearing the mark makes the cell untapped again.
    panel.clear_mark(panel.model.view.grid.cell(cell.unit_id, cell.product_line))
    settle(qtbot, ctx)
    qtbot.waitUntil(
        lambda: panel.model.view.grid.cell(cell.unit_id, cell.product_line).state == OPEN,
        timeout=5000,
    )


def test_without_an_account_the_dock_says_what_to_do(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    generate(path, accounts=3)
    window, ctx = open_app(qtbot, tmp_path, path)
    try:
        window.show_dock("dock.whitespace")
        panel = panel_of(window)
        assert panel.stack.currentWidget() is panel.empty
        assert "Select an account" in panel.empty.text()
    finally:
        close_app(window, ctx)


def test_the_grid_model_passes_the_model_tester(
    app: tuple[Any, Any], qtbot: Any, qtmodeltester: Any
) -> None:
    window, ctx = app
    panel = panel_of(window)
    wait_loaded(qtbot, ctx, panel)
    qtmodeltester.check(panel.model)


def test_totals_hold_only_the_account_currency(qapp: Any) -> None:
    """A unit buying in dollars shows dollars in its cell, but the totals (which the footer
    says leave other currencies out) show none of it."""
    from workbench.domain.whitespace import HeldFact, Unit, build_grid
    from workbench.services.whitespace import WhitespaceView
    from workbench.ui.docks.whitespace import WhitespaceModel, total_money, totals_lines

    grid = build_grid(
        [Unit("u1", "Hà Nội")],
        ["Cloud", "Security"],
        [
            HeldFact("u1", "Cloud", "VPS", 12_000, "USD", None),
            HeldFact("u1", "Security", "FW", 5_000_000, "VND", None),
        ],
        [],
        [],
    )
    model = WhitespaceModel()
    model.set_view(WhitespaceView("u1", "Hà Nội", "VND", grid, date(2026, 3, 12), 120))
    cell_text = model.data(model.index_of("u1", "Cloud"))
    dollars = fmt.money(12_000, "USD")
    assert dollars in cell_text
    total_row = model.rowCount() - 1
    for column in range(1, model.columnCount()):
        text = model.data(model.index(total_row, column))
        assert dollars not in text and "120" not in text, text
    assert total_money(grid.columns["Cloud"].held, "VND") == "–"
    held, _ = totals_lines(grid.total, "VND")
    assert held == f"Held {fmt.money(5_000_000, 'VND')}"


def test_a_held_cell_renewing_soon_or_past_is_flagged() -> None:
    from workbench.domain.whitespace import Cell
    from workbench.ui.docks.whitespace import DUE, ENDED, renewal_alert

    today = date(2026, 3, 12)
    soon = Cell("u", "Cloud", HELD, held=(("VND", 1),), renewal=today + timedelta(days=20))
    later = Cell("u", "Cloud", HELD, held=(("VND", 1),), renewal=today + timedelta(days=200))
    past = Cell("u", "Cloud", HELD, held=(("VND", 1),), renewal=today - timedelta(days=3))
    assert cell_lines(soon, "VND", today, 120)[1] == "renews in 20 days"
    assert renewal_alert(soon, today, 120) == (DUE, "renews in 20 days")
    assert renewal_alert(later, today, 120) is None
    assert cell_lines(later, "VND", today, 120)[1].startswith("renews ")
    assert renewal_alert(past, today, 120) == (ENDED, "ended 3 days ago")
    assert cell_lines(past, "VND", today, 120)[1] == "ended 3 days ago"
    assert cell_lines(soon.__class__("u", "x", OPEN), "VND", today, 120) == ("+", "")


def test_the_grid_flags_renewals_within_the_window(
    app: tuple[Any, Any], qtbot: Any, demo: Any
) -> None:
    window, ctx = app
    panel = panel_of(window)
    wait_loaded(qtbot, ctx, panel)
    view = panel.model.view
    assert view.renewal_window == 120 and view.today == date.today()
    due = [
        c
        for c in view.grid.cells.values()
        if c.state == HELD and c.renewal and (c.renewal - date.today()).days <= 120
    ]
    assert due, "the demo group has holdings renewing within the window"
    for cell in due:
        text = panel.model.data(panel.model.index_of(cell.unit_id, cell.product_line))
        assert "renews in" in text or "renews today" in text or "renews tomorrow" in text


def test_a_second_click_while_the_cross_sell_is_made_is_ignored(
    app: tuple[Any, Any], qtbot: Any, demo: Any
) -> None:
    window, ctx = app
    panel = panel_of(window)
    wait_loaded(qtbot, ctx, panel)
    cell = next(c for c in panel.model.view.grid.cells.values() if c.state == OPEN)
    panel.create_cross_sell(cell.unit_id, cell.product_line)
    assert panel.creating(cell.unit_id, cell.product_line)
    panel.confirm_box = None
    index = panel.model.index_of(cell.unit_id, cell.product_line)
    panel.table.clicked.emit(index)  # the cell still shows "+": the click asks nothing
    assert panel.confirm_box is None
    panel.create_cross_sell(cell.unit_id, cell.product_line)  # and makes nothing
    settle(qtbot, ctx)
    qtbot.waitUntil(
        lambda: panel.model.view.grid.cell(cell.unit_id, cell.product_line).state == PIPELINE,
        timeout=5000,
    )
    assert not panel.creating(cell.unit_id, cell.product_line)
    store = Store(demo[0])
    made = read_rows(
        store,
        "SELECT COUNT(*) FROM opportunities WHERE kind = 'cross_sell' AND account_id = ?"
        " AND product_line = ? AND deleted_at IS NULL",
        (cell.unit_id, cell.product_line),
    )
    store.close()
    assert made == [(1,)]


def test_a_refused_cross_sell_says_why_and_frees_the_cell(
    app: tuple[Any, Any], qtbot: Any, demo: Any
) -> None:
    window, ctx = app
    panel = panel_of(window)
    wait_loaded(qtbot, ctx, panel)
    cell = next(c for c in panel.model.view.grid.cells.values() if c.state == OPEN)
    store = Store(demo[0])
    from workbench.services.whitespace import create_cross_sell

    create_cross_sell(store, cell.unit_id, cell.product_line, None)  # another device, say
    store.close()
    messages: list[str] = []
    ctx.hub.status.connect(messages.append)
    panel.create_cross_sell(cell.unit_id, cell.product_line)  # the grid has not redrawn yet
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: any("already has an open cross-sell" in m for m in messages))
    assert not panel.creating(cell.unit_id, cell.product_line)

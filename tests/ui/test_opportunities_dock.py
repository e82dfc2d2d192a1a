"""The Opportunities dock on demo data: table and board, filters, moving a card, renewals."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.test_account_dock import close_app, open_app, settle
from workbench.demo.generator import generate
from workbench.services.opportunities import (
    OpportunityFilter,
    list_opportunities,
    read_rows,
    suggested_renewals,
)
from workbench.storage.store import Store


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    generate(path, accounts=8)
    return path


@pytest.fixture
def app(qtbot: Any, tmp_path: Path, demo: Path) -> Iterator[tuple[Any, Any]]:
    window, ctx = open_app(qtbot, tmp_path, demo)
    window.show_dock("dock.opportunities")
    settle(qtbot, ctx)
    yield window, ctx
    close_app(window, ctx)


def panel_of(window: Any) -> Any:
    return window.panels["dock.opportunities"]


def loaded(qtbot: Any, ctx: Any, panel: Any) -> None:
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: panel.loads > 0 and ctx.tasks.idle, timeout=5000)


def test_table_and_board_show_the_same_open_deals(
    app: tuple[Any, Any], qtbot: Any, demo: Path
) -> None:
    window, ctx = app
    panel = panel_of(window)
    loaded(qtbot, ctx, panel)
    store = Store(demo)
    expected = list_opportunities(store, OpportunityFilter(open_only=True))
    store.close()
    assert expected
    assert {o.id for o in panel.model.rows} == {o.id for o in expected}
    assert panel.stack.currentWidget() is panel.table
    panel.set_view("board")
    assert panel.board_shown
    on_board = {
        str(col.list.item(i).data(Qt_ID()))
        for col in panel.columns.values()
        for i in range(col.list.count())
    }
    assert on_board == {o.id for o in expected}
    assert not panel.columns["won"].isVisibleTo(panel)  # open only: no closed columns
    if os.environ.get("WORKBENCH_SHOTS"):
        shots = os.environ["WORKBENCH_SHOTS"]
        panel.renewals_button.setChecked(True)
        dock = window.docks["dock.opportunities"]
        dock.setFloating(True)
        dock.resize(1250, 640)
        qtbot.wait(50)
        panel.grab().save(os.path.join(shots, "opportunities_board.png"))
        panel.set_view("table")
        qtbot.wait(50)
        panel.grab().save(os.path.join(shots, "opportunities_table.png"))


def Qt_ID() -> Any:  # the role the board stores card ids under
    from workbench.ui.docks.opportunities import ID_DATA

    return ID_DATA


def test_filters_narrow_the_list(app: tuple[Any, Any], qtbot: Any) -> None:
    window, ctx = app
    panel = panel_of(window)
    loaded(qtbot, ctx, panel)
    everything = len(panel.model.rows)
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("renewal"))
    settle(qtbot, ctx)
    assert all(o.kind == "renewal" for o in panel.model.rows)
    panel.kind_combo.setCurrentIndex(0)
    settle(qtbot, ctx)
    first = panel.model.rows[0].account_name
    panel.account_edit.setText(first.split()[-1])
    qtbot.waitUntil(lambda: len(panel.model.rows) < everything, timeout=5000)
    settle(qtbot, ctx)
    assert all(first.split()[-1].lower() in o.account_name.lower() for o in panel.model.rows)
    panel.account_edit.setText("no such account anywhere")
    qtbot.waitUntil(lambda: not panel.model.rows, timeout=5000)
    assert panel.stack.currentWidget() is panel.empty


def test_moving_a_card_changes_the_stage_in_the_database(
    app: tuple[Any, Any], qtbot: Any, demo: Path
) -> None:
    window, ctx = app
    panel = panel_of(window)
    loaded(qtbot, ctx, panel)
    panel.set_view("board")
    column = panel.columns["qualify"]
    if column.list.count() == 0:
        column = next(c for c in panel.columns.values() if c.list.count())
    card = column.list.item(0)
    opportunity_id = str(card.data(Qt_ID()))
    column.list.setCurrentItem(card)
    assert panel.selected() is not None and panel.selected().id == opportunity_id
    panel.step_selected(+1)  # what Ctrl+Right does
    settle(qtbot, ctx)
    store = Store(demo)
    stage = read_rows(store, "SELECT stage FROM opportunities WHERE id = ?", (opportunity_id,))
    assert stage[0][0] != column.stage
    panel.move_to(opportunity_id, "won")  # the "Move to" menu's action
    settle(qtbot, ctx)
    row = read_rows(
        store, "SELECT stage, probability FROM opportunities WHERE id = ?", (opportunity_id,)
    )
    store.close()
    assert row == [("won", 100)]
    # Undo puts it back where it was.
    ctx.undo.undo()
    settle(qtbot, ctx)
    store = Store(demo)
    row = read_rows(store, "SELECT stage FROM opportunities WHERE id = ?", (opportunity_id,))
    store.close()
    assert row[0][0] != "won"


def test_renewals_are_created_once_only(app: tuple[Any, Any], qtbot: Any, demo: Path) -> None:
    window, ctx = app
    panel = panel_of(window)
    loaded(qtbot, ctx, panel)
    store = Store(demo)
    due = suggested_renewals(store, ctx.current_user_id)
    store.close()
    assert [s.holding_id for s in panel.renewals] == [s.holding_id for s in due]
    if not due:
        pytest.skip("the demo user has no renewal due")
    panel.renewals_button.setChecked(True)
    assert panel.renewal_list.count() == len(due)
    panel.create_renewals_button.click()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: not panel.renewals, timeout=5000)
    assert not panel.create_renewals_button.isEnabled()
    panel.create_renewals()  # a second press finds nothing left to create
    settle(qtbot, ctx)
    store = Store(demo)
    counts = read_rows(
        store,
        "SELECT holding_id, COUNT(*) FROM opportunities WHERE kind = 'renewal'"
        " AND deleted_at IS NULL AND holding_id IS NOT NULL GROUP BY holding_id",
    )
    store.close()
    per_holding = dict(counts)
    assert all(per_holding[s.holding_id] == 1 for s in due)


def test_dialog_validates_then_saves(app: tuple[Any, Any], qtbot: Any, demo: Path) -> None:
    window, ctx = app
    panel = panel_of(window)
    loaded(qtbot, ctx, panel)
    panel.new_item()
    dialog = panel.dialog
    qtbot.waitUntil(lambda: dialog.ready, timeout=5000)
    dialog.account.setEditText("")
    dialog.name_edit.setText("  ")
    dialog.amount_edit.setText("-5")
    dialog.probability_edit.setText("150")
    dialog.save()
    settle(qtbot, ctx)
    assert dialog.form.error_of("name")
    assert dialog.form.error_of("amount")
    assert dialog.form.error_of("probability")
    assert dialog.form.error_of("account_id")
    store = Store(demo)
    account = read_rows(store, "SELECT name FROM accounts WHERE parent_id IS NULL LIMIT 1")[0][0]
    store.close()
    dialog.account.setEditText(account)
    dialog.name_edit.setText("Data platform pilot")
    dialog.amount_edit.setText("1000000")
    dialog.probability_edit.setText("40")
    dialog.save()
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    store = Store(demo)
    made = [o for o in list_opportunities(store) if o.name == "Data platform pilot"]
    store.close()
    assert len(made) == 1 and made[0].probability == 40 and made[0].amount_minor > 0


def test_the_table_model_passes_the_model_tester(
    app: tuple[Any, Any], qtbot: Any, qtmodeltester: Any
) -> None:
    window, ctx = app
    panel = panel_of(window)
    loaded(qtbot, ctx, panel)
    qtmodeltester.check(panel.model)


def test_reopening_a_won_deal_in_the_dialog_resets_its_probability(
    app: tuple[Any, Any], qtbot: Any, demo: Path
) -> None:
    """Won is 100 %; back in an open stage it takes that stage's usual probability, as a move
    on the board does, so the weighted pipeline is not inflated."""
    from workbench.domain.pipeline import STAGE_PROBABILITY
    from workbench.ui.dialogs.opportunity_dialog import OpportunityDialog
    from workbench.ui.widgets.fields import select

    window, ctx = app
    store = Store(demo)
    won = read_rows(store, "SELECT id FROM opportunities WHERE stage = 'won' LIMIT 1")
    store.close()
    assert won, "the demo has won deals"
    dialog = OpportunityDialog(ctx, str(won[0][0]), window)
    qtbot.waitUntil(lambda: dialog.ready, timeout=5000)
    assert dialog.probability_edit.text() == "100"
    select(dialog.stage_combo, "develop")
    assert dialog.probability_edit.text() == str(STAGE_PROBABILITY["develop"])
    dialog.probability_edit.setText("45")  # the user's own estimate, kept between open stages
    select(dialog.stage_combo, "propose")
    assert dialog.probability_edit.text() == "45"
    select(dialog.stage_combo, "lost")
    assert dialog.probability_edit.text() == "0"
    dialog.reject()


def test_the_footer_keeps_open_won_and_lost_apart(
    app: tuple[Any, Any], qtbot: Any, demo: Path
) -> None:
    from workbench.ui import fmt

    window, ctx = app
    panel = panel_of(window)
    loaded(qtbot, ctx, panel)
    panel.open_check.setChecked(False)
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: any(not o.is_open for o in panel.model.rows), timeout=5000)
    items = panel.items
    open_pairs = [(o.currency, o.amount_minor) for o in items if o.is_open]
    won_pairs = [(o.currency, o.amount_minor) for o in items if o.stage == "won"]
    text = panel.totals.text()
    assert f"open pipeline {fmt.money_by_currency(open_pairs)}" in text
    assert f"Won {fmt.money_by_currency(won_pairs)}" in text
    everything = fmt.money_by_currency((o.currency, o.amount_minor) for o in items)
    assert everything not in text  # won and lost are never added to the pipeline
    panel.open_check.setChecked(True)
    settle(qtbot, ctx)
    qtbot.waitUntil(lambda: all(o.is_open for o in panel.model.rows), timeout=5000)
    assert "Won" not in panel.totals.text() and "Lost" not in panel.totals.text()

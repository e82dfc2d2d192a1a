"""Whitespace cells: precedence of held, pipeline, marks and open; totals per currency."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.whitespace import (
    HELD,
    LOST,
    NOT_RELEVANT,
    OPEN,
    PIPELINE,
    DealFact,
    HeldFact,
    MarkFact,
    Unit,
    add_amounts,
    build_grid,
    split_amounts,
)

UNITS = [Unit("u1", "Hà Nội"), Unit("u2", "Sài Gòn")]
LINES = ["Cloud", "Payments", "Security"]


def test_each_state_and_its_detail() -> None:
    grid = build_grid(
        UNITS,
        LINES,
        [
            HeldFact("u1", "Cloud", "VPS", 100, "VND", date(2026, 9, 1)),
            HeldFact("u1", "Cloud", "Backup", 50, "VND", date(2026, 6, 1)),
        ],
        [
            DealFact("d1", "u1", "Payments", "QR", "develop", 30, "VND"),
            DealFact("d2", "u1", "Payments", "POS", "negotiate", 20, "VND"),
            DealFact("d3", "u1", "Payments", "Old", "won", 999, "VND"),  # closed: ignored
        ],
        [
            MarkFact("m1", "u2", "Cloud", "lost", "FPT", "2025 tender"),
            MarkFact("m2", "u2", "Payments", "not_relevant", "", "no retail"),
        ],
    )
    held = grid.cell("u1", "Cloud")
    assert held.state == HELD and held.held == (("VND", 150),)
    assert held.renewal == date(2026, 6, 1) and held.products == ("Backup", "VPS")
    deal = grid.cell("u1", "Payments")
    assert deal.state == PIPELINE and deal.stage == "negotiate" and deal.pipeline == (("VND", 50),)
    lost = grid.cell("u2", "Cloud")
    assert lost.state == LOST and lost.competitor == "FPT" and lost.note == "2025 tender"
    assert grid.cell("u2", "Payments").state == NOT_RELEVANT
    assert grid.cell("u2", "Security").state == OPEN
    assert grid.count(OPEN) == 2


def test_held_wins_and_a_mark_under_it_is_kept_but_not_shown() -> None:
    grid = build_grid(
        UNITS,
        LINES,
        [HeldFact("u1", "Cloud", "VPS", 100, "VND", None)],
        [DealFact("d", "u1", "Cloud", "Upsell", "propose", 40, "VND")],
        [MarkFact("m", "u1", "Cloud", "lost", "FPT"), MarkFact("n", "u1", "Payments", "lost")],
    )
    cell = grid.cell("u1", "Cloud")
    assert cell.state == HELD and cell.mark_id == "m"
    assert cell.pipeline == (("VND", 40),)  # an upsell on a held line still counts
    assert grid.total.pipeline == (("VND", 40),)


def test_the_last_mark_of_a_cell_wins() -> None:
    grid = build_grid(
        UNITS,
        LINES,
        [],
        [],
        [MarkFact("a", "u1", "Cloud", "lost"), MarkFact("b", "u1", "Cloud", "not_relevant")],
    )
    assert grid.cell("u1", "Cloud").state == NOT_RELEVANT


def test_currencies_are_never_added() -> None:
    grid = build_grid(
        UNITS,
        LINES,
        [
            HeldFact("u1", "Cloud", "VPS", 100, "VND", None),
            HeldFact("u2", "Cloud", "VPS", 250, "USD", None),
        ],
        [],
        [],
    )
    assert grid.columns["Cloud"].held == (("USD", 250), ("VND", 100))
    assert split_amounts(grid.total.held, "VND") == (100, (("USD", 250),))


currencies = st.sampled_from(["VND", "USD", "EUR"])
units = st.sampled_from([u.id for u in UNITS])
lines = st.sampled_from(LINES)
stages = st.sampled_from(["qualify", "develop", "propose", "negotiate", "won", "lost"])


@given(
    st.lists(st.tuples(units, lines, st.integers(0, 10**12), currencies), max_size=20),
    st.lists(st.tuples(units, lines, st.integers(0, 10**12), currencies, stages), max_size=20),
)
def test_totals_equal_the_sum_of_the_cells(
    held: list[tuple[str, str, int, str]], deals: list[tuple[str, str, int, str, str]]
) -> None:
    grid = build_grid(
        UNITS,
        LINES,
        [HeldFact(u, line, "P", v, c, None) for u, line, v, c in held],
        [DealFact(str(i), u, line, "D", s, v, c) for i, (u, line, v, c, s) in enumerate(deals)],
        [],
    )
    cells = list(grid.cells.values())
    assert grid.total.held == add_amounts(*(c.held for c in cells))
    assert grid.total.pipeline == add_amounts(*(c.pipeline for c in cells))
    assert grid.total.held == add_amounts(*(t.held for t in grid.rows.values()))
    assert grid.total.held == add_amounts(*(t.held for t in grid.columns.values()))
    assert grid.total.pipeline == add_amounts(*(t.pipeline for t in grid.rows.values()))
    assert grid.total.pipeline == add_amounts(*(t.pipeline for t in grid.columns.values()))
    for unit in UNITS:
        row = [grid.cell(unit.id, line) for line in LINES]
        assert grid.rows[unit.id].held == add_amounts(*(c.held for c in row))
    # Against the raw facts: everything held counts, only open deals do.
    assert grid.total.held == add_amounts((c, v) for _, _, v, c in held)
    open_deals = [(c, v) for _, _, v, c, s in deals if s not in ("won", "lost")]
    assert grid.total.pipeline == add_amounts(open_deals)


def test_grid_lines_keep_the_catalogue_order_then_data_lines_once() -> None:
    from workbench.domain.whitespace import grid_lines

    # "Cloud" is in the catalogue and held; "Legacy" (retired) is held and in a deal: once each.
    # The old `held | deals - catalogue` repeated a held catalogue line.
    lines = grid_lines(["Cloud", "Payments", ""], ["Cloud", "Legacy", "Legacy", "", "Payments"])
    assert lines == ("Cloud", "Payments", "Legacy")


@given(
    st.lists(st.sampled_from(["A", "B", "C", ""]), max_size=6),
    st.lists(st.sampled_from(["A", "B", "D", "E", ""]), max_size=10),
)
def test_grid_lines_have_no_repeats_and_cover_everything(
    catalogue: list[str], data: list[str]
) -> None:
    from workbench.domain.whitespace import grid_lines

    lines = grid_lines(catalogue, data)
    assert len(lines) == len(set(lines)) and "" not in lines
    assert set(lines) == {x for x in [*catalogue, *data] if x}


def test_renewal_days_only_within_the_window() -> None:
    from workbench.domain.whitespace import renewal_days

    today = date(2026, 3, 12)
    assert renewal_days(None, today, 120) is None
    assert renewal_days(date(2026, 3, 22), today, 120) == 10
    assert renewal_days(today, today, 120) == 0
    assert renewal_days(date(2026, 3, 10), today, 120) == -2  # past: flagged too
    assert renewal_days(today + timedelta(days=121), today, 120) is None
    assert renewal_days(today + timedelta(days=120), today, 120) == 120

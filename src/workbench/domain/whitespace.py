"""The whitespace grid: an account's business units × our product lines, each cell computed.

A cell is, in this order of precedence:

1. **held**: the unit holds at least one live product of the line. Shows the sum of the
   annual values of those holdings and the earliest renewal (end) date.
2. **pipeline**: no holding, but open opportunities of the line at the unit. Shows the most
   advanced open stage and the total open amount.
3. **lost** / **not_relevant**: neither of the above, and the user marked the cell (lost to a
   competitor, or not relevant, with a note).
4. **open**: nothing of the above: whitespace, where the next deal is.

Why held wins over everything: what the client holds is a fact; a mark is an opinion given
when the cell was empty, so a mark on a cell that later becomes held (or gets a deal) is kept
but not shown. Every cell carries both its held value and its open pipeline amount (an upsell
on a held line is real pipeline), so the totals count everything whatever the cell shows.

Money is never added across currencies: amounts are kept per currency; the grid shows the
account's currency and lists others apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from workbench.domain.money import sum_by_currency
from workbench.domain.pipeline import is_open, most_advanced

HELD = "held"
PIPELINE = "pipeline"
LOST = "lost"
NOT_RELEVANT = "not_relevant"
OPEN = "open"
STATES = (HELD, PIPELINE, LOST, NOT_RELEVANT, OPEN)

#: Amounts per currency: ((currency, minor units), ...), sorted by currency, no zero entries.
Amounts = tuple[tuple[str, int], ...]


#: The per-currency sum of any number of amount lists (one shared rule, in domain.money).
add_amounts = sum_by_currency


def split_amounts(amounts: Amounts, currency: str) -> tuple[int, Amounts]:
    """The amount in `currency` (0 if none) and the other currencies apart."""
    main = sum(m for c, m in amounts if c == currency)
    return main, tuple((c, m) for c, m in amounts if c != currency)


def grid_lines(catalogue: Iterable[str], data_lines: Iterable[str]) -> tuple[str, ...]:
    """The grid's columns: the catalogue's product lines in its order, then lines that only
    appear in data (a line since retired from the catalogue), sorted; no blanks, no repeats."""
    known = tuple(dict.fromkeys(x for x in catalogue if x))
    extra = sorted({x for x in data_lines if x} - set(known))
    return (*known, *extra)


def renewal_days(renewal: date | None, today: date, window_days: int) -> int | None:
    """Days from `today` to a held cell's renewal when it falls within the renewal window
    (negative once past), else None: the cell to flag before the renewal is missed."""
    if renewal is None:
        return None
    days = (renewal - today).days
    return days if days <= window_days else None


# -- what goes in ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    id: str
    name: str


@dataclass(frozen=True)
class HeldFact:
    unit_id: str
    product_line: str
    product_name: str
    annual_value_minor: int
    currency: str
    end_date: date | None


@dataclass(frozen=True)
class DealFact:
    id: str
    unit_id: str
    product_line: str
    name: str
    stage: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class MarkFact:
    id: str
    unit_id: str
    product_line: str
    status: str  # WhitespaceStatus
    competitor: str = ""
    note: str = ""


# -- what comes out ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    unit_id: str
    product_line: str
    state: str
    held: Amounts = ()
    renewal: date | None = None  # earliest end date of the held products
    products: tuple[str, ...] = ()  # names of the held products
    stage: str | None = None  # most advanced open stage
    pipeline: Amounts = ()
    deals: tuple[str, ...] = ()  # names of the open opportunities
    mark_id: str | None = None  # the user's mark, kept even when not shown
    mark_status: str | None = None
    competitor: str = ""
    note: str = ""


@dataclass(frozen=True)
class Totals:
    held: Amounts = ()
    pipeline: Amounts = ()


@dataclass(frozen=True)
class Grid:
    units: tuple[Unit, ...]
    lines: tuple[str, ...]
    cells: Mapping[tuple[str, str], Cell] = field(default_factory=dict)  # (unit id, line)
    rows: Mapping[str, Totals] = field(default_factory=dict)  # by unit id
    columns: Mapping[str, Totals] = field(default_factory=dict)  # by product line
    total: Totals = Totals()

    def cell(self, unit_id: str, line: str) -> Cell:
        return self.cells[(unit_id, line)]

    def count(self, state: str) -> int:
        return sum(1 for c in self.cells.values() if c.state == state)


def build_grid(
    units: Iterable[Unit],
    lines: Iterable[str],
    holdings: Iterable[HeldFact],
    deals: Iterable[DealFact],
    marks: Iterable[MarkFact],
) -> Grid:
    """Compute every cell and the totals. Facts of units or lines not in the grid are ignored;
    closed deals are ignored; of several marks on one cell the last one given wins (the caller
    orders them oldest first)."""
    unit_list = tuple(units)
    line_list = tuple(dict.fromkeys(lines))
    keys = {(u.id, line) for u in unit_list for line in line_list}
    held: dict[tuple[str, str], list[HeldFact]] = {}
    for h in holdings:
        if (h.unit_id, h.product_line) in keys:
            held.setdefault((h.unit_id, h.product_line), []).append(h)
    open_deals: dict[tuple[str, str], list[DealFact]] = {}
    for d in deals:
        if (d.unit_id, d.product_line) in keys and is_open(d.stage):
            open_deals.setdefault((d.unit_id, d.product_line), []).append(d)
    mark_of: dict[tuple[str, str], MarkFact] = {}
    for m in marks:
        if (m.unit_id, m.product_line) in keys:
            mark_of[(m.unit_id, m.product_line)] = m

    cells: dict[tuple[str, str], Cell] = {}
    for unit in unit_list:
        for line in line_list:
            key = (unit.id, line)
            cells[key] = _cell(
                unit.id, line, held.get(key, []), open_deals.get(key, []), mark_of.get(key)
            )

    rows = {u.id: _sum(cells[(u.id, line)] for line in line_list) for u in unit_list}
    columns = {line: _sum(cells[(u.id, line)] for u in unit_list) for line in line_list}
    total = _sum(cells.values())
    return Grid(unit_list, line_list, cells, rows, columns, total)


def _sum(cells: Iterable[Cell]) -> Totals:
    chosen = list(cells)
    return Totals(
        add_amounts(*(c.held for c in chosen)), add_amounts(*(c.pipeline for c in chosen))
    )


def _cell(
    unit_id: str,
    line: str,
    holdings: list[HeldFact],
    deals: list[DealFact],
    mark: MarkFact | None,
) -> Cell:
    held = add_amounts((h.currency, h.annual_value_minor) for h in holdings)
    pipeline = add_amounts((d.currency, d.amount_minor) for d in deals)
    ends = [h.end_date for h in holdings if h.end_date is not None]
    base = Cell(
        unit_id,
        line,
        OPEN,
        held=held,
        renewal=min(ends) if ends else None,
        products=tuple(sorted({h.product_name for h in holdings})),
        stage=most_advanced(d.stage for d in deals),
        pipeline=pipeline,
        deals=tuple(d.name for d in deals),
        mark_id=mark.id if mark else None,
        mark_status=mark.status if mark else None,
        competitor=mark.competitor if mark else "",
        note=mark.note if mark else "",
    )
    if holdings:
        state = HELD
    elif deals:
        state = PIPELINE
    elif mark is not None and mark.status in (LOST, NOT_RELEVANT):
        state = mark.status
    else:
        state = OPEN
    return replace(base, state=state)

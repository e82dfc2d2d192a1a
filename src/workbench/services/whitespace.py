"""The whitespace grid of an account, the user's marks on it, and cross-sells made from a cell.

Business units are the account's live child accounts; an account without any is its own single
unit. When a group account with children also holds products (or has deals or marks) in its
own name, it gets a row of its own first, so nothing it holds disappears from the grid.

The read is one query per table (accounts, products, holdings, opportunities, marks), whatever
the size of the grid; the cells are computed by `domain.whitespace.build_grid`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workbench.domain.changes import ChangeSet
from workbench.domain.enums import WhitespaceStatus
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.pipeline import (
    OPEN_STAGES,
    STAGE_PROBABILITY,
    OpportunityDraft,
    clean_opportunity,
    deal_name,
)
from workbench.domain.whitespace import (
    DealFact,
    Grid,
    HeldFact,
    MarkFact,
    Unit,
    build_grid,
    grid_lines,
)
from workbench.services.opportunities import read_rows, renewal_window
from workbench.services.results import Saved
from workbench.storage.sql import as_date, marks, rows
from workbench.storage.store import Store

CROSS_SELL_DAYS = 90  # a cross-sell made from a cell is expected to close in a quarter


@dataclass(frozen=True)
class WhitespaceView:
    account_id: str
    account_name: str
    currency: str
    grid: Grid
    today: date = date.min  # the day the grid was read for (held = running on that day)
    renewal_window: int = 0  # days: a held cell renewing this soon is flagged

    def unit_name(self, unit_id: str) -> str:
        return next((u.name for u in self.grid.units if u.id == unit_id), "")


def whitespace(store: Store, account_id: str, today: date | None = None) -> WhitespaceView | None:
    """The grid of `account_id`, or None when the account does not exist (or is archived).

    Only holdings still running count as held: one that ended before `today` is a lost client
    (or a renewal to chase), not revenue, and its cell is whitespace again.
    """
    today = today or date.today()
    accounts = read_rows(
        store,
        "SELECT id, name, currency, parent_id FROM accounts WHERE deleted_at IS NULL"
        " AND (id = ? OR parent_id = ?) ORDER BY name_folded",
        (account_id, account_id),
    )
    top = next((r for r in accounts if r[0] == account_id), None)
    if top is None:
        return None
    children = [Unit(r[0], r[1]) for r in accounts if r[0] != account_id]
    ids = [account_id, *(u.id for u in children)]
    q = marks(len(ids))
    catalogue = [
        r[0]
        for r in read_rows(
            store,
            "SELECT DISTINCT product_line FROM products WHERE deleted_at IS NULL"
            " AND product_line <> '' ORDER BY product_line",
        )
    ]
    held = [
        HeldFact(r[0], r[1], r[2], int(r[3] or 0), r[4], as_date(r[5]))
        for r in read_rows(
            store,
            "SELECT h.account_id, p.product_line, p.name, h.annual_value_minor, h.currency,"
            " h.end_date FROM holdings h JOIN products p ON p.id = h.product_id"
            f" WHERE h.deleted_at IS NULL AND h.account_id IN ({q})"
            " AND (h.end_date IS NULL OR h.end_date >= ?)",
            (*ids, today.isoformat()),
        )
    ]
    deals = [
        DealFact(r[0], r[1], r[2] or r[7] or "", r[3], r[4], int(r[5] or 0), r[6])
        for r in read_rows(
            store,
            "SELECT o.id, o.account_id, o.product_line, o.name, o.stage, o.amount_minor,"
            " o.currency, hp.product_line FROM opportunities o"
            " LEFT JOIN holdings hh ON hh.id = o.holding_id"
            " LEFT JOIN products hp ON hp.id = hh.product_id"
            f" WHERE o.deleted_at IS NULL AND o.account_id IN ({q})",
            ids,
        )
    ]
    user_marks = [
        MarkFact(r[0], r[1], r[2], r[3], r[4] or "", r[5] or "")
        for r in read_rows(
            store,
            "SELECT id, account_id, product_line, status, competitor, note FROM whitespace_marks"
            f" WHERE deleted_at IS NULL AND account_id IN ({q}) ORDER BY updated_at, id",
            ids,
        )
    ]
    # Lines that only appear in data (a product line since retired) still get a column.
    lines = grid_lines(
        catalogue, [*(h.product_line for h in held), *(d.product_line for d in deals)]
    )
    units = children or [Unit(account_id, top[1])]
    if children and (
        any(h.unit_id == account_id for h in held)
        or any(d.unit_id == account_id and d.product_line for d in deals)
        or any(m.unit_id == account_id for m in user_marks)
    ):
        units = [Unit(account_id, top[1]), *children]
    grid = build_grid(units, lines, held, deals, user_marks)
    return WhitespaceView(account_id, top[1], top[2] or "VND", grid, today, renewal_window(store))


def _cell_marks(session: Any, unit_id: str, product_line: str) -> list[str]:
    return [
        r[0]
        for r in rows(
            session,
            "SELECT id FROM whitespace_marks WHERE deleted_at IS NULL AND account_id = ?"
            " AND product_line = ? ORDER BY updated_at, id",
            (unit_id, product_line),
        )
    ]


def set_mark(
    store: Store,
    unit_id: str,
    product_line: str,
    status: str,
    competitor: str = "",
    note: str = "",
) -> Saved:
    """Mark a cell lost (to a competitor) or not relevant, with a note. A cell has one mark:
    an existing one is rewritten (extras, e.g. made on two devices offline, are archived)."""
    errors: list[FieldError] = []
    if status not in {s.value for s in WhitespaceStatus}:
        errors.append(
            FieldError(
                "status", "choice.invalid", "{value} is not a valid choice", {"value": status}
            )
        )
    line = product_line.strip()
    if not unit_id or not line:
        errors.append(
            FieldError("product_line", "whitespace.cell_required", "Pick a cell of the grid")
        )
    if errors:
        raise ValidationError(errors)
    values = {
        "account_id": unit_id,
        "product_line": line,
        "status": status,
        "competitor": " ".join(competitor.split()) if status == WhitespaceStatus.LOST else "",
        "note": note.strip(),
    }
    with store.unit() as uow:
        existing = _cell_marks(uow.session, unit_id, line)
        if existing:
            keep = existing[-1]
            uow.update("whitespace_marks", keep, values)
            for extra in existing[:-1]:
                uow.archive("whitespace_marks", extra)
        else:
            keep = uow.insert("whitespace_marks", values)
        return Saved(keep, uow.commit())


def clear_mark(store: Store, unit_id: str, product_line: str) -> ChangeSet:
    """Take the user's mark off a cell (archived, so undo and sync see it)."""
    with store.unit() as uow:
        existing = _cell_marks(uow.session, unit_id, product_line)
        for mark_id in existing:
            uow.archive("whitespace_marks", mark_id)
        return uow.commit()


def create_cross_sell(
    store: Store,
    unit_id: str,
    product_line: str,
    owner_id: str | None,
    today: date | None = None,
) -> Saved:
    """A cross-sell opportunity for one cell: at the unit, for the line, owned by the user,
    in qualify at 10 %, closing in 90 days, in the unit's currency. Returns its id.

    Refused when the unit already has an open cross-sell for the line (a second click on the
    same "+" before the grid redrew, or a second device): one gap, one deal to work on.
    """
    line = product_line.strip()
    with store.unit() as uow:
        found = rows(
            uow.session,
            "SELECT name, currency FROM accounts WHERE id = ? AND deleted_at IS NULL",
            (unit_id,),
        )
        if not found:
            raise ValidationError.single(
                "account_id", "opportunity.account_required", "Pick an account"
            )
        name, currency = found[0]
        existing = rows(
            uow.session,
            "SELECT name FROM opportunities WHERE deleted_at IS NULL AND kind = 'cross_sell'"
            f" AND account_id = ? AND product_line = ? AND stage IN ({marks(len(OPEN_STAGES))})"
            " ORDER BY created_at LIMIT 1",
            (unit_id, line, *OPEN_STAGES),
        )
        if existing:
            raise ValidationError.single(
                "product_line",
                "whitespace.cross_sell_exists",
                "{unit} already has an open cross-sell for {line}: {name}",
                unit=name,
                line=line,
                name=existing[0][0],
            )
        values = clean_opportunity(
            OpportunityDraft(
                account_id=unit_id,
                name=deal_name(line, name),
                kind="cross_sell",
                stage="qualify",
                amount_minor=0,
                currency=currency or "VND",
                probability=STAGE_PROBABILITY["qualify"],
                close_date=(today or date.today()) + timedelta(days=CROSS_SELL_DAYS),
                owner_id=owner_id or None,
                product_line=line,
            )
        )
        new_id = uow.insert("opportunities", values)
        return Saved(new_id, uow.commit())

"""The farming pipeline: list, create, edit, move and archive opportunities; suggest renewals.

Reads are single SQL statements over the session that storage hands out (services import no
SQLAlchemy): one query per table or join, never one per row. Every write is one unit of work
and returns its ChangeSet, so the dock can publish it and undo it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from workbench.domain.changes import ChangeSet
from workbench.domain.errors import ValidationError
from workbench.domain.pipeline import (
    DEFAULT_RENEWAL_WINDOW_DAYS,
    OPEN_STAGES,
    RENEWAL_PROBABILITY,
    STAGE_ORDER,
    HoldingFact,
    OpportunityDraft,
    RenewalFact,
    RenewalSuggestion,
    clean_opportunity,
    clean_window,
    probability_after_move,
    renewal_suggestions,
    weighted,
)
from workbench.domain.text import fold
from workbench.services.results import Saved
from workbench.storage.sql import Row, as_date, marks, rows
from workbench.storage.store import Store, UnitOfWork

WINDOW_SETTING = "renewal_window_days"


# -- plain SQL over storage's session ----------------------------------------------------------
def read_rows(store: Store, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    """`storage.sql.rows` in a read transaction of its own (one statement, one read)."""
    with store.read() as q:
        return rows(q.session, sql, params)


# -- reading -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpportunityItem:
    id: str
    account_id: str
    account_name: str
    name: str
    kind: str
    stage: str
    amount_minor: int
    currency: str
    probability: int
    close_date: date | None
    owner_id: str | None
    owner_name: str
    product_line: str = ""
    holding_id: str | None = None
    notes: str = ""

    @property
    def weighted_minor(self) -> int:
        return weighted(self.amount_minor, self.probability)

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


@dataclass(frozen=True)
class OpportunityFilter:
    owner_id: str | None = None
    kind: str | None = None
    account_text: str = ""
    account_id: str | None = None
    open_only: bool = False


_SELECT = (
    "SELECT o.id, o.account_id, a.name, o.name, o.kind, o.stage, o.amount_minor, o.currency,"
    " o.probability, o.close_date, o.owner_id, COALESCE(u.name, ''), o.product_line,"
    " o.holding_id, o.notes"
    " FROM opportunities o JOIN accounts a ON a.id = o.account_id"
    " LEFT JOIN users u ON u.id = o.owner_id"
    " WHERE o.deleted_at IS NULL AND a.deleted_at IS NULL"
)


def _item(r: tuple[Any, ...]) -> OpportunityItem:
    return OpportunityItem(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        int(r[6] or 0),
        r[7],
        int(r[8] or 0),
        as_date(r[9]),
        r[10],
        r[11],
        r[12] or "",
        r[13],
        r[14] or "",
    )


def list_opportunities(
    store: Store, f: OpportunityFilter = OpportunityFilter()
) -> list[OpportunityItem]:
    """Live opportunities of live accounts matching `f`, by close date (undated last)."""
    sql = _SELECT
    params: list[Any] = []
    if f.owner_id:
        sql += " AND o.owner_id = ?"
        params.append(f.owner_id)
    if f.kind:
        sql += " AND o.kind = ?"
        params.append(f.kind)
    if f.account_id:
        sql += " AND o.account_id = ?"
        params.append(f.account_id)
    if f.open_only:
        sql += f" AND o.stage IN ({marks(len(OPEN_STAGES))})"
        params.extend(OPEN_STAGES)
    text = fold(f.account_text.strip())
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        sql += " AND a.name_folded LIKE ? ESCAPE '\\'"
        params.append(f"%{escaped}%")
    sql += " ORDER BY o.close_date IS NULL, o.close_date, a.name_folded, o.name"
    return [_item(r) for r in read_rows(store, sql, params)]


def get_opportunity(store: Store, opportunity_id: str) -> OpportunityItem | None:
    found = read_rows(store, _SELECT + " AND o.id = ?", (opportunity_id,))
    return _item(found[0]) if found else None


def draft_of(item: OpportunityItem) -> OpportunityDraft:
    return OpportunityDraft(
        account_id=item.account_id,
        name=item.name,
        kind=item.kind,
        stage=item.stage,
        amount_minor=item.amount_minor,
        currency=item.currency,
        probability=item.probability,
        close_date=item.close_date,
        owner_id=item.owner_id,
        product_line=item.product_line,
        holding_id=item.holding_id,
        notes=item.notes,
    )


def product_lines(store: Store) -> list[str]:
    """Our product lines, from the live catalogue."""
    found = read_rows(
        store,
        "SELECT DISTINCT product_line FROM products WHERE deleted_at IS NULL"
        " AND product_line <> '' ORDER BY product_line",
    )
    return [r[0] for r in found]


# -- writing -----------------------------------------------------------------------------------
def create_opportunity(store: Store, draft: OpportunityDraft) -> Saved:
    values = clean_opportunity(draft)
    with store.unit() as uow:
        new_id = uow.insert("opportunities", values)
        return Saved(new_id, uow.commit())


def update_opportunity(store: Store, opportunity_id: str, draft: OpportunityDraft) -> Saved:
    values = clean_opportunity(draft)
    with store.unit() as uow:
        uow.update("opportunities", opportunity_id, values)
        return Saved(opportunity_id, uow.commit())


def archive_opportunity(store: Store, opportunity_id: str) -> ChangeSet:
    with store.unit() as uow:
        uow.archive("opportunities", opportunity_id)
        return uow.commit()


def move_stage(store: Store, opportunity_id: str, stage: str) -> ChangeSet:
    """Move a deal to `stage`: won sets the probability to 100, lost to 0 (domain rule)."""
    if stage not in STAGE_ORDER:
        raise ValidationError.single(
            "stage", "choice.invalid", "{value} is not a valid choice", value=stage
        )
    with store.unit() as uow:
        before = uow.values("opportunities", opportunity_id)
        if before["stage"] == stage:
            return uow.commit()
        probability = probability_after_move(before["stage"], stage, int(before["probability"]))
        uow.update("opportunities", opportunity_id, {"stage": stage, "probability": probability})
        return uow.commit()


# -- renewals ----------------------------------------------------------------------------------
def renewal_window(store: Store) -> int:
    raw = store.setting(WINDOW_SETTING, "")
    try:
        return clean_window(raw)
    except ValidationError:
        return DEFAULT_RENEWAL_WINDOW_DAYS


def set_renewal_window(store: Store, days: int) -> int:
    value = clean_window(days)
    store.set_setting(WINDOW_SETTING, str(value))
    return value


def _scope_sql(user_id: str | None) -> tuple[str, list[Any]]:
    """Accounts a user looks after: owned, or on the account team. None: every account."""
    if not user_id:
        return "", []
    return (
        " AND (a.owner_id = ? OR EXISTS (SELECT 1 FROM account_team t WHERE"
        " t.account_id = a.id AND t.user_id = ? AND t.deleted_at IS NULL))",
        [user_id, user_id],
    )


def _suggest(
    session: Any, today: date, window: int, user_id: str | None
) -> list[RenewalSuggestion]:
    scope, scope_params = _scope_sql(user_id)
    last = date.fromordinal(today.toordinal() + max(0, window))
    held = rows(
        session,
        "SELECT h.id, h.account_id, a.name, p.name, p.product_line, h.end_date,"
        " h.annual_value_minor, h.currency, a.owner_id"
        " FROM holdings h JOIN accounts a ON a.id = h.account_id"
        " JOIN products p ON p.id = h.product_id"
        " WHERE h.deleted_at IS NULL AND a.deleted_at IS NULL"
        " AND h.end_date >= ? AND h.end_date <= ?" + scope,
        [today.isoformat(), last.isoformat(), *scope_params],
    )
    facts = [
        HoldingFact(r[0], r[1], r[2], r[3], r[4], as_date(r[5]), int(r[6] or 0), r[7], r[8])
        for r in held
    ]
    ids = [f.id for f in facts]
    account_ids = sorted({f.account_id for f in facts})
    renewals: list[RenewalFact] = []
    columns = "SELECT holding_id, stage, close_date, account_id, product_line FROM opportunities"
    live = " WHERE deleted_at IS NULL AND kind = 'renewal'"
    for keys, where in (
        (ids, "holding_id IN ({})"),  # renewals of these holdings
        (account_ids, "holding_id IS NULL AND account_id IN ({})"),  # typed by hand
    ):
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            renewals.extend(
                RenewalFact(r[0], r[1], as_date(r[2]), r[3], r[4] or "")
                for r in rows(
                    session, f"{columns}{live} AND {where.format(marks(len(chunk)))}", chunk
                )
            )
    return renewal_suggestions(facts, renewals, today, window)


def suggested_renewals(
    store: Store, user_id: str | None = None, today: date | None = None
) -> list[RenewalSuggestion]:
    """Holdings of the user's accounts (all accounts for None) ending within the window that
    have no open or won renewal opportunity yet."""
    window = renewal_window(store)
    with store.read() as q:
        return _suggest(q.session, today or date.today(), window, user_id)


@dataclass(frozen=True)
class Created:
    ids: tuple[str, ...]
    changes: ChangeSet


def create_renewals(store: Store, user_id: str | None = None, today: date | None = None) -> Created:
    """Create a renewal opportunity for every current suggestion, in one unit of work.

    Idempotent: the suggestions are computed again inside the unit, and a holding with an open
    or won renewal is never suggested, so running this twice never makes two renewals for one
    holding. The owner is the account's owner, else the user asking.
    """
    window = renewal_window(store)
    day = today or date.today()
    with store.unit() as uow:
        made = [
            _insert_renewal(uow, s, user_id) for s in _suggest(uow.session, day, window, user_id)
        ]
        return Created(tuple(made), uow.commit())


def _insert_renewal(uow: UnitOfWork, s: RenewalSuggestion, user_id: str | None) -> str:
    values = clean_opportunity(
        OpportunityDraft(
            account_id=s.account_id,
            name=s.name,
            kind="renewal",
            stage="qualify",
            amount_minor=max(0, s.amount_minor),
            currency=s.currency,
            probability=RENEWAL_PROBABILITY,
            close_date=s.due_date,
            owner_id=s.owner_id or user_id,
            product_line=s.product_line,
            holding_id=s.holding_id,
        )
    )
    return uow.insert("opportunities", values)

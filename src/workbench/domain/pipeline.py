"""The farming pipeline: stages and their order, weighted amounts, renewal suggestions, and the
rules a typed opportunity must meet.

Why renewals are suggested and not created behind the user's back: an account manager decides
whether a renewal is worth a deal of its own (a holding may be due to be dropped); the
suggestion makes sure none is forgotten, and creating them is one click that never makes two
renewals for one holding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from workbench.domain.enums import OpportunityKind, OpportunityStage
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.money import currency_exponent

#: Every stage, in the order a deal moves through them; also the board's columns, left to right.
STAGE_ORDER: tuple[str, ...] = tuple(s.value for s in OpportunityStage)
OPEN_STAGES: tuple[str, ...] = tuple(s.value for s in OpportunityStage if s.is_open)
CLOSED_STAGES: tuple[str, ...] = ("won", "lost")
BOARD_COLUMNS = STAGE_ORDER
KINDS: tuple[str, ...] = tuple(k.value for k in OpportunityKind)

#: The probability a deal gets when it enters an open stage from a closed one (or is new).
STAGE_PROBABILITY: dict[str, int] = {
    "qualify": 10,
    "develop": 30,
    "propose": 50,
    "negotiate": 70,
    "won": 100,
    "lost": 0,
}

DEFAULT_RENEWAL_WINDOW_DAYS = 120
#: A renewal starts likelier than new business: the client already uses the product.
RENEWAL_PROBABILITY = 50


def stage_rank(stage: str) -> int:
    """Position of `stage` in STAGE_ORDER; unknown stages sort first."""
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else -1


def deal_name(what: str, account_name: str) -> str:
    """An opportunity's name made for the user: "Security – Công ty ABC" (a product line or a
    product, then the account); the account alone when there is nothing to name it after.
    Names are data, not UI text, so this is not translated."""
    what = " ".join(what.split())
    return f"{what} – {account_name}" if what else account_name


def is_open(stage: str) -> bool:
    return stage in OPEN_STAGES


def most_advanced(stages: Iterable[str]) -> str | None:
    """The furthest open stage among `stages` (closed ones are ignored), or None."""
    open_ones = [s for s in stages if is_open(s)]
    return max(open_ones, key=stage_rank) if open_ones else None


def weighted(amount_minor: int, probability: int) -> int:
    """amount × probability / 100 in minor units, rounded half-up (half away from zero).

    Integer arithmetic only: `(2·a·p + 100) // 200` is a·p/100 rounded half-up for a·p ≥ 0;
    a negative product is rounded symmetrically.
    """
    product = amount_minor * probability
    if product >= 0:
        return (2 * product + 100) // 200
    return -((-2 * product + 100) // 200)


def probability_after_move(from_stage: str, to_stage: str, probability: int) -> int:
    """Won is 100 and lost 0; a deal reopened from won/lost (or with no sensible value) takes
    the new stage's usual probability; otherwise the user's own estimate is kept."""
    if to_stage in CLOSED_STAGES:
        return STAGE_PROBABILITY[to_stage]
    if from_stage in CLOSED_STAGES or not 0 <= probability <= 100:
        return STAGE_PROBABILITY.get(to_stage, 10)
    return probability


# -- renewals ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoldingFact:
    """A live holding as the renewal rule sees it."""

    id: str
    account_id: str
    account_name: str
    product_name: str
    product_line: str
    end_date: date | None
    annual_value_minor: int
    currency: str
    owner_id: str | None = None  # the account's owner


@dataclass(frozen=True)
class RenewalFact:
    """A live renewal opportunity: which holding it renews, and how far it got."""

    holding_id: str | None
    stage: str
    close_date: date | None = None
    account_id: str = ""
    product_line: str = ""


@dataclass(frozen=True)
class RenewalSuggestion:
    account_id: str
    account_name: str
    holding_id: str
    product_name: str
    product_line: str
    due_date: date
    amount_minor: int
    currency: str
    owner_id: str | None = None

    @property
    def name(self) -> str:
        """The opportunity name the suggestion becomes (names are data, not UI text)."""
        return deal_name(self.product_name, self.account_name)


def renewal_suggestions(
    holdings: Iterable[HoldingFact],
    renewals: Iterable[RenewalFact],
    today: date,
    window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS,
) -> list[RenewalSuggestion]:
    """Holdings ending between today and today + window (both included) that have no open or
    won renewal opportunity yet, soonest first.

    A renewal covers a holding when it names it (`holding_id`), or when it names none but is
    for the same account and product line (typed by hand). A lost renewal does not count: the
    holding still ends, and the account manager may try again. A won renewal counts only for
    the term it renewed: one closed before this term's window opened (last year's) does not.
    """
    window = timedelta(days=max(0, window_days))
    live = [r for r in renewals if r.stage != "lost"]
    by_holding: dict[str, list[RenewalFact]] = {}
    by_line: dict[tuple[str, str], list[RenewalFact]] = {}
    for r in live:
        if r.holding_id:
            by_holding.setdefault(r.holding_id, []).append(r)
        else:
            by_line.setdefault((r.account_id, r.product_line), []).append(r)

    def covers(r: RenewalFact, h: HoldingFact) -> bool:
        assert h.end_date is not None
        return r.stage != "won" or r.close_date is None or r.close_date >= h.end_date - window

    covered = {
        h.id
        for h in holdings
        if h.end_date is not None
        and any(
            covers(r, h)
            for r in by_holding.get(h.id, []) + by_line.get((h.account_id, h.product_line), [])
        )
    }
    last = today + window
    out = [
        RenewalSuggestion(
            h.account_id,
            h.account_name,
            h.id,
            h.product_name,
            h.product_line,
            h.end_date,
            h.annual_value_minor,
            h.currency,
            h.owner_id,
        )
        for h in holdings
        if h.end_date is not None and today <= h.end_date <= last and h.id not in covered
    ]
    out.sort(key=lambda s: (s.due_date, s.account_name, s.product_name, s.holding_id))
    return out


def clean_window(days: Any) -> int:
    """A renewal window in days, 1 to 730."""
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = -1
    if not 1 <= value <= 730:
        raise ValidationError.single(
            "window", "renewal.window_range", "The renewal window is 1 to 730 days"
        )
    return value


# -- typed input ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpportunityDraft:
    account_id: str | None = None
    name: str = ""
    kind: str = "new"
    stage: str = "qualify"
    amount_minor: int = 0
    currency: str = "VND"
    probability: int = 10
    close_date: date | None = None
    owner_id: str | None = None
    product_line: str = ""
    holding_id: str | None = None
    notes: str = ""


def clean_opportunity(d: OpportunityDraft) -> dict[str, Any]:
    """The values to store for `d`, or every problem with it at once."""
    errors: list[FieldError] = []
    name = " ".join(d.name.split())
    if not name:
        errors.append(FieldError("name", "opportunity.name_required", "Give the deal a name"))
    if not d.account_id:
        errors.append(FieldError("account_id", "opportunity.account_required", "Pick an account"))
    if d.amount_minor < 0:
        errors.append(
            FieldError("amount", "opportunity.amount_negative", "The amount cannot be negative")
        )
    if not 0 <= d.probability <= 100:
        errors.append(
            FieldError("probability", "opportunity.probability_range", "Probability is 0 to 100 %")
        )
    if d.kind not in KINDS:
        errors.append(
            FieldError("kind", "choice.invalid", "{value} is not a valid choice", {"value": d.kind})
        )
    if d.stage not in STAGE_ORDER:
        errors.append(
            FieldError(
                "stage", "choice.invalid", "{value} is not a valid choice", {"value": d.stage}
            )
        )
    try:
        currency_exponent(d.currency)
    except ValidationError as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationError(errors)
    probability = d.probability
    if d.stage in CLOSED_STAGES:
        probability = STAGE_PROBABILITY[d.stage]
    return {
        "account_id": d.account_id,
        "name": name,
        "kind": d.kind,
        "stage": d.stage,
        "amount_minor": d.amount_minor,
        "currency": d.currency,
        "probability": probability,
        "close_date": d.close_date,
        "owner_id": d.owner_id or None,
        "product_line": d.product_line.strip(),
        "holding_id": d.holding_id or None,
        "notes": d.notes.strip(),
    }

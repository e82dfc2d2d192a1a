"""Account plans: periods, objective progress, overdue actions and stale plans (pure rules).

Why periods are text ("2026", "2026-H2", "2026-Q4") and not two dates: an account manager
thinks in fiscal years, halves and quarters, and one plan per account per period is only
checkable when the period is a name. The dates follow from the name, never the other way.

A measure computed from data answers `None` when there is nothing to compute it from ("no
data"), which the UI and the PDF show as such: a made-up zero would read as a failure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from workbench.domain.enums import ActionStatus, Measure, PlanStatus
from workbench.domain.errors import FieldError, ValidationError

MIN_YEAR = 2000
MAX_YEAR = 2100
STALE_AFTER_DAYS = 30  # a plan nobody reviewed for a month is no longer steering anything

_PERIOD = re.compile(r"^\s*(\d{4})(?:\s*-\s*([HhQq])([1-4]))?\s*$")
_MSG_PERIOD = "Write the period as a year (2026), a half (2026-H1) or a quarter (2026-Q3)"


@dataclass(frozen=True, order=True)
class Period:
    """A plan period; orders by start date, the longer period first when two start together."""

    start: date
    neg_days: int = field(repr=False)  # minus the length in days: the year sorts before Q1
    code: str = field(compare=False)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=-self.neg_days - 1)

    @property
    def kind(self) -> str:
        """ "year", "half" or "quarter"."""
        if len(self.code) == 4:
            return "year"
        return "half" if self.code[5] == "H" else "quarter"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.code


def _make(code: str, start: date, end: date) -> Period:
    return Period(start, -((end - start).days + 1), code)


def _month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def parse_period(text: str) -> Period:
    """ "2026" -> the calendar year; "2026-H1"/"H2" -> a half; "2026-Q1".."Q4" -> a quarter.

    Lower case and spaces around the dash are accepted; the code is kept upper case.
    """
    m = _PERIOD.match(text or "")
    if not m:
        raise ValidationError.single("period", "plan.period_format", _MSG_PERIOD)
    year = int(m.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError.single(
            "period",
            "plan.period_year",
            "The year must be between {low} and {high}",
            low=str(MIN_YEAR),
            high=str(MAX_YEAR),
        )
    part, number = m.group(2), m.group(3)
    if part is None:
        return _make(str(year), date(year, 1, 1), date(year, 12, 31))
    n = int(number)
    if part.upper() == "H":
        if n > 2:
            raise ValidationError.single(
                "period", "plan.period_half", "A year has two halves: H1 or H2"
            )
        first = 1 + 6 * (n - 1)
        return _make(f"{year}-H{n}", date(year, first, 1), _month_end(year, first + 5))
    first = 1 + 3 * (n - 1)
    return _make(f"{year}-Q{n}", date(year, first, 1), _month_end(year, first + 2))


def period_of(day: date, kind: str = "year") -> Period:
    """The period of `kind` ("year", "half", "quarter") that contains `day`."""
    if kind == "year":
        return parse_period(str(day.year))
    if kind == "half":
        return parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    raise ValueError(kind)


def suggested_periods(today: date) -> list[str]:
    """What the period picker offers for a new plan: this year, its halves and quarters from
    the current one on, and next year."""
    year = today.year
    out = [str(year), period_of(today, "half").code]
    if today.month <= 6:
        out.append(f"{year}-H2")
    out += [f"{year}-Q{q}" for q in range((today.month - 1) // 3 + 1, 5)]
    out.append(str(year + 1))
    return out


def current_plan_index(periods: list[Period], today: date) -> int:
    """Which plan is the account's current one: the most specific period containing today
    (a quarter plan over the year plan), else the one ending last; -1 when there is none."""
    if not periods:
        return -1
    containing = [i for i, p in enumerate(periods) if p.contains(today)]
    if containing:
        return max(containing, key=lambda i: (periods[i].start, periods[i].neg_days))
    return max(range(len(periods)), key=lambda i: (periods[i].end, periods[i].start))


# -- progress, overdue, stale ------------------------------------------------------------------
def progress(current: int | None, target: int) -> float | None:
    """current / target as a fraction (may pass 1.0), or None when it cannot be said: no data,
    or no positive target."""
    if current is None or target <= 0:
        return None
    return current / target


def is_overdue(status: str, due: date | None, today: date) -> bool:
    """An action is overdue when it is still open or in progress and its due date has passed."""
    return (
        status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS) and due is not None and due < today
    )


def is_stale(last_reviewed: date | None, today: date, days: int = STALE_AFTER_DAYS) -> bool:
    """A plan is stale when nobody reviewed it in the last `days` days (or ever)."""
    return last_reviewed is None or (today - last_reviewed).days > days


def lines(text: str) -> list[str]:
    """A SWOT or competitor list as stored (one item per line), without blanks or bullets."""
    out = []
    for raw in (text or "").splitlines():
        item = raw.strip().lstrip("-•*").strip()
        if item:
            out.append(item)
    return out


# -- validation of what the user typed --------------------------------------------------------
PLAN_TEXT_FIELDS = (
    "desired_outcome",
    "growth",
    "risks",
    "next_steps",
    "key_players",
    "strengths",
    "weaknesses",
    "opportunities",
    "threats",
    "competitors",
    "internal_notes",
)
PLAN_FIELDS = (
    *PLAN_TEXT_FIELDS,
    "period",
    "status",
    "owner_id",
    "client_knows",
    "last_reviewed",
    "revenue_target_minor",
)


def clean_plan_changes(values: dict[str, Any]) -> dict[str, Any]:
    """The columns to write for an edit of some plan fields; every bad field reported."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in PLAN_FIELDS:
            raise ValueError(f"account_plans.{key} is not editable")
        if key in PLAN_TEXT_FIELDS:
            out[key] = (value or "").strip()
        elif key == "period":
            try:
                period = parse_period(str(value or ""))
            except ValidationError as exc:
                errors.extend(exc.errors)
                continue
            out.update(period=period.code, period_start=period.start, period_end=period.end)
        elif key == "status":
            if value not in set(PlanStatus):
                errors.append(FieldError("status", "plan.status", "Choose draft, active or closed"))
            else:
                out[key] = str(value)
        elif key == "revenue_target_minor":
            if value is not None and int(value) < 0:
                errors.append(
                    FieldError(
                        "revenue_target_minor",
                        "plan.target_negative",
                        "A target cannot be negative",
                    )
                )
            else:
                out[key] = None if value is None else int(value)
        elif key == "client_knows":
            out[key] = bool(value)
        else:  # owner_id, last_reviewed
            out[key] = value or None
    if errors:
        raise ValidationError(errors)
    return out


@dataclass(frozen=True)
class ObjectiveDraft:
    title: str
    measure: str = Measure.MANUAL
    target: int = 0
    manual_value: int | None = None
    due_date: date | None = None


def clean_objective(draft: ObjectiveDraft) -> dict[str, Any]:
    errors: list[FieldError] = []
    title = draft.title.strip()
    if not title:
        errors.append(FieldError("title", "objective.title", "Name the objective"))
    if draft.measure not in set(Measure):
        errors.append(FieldError("measure", "objective.measure", "Choose how progress is measured"))
    if draft.target <= 0:
        errors.append(
            FieldError("target", "objective.target", "The target must be greater than zero")
        )
    if draft.manual_value is not None and draft.manual_value < 0:
        errors.append(
            FieldError("manual_value", "objective.value", "The current value cannot be negative")
        )
    if errors:
        raise ValidationError(errors)
    manual = draft.measure == Measure.MANUAL
    return {
        "title": title[:200],
        "measure": str(draft.measure),
        "target": int(draft.target),
        "manual_value": draft.manual_value if manual else None,
        "due_date": draft.due_date,
    }


@dataclass(frozen=True)
class ActionDraft:
    title: str
    owner_id: str | None = None
    due_date: date | None = None
    status: str = ActionStatus.OPEN
    opportunity_id: str | None = None
    contact_id: str | None = None


def clean_action(draft: ActionDraft) -> dict[str, Any]:
    errors: list[FieldError] = []
    title = draft.title.strip()
    if not title:
        errors.append(FieldError("title", "action.title", "Say what is to be done"))
    if draft.status not in set(ActionStatus):
        errors.append(
            FieldError("status", "action.status", "Choose open, in progress, done or dropped")
        )
    if errors:
        raise ValidationError(errors)
    return {
        "title": title[:200],
        "owner_id": draft.owner_id or None,
        "due_date": draft.due_date,
        "status": str(draft.status),
        "opportunity_id": draft.opportunity_id or None,
        "contact_id": draft.contact_id or None,
    }


def moved(ids: Sequence[str], item: str, step: int) -> list[str]:
    """`ids` with `item` moved `step` places (negative: up), stopping at either end; unchanged
    when `item` is not there."""
    result = list(ids)
    if item not in result:
        return result
    old = result.index(item)
    new = max(0, min(len(result) - 1, old + step))
    result.insert(new, result.pop(old))
    return result


def clean_update_text(text: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError.single("text", "plan_update.text", "Write what happened this week")
    return cleaned


# -- what the services return ------------------------------------------------------------------
@dataclass(frozen=True)
class ObjectiveRow:
    id: str
    title: str
    measure: str
    target: int
    current: int | None  # None: no data
    manual_value: int | None
    due_date: date | None
    sort_order: int

    @property
    def progress(self) -> float | None:
        return progress(self.current, self.target)


@dataclass(frozen=True)
class ActionRow:
    id: str
    title: str
    owner_id: str | None
    owner_name: str
    due_date: date | None
    status: str
    opportunity_id: str | None
    opportunity_name: str
    opportunity_archived: bool
    contact_id: str | None
    contact_name: str
    overdue: bool


@dataclass(frozen=True)
class UpdateRow:
    id: str
    written_on: date
    author_id: str | None
    author_name: str
    text: str


@dataclass(frozen=True)
class PlanRef:
    id: str
    period: str


@dataclass(frozen=True)
class PlanView:
    id: str
    account_id: str
    period: str
    period_start: date
    period_end: date
    status: str
    owner_id: str | None
    owner_name: str
    desired_outcome: str
    growth: str
    risks: str
    next_steps: str
    key_players: str
    client_knows: bool
    last_reviewed: date | None
    revenue_target_minor: int | None
    currency: str
    strengths: str
    weaknesses: str
    opportunities: str
    threats: str
    competitors: str
    internal_notes: str
    stale: bool
    objectives: tuple[ObjectiveRow, ...] = ()
    actions: tuple[ActionRow, ...] = ()
    updates: tuple[UpdateRow, ...] = ()


@dataclass(frozen=True)
class Choice:
    id: str
    name: str


@dataclass(frozen=True)
class AccountPlans:
    """What the plan dock shows for one account."""

    account_id: str
    account_name: str
    currency: str
    plan: PlanView | None
    plans: tuple[PlanRef, ...]  # every plan of the account, newest period first
    suggested_period: str  # what "Start a plan" offers when there is none
    users: tuple[Choice, ...] = ()
    opportunities: tuple[Choice, ...] = ()  # live ones, for linking an action
    contacts: tuple[Choice, ...] = ()  # people with a current position at the account

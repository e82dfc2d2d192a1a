"""Display formatting for the UI language: dates, money and labels of stored values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from workbench.domain.formatting import format_date
from workbench.domain.money import Money, format_money, sum_by_currency
from workbench.ui.i18n import locale_name, tr

LABELS: dict[str, str] = {
    # tiers
    "strategic": "Strategic",
    "key": "Key",
    "core": "Core",
    "small": "Small",
    # account kinds
    "company": "Company",
    "bank_client": "Bank client",
    "household": "Household",
    "public": "Public body",
    # roles
    "am": "Account manager",
    "rm": "Relationship manager",
    "finance": "Finance",
    "sales": "Sales",
    "admin": "Administrator",
    "owner": "Owner",
    "delivery": "Delivery",
    "sponsor": "Sponsor",
    # stakeholder roles
    "decision_maker": "Decision maker",
    "exec_sponsor": "Executive sponsor",
    "influencer": "Influencer",
    "champion": "Champion",
    "user": "User",
    "blocker": "Blocker",
    "finance_contact": "Finance contact",
    "technical": "Technical",
    # stances
    "supporter": "Supporter",
    "neutral": "Neutral",
    "skeptic": "Skeptic",
    "opponent": "Opponent",
    # activities
    "meeting": "Meeting",
    "call": "Call",
    "email": "Email",
    "visit": "Visit",
    "note": "Note",
    "task": "Task",
    "commitment": "Commitment",
    "planned": "Planned",
    "done": "Done",
    "cancelled": "Cancelled",
    "open": "Open",
    # opportunities
    "new": "New business",
    "upsell": "Upsell",
    "cross_sell": "Cross-sell",
    "renewal": "Renewal",
    "qualify": "Qualify",
    "develop": "Develop",
    "propose": "Propose",
    "negotiate": "Negotiate",
    "won": "Won",
    "lost": "Lost",
    # usage
    "none": "None",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    # account plans
    "draft": "Draft",
    "active": "Active",
    "closed": "Closed",
    "manual": "Manual",
    "revenue_won": "Revenue won",
    "product_lines": "Product lines held",
    "coverage": "Stakeholder coverage",
    "dm_meetings": "Meetings with decision makers",
    "in_progress": "In progress",
    "dropped": "Dropped",
    # leads
    "web": "Website",
    "referral": "Referral",
    "event": "Event",
    "cold": "Cold outreach",
    "partner": "Partner",
    "working": "Working",
    "qualified": "Qualified",
    "disqualified": "Disqualified",
    "converted": "Converted",
    # whitespace
    "not_relevant": "Not relevant",
}

#: Where one stored value means different things in different vocabularies: the label of
#: `value` in `vocabulary` (`label(value, vocabulary)`), before the shared `LABELS`.
VOCABULARY_LABELS: dict[str, dict[str, str]] = {
    "lead_status": {"new": "New lead"},
    "whitespace": {"lost": "Lost to a competitor", "open": "Untapped"},
}

STRENGTH = ("None", "Weak", "Fair", "Good", "Strong")


def label(value: str, vocabulary: str = "") -> str:
    """The translated label of a stored vocabulary value."""
    special = VOCABULARY_LABELS.get(vocabulary, {}).get(value)
    return tr(special or LABELS.get(value, value))


def strength(value: int) -> str:
    return tr(STRENGTH[max(0, min(4, value))])


def local(moment: datetime) -> datetime:
    """Stored datetimes are naive UTC; people read them in their own time zone."""
    return moment.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return format_date(value, locale_name())


def money(minor: int, currency: str) -> str:
    return format_money(Money(minor, currency), locale_name())


def money_by_currency(pairs: Iterable[tuple[str, int]], empty: str = "–") -> str:
    """Amounts summed per currency, never across currencies: "1.000 ₫ + 2,00 US$" (`empty`
    when there is nothing)."""
    return " + ".join(money(m, c) for c, m in sum_by_currency(pairs)) or empty


def days_ago(value: datetime | None, today: date | None = None) -> str:
    if value is None:
        return tr("never")
    n = ((today or date.today()) - local(value).date()).days
    if n <= 0:
        return tr("today")
    if n == 1:
        return tr("yesterday")
    return tr("{n} days ago", n=n)

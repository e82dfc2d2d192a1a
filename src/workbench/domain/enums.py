"""Closed vocabularies of the data model, stored as their string values.

English labels live in the UI's translation catalogue keyed by these values, so a stored value
never changes with the user's language.
"""

from enum import StrEnum


class Role(StrEnum):
    AM = "am"
    RM = "rm"
    FINANCE = "finance"
    SALES = "sales"
    ADMIN = "admin"


class AccountKind(StrEnum):
    COMPANY = "company"
    BANK_CLIENT = "bank_client"
    HOUSEHOLD = "household"
    PUBLIC = "public"


class Tier(StrEnum):
    STRATEGIC = "strategic"
    KEY = "key"
    CORE = "core"
    SMALL = "small"


class TeamRole(StrEnum):
    OWNER = "owner"
    AM = "am"
    RM = "rm"
    SALES = "sales"
    FINANCE = "finance"
    DELIVERY = "delivery"
    SPONSOR = "sponsor"


class StakeholderRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    EXEC_SPONSOR = "exec_sponsor"
    INFLUENCER = "influencer"
    CHAMPION = "champion"
    USER = "user"
    BLOCKER = "blocker"
    FINANCE_CONTACT = "finance_contact"
    TECHNICAL = "technical"


class Stance(StrEnum):
    SUPPORTER = "supporter"
    NEUTRAL = "neutral"
    SKEPTIC = "skeptic"
    OPPONENT = "opponent"


class OpportunityKind(StrEnum):
    NEW = "new"
    UPSELL = "upsell"
    CROSS_SELL = "cross_sell"
    RENEWAL = "renewal"


class OpportunityStage(StrEnum):
    QUALIFY = "qualify"
    DEVELOP = "develop"
    PROPOSE = "propose"
    NEGOTIATE = "negotiate"
    WON = "won"
    LOST = "lost"

    @property
    def is_open(self) -> bool:
        return self not in (OpportunityStage.WON, OpportunityStage.LOST)


class ActivityKind(StrEnum):
    MEETING = "meeting"
    CALL = "call"
    EMAIL = "email"
    VISIT = "visit"
    NOTE = "note"
    TASK = "task"


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class CommitmentStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class UsageLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Measure(StrEnum):
    """How a plan objective's current value is found: from data, or typed in (manual)."""

    MANUAL = "manual"
    REVENUE_WON = "revenue_won"  # won opportunities closed in the plan period (minor units)
    PRODUCT_LINES = "product_lines"  # product lines the account holds now
    STAKEHOLDER_COVERAGE = "coverage"  # current stakeholders with a warm relationship
    DECISION_MEETINGS = "dm_meetings"  # meetings in the period a decision maker attended


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class LeadSource(StrEnum):
    WEB = "web"
    REFERRAL = "referral"
    EVENT = "event"
    COLD = "cold"
    PARTNER = "partner"


class LeadStatus(StrEnum):
    NEW = "new"
    WORKING = "working"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


class WhitespaceStatus(StrEnum):
    """What the user set on a whitespace cell; held / pipeline / open are computed."""

    LOST = "lost"  # to a competitor
    NOT_RELEVANT = "not_relevant"

"""Immutable rows that leave storage: what services return and Qt models display.

Why plain frozen dataclasses: they cross from the database worker to the GUI thread, so they
must hold no Session, no lazy attribute and nothing a second thread could mutate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class UserRow:
    id: str
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class AccountListRow:
    id: str
    name: str
    kind: str
    tier: str
    owner_id: str | None
    owner_name: str
    city: str
    tax_code: str
    last_contact: datetime | None
    open_opportunities: int
    open_pipeline_minor: int
    currency: str


@dataclass(frozen=True)
class StakeholderRow:
    position_id: str
    contact_id: str
    name: str
    title: str
    department: str
    role: str
    influence: int
    stance: str
    strength: int
    colleague_name: str
    reports_to_name: str
    email: str
    phone: str


@dataclass(frozen=True)
class HoldingRow:
    id: str
    product_code: str
    product_name: str
    product_line: str
    start_date: date | None
    end_date: date | None
    annual_value_minor: int
    currency: str
    usage_level: str


@dataclass(frozen=True)
class TeamRow:
    id: str
    user_id: str
    name: str
    role: str


@dataclass(frozen=True)
class OpportunityRow:
    id: str
    name: str
    kind: str
    stage: str
    amount_minor: int
    currency: str
    probability: int
    close_date: date | None
    owner_name: str


@dataclass(frozen=True)
class AccountDetail:
    id: str
    name: str
    kind: str
    tier: str
    owner_id: str | None
    owner_name: str
    parent_id: str | None
    parent_name: str
    tax_code: str
    tax_code_kind: str
    industry: str
    city: str
    country: str
    address: str
    website: str
    phone: str
    email: str
    currency: str
    payment_terms_days: int
    credit_limit_minor: int | None
    notes: str
    archived: bool
    last_contact: datetime | None
    stakeholders: tuple[StakeholderRow, ...]
    holdings: tuple[HoldingRow, ...]
    team: tuple[TeamRow, ...]
    opportunities: tuple[OpportunityRow, ...]


@dataclass(frozen=True)
class ContactListRow:
    id: str
    family_name: str
    middle_name: str
    given_name: str
    name_order: str
    email: str
    phone: str
    mobile: str
    title: str
    account_id: str | None
    account_name: str


@dataclass(frozen=True)
class PositionRow:
    id: str
    account_id: str
    account_name: str
    title: str
    department: str
    stakeholder_role: str
    influence: int
    stance: str
    strength: int
    colleague_id: str | None
    reports_to_id: str | None
    start_date: date | None
    end_date: date | None


@dataclass(frozen=True)
class ContactDetail:
    id: str
    family_name: str
    middle_name: str
    given_name: str
    name_order: str
    email: str
    phone: str
    mobile: str
    birthday: date | None
    language: str
    tax_code: str
    notes: str
    archived: bool
    positions: tuple[PositionRow, ...]


@dataclass(frozen=True)
class TimelineItem:
    """An activity or a commitment on an account's timeline."""

    item: str  # "activity" | "commitment"
    id: str
    kind: str  # activity kind, or "commitment"
    status: str
    when: datetime
    subject: str
    notes: str
    outcome: str
    next_step: str
    owner_name: str
    attendees: tuple[str, ...]
    due_date: date | None


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "account" | "contact"
    ref_id: str
    title: str
    subtitle: str


@dataclass(frozen=True)
class ProductRow:
    id: str
    code: str
    name: str
    product_line: str
    recurring: bool

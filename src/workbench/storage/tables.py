"""ORM tables of the local store (DESIGN §3).

Every synced table carries the common columns from `Synced`: a device-made UUIDv7 id, UTC
timestamps, a tombstone (`deleted_at`: nothing synced is hard-deleted) and `row_seq`, the server
sequence the row was last synced at (SYNC.md §1.4). Enumerations are stored as their string
values so the file stays readable by any SQLite tool.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workbench.domain.ids import new_id

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# Column `info` marking a column that is NOT sent to the server in outbox ops (SYNC.md §1.4).
# Local bookkeeping (created_at, updated_at, row_seq) means something only on this device, and
# derived columns (folded names, sort keys) are recomputed from their sources wherever a row is
# written or applied, so sending them would only invite the copies to disagree. `info` is not
# part of the schema: marking a column changes no table.
LOCAL = {"sync": False}


class Synced:
    """Columns every synced table has.

    `id` is the op's row id and `deleted_at` is the tombstone, sent as the pseudo-field
    `_deleted` by delete/restore ops (workbench.storage.outbox), not as a field value.
    """

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, info=LOCAL)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, info=LOCAL)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    row_seq: Mapped[int | None] = mapped_column(Integer, default=None, info=LOCAL)


class User(Synced, Base):
    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    role: Mapped[str] = mapped_column(String(16))


class Account(Synced, Base):
    __tablename__ = "accounts"
    # Live rows in list order, covering the id: deep OFFSET pages skip index entries only.
    __table_args__ = (
        Index(
            "ix_accounts_live_name", "name_folded", "id", sqlite_where=text("deleted_at IS NULL")
        ),
    )
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True, info=LOCAL)
    kind: Mapped[str] = mapped_column(String(16), default="company")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    tier: Mapped[str] = mapped_column(String(16), default="core", index=True)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    tax_code: Mapped[str] = mapped_column(String(40), default="")
    tax_code_kind: Mapped[str] = mapped_column(String(8), default="")
    industry: Mapped[str] = mapped_column(String(80), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    country: Mapped[str] = mapped_column(String(2), default="VN")
    address: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    credit_limit_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")


class AccountTeamMember(Synced, Base):
    __tablename__ = "account_team"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))


class Contact(Synced, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index(
            "ix_contacts_live_given", "sort_given", "id", sqlite_where=text("deleted_at IS NULL")
        ),
        Index(
            "ix_contacts_live_family", "sort_family", "id", sqlite_where=text("deleted_at IS NULL")
        ),
    )
    family_name: Mapped[str] = mapped_column(String(80), default="")
    middle_name: Mapped[str] = mapped_column(String(80), default="")
    given_name: Mapped[str] = mapped_column(String(80))
    name_order: Mapped[str] = mapped_column(String(16), default="family_first")
    # Folded sort keys, kept in step by the repository, so big lists sort in SQL on an index:
    # the partial ones above (live rows); archived rows are few, and sorted without one.
    sort_given: Mapped[str] = mapped_column(String(250), default="", info=LOCAL)
    sort_family: Mapped[str] = mapped_column(String(250), default="", info=LOCAL)
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    mobile: Mapped[str] = mapped_column(String(20), default="", index=True)
    birthday: Mapped[date | None] = mapped_column(Date, default=None)
    language: Mapped[str] = mapped_column(String(8), default="vi")
    tax_code: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class Position(Synced, Base):
    """A person's dated role at an account; people change jobs, positions keep the history."""

    __tablename__ = "positions"
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    department: Mapped[str] = mapped_column(String(120), default="")
    reports_to_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    stakeholder_role: Mapped[str] = mapped_column(String(20), default="user")
    influence: Mapped[int] = mapped_column(Integer, default=3)
    stance: Mapped[str] = mapped_column(String(12), default="neutral")
    strength: Mapped[int] = mapped_column(Integer, default=2)
    colleague_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    start_date: Mapped[date | None] = mapped_column(Date, default=None)
    end_date: Mapped[date | None] = mapped_column(Date, default=None)


class Product(Synced, Base):
    __tablename__ = "products"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    product_line: Mapped[str] = mapped_column(String(80))
    recurring: Mapped[bool] = mapped_column(Boolean, default=True)


class Holding(Synced, Base):
    __tablename__ = "holdings"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    start_date: Mapped[date | None] = mapped_column(Date, default=None)
    end_date: Mapped[date | None] = mapped_column(Date, default=None)
    annual_value_minor: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    usage_level: Mapped[str] = mapped_column(String(8), default="medium")


class Opportunity(Synced, Base):
    __tablename__ = "opportunities"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default="new")
    stage: Mapped[str] = mapped_column(String(12), default="qualify")
    amount_minor: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    probability: Mapped[int] = mapped_column(Integer, default=10)
    close_date: Mapped[date | None] = mapped_column(Date, default=None)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    # The product line a cross-sell or upsell is for: the whitespace grid places it by this.
    product_line: Mapped[str] = mapped_column(String(80), default="")
    # A renewal's holding: renewals are suggested for holdings that have none yet.
    holding_id: Mapped[str | None] = mapped_column(ForeignKey("holdings.id"), default=None)
    lead_id: Mapped[str | None] = mapped_column(ForeignKey("leads.id"), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")


class Lead(Synced, Base):
    """An unqualified prospect of a salesperson; converting it links or creates the account,
    the contact and the first opportunity. Scoped by its account once it has one, by its
    owner before."""

    __tablename__ = "leads"
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    company: Mapped[str] = mapped_column(String(200), default="")
    tax_code: Mapped[str] = mapped_column(String(40), default="")
    person_family: Mapped[str] = mapped_column(String(80), default="")
    person_given: Mapped[str] = mapped_column(String(80), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    source: Mapped[str] = mapped_column(String(12), default="web")
    status: Mapped[str] = mapped_column(String(12), default="new")
    interest: Mapped[str] = mapped_column(String(80), default="")  # a product line
    estimate_minor: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    notes: Mapped[str] = mapped_column(Text, default="")  # qualification notes
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    opportunity_id: Mapped[str | None] = mapped_column(String(36), default=None)
    converted_on: Mapped[date | None] = mapped_column(Date, default=None)


class AccountPlan(Synced, Base):
    """A lean account plan: one per account per period (kept so by the service, not by a
    unique constraint: two devices may start the same plan offline, and sync must not fail)."""

    __tablename__ = "account_plans"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))  # "2026", "2026-H2", "2026-Q4"
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="draft")
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    desired_outcome: Mapped[str] = mapped_column(Text, default="")
    growth: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")  # internal
    next_steps: Mapped[str] = mapped_column(Text, default="")
    key_players: Mapped[str] = mapped_column(Text, default="")
    client_knows: Mapped[bool] = mapped_column(Boolean, default=False)
    last_reviewed: Mapped[date | None] = mapped_column(Date, default=None)
    revenue_target_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    strengths: Mapped[str] = mapped_column(Text, default="")  # SWOT: one item per line
    weaknesses: Mapped[str] = mapped_column(Text, default="")
    opportunities: Mapped[str] = mapped_column(Text, default="")
    threats: Mapped[str] = mapped_column(Text, default="")
    competitors: Mapped[str] = mapped_column(Text, default="")
    internal_notes: Mapped[str] = mapped_column(Text, default="")


class PlanUpdate(Synced, Base):
    """One entry of a plan's short weekly update log."""

    __tablename__ = "plan_updates"
    plan_id: Mapped[str] = mapped_column(ForeignKey("account_plans.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))  # the sync scope
    written_on: Mapped[date] = mapped_column(Date)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    text: Mapped[str] = mapped_column(Text, default="")


class PlanObjective(Synced, Base):
    """A measurable objective; `measure` names how its current value is computed from data
    (workbench.domain.plans.Measure), or "manual" for `manual_value`."""

    __tablename__ = "plan_objectives"
    plan_id: Mapped[str] = mapped_column(ForeignKey("account_plans.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))  # the sync scope
    title: Mapped[str] = mapped_column(String(200))
    measure: Mapped[str] = mapped_column(String(24), default="manual")
    target: Mapped[int] = mapped_column(Integer, default=0)
    manual_value: Mapped[int | None] = mapped_column(Integer, default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class PlanAction(Synced, Base):
    """A step of the plan, optionally for an opportunity or a stakeholder (a contact)."""

    __tablename__ = "plan_actions"
    plan_id: Mapped[str] = mapped_column(ForeignKey("account_plans.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))  # the sync scope
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(12), default="open")
    opportunity_id: Mapped[str | None] = mapped_column(ForeignKey("opportunities.id"), default=None)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"), default=None)


class WhitespaceMark(Synced, Base):
    """A whitespace cell the user set by hand: lost to a competitor, or not relevant, with a
    note. `account_id` is the business unit (a child account, or the account itself)."""

    __tablename__ = "whitespace_marks"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    product_line: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default="not_relevant")
    competitor: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class Activity(Synced, Base):
    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_account_when", "account_id", "occurred_at"),)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10), default="done")
    subject: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")


class ActivityAttendee(Synced, Base):
    """Who was in the room: a client contact or one of our users."""

    __tablename__ = "activity_attendees"
    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)


class Commitment(Synced, Base):
    """What we promised, to whom, by when; usually made in a meeting."""

    __tablename__ = "commitments"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    activity_id: Mapped[str | None] = mapped_column(ForeignKey("activities.id"), default=None)
    description: Mapped[str] = mapped_column(Text)
    to_contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(10), default="open")
    done_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class Setting(Base):
    """Local-only key/value settings of this database (current user, demo flag, ...)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


SYNCED_TABLES: dict[str, type[Synced]] = {
    cls.__tablename__: cls
    for cls in (
        User,
        Account,
        AccountTeamMember,
        Contact,
        Position,
        Product,
        Holding,
        Lead,
        Opportunity,
        Activity,
        ActivityAttendee,
        Commitment,
        AccountPlan,
        PlanUpdate,
        PlanObjective,
        PlanAction,
        WhitespaceMark,
    )
}

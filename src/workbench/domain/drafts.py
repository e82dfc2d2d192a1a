"""What a user typed for a new or edited record, and the rules that turn it into clean values.

Why collect every error before raising: the dialog shows a message beside each bad field at
once and keeps everything typed; nothing is written half-way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from workbench.domain.email import normalize_email
from workbench.domain.enums import (
    AccountKind,
    ActivityKind,
    ActivityStatus,
    StakeholderRole,
    Stance,
    Tier,
)
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.money import currency_exponent
from workbench.domain.names import NameOrder, PersonName, validate_person_name
from workbench.domain.phone import normalize_phone
from workbench.domain.taxcode import TaxCodeKind, validate_tax_code

T = TypeVar("T")


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, fn: Callable[[], T], fallback: T) -> T:
        try:
            return fn()
        except ValidationError as exc:
            self.errors.extend(exc.errors)
            return fallback

    def require(self, ok: bool, field_name: str, code: str, message: str, **params: str) -> None:
        if not ok:
            self.errors.append(FieldError(field_name, code, message, params))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _enum(c: _Collector, enum: type[Any], value: str, field_name: str) -> str:
    try:
        return str(enum(value).value)
    except ValueError:
        c.require(False, field_name, "choice.invalid", "{value} is not a valid choice", value=value)
        return value


@dataclass
class AccountDraft:
    name: str = ""
    kind: str = AccountKind.COMPANY
    tier: str = Tier.CORE
    owner_id: str | None = None
    parent_id: str | None = None
    tax_code: str = ""
    tax_code_kind: str = ""  # "" = infer from the shape
    industry: str = ""
    city: str = ""
    country: str = "VN"
    address: str = ""
    website: str = ""
    phone: str = ""
    email: str = ""
    currency: str = "VND"
    payment_terms_days: int = 30
    notes: str = ""


def clean_account(d: AccountDraft) -> dict[str, Any]:
    c = _Collector()
    name = unicodedata.normalize("NFC", " ".join(d.name.split()))
    c.require(bool(name), "name", "account.name_required", "An account needs a name")
    c.require(len(name) <= 200, "name", "text.too_long", "At most {n} characters", n="200")
    tax_code, tax_kind = "", ""
    if d.tax_code.strip():
        known = d.tax_code_kind in TaxCodeKind._value2member_map_
        if d.tax_code_kind and not known:
            _enum(c, TaxCodeKind, d.tax_code_kind, "tax_code_kind")
        else:
            kind = TaxCodeKind(d.tax_code_kind) if d.tax_code_kind else None
            fallback: tuple[str, TaxCodeKind | None] = ("", None)
            tax_code, k = c.run(lambda: validate_tax_code(d.tax_code, kind), fallback)
            tax_kind = k.value if k else ""
    phone = c.run(lambda: normalize_phone(d.phone), "") if d.phone.strip() else ""
    email = c.run(lambda: normalize_email(d.email), "") if d.email.strip() else ""
    currency = d.currency.strip().upper()
    c.run(lambda: currency_exponent(currency), 0)
    c.require(
        0 <= d.payment_terms_days <= 365,
        "payment_terms_days",
        "terms.range",
        "Payment terms are between 0 and 365 days",
    )
    country = d.country.strip().upper()
    c.require(
        len(country) == 2 and country.isalpha(),
        "country",
        "country.invalid",
        "Use a two-letter country code such as VN",
    )
    values = {
        "name": name,
        "kind": _enum(c, AccountKind, d.kind, "kind"),
        "tier": _enum(c, Tier, d.tier, "tier"),
        "owner_id": d.owner_id or None,
        "parent_id": d.parent_id or None,
        "tax_code": tax_code,
        "tax_code_kind": tax_kind,
        "industry": d.industry.strip(),
        "city": d.city.strip(),
        "country": country,
        "address": d.address.strip(),
        "website": d.website.strip(),
        "phone": phone,
        "email": email,
        "currency": currency,
        "payment_terms_days": d.payment_terms_days,
        "notes": d.notes.strip(),
    }
    c.raise_if_any()
    return values


@dataclass
class PositionDraft:
    account_id: str
    title: str = ""
    department: str = ""
    stakeholder_role: str = StakeholderRole.USER
    influence: int = 3
    stance: str = Stance.NEUTRAL
    strength: int = 2
    colleague_id: str | None = None
    reports_to_id: str | None = None
    start_date: date | None = None
    end_date: date | None = None


def clean_position(d: PositionDraft, c: _Collector | None = None) -> dict[str, Any]:
    own = c is None
    col = c or _Collector()
    col.require(bool(d.account_id), "account_id", "position.account_required", "Pick an account")
    col.require(
        1 <= d.influence <= 5, "influence", "range", "Between {lo} and {hi}", lo="1", hi="5"
    )
    col.require(0 <= d.strength <= 4, "strength", "range", "Between {lo} and {hi}", lo="0", hi="4")
    col.require(
        not (d.start_date and d.end_date and d.end_date < d.start_date),
        "end_date",
        "position.dates",
        "The end date is before the start date",
    )
    values = {
        "account_id": d.account_id,
        "title": d.title.strip(),
        "department": d.department.strip(),
        "stakeholder_role": _enum(col, StakeholderRole, d.stakeholder_role, "stakeholder_role"),
        "influence": d.influence,
        "stance": _enum(col, Stance, d.stance, "stance"),
        "strength": d.strength,
        "colleague_id": d.colleague_id or None,
        "reports_to_id": d.reports_to_id or None,
        "start_date": d.start_date,
        "end_date": d.end_date,
    }
    if own:
        col.raise_if_any()
    return values


@dataclass
class ContactDraft:
    family_name: str = ""
    middle_name: str = ""
    given_name: str = ""
    name_order: str = NameOrder.FAMILY_FIRST
    email: str = ""
    phone: str = ""
    mobile: str = ""
    birthday: date | None = None
    language: str = "vi"
    tax_code: str = ""
    notes: str = ""
    position: PositionDraft | None = None
    extra: dict[str, str] = field(default_factory=dict)


def clean_contact(d: ContactDraft, today: date | None = None) -> dict[str, Any]:
    """Clean values for the contacts table; a `position` key holds the position's, if any."""
    c = _Collector()
    order = NameOrder(d.name_order) if d.name_order in NameOrder._value2member_map_ else None
    c.require(
        order is not None,
        "name_order",
        "choice.invalid",
        "{value} is not a valid choice",
        value=d.name_order,
    )
    name = c.run(
        lambda: validate_person_name(
            PersonName(d.family_name, d.middle_name, d.given_name, order or NameOrder.FAMILY_FIRST)
        ),
        PersonName(d.family_name, d.middle_name, d.given_name),
    )
    email = c.run(lambda: normalize_email(d.email), "") if d.email.strip() else ""
    phone = c.run(lambda: normalize_phone(d.phone), "") if d.phone.strip() else ""
    mobile = (
        c.run(lambda: normalize_phone(d.mobile, field="mobile"), "") if d.mobile.strip() else ""
    )
    tax_code = ""
    if d.tax_code.strip():
        tax_code, _ = c.run(lambda: validate_tax_code(d.tax_code), ("", TaxCodeKind.FOREIGN))
    today = today or datetime.now().date()
    c.require(
        d.birthday is None or date(1900, 1, 1) <= d.birthday <= today,
        "birthday",
        "birthday.range",
        "A birthday between 1900 and today",
    )
    c.require(
        d.language in ("vi", "en", ""),
        "language",
        "choice.invalid",
        "{value} is not a valid choice",
        value=d.language,
    )
    values: dict[str, Any] = {
        "family_name": name.family,
        "middle_name": name.middle,
        "given_name": name.given,
        "name_order": (order or NameOrder.FAMILY_FIRST).value,
        "email": email,
        "phone": phone,
        "mobile": mobile,
        "birthday": d.birthday,
        "language": d.language or "vi",
        "tax_code": tax_code,
        "notes": d.notes.strip(),
    }
    if d.position is not None:
        values["position"] = clean_position(d.position, c)
    c.raise_if_any()
    return values


@dataclass
class ActivityDraft:
    account_id: str
    kind: str = ActivityKind.CALL
    subject: str = ""
    occurred_at: datetime | None = None
    status: str = ActivityStatus.DONE
    notes: str = ""
    outcome: str = ""
    next_step: str = ""
    due_date: date | None = None
    owner_id: str | None = None
    contact_ids: tuple[str, ...] = ()


def clean_activity(d: ActivityDraft, now: datetime) -> dict[str, Any]:
    c = _Collector()
    kind = _enum(c, ActivityKind, d.kind, "kind")
    subject = " ".join(d.subject.split())
    c.require(bool(subject), "subject", "activity.subject_required", "Say what it was about")
    c.require(len(subject) <= 200, "subject", "text.too_long", "At most {n} characters", n="200")
    c.require(bool(d.account_id), "account_id", "activity.account_required", "Pick an account")
    status = _enum(c, ActivityStatus, d.status, "status")
    when = d.occurred_at or now
    values = {
        "account_id": d.account_id,
        "kind": kind,
        "subject": subject,
        "occurred_at": when,
        "status": status,
        "notes": d.notes.strip(),
        "outcome": d.outcome.strip(),
        "next_step": d.next_step.strip(),
        "due_date": d.due_date,
        "owner_id": d.owner_id or None,
    }
    c.raise_if_any()
    return values


@dataclass
class CommitmentDraft:
    account_id: str
    description: str = ""
    due_date: date | None = None
    to_contact_id: str | None = None
    owner_id: str | None = None
    activity_id: str | None = None


def clean_commitment(d: CommitmentDraft) -> dict[str, Any]:
    c = _Collector()
    text = d.description.strip()
    c.require(bool(text), "description", "commitment.description_required", "Say what was promised")
    c.require(bool(d.account_id), "account_id", "activity.account_required", "Pick an account")
    values = {
        "account_id": d.account_id,
        "description": text,
        "due_date": d.due_date,
        "to_contact_id": d.to_contact_id or None,
        "owner_id": d.owner_id or None,
        "activity_id": d.activity_id or None,
        "status": "open",
    }
    c.raise_if_any()
    return values

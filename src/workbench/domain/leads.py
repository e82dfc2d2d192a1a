"""Leads: what a salesperson typed about a prospect, how its status may move, and how a lead
finds the account and the person it already is when it is converted.

Rules, decided here and relied on by the service and the dock:

- A lead names a company or a person (or both); an e-mail, phone or tax code is checked only
  when given, and the estimate is never negative.
- Status moves: new -> working -> qualified, each may be disqualified, and a disqualified lead
  may be reopened (back to working). **Converted is final** and is reached only by converting
  (never by setting the status), from new, working or qualified; a disqualified lead must be
  reopened first. **Disqualifying needs a reason**: the qualification notes must say why, so a
  colleague who picks the lead up later knows what happened.
- Matching, so converting never makes a duplicate: an account matches by tax code first
  (normalised: spaces removed, branch codes with their dash), else by its name folded (case,
  diacritics and spacing ignored) and compared exactly. **A name match never overrides a
  tax code**: when the lead and the same-named account both carry a tax code and they are not
  the same enterprise (head office and branches share the first ten digits), they are two
  companies with one name, and the lead is not linked (the preview says why). A contact
  matches by e-mail (case-insensitive) or by phone (E.164), preferring a person already at the
  matched account, else anyone.
- A lead that names only a person (no company) and whose person is already known, by e-mail
  or mobile **and** the same family name, belongs to the account where that person works now,
  not to a new household account.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workbench.domain.drafts import _Collector, _enum
from workbench.domain.email import normalize_email
from workbench.domain.enums import LeadSource, LeadStatus
from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.money import currency_exponent
from workbench.domain.names import PersonName, validate_person_name
from workbench.domain.phone import normalize_phone
from workbench.domain.pipeline import deal_name
from workbench.domain.taxcode import validate_tax_code
from workbench.domain.text import fold

S = LeadStatus

#: Where a lead may go from each status by setting it (converting is separate, see below).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.WORKING, S.QUALIFIED, S.DISQUALIFIED}),
    S.WORKING: frozenset({S.NEW, S.QUALIFIED, S.DISQUALIFIED}),
    S.QUALIFIED: frozenset({S.WORKING, S.DISQUALIFIED}),
    S.DISQUALIFIED: frozenset({S.WORKING}),
    S.CONVERTED: frozenset(),
}
#: Statuses a lead can be converted from.
CONVERTIBLE = frozenset({S.NEW, S.WORKING, S.QUALIFIED})


@dataclass(frozen=True)
class LeadRow:
    """A lead as the Leads dock lists it."""

    id: str
    company: str
    tax_code: str
    person_family: str
    person_given: str
    title: str
    email: str
    phone: str
    source: str
    status: str
    interest: str
    estimate_minor: int
    currency: str
    notes: str
    owner_id: str | None
    owner_name: str
    account_id: str | None
    account_name: str
    contact_id: str | None
    opportunity_id: str | None
    converted_on: date | None
    created_at: datetime
    archived: bool = False

    @property
    def person(self) -> str:
        return person_name(self.person_family, self.person_given)

    @property
    def display_name(self) -> str:
        return self.company or self.person


@dataclass
class LeadDraft:
    company: str = ""
    tax_code: str = ""
    person_family: str = ""
    person_given: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    source: str = LeadSource.WEB
    status: str = LeadStatus.NEW
    interest: str = ""  # a product line
    estimate_minor: int = 0
    currency: str = "VND"
    notes: str = ""  # qualification notes
    owner_id: str | None = None


def _one_line(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def clean_lead(d: LeadDraft) -> dict[str, Any]:
    """Clean values for the leads table; every problem is reported at once."""
    c = _Collector()
    company = _one_line(d.company)
    family, given = _one_line(d.person_family), _one_line(d.person_given)
    c.require(
        bool(company or family or given),
        "company",
        "lead.who_required",
        "A lead needs a company or a person",
    )
    c.require(len(company) <= 200, "company", "text.too_long", "At most {n} characters", n="200")
    if family or given:
        person = c.run(
            lambda: validate_person_name(PersonName(family, "", given)),
            PersonName(family, "", given),
        )
        family, given = person.family, person.given
    # The person's name errors name the parts "family"/"given"; the lead's fields are prefixed.
    c.errors = [
        FieldError(f"person_{e.field}", e.code, e.message, e.params)
        if e.field in ("family", "given")
        else e
        for e in c.errors
    ]
    tax_code = ""
    if d.tax_code.strip():
        tax_code = c.run(lambda: validate_tax_code(d.tax_code)[0], "")
    email = c.run(lambda: normalize_email(d.email), "") if d.email.strip() else ""
    phone = c.run(lambda: normalize_phone(d.phone), "") if d.phone.strip() else ""
    c.require(
        d.estimate_minor >= 0,
        "estimate_minor",
        "lead.estimate_negative",
        "The estimate cannot be negative",
    )
    currency = d.currency.strip().upper()
    c.run(lambda: currency_exponent(currency), 0)
    status = _enum(c, LeadStatus, d.status, "status")
    notes = d.notes.strip()
    if status == S.DISQUALIFIED:
        _require_reason(c, notes)
    title = _one_line(d.title)
    c.require(len(title) <= 120, "title", "text.too_long", "At most {n} characters", n="120")
    values = {
        "company": company,
        "tax_code": tax_code,
        "person_family": family,
        "person_given": given,
        "title": title,
        "email": email,
        "phone": phone,
        "source": _enum(c, LeadSource, d.source, "source"),
        "status": status,
        "interest": _one_line(d.interest),
        "estimate_minor": d.estimate_minor,
        "currency": currency,
        "notes": notes,
        "owner_id": d.owner_id or None,
    }
    c.raise_if_any()
    return values


def _require_reason(c: _Collector, notes: str) -> None:
    c.require(
        bool(notes),
        "notes",
        "lead.disqualify_reason",
        "Say in the notes why the lead is disqualified",
    )


def check_transition(current: str, new: str, notes: str = "") -> None:
    """Refuse a status change the rules above do not allow (ValidationError on `status`)."""
    if current == new:
        return
    if current == S.CONVERTED:
        raise ValidationError.single(
            "status", "lead.converted_final", "A converted lead cannot change its status"
        )
    if new == S.CONVERTED:
        raise ValidationError.single(
            "status", "lead.convert_only", "Use Convert to turn a lead into an opportunity"
        )
    if new not in TRANSITIONS.get(current, frozenset()):
        raise ValidationError.single(
            "status",
            "lead.transition",
            "A lead cannot go from {before} to {after}",
            before=current,
            after=new,
        )
    if new == S.DISQUALIFIED:
        c = _Collector()
        _require_reason(c, notes.strip())
        c.raise_if_any()


def check_convertible(status: str) -> None:
    if status == S.CONVERTED:
        raise ValidationError.single(
            "status", "lead.already_converted", "This lead has already been converted"
        )
    if status not in CONVERTIBLE:
        raise ValidationError.single(
            "status",
            "lead.reopen_first",
            "A disqualified lead is reopened (set to working) before it is converted",
        )


# -- matching --------------------------------------------------------------------------------
def tax_key(code: str) -> str:
    """A tax code as compared for matching: the validated form when it is a Vietnamese code,
    else without spaces and in upper case; "" for nothing."""
    if not code.strip():
        return ""
    try:
        return validate_tax_code(code)[0]
    except ValidationError:
        return "".join(code.split()).upper()


def _enterprise(key: str) -> str:
    """The enterprise part of a tax key: a branch (0100109106-001) belongs to 0100109106."""
    return key.split("-")[0][:10]


def name_key(name: str) -> str:
    """A company name as compared for matching: folded (case, diacritics, spacing ignored)."""
    return fold(unicodedata.normalize("NFC", name))


def email_key(email: str) -> str:
    return email.strip().lower()


def phone_key(phone: str) -> str:
    if not phone.strip():
        return ""
    try:
        return normalize_phone(phone)
    except ValidationError:
        return ""


@dataclass(frozen=True)
class AccountCandidate:
    id: str
    name: str
    tax_code: str = ""


@dataclass(frozen=True)
class ContactCandidate:
    id: str
    name: str
    email: str = ""
    phones: tuple[str, ...] = ()
    account_ids: tuple[str, ...] = ()  # accounts where the person holds a current position
    family: str = ""  # family name, to tell a shared switchboard or info@ address apart
    mobile: str = ""  # the person's own mobile (a desk phone may be a shared switchboard)


@dataclass(frozen=True)
class Match:
    id: str
    name: str
    reason: str  # "tax_code" | "name" | "email" | "phone" | "person" | "chosen"


def tax_conflict(tax_code: str, other: str) -> bool:
    """Two non-empty tax codes of different enterprises (a branch is its head office's)."""
    a, b = tax_key(tax_code), tax_key(other)
    return bool(a and b) and _enterprise(a) != _enterprise(b)


def match_account(
    company: str, tax_code: str, candidates: Iterable[AccountCandidate]
) -> Match | None:
    """The existing account a lead is: by tax code first, else by folded exact name, but never
    a same-named account whose tax code says it is another company (see `name_conflict`)."""
    pool = list(candidates)
    wanted_tax = tax_key(tax_code)
    if wanted_tax:
        for a in pool:
            if a.tax_code and tax_key(a.tax_code) == wanted_tax:
                return Match(a.id, a.name, "tax_code")
    wanted_name = name_key(company)
    if wanted_name:
        for a in pool:
            if name_key(a.name) == wanted_name and not tax_conflict(tax_code, a.tax_code):
                return Match(a.id, a.name, "name")
    return None


def name_conflict(
    company: str, tax_code: str, candidates: Iterable[AccountCandidate]
) -> AccountCandidate | None:
    """An account with the lead's company name but another enterprise's tax code: not linked
    to, and worth telling the user about (two companies with one name)."""
    wanted_name = name_key(company)
    if not wanted_name or not tax_key(tax_code):
        return None
    for a in candidates:
        if name_key(a.name) == wanted_name and tax_conflict(tax_code, a.tax_code):
            return a
    return None


def match_contact(
    email: str,
    phone: str,
    candidates: Sequence[ContactCandidate],
    account_id: str | None = None,
    family: str = "",
) -> Match | None:
    """The existing person a lead's contact is: same e-mail or phone; someone already at
    `account_id` wins over someone elsewhere, and an e-mail match over a phone match.

    When the lead names the person (`family`), a candidate with a family name must have that
    one too: a company switchboard or an info@ address is shared by many people, and linking
    the lead to whoever was filed under it first would lose the person the lead is about.
    """
    wanted_email, wanted_phone = email_key(email), phone_key(phone)
    if not wanted_email and not wanted_phone:
        return None
    wanted_family = name_key(family)

    def reason(c: ContactCandidate) -> str:
        if wanted_family and c.family and name_key(c.family) != wanted_family:
            return ""
        if wanted_email and email_key(c.email) == wanted_email:
            return "email"
        if wanted_phone and wanted_phone in {phone_key(p) for p in c.phones if p}:
            return "phone"
        return ""

    found = [(c, r) for c in candidates if (r := reason(c))]
    if not found:
        return None
    found.sort(key=lambda cr: (account_id not in cr[0].account_ids, cr[1] != "email"))
    best, why = found[0]
    return Match(best.id, best.name, why)


def person_account(
    email: str, phone: str, family: str, candidates: Sequence[ContactCandidate]
) -> tuple[ContactCandidate, str] | None:
    """For a lead that names a person and no company: the known person it is and the account
    where they work now (their first current position), or None.

    Stricter than `match_contact`, because it decides the account: the e-mail or the person's
    own mobile must match (a desk phone may be a switchboard) **and** both sides must carry the
    same family name.
    """
    wanted_family = name_key(family)
    wanted_email, wanted_phone = email_key(email), phone_key(phone)
    if not wanted_family or not (wanted_email or wanted_phone):
        return None
    for c in candidates:
        if not c.account_ids or name_key(c.family) != wanted_family:
            continue
        if (wanted_email and email_key(c.email) == wanted_email) or (
            wanted_phone and phone_key(c.mobile) == wanted_phone
        ):
            return c, c.account_ids[0]
    return None


def estimate_totals(rows: Iterable[LeadRow]) -> list[tuple[str, int]]:
    """The estimates summed per currency (never across currencies), the currency with the most
    leads first, then by code; currencies whose estimates are all zero are left out."""
    totals: dict[str, int] = {}
    counts: dict[str, int] = {}
    for r in rows:
        if r.estimate_minor:
            totals[r.currency] = totals.get(r.currency, 0) + r.estimate_minor
            counts[r.currency] = counts.get(r.currency, 0) + 1
    return sorted(totals.items(), key=lambda ct: (-counts[ct[0]], ct[0]))


def person_parts(family: str, given: str) -> tuple[str, str, str]:
    """(family, middle, given) of a contact made from a lead: the lead keeps the given names
    in one field ("Văn An"), a contact has the last word as given name and the rest middle."""
    words = given.split()
    if len(words) <= 1:
        return family, "", given.strip()
    return family, " ".join(words[:-1]), words[-1]


def person_name(family: str, given: str) -> str:
    return " ".join(p for p in (family.strip(), given.strip()) if p)


def opportunity_name(interest: str, account_name: str) -> str:
    """The first opportunity's name: "Security – Công ty ABC", or the account alone."""
    return deal_name(interest, account_name)

"""Leads: list, create, edit, archive, move through statuses, and convert.

Why converting is one unit of work: it finds or creates the account, finds or creates the
person with a position there, opens the first opportunity and marks the lead converted. Half of
that (an account without the lead pointing at it) would invite a second conversion and a
duplicate account, so it is all or nothing, and one Ctrl+Z takes it all back.

Reads go through the ORM tables of `storage` (no SQL is written here); leads are a
salesperson's short list, so the text filter runs in Python over folded text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import or_
from typing import Any

from workbench.domain.changes import ChangeSet
from workbench.domain.drafts import (
    AccountDraft,
    ContactDraft,
    PositionDraft,
    clean_account,
    clean_contact,
    clean_position,
)
from workbench.domain.enums import AccountKind, LeadStatus, OpportunityKind, OpportunityStage
from workbench.domain.errors import ValidationError
from workbench.domain.leads import (
    AccountCandidate,
    ContactCandidate,
    LeadDraft,
    LeadRow,
    Match,
    check_convertible,
    check_transition,
    clean_lead,
    match_account,
    match_contact,
    name_conflict,
    name_key,
    opportunity_name,
    person_account,
    person_name,
    person_parts,
    tax_key,
)
from workbench.domain.names import NameOrder, PersonName
from workbench.domain.pipeline import STAGE_PROBABILITY
from workbench.domain.text import fold
from workbench.services.results import Saved
from workbench.storage.store import Store, UnitOfWork
from workbench.storage.tables import Account, Contact, Lead, Position, User

# Vietnamese mobile numbers in E.164 (+84 then 3, 5, 7, 8 or 9 and 8 more digits): a lead's
# number goes to the contact's mobile when it is one, else to the desk phone.
_VN_MOBILE_STARTS = ("+843", "+845", "+847", "+848", "+849")


@dataclass(frozen=True)
class LeadFilter:
    status: str | None = None
    owner_id: str | None = None
    text: str = ""
    archived: bool = False


def _row(lead: Lead, owner: str, account: str) -> LeadRow:
    return LeadRow(
        id=lead.id,
        company=lead.company,
        tax_code=lead.tax_code,
        person_family=lead.person_family,
        person_given=lead.person_given,
        title=lead.title,
        email=lead.email,
        phone=lead.phone,
        source=lead.source,
        status=lead.status,
        interest=lead.interest,
        estimate_minor=lead.estimate_minor,
        currency=lead.currency,
        notes=lead.notes,
        owner_id=lead.owner_id,
        owner_name=owner,
        account_id=lead.account_id,
        account_name=account,
        contact_id=lead.contact_id,
        opportunity_id=lead.opportunity_id,
        converted_on=lead.converted_on,
        created_at=lead.created_at,
        archived=lead.deleted_at is not None,
    )


def _haystack(row: LeadRow) -> str:
    return fold(
        " ".join(
            (
                row.company,
                row.person,
                row.title,
                row.email,
                row.phone,
                row.tax_code,
                row.interest,
                row.notes,
                row.account_name,
            )
        )
    )


def list_leads(store: Store, f: LeadFilter | None = None) -> list[LeadRow]:
    """Leads newest first, filtered by status, owner and words of the text (all must occur)."""
    f = f or LeadFilter()
    with store.read() as q:
        query = (
            q.session.query(Lead, User.name, Account.name)
            .outerjoin(User, User.id == Lead.owner_id)
            .outerjoin(Account, Account.id == Lead.account_id)
        )
        if f.archived:
            query = query.filter(Lead.deleted_at.is_not(None))
        else:
            query = query.filter(Lead.deleted_at.is_(None))
        if f.status:
            query = query.filter(Lead.status == f.status)
        if f.owner_id:
            query = query.filter(Lead.owner_id == f.owner_id)
        rows = [
            _row(lead, owner or "", account or "")
            for lead, owner, account in query.order_by(Lead.created_at.desc(), Lead.id.desc())
        ]
    words = fold(f.text).split()
    if words:
        rows = [r for r in rows if all(w in _haystack(r) for w in words)]
    return rows


def get_lead(store: Store, lead_id: str) -> LeadRow:
    with store.read() as q:
        found = (
            q.session.query(Lead, User.name, Account.name)
            .outerjoin(User, User.id == Lead.owner_id)
            .outerjoin(Account, Account.id == Lead.account_id)
            .filter(Lead.id == lead_id)
            .one_or_none()
        )
    if found is None:
        raise LookupError(lead_id)
    lead, owner, account = found
    return _row(lead, owner or "", account or "")


def draft_from_lead(row: LeadRow) -> LeadDraft:
    return LeadDraft(
        company=row.company,
        tax_code=row.tax_code,
        person_family=row.person_family,
        person_given=row.person_given,
        title=row.title,
        email=row.email,
        phone=row.phone,
        source=row.source,
        status=row.status,
        interest=row.interest,
        estimate_minor=row.estimate_minor,
        currency=row.currency,
        notes=row.notes,
        owner_id=row.owner_id,
    )


def product_lines(store: Store) -> list[str]:
    """The product lines of the catalogue, for a lead's interest."""
    with store.read() as q:
        return sorted({p.product_line for p in q.products() if p.product_line})


# -- writes ----------------------------------------------------------------------------------
def create_lead(store: Store, draft: LeadDraft) -> Saved:
    values = clean_lead(draft)
    if values["status"] == LeadStatus.CONVERTED:
        check_transition(LeadStatus.NEW, LeadStatus.CONVERTED)
    with store.unit() as uow:
        lead_id = uow.insert("leads", values)
        return Saved(lead_id, uow.commit())


def update_lead(store: Store, lead_id: str, draft: LeadDraft) -> Saved:
    """Edit what is known about a lead; a status change follows the transition rules."""
    values = clean_lead(draft)
    with store.unit() as uow:
        before = uow.values("leads", lead_id)
        check_transition(before["status"], values["status"], values["notes"])
        uow.update("leads", lead_id, values)
        return Saved(lead_id, uow.commit())


def set_status(store: Store, lead_id: str, status: str, notes: str | None = None) -> ChangeSet:
    """Move a lead to `status`; `notes` (when given) replaces the qualification notes, which
    is where the reason for disqualifying goes."""
    with store.unit() as uow:
        before = uow.values("leads", lead_id)
        text = before["notes"] if notes is None else notes.strip()
        check_transition(before["status"], status, text)
        changes: dict[str, Any] = {"status": status}
        if notes is not None:
            changes["notes"] = text
        uow.update("leads", lead_id, changes)
        return uow.commit()


def archive_lead(store: Store, lead_id: str) -> ChangeSet:
    with store.unit() as uow:
        uow.archive("leads", lead_id)
        return uow.commit()


# -- conversion ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvertOptions:
    owner_id: str | None = None  # owns a new account and the opportunity: the current user
    account_id: str | None = None  # link to this account instead of the matching one
    new_account: bool = False  # make a new account even when one matches
    new_contact: bool = False  # make a new contact even when a known person matches
    opportunity_name: str = ""  # "" = "<interest> – <account>"
    close_date: date | None = None  # "" = in 90 days
    today: date | None = None


@dataclass(frozen=True)
class ConversionPreview:
    """What converting will do, for the user to confirm before anything is written."""

    lead: LeadRow
    account: Match | None  # the existing account it links to; None = a new one
    account_name: str
    # A same-named account not linked to because its tax code is another company's.
    name_conflict: AccountCandidate | None
    contact: Match | None  # the existing person it links to; None = a new one (or none)
    contact_name: str  # "" when the lead names no person: no contact is made
    needs_position: bool  # the linked person has no current position at that account yet
    opportunity_name: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class Converted:
    lead_id: str
    account_id: str
    contact_id: str | None
    opportunity_id: str
    account_created: bool
    contact_created: bool
    changes: ChangeSet


def _lead_values(uow: UnitOfWork, lead_id: str) -> dict[str, Any]:
    values = uow.values("leads", lead_id)
    if values["deleted_at"] is not None:
        raise ValidationError.single(
            "status", "lead.archived", "This lead is archived; restore it first"
        )
    return values


def _account_candidates(uow: UnitOfWork, company: str, tax_code: str) -> list[AccountCandidate]:
    session = uow.session
    found: list[Account] = []
    if tax_code.strip():
        codes = {tax_code.strip(), tax_key(tax_code)}
        found += session.query(Account).filter(
            Account.deleted_at.is_(None), Account.tax_code.in_(codes)
        )
    if company.strip():
        found += session.query(Account).filter(
            Account.deleted_at.is_(None), Account.name_folded == name_key(company)
        )
    # Oldest first: of two accounts with one name, the long-standing one is the real client.
    found.sort(key=lambda a: (a.created_at, a.id))
    return [AccountCandidate(a.id, a.name, a.tax_code) for a in found]


def _contact_candidates(uow: UnitOfWork, email: str, phone: str) -> list[ContactCandidate]:
    session = uow.session
    conds: list[Any] = []
    if email:
        conds.append(Contact.email.ilike(email))  # superset; the domain compares exactly
    if phone:
        conds += [Contact.phone == phone, Contact.mobile == phone]
    if not conds:
        return []
    contacts = (
        session.query(Contact)
        .filter(Contact.deleted_at.is_(None), reduce(or_, conds))
        .order_by(Contact.created_at, Contact.id)
        .all()
    )
    out = []
    for c in contacts:
        # Current positions at live accounts, the latest job first.
        accounts = tuple(
            a
            for (a,) in session.query(Position.account_id)
            .join(Account, Account.id == Position.account_id)
            .filter(
                Position.contact_id == c.id,
                Position.deleted_at.is_(None),
                Position.end_date.is_(None),
                Account.deleted_at.is_(None),
            )
            .order_by(
                Position.start_date.is_(None),
                Position.start_date.desc(),
                Position.created_at.desc(),
            )
        )
        name = PersonName(c.family_name, c.middle_name, c.given_name, NameOrder(c.name_order))
        out.append(
            ContactCandidate(
                c.id,
                name.display(),
                c.email,
                (c.phone, c.mobile),
                accounts,
                c.family_name,
                c.mobile,
            )
        )
    return out


def _plan(uow: UnitOfWork, lead: dict[str, Any], options: ConvertOptions) -> ConversionPreview:
    company = lead["company"]
    person = person_name(lead["person_family"], lead["person_given"])
    people = _contact_candidates(uow, lead["email"], lead["phone"])
    conflict: AccountCandidate | None = None
    account: Match | None = None
    if options.account_id:
        chosen = uow.values("accounts", options.account_id)
        account = Match(chosen["id"], chosen["name"], "chosen")
    elif not options.new_account:
        pool = _account_candidates(uow, company, lead["tax_code"])
        account = match_account(company, lead["tax_code"], pool)
        if account is None:
            conflict = name_conflict(company, lead["tax_code"], pool)
        if account is None and not company:
            # A person alone: the account where that (known) person works, not a household.
            found = person_account(lead["email"], lead["phone"], lead["person_family"], people)
            if found is not None:
                works_at = uow.values("accounts", found[1])
                account = Match(works_at["id"], works_at["name"], "person")
    account_name = account.name if account else (company or person)
    contact = None
    if not options.new_contact:
        contact = match_contact(
            lead["email"],
            lead["phone"],
            people,
            account.id if account else None,
            lead["person_family"],
        )
    needs_position = True
    if contact is not None and account is not None:
        needs_position = not uow.ids_where(
            "positions", contact_id=contact.id, account_id=account.id, end_date=None
        )
    name = options.opportunity_name.strip() or opportunity_name(lead["interest"], account_name)
    row = _row_from_values(lead)
    return ConversionPreview(
        lead=row,
        account=account,
        account_name=account_name,
        name_conflict=conflict,
        contact=contact,
        contact_name=contact.name if contact else person,
        needs_position=needs_position,
        opportunity_name=name,
        amount_minor=lead["estimate_minor"],
        currency=lead["currency"],
    )


def _row_from_values(v: dict[str, Any]) -> LeadRow:
    return LeadRow(
        id=v["id"],
        company=v["company"],
        tax_code=v["tax_code"],
        person_family=v["person_family"],
        person_given=v["person_given"],
        title=v["title"],
        email=v["email"],
        phone=v["phone"],
        source=v["source"],
        status=v["status"],
        interest=v["interest"],
        estimate_minor=v["estimate_minor"],
        currency=v["currency"],
        notes=v["notes"],
        owner_id=v["owner_id"],
        owner_name="",
        account_id=v["account_id"],
        account_name="",
        contact_id=v["contact_id"],
        opportunity_id=v["opportunity_id"],
        converted_on=v["converted_on"],
        created_at=v["created_at"],
        archived=v["deleted_at"] is not None,
    )


def preview_conversion(
    store: Store, lead_id: str, options: ConvertOptions | None = None
) -> ConversionPreview:
    """What `convert` would do now; writes nothing (the unit is left without commit)."""
    options = options or ConvertOptions()
    with store.unit() as uow:
        lead = _lead_values(uow, lead_id)
        check_convertible(lead["status"])
        return _plan(uow, lead, options)


def convert(store: Store, lead_id: str, options: ConvertOptions | None = None) -> Converted:
    """Turn a lead into an account (found or new), a contact with a position there (found or
    new, when the lead names a person), and the account's first opportunity; in one unit."""
    options = options or ConvertOptions()
    today = options.today or date.today()
    with store.unit() as uow:
        lead = _lead_values(uow, lead_id)
        check_convertible(lead["status"])
        plan = _plan(uow, lead, options)
        owner = options.owner_id or lead["owner_id"]

        account_created = plan.account is None
        if plan.account is not None:
            account_id = plan.account.id
        else:
            account_id = _create_account(uow, lead, plan.account_name, owner)

        contact_id: str | None = None
        contact_created = False
        if plan.contact is not None:
            contact_id = plan.contact.id
            if plan.needs_position:
                position = clean_position(PositionDraft(account_id=account_id, title=lead["title"]))
                uow.insert("positions", {**position, "contact_id": contact_id, "start_date": today})
        elif plan.contact_name:
            contact_id = _create_contact(uow, lead, account_id, today)
            contact_created = True

        opportunity_id = uow.insert(
            "opportunities",
            {
                "account_id": account_id,
                "name": plan.opportunity_name[:200],
                "kind": OpportunityKind.NEW.value,
                "stage": OpportunityStage.QUALIFY.value,
                "amount_minor": lead["estimate_minor"],
                "currency": lead["currency"],
                "probability": STAGE_PROBABILITY[OpportunityStage.QUALIFY.value],
                "close_date": options.close_date or today + timedelta(days=90),
                "owner_id": owner,
                "product_line": lead["interest"],
                "lead_id": lead_id,
                "notes": lead["notes"],
            },
        )
        uow.update(
            "leads",
            lead_id,
            {
                "status": LeadStatus.CONVERTED.value,
                "account_id": account_id,
                "contact_id": contact_id,
                "opportunity_id": opportunity_id,
                "converted_on": today,
            },
        )
        changes = uow.commit()
    return Converted(
        lead_id, account_id, contact_id, opportunity_id, account_created, contact_created, changes
    )


def _create_account(uow: UnitOfWork, lead: dict[str, Any], name: str, owner: str | None) -> str:
    kind = AccountKind.COMPANY if lead["company"] else AccountKind.HOUSEHOLD
    values = clean_account(
        AccountDraft(name=name, kind=kind, owner_id=owner, tax_code=lead["tax_code"])
    )
    account_id = uow.insert("accounts", values)
    if owner:
        uow.insert("account_team", {"account_id": account_id, "user_id": owner, "role": "owner"})
    return account_id


def _create_contact(uow: UnitOfWork, lead: dict[str, Any], account_id: str, today: date) -> str:
    family, middle, given = person_parts(lead["person_family"], lead["person_given"])
    phone = lead["phone"]
    mobile = phone if phone.startswith(_VN_MOBILE_STARTS) else ""
    values = clean_contact(
        ContactDraft(
            family_name=family,
            middle_name=middle,
            given_name=given,
            email=lead["email"],
            phone="" if mobile else phone,
            mobile=mobile,
            position=PositionDraft(account_id=account_id, title=lead["title"], start_date=today),
        )
    )
    position = values.pop("position")
    contact_id = uow.insert("contacts", values)
    uow.insert("positions", {**position, "contact_id": contact_id})
    return contact_id

"""Contacts and their positions: create, edit, archive, and warn about likely duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workbench.domain.changes import ChangeSet
from workbench.domain.drafts import ContactDraft, PositionDraft, clean_contact, clean_position
from workbench.domain.names import NameOrder, PersonName
from workbench.domain.similarity import is_similar_name
from workbench.services.results import Saved
from workbench.storage.store import Store


@dataclass(frozen=True)
class PossibleDuplicate:
    contact_id: str
    name: str
    reason: str  # "email" | "phone" | "name"


def find_duplicates(
    store: Store, draft: ContactDraft, exclude_id: str | None = None
) -> list[PossibleDuplicate]:
    """Live contacts that are probably the same person: same email or phone, or a very
    similar name at the same account. Raises ValidationError for bad input, like saving."""
    values = clean_contact(draft)
    name = PersonName(
        values["family_name"],
        values["middle_name"],
        values["given_name"],
        NameOrder(values["name_order"]),
    ).display()
    found: dict[str, PossibleDuplicate] = {}
    with store.read() as q:
        if values["email"]:
            for cid in q.contacts_with(email=values["email"]):
                found.setdefault(cid, PossibleDuplicate(cid, "", "email"))
        phones = tuple(p for p in (values["phone"], values["mobile"]) if p)
        if phones:
            for cid in q.contacts_with(phones=phones):
                found.setdefault(cid, PossibleDuplicate(cid, "", "phone"))
        position = values.get("position")
        if position:
            for row in q.contacts_at(position["account_id"]):
                other = PersonName(
                    row.family_name, row.middle_name, row.given_name, NameOrder(row.name_order)
                ).display()
                if is_similar_name(name, other):
                    found.setdefault(row.id, PossibleDuplicate(row.id, other, "name"))
        found.pop(exclude_id or "", None)
        out = []
        for dup in found.values():
            detail = q.contact_detail(dup.contact_id)
            if detail is None:
                continue
            label = PersonName(
                detail.family_name,
                detail.middle_name,
                detail.given_name,
                NameOrder(detail.name_order),
            ).display()
            out.append(PossibleDuplicate(dup.contact_id, label, dup.reason))
    return out


def create_contact(store: Store, draft: ContactDraft) -> Saved:
    values = clean_contact(draft)
    position = values.pop("position", None)
    with store.unit() as uow:
        contact_id = uow.insert("contacts", values)
        if position:
            uow.insert("positions", {**position, "contact_id": contact_id})
        return Saved(contact_id, uow.commit())


def update_contact(store: Store, contact_id: str, draft: ContactDraft) -> Saved:
    """Edit a person and their current position.

    The position in the draft is the one the edit dialog showed (the person's first current
    position). At the same account it is updated; at another account the person has moved:
    the old position is ended today, so history stays, and a new one starts.
    """
    values = clean_contact(draft)
    position = values.pop("position", None)
    with store.read() as q:
        detail = q.contact_detail(contact_id)
    current = next((p for p in detail.positions if p.end_date is None), None) if detail else None
    with store.unit() as uow:
        uow.update("contacts", contact_id, values)
        if position:
            if current is not None and current.account_id == position["account_id"]:
                uow.update("positions", current.id, position)
            else:
                if current is not None:
                    uow.update("positions", current.id, {"end_date": date.today()})
                start = position.get("start_date") or date.today()
                uow.insert("positions", {**position, "start_date": start, "contact_id": contact_id})
        return Saved(contact_id, uow.commit())


def add_position(store: Store, contact_id: str, draft: PositionDraft) -> Saved:
    values = clean_position(draft)
    with store.unit() as uow:
        pid = uow.insert("positions", {**values, "contact_id": contact_id})
        return Saved(pid, uow.commit())


def end_position(store: Store, position_id: str, end: date) -> ChangeSet:
    """People change jobs: the position is closed, not deleted, so history stays."""
    with store.unit() as uow:
        uow.update("positions", position_id, {"end_date": end})
        return uow.commit()


def archive_contact(store: Store, contact_id: str) -> ChangeSet:
    with store.unit() as uow:
        uow.archive("contacts", contact_id)
        return uow.commit()


def draft_from_contact(store: Store, contact_id: str) -> ContactDraft:
    with store.read() as q:
        c = q.contact_detail(contact_id)
    if c is None:
        raise LookupError(contact_id)
    current = next((p for p in c.positions if p.end_date is None), None)
    position = None
    if current is not None:
        position = PositionDraft(
            account_id=current.account_id,
            title=current.title,
            department=current.department,
            stakeholder_role=current.stakeholder_role,
            influence=current.influence,
            stance=current.stance,
            strength=current.strength,
            colleague_id=current.colleague_id,
            reports_to_id=current.reports_to_id,
            start_date=current.start_date,
        )
    return ContactDraft(
        family_name=c.family_name,
        middle_name=c.middle_name,
        given_name=c.given_name,
        name_order=c.name_order,
        email=c.email,
        phone=c.phone,
        mobile=c.mobile,
        birthday=c.birthday,
        language=c.language,
        tax_code=c.tax_code,
        notes=c.notes,
        position=position,
    )

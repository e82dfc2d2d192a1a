"""Accounts: create, edit, archive and restore; read the portfolio and one account."""

from __future__ import annotations

from workbench.domain.changes import ChangeSet
from workbench.domain.drafts import AccountDraft, clean_account
from workbench.domain.errors import ValidationError
from workbench.services.results import Saved
from workbench.storage.store import Store, UnitOfWork


def create_account(store: Store, draft: AccountDraft) -> Saved:
    values = clean_account(draft)
    with store.unit() as uow:
        _check_parent(None, values["parent_id"])
        account_id = uow.insert("accounts", values)
        if values["owner_id"]:
            uow.insert(
                "account_team",
                {"account_id": account_id, "user_id": values["owner_id"], "role": "owner"},
            )
        return Saved(account_id, uow.commit())


def update_account(store: Store, account_id: str, draft: AccountDraft) -> Saved:
    values = clean_account(draft)
    with store.unit() as uow:
        _check_parent(account_id, values["parent_id"])
        _check_no_cycle(uow, account_id, values["parent_id"])
        before = uow.values("accounts", account_id)["owner_id"]
        uow.update("accounts", account_id, values)
        if values["owner_id"] != before:
            _move_owner_membership(uow, account_id, before, values["owner_id"])
        return Saved(account_id, uow.commit())


def _move_owner_membership(
    uow: UnitOfWork, account_id: str, before: str | None, after: str | None
) -> None:
    """The owner is also the account team's "owner" member (that is what gives the owner's
    devices the account when syncing); a handover moves that membership with it."""
    if before:
        for row_id in uow.ids_where("account_team", account_id=account_id, user_id=before):
            if uow.values("account_team", row_id)["role"] == "owner":
                uow.archive("account_team", row_id)
    if after:
        rows = uow.ids_where("account_team", account_id=account_id, user_id=after)
        if rows:
            uow.update("account_team", rows[0], {"role": "owner"})
        else:
            uow.insert(
                "account_team", {"account_id": account_id, "user_id": after, "role": "owner"}
            )


def _check_parent(account_id: str | None, parent_id: str | None) -> None:
    if parent_id and parent_id == account_id:
        raise ValidationError.single(
            "parent_id", "account.parent_self", "An account cannot be its own parent"
        )


def _check_no_cycle(uow: UnitOfWork, account_id: str, parent_id: str | None) -> None:
    """A group structure is a tree: the new parent must not sit below this account."""
    seen: set[str] = set()
    current = parent_id
    while current and current not in seen:
        if current == account_id:
            raise ValidationError.single(
                "parent_id",
                "account.parent_cycle",
                "That account belongs to this one's group; pick a parent above it",
            )
        seen.add(current)
        current = uow.values("accounts", current)["parent_id"]


def archive_account(store: Store, account_id: str) -> ChangeSet:
    with store.unit() as uow:
        uow.archive("accounts", account_id)
        return uow.commit()


def draft_from_account(store: Store, account_id: str) -> AccountDraft:
    with store.unit() as uow:
        v = uow.values("accounts", account_id)
    return AccountDraft(
        name=v["name"],
        kind=v["kind"],
        tier=v["tier"],
        owner_id=v["owner_id"],
        parent_id=v["parent_id"],
        tax_code=v["tax_code"],
        tax_code_kind=v["tax_code_kind"],
        industry=v["industry"],
        city=v["city"],
        country=v["country"],
        address=v["address"],
        website=v["website"],
        phone=v["phone"],
        email=v["email"],
        currency=v["currency"],
        payment_terms_days=v["payment_terms_days"],
        notes=v["notes"],
    )

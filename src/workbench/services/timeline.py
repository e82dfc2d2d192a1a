"""Interactions: log activities with attendees, record and complete commitments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workbench.domain.changes import ChangeSet
from workbench.domain.drafts import ActivityDraft, CommitmentDraft, clean_activity, clean_commitment
from workbench.services.results import Saved
from workbench.storage.store import Store, UnitOfWork


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _insert_activity(uow: UnitOfWork, values: dict[str, Any], contact_ids: tuple[str, ...]) -> str:
    """The activity and who was in the room: the contacts and our user who logged it."""
    activity_id = uow.insert("activities", values)
    for contact_id in dict.fromkeys(contact_ids):
        uow.insert("activity_attendees", {"activity_id": activity_id, "contact_id": contact_id})
    if values["owner_id"]:
        uow.insert(
            "activity_attendees", {"activity_id": activity_id, "user_id": values["owner_id"]}
        )
    return activity_id


def log_activity(store: Store, draft: ActivityDraft) -> Saved:
    values = clean_activity(draft, _now())
    with store.unit() as uow:
        activity_id = _insert_activity(uow, values, draft.contact_ids)
        return Saved(activity_id, uow.commit())


def add_commitment(store: Store, draft: CommitmentDraft) -> Saved:
    values = clean_commitment(draft)
    with store.unit() as uow:
        cid = uow.insert("commitments", values)
        return Saved(cid, uow.commit())


def complete_commitment(store: Store, commitment_id: str) -> ChangeSet:
    with store.unit() as uow:
        uow.update("commitments", commitment_id, {"status": "done", "done_at": _now()})
        return uow.commit()


def complete_activity(store: Store, activity_id: str) -> ChangeSet:
    """A planned meeting or task took place."""
    with store.unit() as uow:
        uow.update("activities", activity_id, {"status": "done"})
        return uow.commit()


def archive_item(store: Store, table: str, row_id: str) -> ChangeSet:
    if table not in ("activities", "commitments"):
        raise ValueError(table)
    with store.unit() as uow:
        uow.archive(table, row_id)
        return uow.commit()


def log_activity_with_commitment(
    store: Store, draft: ActivityDraft, promise: CommitmentDraft | None
) -> Saved:
    """Log an activity and the promise made in it as one unit of work: both or neither.

    Why one unit: the dialog saves them together, so one undo must take both back, and a
    rejected promise must not leave a half-logged meeting behind. Every error of both drafts is
    reported at once, before anything is written.
    """
    from dataclasses import replace

    from workbench.domain.errors import FieldError, ValidationError

    errors: list[FieldError] = []
    values: dict[str, object] = {}
    try:
        values = clean_activity(draft, _now())
    except ValidationError as exc:
        errors.extend(exc.errors)
    if promise is not None:
        promise = replace(promise, account_id=promise.account_id or draft.account_id)
        try:
            clean_commitment(promise)
        except ValidationError as exc:
            seen = {(e.field, e.code) for e in errors}
            errors.extend(e for e in exc.errors if (e.field, e.code) not in seen)
    if errors:
        raise ValidationError(errors)
    with store.unit() as uow:
        activity_id = _insert_activity(uow, values, draft.contact_ids)
        if promise is not None:
            uow.insert("commitments", clean_commitment(replace(promise, activity_id=activity_id)))
        return Saved(activity_id, uow.commit())

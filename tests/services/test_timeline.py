"""Interactions: activities with attendees, commitments, last contact, undo."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from workbench.domain.drafts import AccountDraft, ActivityDraft, CommitmentDraft, ContactDraft
from workbench.domain.errors import ValidationError
from workbench.services import accounts, contacts, timeline
from workbench.services.undo import undo
from workbench.storage.queries import AccountFilter
from workbench.storage.store import Store


@pytest.fixture
def account_id(store: Store) -> str:
    return accounts.create_account(store, AccountDraft(name="Vietcombank CN Hà Nội")).id


def test_logged_call_tops_the_timeline_and_sets_last_contact(
    store: Store, account_id: str, user_id: str
) -> None:
    cid = contacts.create_contact(store, ContactDraft(family_name="Võ", given_name="Tâm")).id
    timeline.log_activity(
        store,
        ActivityDraft(
            account_id=account_id,
            kind="meeting",
            subject="Họp quý",
            contact_ids=(cid,),
            occurred_at=datetime(2026, 10, 1, 9, 0),
            owner_id=user_id,
        ),
    )
    saved = timeline.log_activity(
        store,
        ActivityDraft(
            account_id=account_id, kind="call", subject="Gọi nhắc gia hạn", owner_id=user_id
        ),
    )
    assert account_id in saved.changes.accounts
    with store.read() as q:
        items = q.timeline(account_id)
        (row,) = q.account_page(AccountFilter())
    assert [i.subject for i in items] == ["Gọi nhắc gia hạn", "Họp quý"]
    assert items[1].attendees == ("Võ Tâm", "Trần Minh Anh")
    assert row.last_contact == items[0].when


def test_commitment_is_completed(store: Store, account_id: str) -> None:
    cid = timeline.add_commitment(
        store,
        CommitmentDraft(
            account_id=account_id, description="Gửi báo giá nâng cấp", due_date=date(2026, 12, 1)
        ),
    ).id
    timeline.complete_commitment(store, cid)
    with store.read() as q:
        (item,) = [i for i in q.timeline(account_id) if i.item == "commitment"]
    assert item.status == "done"


def test_bad_activity_is_rejected(store: Store, account_id: str) -> None:
    with pytest.raises(ValidationError) as caught:
        timeline.log_activity(store, ActivityDraft(account_id=account_id, kind="party", subject=""))
    assert {e.field for e in caught.value.errors} == {"kind", "subject"}


def test_archived_activity_comes_back_with_undo(store: Store, account_id: str) -> None:
    aid = timeline.log_activity(store, ActivityDraft(account_id=account_id, subject="Note")).id
    archived = timeline.archive_item(store, "activities", aid)
    with store.read() as q:
        assert q.timeline(account_id) == []
    undo(store, archived)
    with store.read() as q:
        assert [i.id for i in q.timeline(account_id)] == [aid]

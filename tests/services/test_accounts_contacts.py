"""Services over a real SQLite file: validation writes nothing; positions keep history."""

from __future__ import annotations

from datetime import date

import pytest

from workbench.domain.drafts import AccountDraft, ContactDraft, PositionDraft
from workbench.domain.errors import ValidationError
from workbench.services import accounts, contacts
from workbench.storage.queries import AccountFilter, ContactFilter
from workbench.storage.store import Store


def _account(store: Store, name: str = "Ngân hàng TMCP Á Đông", **kw: object) -> str:
    return accounts.create_account(store, AccountDraft(name=name, **kw)).id  # type: ignore[arg-type]


def test_every_bad_field_is_reported_and_nothing_is_written(store: Store) -> None:
    draft = AccountDraft(name=" ", tax_code="0100109107", phone="12", email="a@", country="Việt")
    with pytest.raises(ValidationError) as caught:
        accounts.create_account(store, draft)
    fields = {e.field for e in caught.value.errors}
    assert {"name", "tax_code", "phone", "email", "country"} <= fields
    with store.read() as q:
        assert q.account_count(AccountFilter()) == 0


def test_branch_tax_code_is_normalised_with_its_kind(store: Store) -> None:
    account_id = _account(store, tax_code="0100109106 001")
    with store.read() as q:
        detail = q.account_detail(account_id)
    assert detail is not None
    assert (detail.tax_code, detail.tax_code_kind) == ("0100109106-001", "mst13")


def test_owner_joins_the_account_team(store: Store, user_id: str) -> None:
    account_id = _account(store, owner_id=user_id)
    with store.read() as q:
        detail = q.account_detail(account_id)
    assert detail is not None
    assert [(t.name, t.role) for t in detail.team] == [("Trần Minh Anh", "owner")]


def test_a_handover_moves_the_owner_membership(store: Store, user_id: str) -> None:
    account_id = _account(store, owner_id=user_id)
    with store.unit() as u:
        other = u.insert("users", {"name": "Lê Hoàng Nam", "email": "", "role": "am"})
        u.commit()
    draft = accounts.draft_from_account(store, account_id)
    draft.owner_id = other
    accounts.update_account(store, account_id, draft)
    with store.read() as q:
        detail = q.account_detail(account_id)
    assert detail is not None
    assert [(t.name, t.role) for t in detail.team] == [("Lê Hoàng Nam", "owner")]


def test_account_cannot_be_its_own_parent(store: Store) -> None:
    account_id = _account(store)
    draft = accounts.draft_from_account(store, account_id)
    draft.parent_id = account_id
    with pytest.raises(ValidationError) as caught:
        accounts.update_account(store, account_id, draft)
    assert caught.value.errors[0].field == "parent_id"


def test_contact_with_position_appears_as_stakeholder(store: Store, user_id: str) -> None:
    account_id = _account(store)
    saved = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Phạm",
            middle_name="Thu",
            given_name="Hà",
            mobile="0987654321",
            position=PositionDraft(
                account_id=account_id,
                title="Giám đốc Tài chính",
                stakeholder_role="decision_maker",
                colleague_id=user_id,
            ),
        ),
    )
    with store.read() as q:
        detail = q.account_detail(account_id)
        page = q.contact_page(ContactFilter(account_id=account_id))
    assert detail is not None
    (s,) = detail.stakeholders
    assert (s.name, s.role, s.colleague_name, s.phone) == (
        "Phạm Thu Hà",
        "decision_maker",
        "Trần Minh Anh",
        "+84987654321",
    )
    assert [r.id for r in page] == [saved.id]
    assert page[0].account_name == "Ngân hàng TMCP Á Đông"


def test_people_change_jobs_and_history_stays(store: Store) -> None:
    old = _account(store, "Công ty Cũ")
    new = _account(store, "Công ty Mới")
    cid = contacts.create_contact(
        store,
        ContactDraft(
            given_name="Bình",
            family_name="Lê",
            position=PositionDraft(account_id=old, title="CTO"),
        ),
    ).id
    with store.read() as q:
        (pos,) = q.contact_detail(cid).positions  # type: ignore[union-attr]
    contacts.end_position(store, pos.id, date(2026, 1, 31))
    contacts.add_position(store, cid, PositionDraft(account_id=new, title="CIO"))
    with store.read() as q:
        detail = q.contact_detail(cid)
        old_detail = q.account_detail(old)
    assert detail is not None and old_detail is not None
    assert [(p.account_name, p.end_date) for p in detail.positions] == [
        ("Công ty Mới", None),
        ("Công ty Cũ", date(2026, 1, 31)),
    ]
    assert old_detail.stakeholders == ()


def test_duplicates_by_email_phone_and_similar_name(store: Store) -> None:
    account_id = _account(store)
    first = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Đặng",
            middle_name="Thị",
            given_name="Lan",
            email="lan@adb.vn",
            mobile="0912345678",
            position=PositionDraft(account_id=account_id),
        ),
    ).id
    by_email = contacts.find_duplicates(store, ContactDraft(given_name="X", email="lan@adb.vn"))
    by_phone = contacts.find_duplicates(store, ContactDraft(given_name="Y", phone="+84912345678"))
    by_name = contacts.find_duplicates(
        store,
        ContactDraft(
            family_name="Dang",
            middle_name="Thi",
            given_name="Lan",
            position=PositionDraft(account_id=account_id),
        ),
    )
    assert [(d.contact_id, d.reason) for d in by_email] == [(first, "email")]
    assert [(d.contact_id, d.reason) for d in by_phone] == [(first, "phone")]
    assert [(d.contact_id, d.name) for d in by_name] == [(first, "Đặng Thị Lan")]
    assert (
        contacts.find_duplicates(
            store, ContactDraft(given_name="Z", email="lan@adb.vn"), exclude_id=first
        )
        == []
    )


def test_vietnamese_sort_is_by_given_name(store: Store) -> None:
    for family, given in (("Nguyễn", "Bình"), ("Trần", "An"), ("Lê", "Đức"), ("Đỗ", "Dũng")):
        contacts.create_contact(store, ContactDraft(family_name=family, given_name=given))
    with store.read() as q:
        given = [r.given_name for r in q.contact_page(ContactFilter(), sort="name")]
        family = [r.family_name for r in q.contact_page(ContactFilter(), sort="name_family")]
    assert given == ["An", "Bình", "Dũng", "Đức"]
    assert family == ["Đỗ", "Lê", "Nguyễn", "Trần"]


def test_moving_a_person_to_another_account_ends_the_old_position(store: Store) -> None:
    old = _account(store, "Công ty Cũ")
    new = _account(store, "Công ty Mới")
    cid = contacts.create_contact(
        store,
        ContactDraft(
            given_name="Hùng",
            family_name="Bùi",
            position=PositionDraft(account_id=old, title="CFO"),
        ),
    ).id
    draft = contacts.draft_from_contact(store, cid)
    assert draft.position is not None
    draft.position.account_id = new
    contacts.update_contact(store, cid, draft)
    with store.read() as q:
        detail = q.contact_detail(cid)
    assert detail is not None
    current = [p.account_name for p in detail.positions if p.end_date is None]
    ended = [p.account_name for p in detail.positions if p.end_date is not None]
    assert (current, ended) == (["Công ty Mới"], ["Công ty Cũ"])

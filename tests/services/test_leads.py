"""Lead service on a real SQLite file: CRUD, status moves, and conversion without duplicates."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from workbench.domain.drafts import AccountDraft, ContactDraft, PositionDraft
from workbench.domain.errors import ValidationError
from workbench.domain.leads import LeadDraft
from workbench.domain.pipeline import STAGE_PROBABILITY
from workbench.services import accounts, contacts, leads
from workbench.services.undo import undo
from workbench.storage.store import Store

MST = "0100109106"
TODAY = date(2025, 6, 2)


def _count(store: Store, table: str, where: str = "1") -> int:
    with sqlite3.connect(store.path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])


def _lead(store: Store, user_id: str, **kw: object) -> str:
    draft = LeadDraft(
        company="Công ty Cổ phần Sao Mai",
        tax_code=MST,
        person_family="Nguyễn",
        person_given="Văn An",
        title="Trưởng phòng CNTT",
        email="an.nguyen@saomai.vn",
        phone="0912345678",
        source="referral",
        interest="Security",
        estimate_minor=250_000_000,
        notes="Needs a SOC before the audit in Q3",
        owner_id=user_id,
    )
    for key, value in kw.items():
        setattr(draft, key, value)
    return leads.create_lead(store, draft).id


def test_create_list_filter_and_archive(store: Store, user_id: str) -> None:
    first = _lead(store, user_id)
    second = _lead(store, user_id, company="Hộ kinh doanh Bình An", tax_code="", email="")
    leads.set_status(store, second, "working")
    rows = leads.list_leads(store)
    assert {r.id for r in rows} == {first, second}
    assert rows[0].owner_name == "Trần Minh Anh"
    assert [r.id for r in leads.list_leads(store, leads.LeadFilter(status="working"))] == [second]
    assert [r.id for r in leads.list_leads(store, leads.LeadFilter(text="sao mai"))] == [first]
    assert [r.id for r in leads.list_leads(store, leads.LeadFilter(text="binh an"))] == [second]
    assert leads.list_leads(store, leads.LeadFilter(owner_id="nobody")) == []

    changes = leads.archive_lead(store, first)
    assert [r.id for r in leads.list_leads(store)] == [second]
    assert [r.id for r in leads.list_leads(store, leads.LeadFilter(archived=True))] == [first]
    undo(store, changes)
    assert len(leads.list_leads(store)) == 2


def test_a_bad_lead_writes_nothing(store: Store, user_id: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _lead(store, user_id, email="an@", estimate_minor=-5)
    assert {e.field for e in exc.value} == {"email", "estimate_minor"}
    assert _count(store, "leads") == 0


def test_status_moves_follow_the_rules(store: Store, user_id: str) -> None:
    lead_id = _lead(store, user_id)
    with pytest.raises(ValidationError):
        leads.set_status(store, lead_id, "disqualified", notes="")
    leads.set_status(store, lead_id, "disqualified", notes="Bought from a competitor")
    row = leads.get_lead(store, lead_id)
    assert (row.status, row.notes) == ("disqualified", "Bought from a competitor")
    with pytest.raises(ValidationError):
        leads.convert(store, lead_id)
    with pytest.raises(ValidationError):
        leads.set_status(store, lead_id, "converted")
    leads.set_status(store, lead_id, "working")
    assert leads.get_lead(store, lead_id).status == "working"


def test_convert_creates_account_contact_and_opportunity(store: Store, user_id: str) -> None:
    lead_id = _lead(store, user_id)
    preview = leads.preview_conversion(store, lead_id)
    assert preview.account is None and preview.contact is None
    assert preview.account_name == "Công ty Cổ phần Sao Mai"
    assert preview.opportunity_name == "Security – Công ty Cổ phần Sao Mai"
    assert _count(store, "accounts") == 0  # a preview writes nothing

    done = leads.convert(store, lead_id, leads.ConvertOptions(owner_id=user_id, today=TODAY))
    assert done.account_created and done.contact_created
    with store.read() as q:
        account = q.account_detail(done.account_id)
        assert account is not None
        assert (account.name, account.tax_code, account.owner_id) == (
            "Công ty Cổ phần Sao Mai",
            MST,
            user_id,
        )
        people = q.stakeholders(done.account_id)
        assert [p.title for p in people] == ["Trưởng phòng CNTT"]
        contact = q.contact_detail(people[0].contact_id)
        assert contact is not None
        assert (contact.family_name, contact.middle_name, contact.given_name) == (
            "Nguyễn",
            "Văn",
            "An",
        )
        assert contact.mobile == "+84912345678"
    with sqlite3.connect(store.path) as db:
        opp = db.execute(
            "SELECT account_id, kind, stage, amount_minor, product_line, lead_id, owner_id "
            "FROM opportunities"
        ).fetchall()
    assert opp == [(done.account_id, "new", "qualify", 250_000_000, "Security", lead_id, user_id)]
    row = leads.get_lead(store, lead_id)
    assert row.status == "converted"
    assert (row.account_id, row.contact_id, row.opportunity_id) == (
        done.account_id,
        done.contact_id,
        done.opportunity_id,
    )
    assert row.converted_on == TODAY
    assert done.account_id in done.changes.accounts


def test_converting_twice_is_refused(store: Store, user_id: str) -> None:
    lead_id = _lead(store, user_id)
    leads.convert(store, lead_id)
    with pytest.raises(ValidationError) as exc:
        leads.convert(store, lead_id)
    assert exc.value.errors[0].code == "lead.already_converted"
    assert _count(store, "accounts") == 1 and _count(store, "opportunities") == 1


def test_a_lead_matching_an_account_links_to_it_without_a_duplicate(
    store: Store, user_id: str
) -> None:
    existing = accounts.create_account(
        store, AccountDraft(name="CTCP Sao Mai (Hà Nội)", tax_code=MST, owner_id=user_id)
    ).id
    person = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Nguyễn",
            given_name="An",
            email="AN.NGUYEN@saomai.vn",
            position=PositionDraft(account_id=existing, title="IT"),
        ),
    ).id
    lead_id = _lead(store, user_id, tax_code="0100 109 106")
    preview = leads.preview_conversion(store, lead_id)
    assert preview.account is not None and preview.account.id == existing
    assert preview.account.reason == "tax_code"
    assert preview.contact is not None and preview.contact.id == person
    assert not preview.needs_position

    done = leads.convert(store, lead_id)
    assert (done.account_id, done.contact_id) == (existing, person)
    assert not done.account_created and not done.contact_created
    assert _count(store, "accounts") == 1
    assert _count(store, "contacts") == 1
    assert _count(store, "positions") == 1
    assert _count(store, "opportunities", f"lead_id = '{lead_id}'") == 1


def test_a_shared_switchboard_or_info_address_is_not_taken_for_the_leads_person(
    store: Store, user_id: str
) -> None:
    existing = accounts.create_account(
        store, AccountDraft(name="CTCP Sao Mai", tax_code=MST, owner_id=user_id)
    ).id
    colleague = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Lê",
            given_name="Cường",
            email="info@saomai.vn",
            phone="028 3812 3456",
            position=PositionDraft(account_id=existing, title="Lễ tân"),
        ),
    ).id
    lead_id = _lead(
        store, user_id, person_family="Trần", email="info@saomai.vn", phone="028 3812 3456"
    )
    assert leads.preview_conversion(store, lead_id).contact is None
    done = leads.convert(store, lead_id)
    assert done.account_id == existing and done.contact_created
    assert done.contact_id != colleague
    assert _count(store, "contacts") == 2


def test_name_match_and_a_known_person_gets_a_position_there(store: Store, user_id: str) -> None:
    existing = accounts.create_account(store, AccountDraft(name="Công ty Cổ phần Sao Mai")).id
    elsewhere = accounts.create_account(store, AccountDraft(name="Ngân hàng Đông Á")).id
    person = contacts.create_contact(
        store,
        ContactDraft(
            given_name="An",
            phone="+84912345678",
            position=PositionDraft(account_id=elsewhere),
        ),
    ).id
    lead_id = _lead(store, user_id, company="cong ty co phan  sao mai", tax_code="", email="")
    done = leads.convert(store, lead_id)
    assert (done.account_id, done.contact_id) == (existing, person)
    assert _count(store, "accounts") == 2
    assert _count(store, "positions", f"account_id = '{existing}'") == 1


def test_conversion_is_one_unit_undone_by_one_undo(store: Store, user_id: str) -> None:
    lead_id = _lead(store, user_id)
    done = leads.convert(store, lead_id)
    undo(store, done.changes)
    assert _count(store, "accounts", "deleted_at IS NULL") == 0
    assert _count(store, "opportunities", "deleted_at IS NULL") == 0
    assert leads.get_lead(store, lead_id).status == "new"


def test_a_new_account_can_be_forced_and_another_chosen(store: Store, user_id: str) -> None:
    existing = accounts.create_account(store, AccountDraft(name="Sao Mai", tax_code=MST)).id
    other = accounts.create_account(store, AccountDraft(name="Tập đoàn Sao Mai")).id
    first = _lead(store, user_id, tax_code="")
    assert leads.convert(store, first, leads.ConvertOptions(account_id=other)).account_id == other
    second = _lead(store, user_id, email="b@saomai.vn", phone="")
    made = leads.convert(store, second, leads.ConvertOptions(new_account=True))
    assert made.account_created and made.account_id not in (existing, other)


def test_a_same_named_account_with_another_tax_code_is_not_linked(
    store: Store, user_id: str
) -> None:
    other = accounts.create_account(
        store, AccountDraft(name="Công ty Cổ phần Sao Mai", tax_code="0312345673")
    ).id
    lead_id = _lead(store, user_id)  # same name, tax code MST
    preview = leads.preview_conversion(store, lead_id)
    assert preview.account is None
    assert preview.name_conflict is not None and preview.name_conflict.id == other
    done = leads.convert(store, lead_id)
    assert done.account_created and done.account_id != other
    assert _count(store, "accounts") == 2


def test_a_new_contact_can_be_forced(store: Store, user_id: str) -> None:
    existing = accounts.create_account(store, AccountDraft(name="Sao Mai", tax_code=MST)).id
    person = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Nguyễn",
            given_name="An",
            email="an.nguyen@saomai.vn",
            position=PositionDraft(account_id=existing),
        ),
    ).id
    lead_id = _lead(store, user_id)
    options = leads.ConvertOptions(new_contact=True)
    preview = leads.preview_conversion(store, lead_id, options)
    assert preview.contact is None and preview.contact_name == "Nguyễn Văn An"
    done = leads.convert(store, lead_id, options)
    assert done.account_id == existing and done.contact_created and done.contact_id != person
    assert _count(store, "contacts") == 2


def _person_only(store: Store, user_id: str) -> tuple[str, str, str]:
    """A known person working at a client, and a lead naming only that person."""
    client = accounts.create_account(store, AccountDraft(name="Ngân hàng Đông Á")).id
    person = contacts.create_contact(
        store,
        ContactDraft(
            family_name="Nguyễn",
            given_name="An",
            mobile="0912345678",
            position=PositionDraft(account_id=client, title="Giám đốc"),
        ),
    ).id
    lead_id = _lead(store, user_id, company="", tax_code="", email="")
    return client, person, lead_id


def test_a_person_alone_is_linked_to_where_that_person_works(store: Store, user_id: str) -> None:
    client, person, lead_id = _person_only(store, user_id)
    preview = leads.preview_conversion(store, lead_id)
    assert preview.account is not None
    assert (preview.account.id, preview.account.reason) == (client, "person")
    assert preview.contact is not None and preview.contact.id == person
    assert not preview.needs_position
    done = leads.convert(store, lead_id)
    assert (done.account_id, done.contact_id) == (client, person)
    assert not done.account_created
    assert _count(store, "accounts") == 1 and _count(store, "positions") == 1
    assert _count(store, "accounts", "kind = 'household'") == 0


def test_a_person_alone_can_still_get_a_household_account(store: Store, user_id: str) -> None:
    client, _person, lead_id = _person_only(store, user_id)
    done = leads.convert(store, lead_id, leads.ConvertOptions(new_account=True))
    assert done.account_created and done.account_id != client
    assert _count(store, "accounts", "kind = 'household'") == 1


def test_the_first_opportunity_has_the_qualify_stage_probability(
    store: Store, user_id: str
) -> None:
    done = leads.convert(store, _lead(store, user_id))
    with sqlite3.connect(store.path) as db:
        (probability,) = db.execute(
            "SELECT probability FROM opportunities WHERE id = ?", (done.opportunity_id,)
        ).fetchone()
    assert probability == STAGE_PROBABILITY["qualify"]

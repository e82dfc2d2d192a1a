"""Quick search: diacritics-insensitive (đ included), phones, emails, tax codes."""

from __future__ import annotations

import pytest

from workbench.domain.drafts import AccountDraft, ContactDraft, PositionDraft
from workbench.services.accounts import (
    archive_account,
    create_account,
    update_account,
)
from workbench.services.contacts import create_contact
from workbench.storage.queries import AccountFilter
from workbench.storage.search import fts_query
from workbench.storage.store import Store


@pytest.fixture
def people(store: Store) -> dict[str, str]:
    acc = create_account(
        store, AccountDraft(name="Công ty Cổ phần Đặng Gia", tax_code="0100109106", city="Đà Nẵng")
    ).id
    lan = create_contact(
        store,
        ContactDraft(
            family_name="Đặng",
            middle_name="Thị",
            given_name="Lan",
            email="lan.dang@danggia.vn",
            mobile="0912 345 678",
            position=PositionDraft(account_id=acc, title="Kế toán trưởng"),
        ),
    ).id
    an = create_contact(
        store,
        ContactDraft(
            family_name="Nguyễn",
            middle_name="Văn",
            given_name="An",
            phone="028 3823 4567",
        ),
    ).id
    return {"account": acc, "lan": lan, "an": an}


@pytest.mark.parametrize("typed", ["dang", "Đặng", "ĐẶNG", "đang", "dặng"])
def test_d_with_stroke_and_tones_fold(store: Store, people: dict[str, str], typed: str) -> None:
    with store.read() as q:
        ids = {h.ref_id for h in q.search(typed)}
    assert {people["account"], people["lan"]} <= ids


def test_nguyen_finds_nguyen_with_diacritics(store: Store, people: dict[str, str]) -> None:
    with store.read() as q:
        assert [h.ref_id for h in q.search("nguyen")] == [people["an"]]
        assert [h.ref_id for h in q.search("nguy van")] == [people["an"]]


def test_accounts_come_before_contacts(store: Store, people: dict[str, str]) -> None:
    with store.read() as q:
        kinds = [h.kind for h in q.search("dang")]
    assert kinds == sorted(kinds)  # "account" < "contact"
    assert kinds[0] == "account"


@pytest.mark.parametrize("typed", ["0912 345", "0912345678", "+84 912 345 678", "84912"])
def test_phone_typed_any_way(store: Store, people: dict[str, str], typed: str) -> None:
    with store.read() as q:
        assert people["lan"] in {h.ref_id for h in q.search(typed)}


def test_email_and_tax_code(store: Store, people: dict[str, str]) -> None:
    with store.read() as q:
        assert people["lan"] in {h.ref_id for h in q.search("lan.dang@")}
        assert [h.ref_id for h in q.search("0100109106")] == [people["account"]]


def test_subtitle_names_position_and_account(store: Store, people: dict[str, str]) -> None:
    with store.read() as q:
        (hit,) = [h for h in q.search("lan") if h.ref_id == people["lan"]]
    assert "Kế toán trưởng" in hit.subtitle and "Đặng Gia" in hit.subtitle


def test_archived_records_leave_the_index(store: Store, people: dict[str, str]) -> None:
    archive_account(store, people["account"])
    with store.read() as q:
        assert people["account"] not in {h.ref_id for h in q.search("dang gia")}


@pytest.mark.parametrize("typed", ['"', "*", "a OR b", "NEAR(", "'; DROP TABLE accounts; --"])
def test_fts_syntax_in_input_is_inert(store: Store, people: dict[str, str], typed: str) -> None:
    with store.read() as q:
        q.search(typed)  # must not raise
        assert q.account_count(AccountFilter(text=typed)) >= 0


def test_empty_query_matches_nothing() -> None:
    assert fts_query("   ") is None
    assert fts_query("...") is None


def _fts_consistent(store: Store) -> None:
    """FTS5's own check that the index holds exactly the text of `search_docs`."""
    with store.unit() as uow:
        uow.session.connection().exec_driver_sql(
            "INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"
        )


def test_index_follows_renames_archives_and_restores(store: Store, people: dict[str, str]) -> None:
    """The index is written by `search._write` (no triggers): every rewrite must delete the
    old text, or a renamed record would still be found by its old name."""
    draft = AccountDraft(name="Ngân hàng Phương Đông", tax_code="0100109106", city="Huế")
    update_account(store, people["account"], draft)
    with store.read() as q:
        assert people["account"] in {h.ref_id for h in q.search("phuong dong")}
        assert people["account"] not in {h.ref_id for h in q.search("dang gia")}
        # The contact's subtitle names the account's new name; its own text is unchanged.
        (hit,) = [h for h in q.search("lan") if h.ref_id == people["lan"]]
        assert "Phương Đông" in hit.subtitle
    _fts_consistent(store)
    archive_account(store, people["account"])
    _fts_consistent(store)
    with store.unit() as uow:
        uow.restore("accounts", people["account"])
        uow.commit()
    with store.read() as q:
        assert people["account"] in {h.ref_id for h in q.search("phuong")}
    _fts_consistent(store)

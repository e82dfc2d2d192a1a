"""Lead rules: validation, status moves, and the matching that keeps conversion duplicate-free."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.errors import ValidationError
from workbench.domain.leads import (
    AccountCandidate,
    ContactCandidate,
    LeadDraft,
    LeadRow,
    check_convertible,
    check_transition,
    clean_lead,
    estimate_totals,
    match_account,
    match_contact,
    name_conflict,
    person_account,
    person_parts,
    tax_conflict,
)

MST = "0100109106"


def _fields(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {e.field: e.code for e in exc.value}


def test_a_clean_lead_is_normalised() -> None:
    values = clean_lead(
        LeadDraft(
            company="  Công ty  Cổ phần   Sao Mai ",
            tax_code="0100 109 106",
            person_family="Nguyễn",
            person_given=" Văn  An ",
            email="An.Nguyen@SaoMai.vn",
            phone="0912 345 678",
            estimate_minor=150_000_000,
            currency="vnd",
        )
    )
    assert values["company"] == "Công ty Cổ phần Sao Mai"
    assert values["tax_code"] == MST
    assert values["person_given"] == "Văn An"
    assert values["phone"] == "+84912345678"
    assert values["email"].endswith("@saomai.vn")
    assert values["currency"] == "VND"
    assert values["status"] == "new" and values["source"] == "web"


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as exc:
        clean_lead(
            LeadDraft(
                company="",
                tax_code="0100109107",  # wrong check digit
                email="not-an-email",
                phone="12",
                estimate_minor=-1,
                source="tv",
            )
        )
    assert _fields(exc) == {
        "company": "lead.who_required",
        "tax_code": "tax_code.checksum",
        "email": "email.invalid",
        "phone": "phone.invalid",
        "estimate_minor": "lead.estimate_negative",
        "source": "choice.invalid",
    }


def test_a_person_alone_is_enough_and_needs_a_given_name() -> None:
    assert clean_lead(LeadDraft(person_given="Lan"))["person_given"] == "Lan"
    with pytest.raises(ValidationError) as exc:
        clean_lead(LeadDraft(person_family="Trần"))
    assert _fields(exc) == {"person_given": "name.given_required"}


def test_disqualified_needs_a_reason_in_the_notes() -> None:
    with pytest.raises(ValidationError) as exc:
        clean_lead(LeadDraft(company="ABC", status="disqualified"))
    assert _fields(exc) == {"notes": "lead.disqualify_reason"}
    assert clean_lead(LeadDraft(company="ABC", status="disqualified", notes="No budget"))


@pytest.mark.parametrize(
    ("before", "after", "ok"),
    [
        ("new", "working", True),
        ("working", "qualified", True),
        ("qualified", "working", True),
        ("disqualified", "working", True),
        ("disqualified", "qualified", False),
        ("new", "converted", False),
        ("converted", "working", False),
        ("converted", "converted", True),  # no change is no move
    ],
)
def test_status_transitions(before: str, after: str, ok: bool) -> None:
    if ok:
        check_transition(before, after)
    else:
        with pytest.raises(ValidationError):
            check_transition(before, after)


def test_disqualifying_without_a_reason_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        check_transition("working", "disqualified", "  ")
    assert _fields(exc) == {"notes": "lead.disqualify_reason"}
    check_transition("working", "disqualified", "Chose a competitor")


def test_only_open_leads_convert() -> None:
    check_convertible("qualified")
    with pytest.raises(ValidationError) as exc:
        check_convertible("converted")
    assert _fields(exc) == {"status": "lead.already_converted"}
    with pytest.raises(ValidationError):
        check_convertible("disqualified")


ACCOUNTS = [
    AccountCandidate("a1", "Công ty TNHH Ánh Dương", "0312345675"),
    AccountCandidate("a2", "Công ty Cổ phần Sao Mai", MST),
    AccountCandidate("a3", "Ngân hàng Đông Á", "0100109106-002"),
]


def test_tax_code_wins_over_name() -> None:
    found = match_account("Công ty TNHH Ánh Dương", " 0100 109 106", ACCOUNTS)
    assert found is not None and (found.id, found.reason) == ("a2", "tax_code")


def test_branch_code_matches_with_or_without_its_dash() -> None:
    found = match_account("", "0100109106002", ACCOUNTS)
    assert found is not None and found.id == "a3"


def test_name_match_is_exact_after_folding_not_similar() -> None:
    found = match_account("cong ty tnhh anh duong", "", ACCOUNTS)
    assert found is not None and (found.id, found.reason) == ("a1", "name")
    assert match_account("Công ty TNHH Ánh Dương Mới", "", ACCOUNTS) is None
    assert match_account("", "", ACCOUNTS) is None


def _vary(name: str, data: st.DataObject) -> str:
    """The same name as someone might type it: other case, no accents, extra spaces."""
    out = []
    for word in name.split():
        if data.draw(st.booleans()):
            word = (
                "".join(
                    c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c)
                )
                .replace("Đ", "D")
                .replace("đ", "d")
            )
        word = data.draw(st.sampled_from([word, word.upper(), word.lower(), word.title()]))
        out.append(word)
    gaps = [" " * data.draw(st.integers(1, 3)) for _ in out]
    return data.draw(st.sampled_from(["", " ", "\t"])) + "".join(
        g + w for g, w in zip(["", *gaps[1:]], out, strict=True)
    )


@given(st.data(), st.sampled_from(ACCOUNTS))
def test_name_matching_ignores_case_diacritics_and_spacing(
    data: st.DataObject, account: AccountCandidate
) -> None:
    typed = _vary(account.name, data)
    found = match_account(typed, "", ACCOUNTS)
    assert found is not None and found.id == account.id


PEOPLE = [
    ContactCandidate("c1", "Lan", "lan@abc.vn", ("+84912345678",), ("a9",)),
    ContactCandidate("c2", "Lan", "lan.tran@abc.vn", ("+84912345678",), ("a1",)),
]


def test_contact_matches_by_email_case_insensitively() -> None:
    found = match_contact("LAN@ABC.VN", "", PEOPLE)
    assert found is not None and (found.id, found.reason) == ("c1", "email")


def test_contact_at_the_account_wins_and_phone_is_normalised() -> None:
    found = match_contact("", "0912 345 678", PEOPLE, account_id="a1")
    assert found is not None and (found.id, found.reason) == ("c2", "phone")
    anywhere = match_contact("", "+84 912 345 678", PEOPLE)
    assert anywhere is not None and anywhere.id == "c1"
    assert match_contact("", "", PEOPLE) is None
    assert match_contact("other@abc.vn", "", PEOPLE) is None


def test_given_names_split_into_middle_and_given() -> None:
    assert person_parts("Nguyễn", "Văn An") == ("Nguyễn", "Văn", "An")
    assert person_parts("Nguyễn", "Thị Ngọc Ánh") == ("Nguyễn", "Thị Ngọc", "Ánh")
    assert person_parts("", "Sarah") == ("", "", "Sarah")


# -- a same name with another company's tax code ------------------------------------------------
SAME_NAME = [
    AccountCandidate("x1", "Công ty TNHH Minh Long", "0312345675"),
    AccountCandidate("x2", "Công ty TNHH Phú Gia", ""),
    AccountCandidate("x3", "Ngân hàng Bắc Á", "0100109106-002"),
]


def test_a_name_match_is_refused_when_the_tax_codes_say_two_companies() -> None:
    assert match_account("Công ty TNHH Minh Long", MST, SAME_NAME) is None
    conflict = name_conflict("cong ty tnhh minh long", MST, SAME_NAME)
    assert conflict is not None and conflict.id == "x1"
    # Without a tax code on either side, the name still decides.
    found = match_account("Công ty TNHH Minh Long", "", SAME_NAME)
    assert found is not None and (found.id, found.reason) == ("x1", "name")
    assert name_conflict("Công ty TNHH Minh Long", "", SAME_NAME) is None
    found = match_account("Công ty TNHH Phú Gia", MST, SAME_NAME)
    assert found is not None and found.id == "x2"


def test_a_head_office_code_is_no_conflict_with_its_branch() -> None:
    assert not tax_conflict(MST, "0100109106-002")
    assert tax_conflict("0312345675", "0100109106-002")
    found = match_account("Ngân hàng Bắc Á", MST, SAME_NAME)
    assert found is not None and (found.id, found.reason) == ("x3", "name")


# -- a person alone ----------------------------------------------------------------------------
KNOWN = [
    ContactCandidate("p1", "Trần Lan", "lan@abc.vn", ("+842838123456", ""), ("a1",), "Trần"),
    ContactCandidate(
        "p2", "Lê Hoa", "hoa@xyz.vn", ("", "+84912345678"), ("a2", "a3"), "Lê", "+84912345678"
    ),
    ContactCandidate("p3", "Phạm Minh", "minh@home.vn", (), (), "Phạm"),
]


def test_a_person_alone_goes_to_the_account_where_that_person_works() -> None:
    found = person_account("LAN@abc.vn", "", "trần", KNOWN)
    assert found is not None and (found[0].id, found[1]) == ("p1", "a1")
    by_mobile = person_account("", "0912 345 678", "Lê", KNOWN)
    assert by_mobile is not None and (by_mobile[0].id, by_mobile[1]) == ("p2", "a2")


def test_a_person_alone_needs_the_family_name_and_a_personal_channel() -> None:
    assert person_account("lan@abc.vn", "", "Nguyễn", KNOWN) is None  # another family
    assert person_account("lan@abc.vn", "", "", KNOWN) is None  # no family named
    assert person_account("", "028 3812 3456", "Trần", KNOWN) is None  # a desk phone
    assert person_account("minh@home.vn", "", "Phạm", KNOWN) is None  # works nowhere


# -- estimates per currency --------------------------------------------------------------------
def _row(estimate: int, currency: str) -> LeadRow:
    return LeadRow(
        id="l",
        company="X",
        tax_code="",
        person_family="",
        person_given="",
        title="",
        email="",
        phone="",
        source="web",
        status="new",
        interest="",
        estimate_minor=estimate,
        currency=currency,
        notes="",
        owner_id=None,
        owner_name="",
        account_id=None,
        account_name="",
        contact_id=None,
        opportunity_id=None,
        converted_on=None,
        created_at=datetime(2025, 6, 2),
    )


def test_estimates_are_summed_per_currency_never_across() -> None:
    rows = [_row(100, "USD"), _row(5_000, "VND"), _row(7_000, "VND"), _row(0, "EUR")]
    assert estimate_totals(rows) == [("VND", 12_000), ("USD", 100)]
    assert estimate_totals([]) == []


@given(st.lists(st.tuples(st.integers(0, 10**12), st.sampled_from(["VND", "USD", "EUR", "JPY"]))))
def test_each_currency_total_is_the_sum_of_its_own_leads(pairs: list[tuple[int, str]]) -> None:
    totals = estimate_totals([_row(m, c) for m, c in pairs])
    assert len({c for c, _ in totals}) == len(totals)
    for currency, total in totals:
        assert total == sum(m for m, c in pairs if c == currency) > 0
    assert {c for c, _ in totals} == {c for m, c in pairs if m}


def test_a_refused_move_names_the_stored_statuses_for_the_ui_to_label() -> None:
    with pytest.raises(ValidationError) as exc:
        check_transition("disqualified", "qualified")
    error = exc.value.errors[0]
    assert (error.code, error.params) == (
        "lead.transition",
        {"before": "disqualified", "after": "qualified"},
    )

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.errors import ValidationError
from workbench.domain.names import (
    NameOrder,
    PersonName,
    name_order,
    sort_keys,
    split_full_name,
    validate_person_name,
    written_order,
)
from workbench.domain.text import fold, vietnamese_collation_key

AN = PersonName("Nguyễn", "Văn", "An")
ANNA = PersonName("Schmidt", "Maria", "Anna", NameOrder.GIVEN_FIRST)


def test_display() -> None:
    assert AN.display() == "Nguyễn Văn An"
    assert ANNA.display() == "Anna Maria Schmidt"
    assert PersonName("", "", "Madonna").display() == "Madonna"
    assert PersonName("Trần", "", "Bình").display() == "Trần Bình"


def test_initials() -> None:
    assert AN.initials() == "NA"
    assert ANNA.initials() == "AS"
    assert PersonName("đặng", "Thị Ngọc", "ánh").initials() == "ĐÁ"
    assert PersonName("", "", "Madonna").initials() == "M"


def test_vietnamese_sort_by_given_name() -> None:
    people = [
        PersonName("Nguyễn", "Văn", "Bình"),
        PersonName("Trần", "Thị", "An"),
        PersonName("Lê", "", "Ánh"),
        PersonName("Đặng", "Văn", "An"),
        PersonName("Nguyễn", "Văn", "An"),
    ]
    ordered = sorted(people, key=lambda p: p.sort_key("vi_VN"))
    assert [p.display() for p in ordered] == [
        "Đặng Văn An",
        "Nguyễn Văn An",
        "Trần Thị An",
        "Lê Ánh",
        "Nguyễn Văn Bình",
    ]


def test_other_locales_sort_by_family_name() -> None:
    people = [
        PersonName("Schmidt", "", "Anna", NameOrder.GIVEN_FIRST),
        PersonName("Álvarez", "", "Zoe", NameOrder.GIVEN_FIRST),
        PersonName("Nguyễn", "Văn", "An"),
        PersonName("", "", "Madonna", NameOrder.GIVEN_FIRST),
    ]
    ordered = sorted(people, key=lambda p: p.sort_key("en_US"))
    assert [p.given for p in ordered] == ["Zoe", "Madonna", "An", "Anna"]


def test_sort_key_breaks_ties_on_original_text() -> None:
    plain = PersonName("Nguyen", "", "An")
    accented = PersonName("Nguyễn", "", "An")
    assert plain.sort_key("en") != accented.sort_key("en")
    assert plain.sort_key("en")[:3] == accented.sort_key("en")[:3]


def test_vietnamese_order_puts_d_before_d_with_stroke_and_tones_last() -> None:
    """In Vietnamese, đ is a letter after d (and ă, â after a); tones only break ties."""
    names = ["Đức", "Dũng", "Ân", "Ánh", "Anh", "Ăn", "Bình", "Ý", "Yến"]
    people = [PersonName("Trần", "", g) for g in names]
    ordered = [p.given for p in sorted(people, key=lambda p: p.sort_key("vi"))]
    assert ordered == ["Anh", "Ánh", "Ăn", "Ân", "Bình", "Dũng", "Đức", "Ý", "Yến"]


def test_sort_key_accepts_locale_spellings() -> None:
    assert AN.sort_key("vi") == AN.sort_key("vi_VN") == AN.sort_key("vi-VN")
    assert AN.sort_key("en")[0] == "nguyen"
    assert AN.sort_key("vi")[3] == "An"


given_names = st.sampled_from(["An", "Ánh", "Bình", "Châu", "Dũng", "Đức", "Giang", "Yến"])
family_names = st.sampled_from(["Nguyễn", "Trần", "Lê", "Phạm", "Đặng", "", "Võ"])


@given(st.lists(st.tuples(family_names, given_names), min_size=1, max_size=12))
def test_vi_order_is_by_given_name(pairs: list[tuple[str, str]]) -> None:
    people = [PersonName(f, "", g) for f, g in pairs]
    ordered = sorted(people, key=lambda p: p.sort_key("vi"))
    keys = [vietnamese_collation_key(p.given) for p in ordered]
    assert keys == sorted(keys)
    # Deterministic regardless of input order.
    assert ordered == sorted(reversed(people), key=lambda p: p.sort_key("vi"))


def test_split_family_first() -> None:
    assert split_full_name("Nguyễn Văn An") == PersonName("Nguyễn", "Văn", "An")
    assert split_full_name("  Đặng  Thị Ngọc   Ánh ") == PersonName("Đặng", "Thị Ngọc", "Ánh")
    assert split_full_name("Trần Bình") == PersonName("Trần", "", "Bình")
    assert split_full_name("Madonna") == PersonName("", "", "Madonna")
    assert split_full_name("   ") == PersonName("", "", "")


def test_split_given_first() -> None:
    order = NameOrder.GIVEN_FIRST
    assert split_full_name("Anna Maria Schmidt", order) == PersonName(
        "Schmidt", "Maria", "Anna", order
    )
    assert split_full_name("John Smith", order) == PersonName("Smith", "", "John", order)
    assert split_full_name("Cher", order) == PersonName("", "", "Cher", order)


def test_split_normalises_to_nfc() -> None:
    assert split_full_name("A\u0301nh").given == "Ánh"


@given(st.lists(st.sampled_from(["Nguyễn", "Văn", "An", "Thị", "Ngọc"]), min_size=1, max_size=5))
def test_split_then_display_round_trips(words: list[str]) -> None:
    full = " ".join(words)
    for order in NameOrder:
        assert split_full_name(full, order).display() == full


def test_validate_cleans() -> None:
    raw = PersonName("  Nguyễn ", " Thị   Ngọc ", "A\u0301nh  ")
    assert validate_person_name(raw) == PersonName("Nguyễn", "Thị Ngọc", "Ánh")


def test_validate_family_optional() -> None:
    assert validate_person_name(PersonName("", "", "Madonna")).given == "Madonna"


def test_validate_given_required() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_person_name(PersonName("Nguyễn", "Văn", "   "))
    (error,) = exc.value.errors
    assert (error.field, error.code) == ("given", "name.given_required")


def test_validate_reports_every_problem() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_person_name(PersonName("x" * 81, "y" * 81, ""))
    assert [(e.field, e.code) for e in exc.value.errors] == [
        ("given", "name.given_required"),
        ("family", "name.too_long"),
        ("middle", "name.too_long"),
    ]
    assert validate_person_name(PersonName("x" * 80, "", "An")).family == "x" * 80


def _sort_key_reference(name: PersonName, locale: str) -> tuple[str, ...]:
    """`PersonName.sort_key` as first written, one locale at a time: `sort_keys` must agree."""
    if locale == "vi":
        parts = [name.given, name.family, name.middle]
        nfc = [unicodedata.normalize("NFC", p) for p in parts]
        return (*(vietnamese_collation_key(p) for p in nfc), *nfc)
    parts = [name.family or name.given, name.given, name.middle]
    nfc = [unicodedata.normalize("NFC", p) for p in parts]
    return (*(fold(p) for p in nfc), *nfc)


# Precomposed and decomposed Vietnamese, spaces, empty parts, and any text at all.
name_parts = st.one_of(
    st.sampled_from(["", "Nguyễn", "Nguye\u0302\u0303n", "Thị Ngọc", "Đặng", "ánh", " An "]),
    st.text(alphabet="aăâdđeêoôơuưy\u0300\u0301\u0303\u0309\u0323 AĐ", max_size=8),
    st.text(max_size=8),
)


@given(name_parts, name_parts, name_parts)
def test_sort_keys_equal_the_sort_key_of_each_locale(family: str, middle: str, given: str) -> None:
    name = PersonName(family, middle, given)
    assert sort_keys(family, middle, given) == (
        _sort_key_reference(name, "vi"),
        _sort_key_reference(name, "en"),
    )
    assert name.sort_key("vi_VN") == _sort_key_reference(name, "vi")
    assert name.sort_key("en") == _sort_key_reference(name, "en")


@given(name_parts, name_parts, name_parts, st.sampled_from(list(NameOrder)))
def test_written_order_is_what_display_joins(
    family: str, middle: str, given: str, order: NameOrder
) -> None:
    shown = PersonName(family, middle, given, order).display()
    assert " ".join(written_order(family, middle, given, order.value)) == shown
    assert " ".join(written_order(family, middle, given, order)) == shown


def test_name_order_accepts_what_the_enum_accepts() -> None:
    for order in NameOrder:
        assert name_order(order.value) is order is name_order(order)
    for bad in ("", "FAMILY_FIRST", "family first"):
        with pytest.raises(ValueError):
            name_order(bad)
        with pytest.raises(ValueError):
            written_order("Nguyễn", "", "An", bad)

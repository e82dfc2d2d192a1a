from __future__ import annotations

import pytest

from workbench.domain.errors import ValidationError
from workbench.domain.phone import format_phone, normalize_phone


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("(028) 3823 4567", "+842838234567"),
        ("+1 650 253 0000", "+16502530000"),
        ("０９１２ ３４５ ６７８", "+84912345678"),
    ],
)
def test_normalize(value: str, expected: str) -> None:
    assert normalize_phone(value) == expected


def test_default_region() -> None:
    assert normalize_phone("(650) 253-0000", default_region="US") == "+16502530000"


@pytest.mark.parametrize("value", ["12345", "not a phone", "0912 345", "+84 123"])
def test_invalid(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        normalize_phone(value, field="contact.phone")
    (error,) = exc.value.errors
    assert error.field == "contact.phone"
    assert error.code == "phone.invalid"
    assert value.strip() in error.render()


def test_extension_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        normalize_phone("+1 650 253 0000 ext. 12")
    assert exc.value.errors[0].code == "phone.invalid"


def test_empty() -> None:
    with pytest.raises(ValidationError) as exc:
        normalize_phone("  ")
    assert exc.value.errors[0].code == "phone.empty"


def test_format() -> None:
    assert format_phone("+84912345678") == "0912 345 678"
    assert format_phone("+842838234567") == "028 3823 4567"
    assert format_phone("+16502530000") == "+1 650-253-0000"
    assert format_phone("+16502530000", region="US") == "(650) 253-0000"
    assert format_phone("+84912345678", region="US") == "+84 912 345 678"


def test_format_never_fails_on_bad_data() -> None:
    assert format_phone("garbage") == "garbage"

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import get_currency_precision
from hypothesis import given
from hypothesis import strategies as st

from workbench.domain.errors import ValidationError
from workbench.domain.money import (
    CURRENCY_EXPONENTS,
    Money,
    currency_exponent,
    format_money,
    parse_money,
)

NBSP = "\xa0"


def test_exponents() -> None:
    assert currency_exponent("VND") == 0
    assert currency_exponent("USD") == 2
    assert currency_exponent("EUR") == 2
    assert currency_exponent("JPY") == 0
    assert currency_exponent("KWD") == 3
    assert currency_exponent("SGD") == 2
    assert currency_exponent("NOK") == 2  # not pinned: from CLDR


def test_pinned_exponents_agree_with_cldr() -> None:
    # format_money relies on Babel using the same number of decimals as we store.
    for code, exponent in CURRENCY_EXPONENTS.items():
        assert get_currency_precision(code) == exponent, code


@pytest.mark.parametrize("code", ["ABC", "vnd", "US", "", "USDX"])
def test_unknown_currency(code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        currency_exponent(code)
    assert exc.value.errors[0].code == "currency.unknown"


def test_construction_checks_types() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "USD")
    with pytest.raises(TypeError):
        Money(Decimal(1), "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "usd")
    with pytest.raises(ValueError):
        Money(1, "US")


def test_arithmetic() -> None:
    a, b = Money(150, "USD"), Money(275, "USD")
    assert a + b == Money(425, "USD")
    assert a - b == Money(-125, "USD")
    assert -a == Money(-150, "USD")
    assert abs(Money(-3, "USD")) == Money(3, "USD")
    assert Money.zero("VND").is_zero
    assert not a.is_zero
    assert (a - b).is_negative


def test_mixed_currencies_raise() -> None:
    usd, vnd = Money(1, "USD"), Money(1, "VND")
    with pytest.raises(ValueError):
        _ = usd + vnd
    with pytest.raises(ValueError):
        _ = usd - vnd
    with pytest.raises(ValueError):
        _ = usd < vnd
    with pytest.raises(TypeError):
        _ = usd + 1  # type: ignore[operator]
    assert usd != vnd


def test_comparison() -> None:
    a, b = Money(1, "EUR"), Money(2, "EUR")
    assert a < b
    assert a <= b
    assert b > a
    assert b >= a
    assert a <= Money(1, "EUR")
    assert max([a, b]) == b


def test_hashable() -> None:
    assert len({Money(1, "USD"), Money(1, "USD"), Money(1, "VND")}) == 2


def test_from_decimal_rounds_half_up() -> None:
    assert Money.from_decimal(Decimal("1.005"), "USD") == Money(101, "USD")
    assert Money.from_decimal(Decimal("1.004"), "USD") == Money(100, "USD")
    assert Money.from_decimal("2.5", "VND") == Money(3, "VND")
    assert Money.from_decimal("0.5", "VND") == Money(1, "VND")  # half-even would give 0
    assert Money.from_decimal("-2.5", "VND") == Money(-3, "VND")  # away from zero
    assert Money.from_decimal("1.2345", "KWD") == Money(1235, "KWD")
    assert Money.from_decimal(7, "JPY") == Money(7, "JPY")


def test_from_decimal_large_amounts_are_exact() -> None:
    big = "123456789012345678901234567890.12"
    assert Money.from_decimal(big, "USD").to_decimal() == Decimal(big)


def test_from_decimal_rejects() -> None:
    with pytest.raises(TypeError):
        Money.from_decimal(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money.from_decimal("abc", "USD")
    with pytest.raises(ValueError):
        Money.from_decimal(Decimal("NaN"), "USD")
    with pytest.raises(ValidationError):
        Money.from_decimal("1", "XYZ")


def test_to_decimal() -> None:
    assert Money(1230, "USD").to_decimal() == Decimal("12.30")
    assert str(Money(1230, "USD").to_decimal()) == "12.30"
    assert str(Money(1234567, "VND").to_decimal()) == "1234567"
    assert str(Money(-5, "KWD").to_decimal()) == "-0.005"


def test_format_vnd_vi() -> None:
    text = format_money(Money(1234567, "VND"), "vi_VN")
    assert text == f"1.234.567{NBSP}₫"
    assert format_money(Money(1234567, "VND"), "vi") == text
    assert "1.234.567" in text
    assert "₫" in text


def test_format_other() -> None:
    assert format_money(Money(1234567, "VND"), "en_US") == "₫1,234,567"
    assert format_money(Money(123456750, "USD"), "en") == "$1,234,567.50"
    assert format_money(Money(123456750, "USD"), "vi") == f"1.234.567,50{NBSP}US$"
    assert format_money(Money(-5, "JPY"), "en") == "-¥5"


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        ("1.234.567", "VND", "vi", 1234567),
        ("1.234.567 ₫", "VND", "vi_VN", 1234567),
        ("1.234.567đ", "VND", "vi", 1234567),
        ("1.234.567 VNĐ", "VND", "vi", 1234567),
        ("1.234.567 vnd", "VND", "vi", 1234567),
        ("1234567", "VND", "vi", 1234567),
        ("1.234.567,00", "VND", "vi", 1234567),
        ("-500.000", "VND", "vi", -500000),
        ("1,234,567.50", "USD", "en", 123456750),
        ("$1,234,567.5", "USD", "en_US", 123456750),
        ("1.234.567,50 US$", "USD", "vi", 123456750),
        ("12 USD", "USD", "vi", 1200),
        ("-$3.10", "USD", "en", -310),
        ("−3.10", "USD", "en", -310),
        (",5", "USD", "vi", 50),
    ],
)
def test_parse(text: str, currency: str, locale: str, minor: int) -> None:
    assert parse_money(text, currency, locale) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "locale"),
    [
        ("", "VND", "vi"),
        ("abc", "VND", "vi"),
        ("1.5", "VND", "vi"),  # grouping wrong for vi: 15 or 1,5?
        ("12.34.567", "VND", "vi"),
        ("1,5", "VND", "vi"),  # đồng has no decimals
        ("1.234.567", "USD", "en"),
        ("1.005", "USD", "en"),
        ("1e9", "USD", "en"),
        ("NaN", "USD", "en"),
        ("12 EUR", "USD", "en"),
        ("1 234", "USD", "en"),
        ("--5", "USD", "en"),
        ("5-", "USD", "en"),
    ],
)
def test_parse_invalid(text: str, currency: str, locale: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_money(text, currency, locale, field="invoice.amount")
    (error,) = exc.value.errors
    assert error.code == "money.invalid"
    assert error.field == "invoice.amount"


def test_parse_suggests_grouping() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_money("1.5", "USD", "vi")
    assert exc.value.errors[0].params["suggestion"] == "15 or 1,5"
    assert "Did you mean 15 or 1,5?" in exc.value.errors[0].render()


def test_parse_too_many_decimals_message() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_money("1,5", "VND", "vi")
    assert exc.value.errors[0].render() == "1,5 has too many decimal places: VND amounts have 0"


minor_units = st.integers(min_value=-(10**15), max_value=10**15)
currencies = st.sampled_from(["VND", "USD", "EUR", "JPY", "KWD"])


@given(minor_units, currencies)
def test_decimal_round_trip(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.from_decimal(money.to_decimal(), currency) == money
    assert Money.from_decimal(str(money.to_decimal()), currency) == money


@given(minor_units, minor_units, minor_units)
def test_addition_associative_and_commutative(a: int, b: int, c: int) -> None:
    x, y, z = Money(a, "VND"), Money(b, "VND"), Money(c, "VND")
    assert x + y == y + x
    assert (x + y) + z == x + (y + z)
    assert x - y == -(y - x)
    assert x + Money.zero("VND") == x


@given(
    minor_units, st.sampled_from(["VND", "USD"]), st.sampled_from(["vi", "vi_VN", "en", "en_US"])
)
def test_format_parse_round_trip(minor: int, currency: str, locale: str) -> None:
    money = Money(minor, currency)
    assert parse_money(format_money(money, locale), currency, locale) == money

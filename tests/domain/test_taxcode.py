from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.vn import mst

from workbench.domain.errors import ValidationError
from workbench.domain.taxcode import TaxCodeKind, tax_code_check_digit, validate_tax_code

VALID_MST10 = "0100109106"  # check digit 6


def _codes(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [e.code for e in exc.value]


def test_valid_mst10() -> None:
    assert validate_tax_code(VALID_MST10) == (VALID_MST10, TaxCodeKind.MST10)
    assert validate_tax_code(" 0100 109 106 ") == (VALID_MST10, TaxCodeKind.MST10)


def test_mst13_with_or_without_dash() -> None:
    expected = ("0100109106-001", TaxCodeKind.MST13)
    assert validate_tax_code("0100109106-001") == expected
    assert validate_tax_code("0100109106001") == expected
    assert validate_tax_code("0100109106 - 001") == expected
    assert validate_tax_code("0100109106001", TaxCodeKind.MST13) == expected


def test_wrong_check_digit() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_tax_code("0100109107", field="account.tax_code")
    (error,) = exc.value.errors
    assert error.field == "account.tax_code"
    assert error.code == "tax_code.checksum"
    assert error.render() == "Tax code 0100109107 has a wrong check digit"


def test_branch_checks_head_and_branch() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_tax_code("0100109107-001")
    assert _codes(exc) == ["tax_code.checksum"]
    with pytest.raises(ValidationError) as exc:
        validate_tax_code("0100109106-000")
    assert _codes(exc) == ["tax_code.format"]


def test_empty() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_tax_code("   ")
    assert _codes(exc) == ["tax_code.empty"]


@pytest.mark.parametrize(
    "value", ["123", "01001091061", "abcdefghij", "0100109106-01", "٠١٠٠١٠٩١٠٦"]
)
def test_bad_shape(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_tax_code(value)
    assert _codes(exc) == ["tax_code.format"]
    assert "10 digits" in exc.value.errors[0].render()


def test_kind_mismatch() -> None:
    with pytest.raises(ValidationError) as exc:
        validate_tax_code(VALID_MST10, TaxCodeKind.MST13)
    assert _codes(exc) == ["tax_code.format"]
    with pytest.raises(ValidationError):
        validate_tax_code("0100109106-001", TaxCodeKind.MST10)
    with pytest.raises(ValidationError):
        validate_tax_code(VALID_MST10, TaxCodeKind.PIN12)


def test_pin12() -> None:
    assert validate_tax_code("001099012345") == ("001099012345", TaxCodeKind.PIN12)
    assert validate_tax_code("079 199 012 345", TaxCodeKind.PIN12) == (
        "079199012345",
        TaxCodeKind.PIN12,
    )
    for bad_province in ("000199012345", "097199012345", "999199012345"):
        with pytest.raises(ValidationError) as exc:
            validate_tax_code(bad_province)
        assert _codes(exc) == ["tax_code.province"]


def test_foreign() -> None:
    assert validate_tax_code(" DE 123456789 ", TaxCodeKind.FOREIGN) == (
        "DE 123456789",
        TaxCodeKind.FOREIGN,
    )
    with pytest.raises(ValidationError) as exc:
        validate_tax_code("x" * 41, TaxCodeKind.FOREIGN)
    assert _codes(exc) == ["tax_code.format"]
    with pytest.raises(ValidationError):
        validate_tax_code("a\x00b", TaxCodeKind.FOREIGN)
    with pytest.raises(ValidationError) as exc:
        validate_tax_code("", TaxCodeKind.FOREIGN)
    assert _codes(exc) == ["tax_code.empty"]


def test_foreign_is_never_inferred() -> None:
    with pytest.raises(ValidationError):
        validate_tax_code("DE123456789")


def test_check_digit_helper() -> None:
    assert tax_code_check_digit("010010910") == 6
    assert tax_code_check_digit("010000000") is None  # serial part all zeros
    with pytest.raises(ValueError):
        tax_code_check_digit("12345678")
    with pytest.raises(ValueError):
        tax_code_check_digit("12345678x")


def test_check_digit_none_when_formula_gives_ten() -> None:
    # Find a prefix whose weighted sum is divisible by 11: no digit can complete it.
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    prefix = next(
        p
        for p in (f"{n:09d}" for n in range(10_000_000, 10_100_000))
        if sum(w * int(d) for w, d in zip(weights, p, strict=True)) % 11 == 0
    )
    assert tax_code_check_digit(prefix) is None
    for digit in "0123456789":
        assert not mst.is_valid(prefix + digit)
        with pytest.raises(ValidationError):
            validate_tax_code(prefix + digit)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_generated_mst10_validates_and_agrees_with_stdnum(first9: str) -> None:
    check = tax_code_check_digit(first9)
    if check is None:
        assert not any(mst.is_valid(first9 + d) for d in "0123456789")
        return
    code = first9 + str(check)
    assert validate_tax_code(code) == (code, TaxCodeKind.MST10)
    assert mst.is_valid(code)
    assert validate_tax_code(code + "-001")[0] == code + "-001"


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_changing_one_digit_is_rejected(first9: str, position: int, delta: int) -> None:
    check = tax_code_check_digit(first9)
    if check is None:
        return
    code = first9 + str(check)
    changed = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1 :]
    # Weights are distinct and non-zero mod 11, so one changed digit always breaks the sum.
    # Changing the prefix may instead land on a prefix with no valid digit, which is also fine.
    with pytest.raises(ValidationError):
        validate_tax_code(changed)
    assert not mst.is_valid(changed)


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_any_ten_digits_agree_with_stdnum(code: str) -> None:
    try:
        validate_tax_code(code)
        ours = True
    except ValidationError:
        ours = False
    assert ours == mst.is_valid(code)

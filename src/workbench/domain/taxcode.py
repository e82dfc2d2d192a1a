"""Vietnamese tax identifiers (mã số thuế) and their validation.

Why several kinds: an enterprise has a 10-digit code with a check digit (MST10), each branch or
dependent unit adds a 3-digit suffix (MST13), and since 2025 individuals use their 12-digit
citizen id (CCCD) as personal tax code (PIN12). Foreign parties have whatever their country
issues, which we cannot check.
"""

from __future__ import annotations

import re
from enum import StrEnum

from workbench.domain.errors import ValidationError


class TaxCodeKind(StrEnum):
    """The shape of a tax code; stored next to the code so it is validated the same way later."""

    MST10 = "mst10"
    MST13 = "mst13"
    PIN12 = "pin12"
    FOREIGN = "foreign"


_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_MST10 = re.compile(r"\d{10}")
_MST13 = re.compile(r"(\d{10})-?(\d{3})")
_PIN12 = re.compile(r"\d{12}")
_FOREIGN_MAX = 40
_PROVINCE_MIN = 1
_PROVINCE_MAX = 96

_MSG_SHAPE = (
    "A Vietnamese tax code has 10 digits, or 10 digits, a dash and 3 digits for a branch; "
    "a personal tax code has 12 digits"
)
_MSG_MST10 = "A Vietnamese tax code has 10 digits"
_MSG_MST13 = "A branch tax code has 10 digits, a dash and 3 digits, e.g. 0100109106-001"
_MSG_PIN12 = "A personal tax code (citizen id) has 12 digits"
_MSG_CHECKSUM = "Tax code {value} has a wrong check digit"


def tax_code_check_digit(first9: str) -> int | None:
    """The check digit for the first 9 digits of an MST, or None when no digit makes it valid.

    None covers both a weighted sum divisible by 11 (the formula gives 10, not a digit) and a
    serial part of all zeros (digits 3..9), which the tax office never issues; the demo
    generator relies on None to skip such prefixes instead of making invalid codes.
    """
    if len(first9) != 9 or not first9.isascii() or not first9.isdigit():
        raise ValueError(f"expected 9 ASCII digits, got {first9!r}")
    if first9[2:] == "0000000":
        return None
    check = 10 - sum(w * int(d) for w, d in zip(_WEIGHTS, first9, strict=True)) % 11
    return None if check == 10 else check


def _check_mst10(code: str, original: str, field: str) -> None:
    if code[2:9] == "0000000":
        raise ValidationError.single(
            field,
            "tax_code.format",
            "Tax code {value} is not a real tax code: digits 3 to 9 are all zero",
            value=original,
        )
    if tax_code_check_digit(code[:9]) != int(code[9]):
        raise ValidationError.single(field, "tax_code.checksum", _MSG_CHECKSUM, value=original)


def _infer_kind(compact: str) -> TaxCodeKind | None:
    if _MST10.fullmatch(compact):
        return TaxCodeKind.MST10
    if _MST13.fullmatch(compact):
        return TaxCodeKind.MST13
    if _PIN12.fullmatch(compact):
        return TaxCodeKind.PIN12
    return None


def validate_tax_code(
    value: str, kind: TaxCodeKind | None = None, field: str = "tax_code"
) -> tuple[str, TaxCodeKind]:
    """Normalise and check a tax code; return it with its kind.

    Spaces are removed (codes are often pasted from invoices with spaces between groups), and
    13-digit branch codes are accepted with or without the dash but always returned with it,
    so the same branch is stored one way and duplicates can be found by plain equality.
    With `kind` None the kind is inferred from the shape; a foreign code can't be recognised
    by shape, so FOREIGN must be asked for explicitly.

    PIN12 (citizen id) has no public check digit: only the length, the digits and the
    province code in the first 3 digits (001..096) are checked.
    """
    original = value.strip()
    if not original:
        raise ValidationError.single(field, "tax_code.empty", "A tax code is required")

    if kind is TaxCodeKind.FOREIGN:
        if len(original) > _FOREIGN_MAX or not original.isprintable():
            raise ValidationError.single(
                field,
                "tax_code.format",
                "A foreign tax code has 1 to {max} printable characters",
                max=str(_FOREIGN_MAX),
            )
        return original, TaxCodeKind.FOREIGN

    compact = "".join(original.split())
    if not compact.isascii():
        # Keeps "\d" in the patterns to ASCII digits; other scripts' digits are not tax codes.
        compact = ""
    actual = _infer_kind(compact)
    if kind is None:
        if actual is None:
            raise ValidationError.single(field, "tax_code.format", _MSG_SHAPE, value=original)
        kind = actual
    elif actual is not kind:
        message = {
            TaxCodeKind.MST10: _MSG_MST10,
            TaxCodeKind.MST13: _MSG_MST13,
            TaxCodeKind.PIN12: _MSG_PIN12,
        }[kind]
        raise ValidationError.single(field, "tax_code.format", message, value=original)

    if kind is TaxCodeKind.MST10:
        _check_mst10(compact, original, field)
        return compact, kind
    if kind is TaxCodeKind.MST13:
        match = _MST13.fullmatch(compact)
        assert match is not None  # checked by _infer_kind above
        head, branch = match.groups()
        _check_mst10(head, original, field)
        if branch == "000":
            raise ValidationError.single(
                field,
                "tax_code.format",
                "Tax code {value} has branch number 000; branches are numbered from 001",
                value=original,
            )
        return f"{head}-{branch}", kind
    # PIN12
    province = int(compact[:3])
    if not _PROVINCE_MIN <= province <= _PROVINCE_MAX:
        raise ValidationError.single(
            field,
            "tax_code.province",
            "Personal tax code {value} starts with {province}, which is not a province code "
            "(001 to 096)",
            value=original,
            province=compact[:3],
        )
    return compact, kind

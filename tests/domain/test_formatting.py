from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from workbench.domain.formatting import babel_locale, format_date, format_number


def test_format_date() -> None:
    d = date(2026, 11, 27)
    assert format_date(d, "vi") == "27 thg 11, 2026"
    assert format_date(d, "vi_VN") == "27 thg 11, 2026"
    assert format_date(d, "vi-VN") == "27 thg 11, 2026"
    assert format_date(d, "en") == "Nov 27, 2026"
    assert format_date(d, "en_US") == "Nov 27, 2026"


def test_format_number() -> None:
    assert format_number(1234567, "vi") == "1.234.567"
    assert format_number(1234567, "en_US") == "1,234,567"
    assert format_number(Decimal("1234567.5"), "vi_VN") == "1.234.567,5"
    assert format_number(Decimal("0.12345"), "en") == "0.12345"  # not rounded to 3 places
    assert format_number(-42, "en") == "-42"


def test_format_number_rejects_float_and_bool() -> None:
    with pytest.raises(TypeError):
        format_number(1.5, "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_number(True, "en")


def test_unknown_locale() -> None:
    with pytest.raises(ValueError):
        babel_locale("xx_YY")
    with pytest.raises(ValueError):
        format_date(date(2026, 1, 1), "not a locale")

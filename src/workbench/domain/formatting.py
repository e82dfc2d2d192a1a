"""Locale-aware display of dates and numbers, through Babel (CLDR data).

Why Babel rather than the C library's locale: the process locale is global and often not
installed for Vietnamese on the user's machine, while CLDR data ships with Babel and gives the
same output everywhere.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_format_date
from babel.numbers import format_decimal


@lru_cache(maxsize=32)
def babel_locale(locale: str) -> Locale:
    """Parse "vi", "vi_VN", "vi-VN", "en_US" into a Babel Locale.

    Both separators are accepted because settings and OS APIs disagree on them. An unknown
    locale is a programming or configuration error, so it raises ValueError.
    """
    try:
        return Locale.parse(locale.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown locale {locale!r}") from exc


def format_date(d: date, locale: str) -> str:
    """Medium date: "27 thg 11, 2026" in vi, "Nov 27, 2026" in en.

    Medium, because numeric dates are ambiguous between the locales we serve (27/11 vs 11/27)
    and the month name removes the doubt.
    """
    return _babel_format_date(d, format="medium", locale=babel_locale(locale))


def format_number(n: int | Decimal, locale: str) -> str:
    """Grouped number in the locale's style ("1.234.567,5" in vi, "1,234,567.5" in en).

    Decimals are shown with all their digits: quantities and rates are exact values, and
    rounding them for display (Babel's default is 3 places) would hide what is stored.
    """
    if isinstance(n, bool) or not isinstance(n, int | Decimal):
        raise TypeError(f"expected int or Decimal, got {type(n).__name__}")
    return format_decimal(n, locale=babel_locale(locale), decimal_quantization=False)

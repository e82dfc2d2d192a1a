"""Money as an integer count of minor units plus an ISO 4217 currency code.

Why integers: floats can't represent 0.1, and sums of invoice lines must match to the last
unit. Why the exponent comes from the currency: one đồng has no subdivision (VND 0), a dollar
has cents (USD 2), a Kuwaiti dinar has fils (KWD 3); a fixed two decimals would be wrong for all
but the middle case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    is_currency,
    parse_decimal,
)

from workbench.domain.errors import ValidationError
from workbench.domain.formatting import babel_locale

# The currencies we expect to see, pinned so that a Babel upgrade can't silently change how
# stored minor units are read. They agree with CLDR (a test checks), so formatting matches.
CURRENCY_EXPONENTS: dict[str, int] = {
    "VND": 0,
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "ISK": 0,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "SGD": 2,
    "AUD": 2,
    "CAD": 2,
    "CNY": 2,
    "HKD": 2,
    "THB": 2,
    "MYR": 2,
    "PHP": 2,
    "INR": 2,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}

#: The currencies offered wherever one is picked (accounts, leads, opportunities): the đồng,
#: then those Vietnamese clients most often quote or invoice in.
COMMON_CURRENCIES: tuple[str, ...] = ("VND", "USD", "EUR", "JPY", "KRW", "SGD", "CNY", "THB")

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def currency_exponent(code: str) -> int:
    """Number of decimal places of the currency's minor unit (VND 0, USD 2, KWD 3).

    Codes not in CURRENCY_EXPONENTS fall back to CLDR via Babel; codes that aren't currencies
    at all raise, because Babel would otherwise quietly answer 2 for them.
    """
    if code in CURRENCY_EXPONENTS:
        return CURRENCY_EXPONENTS[code]
    if not _CURRENCY_CODE.fullmatch(code) or not is_currency(code):
        raise ValidationError.single(
            "currency", "currency.unknown", "{currency} is not a known currency", currency=code
        )
    return int(get_currency_precision(code))


def _exact_context_precision(value: Decimal, exponent: int) -> int:
    """Enough digits that quantize/scaleb never round or overflow, whatever the amount."""
    return max(28, len(value.as_tuple().digits) + exponent + abs(int(value.adjusted())) + 2)


@dataclass(frozen=True, order=False)
class Money:
    """An amount in one currency. Arithmetic and comparison across currencies raise.

    The currency is checked for shape only (three upper-case letters), not against CLDR, so a
    record synced from a device with newer currency data can still be loaded; anything that
    needs the exponent checks the code then.
    """

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be int, got {type(self.minor).__name__}")
        if not isinstance(self.currency, str) or not _CURRENCY_CODE.fullmatch(self.currency):
            raise ValueError(f"currency must be three upper-case letters, got {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str) -> Money:
        """Round to the currency's minor unit, half away from zero (ROUND_HALF_UP).

        Half-up is what invoices and Vietnamese accounting practice use; Decimal's default
        (half-even) would make 0.5 đồng round differently from 1.5 đồng. Floats are refused:
        by the time a value is a float it may already be off.
        """
        if isinstance(amount, float | bool):
            raise TypeError("Money.from_decimal needs Decimal, str or int, not float or bool")
        try:
            value = Decimal(amount.strip()) if isinstance(amount, str) else Decimal(amount)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {amount!r}") from None
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {amount!r}")
        exponent = currency_exponent(currency)
        with localcontext() as ctx:
            ctx.prec = _exact_context_precision(value, exponent)
            minor = value.scaleb(exponent).to_integral_value(rounding=ROUND_HALF_UP)
        return cls(int(minor), currency)

    def to_decimal(self) -> Decimal:
        """The exact amount with as many decimal places as the currency has ("12.30" for USD)."""
        return Decimal(f"{self.minor}e-{currency_exponent(self.currency)}")

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    def _same(self, other: Money, op: str) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot {op} {self.currency} and {other.currency}")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.minor < other.minor

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.minor <= other.minor

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.minor > other.minor

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.minor >= other.minor


def format_money(money: Money, locale: str) -> str:
    """The amount with symbol in the locale's style, e.g. "1.234.567\\xa0₫" in vi.

    Babel's output is returned unchanged, including the no-break space between number and
    symbol in vi, so the symbol never wraps onto its own line.
    """
    return format_currency(money.to_decimal(), money.currency, locale=babel_locale(locale))


# How people write đồng by hand; Babel only knows "₫" and "VND".
_EXTRA_SYMBOLS: dict[str, tuple[str, ...]] = {"VND": ("VNĐ", "đ", "Đ", "đồng")}
_MINUS_SIGNS = ("-", "\u2212")


def _invalid_money(text: str, field: str) -> ValidationError:
    return ValidationError.single(
        field, "money.invalid", "{value} is not a valid amount", value=text
    )


def parse_money(text: str, currency: str, locale: str, field: str = "amount") -> Money:
    """Read an amount typed in the locale's style ("1.234.567" in vi, "1,234,567.50" in en).

    The currency's symbol or code may be present or not. Grouping is checked strictly: in vi,
    "1.5" is neither 15 nor 1,5 for sure, so it is refused with Babel's suggestion rather than
    guessed. More decimals than the currency has are refused too, unless they are zeros,
    because silently rounding what the user typed would change the amount.
    """
    loc = babel_locale(locale)
    raw = unicodedata.normalize("NFC", text).strip()
    exponent = currency_exponent(currency)
    symbols = {
        currency,
        get_currency_symbol(currency, locale=loc),
        *_EXTRA_SYMBOLS.get(currency, ()),
    }
    number = raw
    for symbol in sorted(symbols, key=len, reverse=True):
        number = re.sub(re.escape(symbol), " ", number, flags=re.IGNORECASE)
    number = number.strip()
    negative = number.startswith(_MINUS_SIGNS)
    if negative or number.startswith("+"):
        number = number[1:].strip()
    group = get_group_symbol(loc)
    if group.isspace():
        number = re.sub(r"\s", group, number)
    allowed = set("0123456789") | {group, get_decimal_symbol(loc)}
    # Only digits and separators: Decimal would also read "1e9", "NaN" or "Infinity".
    if not any(ch.isdigit() for ch in number) or not set(number) <= allowed:
        raise _invalid_money(raw, field)
    try:
        value = parse_decimal(number, locale=loc, strict=True)
    except NumberFormatError as exc:
        suggestions: list[str] = getattr(exc, "suggestions", None) or []
        if suggestions:
            raise ValidationError.single(
                field,
                "money.invalid",
                "{value} is not a valid amount. Did you mean {suggestion}?",
                value=raw,
                suggestion=" or ".join(suggestions),
            ) from None
        raise _invalid_money(raw, field) from None
    if not value.is_finite():
        raise _invalid_money(raw, field)
    if negative:
        value = -value
    money = Money.from_decimal(value, currency)
    if money.to_decimal() != value:
        raise ValidationError.single(
            field,
            "money.invalid",
            "{value} has too many decimal places: {currency} amounts have {places}",
            value=raw,
            currency=currency,
            places=str(exponent),
        )
    return money


def sum_by_currency(*parts: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Amounts summed per currency, never across: ((currency, minor units), ...), sorted by
    currency, without zero sums."""
    total: dict[str, int] = {}
    for part in parts:
        for currency, minor in part:
            total[currency] = total.get(currency, 0) + minor
    return tuple(sorted((c, m) for c, m in total.items() if m))

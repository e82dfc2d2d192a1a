"""Field values that have to be valid, not only plausible: phones, tax codes, money, addresses.

Why a module of their own: these are the values the domain validates (E.164 phones, MST check
digits) and the tests check one by one, so they are made in one place, by the rules the domain
uses, and unique where the app would flag duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers

from workbench.demo import vocab
from workbench.demo.dice import Dice
from workbench.domain.taxcode import tax_code_check_digit
from workbench.domain.text import fold

# Rough exchange rates, only to make amounts in other currencies look sensible.
VND_PER = {"VND": 1, "USD": 25_000, "EUR": 27_000}


def minor_from_vnd(vnd: int, currency: str) -> int:
    """An amount given in VND as minor units of `currency`, rounded as people quote prices."""
    if currency == "VND":
        step = 1_000_000 if vnd >= 50_000_000 else 100_000
        return max(step, round(vnd / step) * step)
    units = vnd / VND_PER[currency]
    return max(100, round(units / 100) * 100) * 100  # whole hundreds, in cents


def slug(text: str) -> str:
    """ASCII letters and digits only, for domains and e-mail parts: "Sao Mai" -> "saomai"."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def vn_landline(d: Dice, city: vocab.City) -> str:
    """A landline in `city`: 2-digit area codes have 8-digit numbers starting 3 or 6."""
    if len(city.area_code) == 2:
        return f"+84{city.area_code}{d.pick('36')}{d.digits(7)}"
    return f"+84{city.area_code}3{d.digits(6)}"


def vn_mobile(d: Dice) -> str:
    return f"+84{d.pick(vocab.MOBILE_PREFIXES)}{d.digits(7)}"


def foreign_phone(d: Dice, patterns: tuple[str, ...]) -> str:
    """A valid number of the shape "+656:7" (prefix, then that many digits, first not 0)."""
    while True:
        prefix, n = d.pick(patterns).split(":")
        number = prefix + str(d.between(1, 9)) + d.digits(int(n) - 1)
        if phonenumbers.is_valid_number(phonenumbers.parse(number, None)):
            return number


def unique(taken: set[str], make: Callable[[], str]) -> str:
    """A value from `make` that is not in `taken` yet (and is then taken)."""
    while True:
        value = make()
        if value not in taken:
            taken.add(value)
            return value


def mst10(d: Dice, prefix: str) -> str:
    """A valid enterprise tax code (MST) from the issuing province's 2-digit prefix."""
    while True:
        first9 = prefix + d.digits(7)
        check = tax_code_check_digit(first9)
        if check is not None:  # None: no digit makes it valid; the tax office never issues it
            return f"{first9}{check}"


def foreign_tax_id(d: Dice, shape: str) -> str:
    """A foreign company number of the country's shape; nobody can check those, so any fits."""
    return "".join(
        str(d.between(0, 9))
        if ch == "9"
        else d.pick("ABCDEFGHJKLMNPRSTUVWXYZ")
        if ch == "A"
        else ch
        for ch in shape
    )


def domain(taken: set[str], stem: str, tag: str, tld: str) -> str:
    """An unused web/e-mail domain: "hoaphat-mt.vn", then "hoaphat-mt2.vn"."""
    base = stem + (f"-{tag}" if tag else "")
    candidate, n = f"{base}.{tld}", 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}.{tld}"
    taken.add(candidate)
    return candidate


def address(d: Dice, city: vocab.City) -> str:
    street = d.pick(city.streets)
    if street.startswith("KCN"):
        return f"Lô {d.pick('ABCDE')}{d.between(1, 30)}, {street}, {city.name}"
    return f"Số {d.between(1, 320)} {street}, {d.pick(city.districts)}, {city.name}"


def foreign_address(d: Dice, country: vocab.Country, city: str) -> str:
    street = d.pick(country.streets)
    if country.code == "SG":
        return (
            f"{d.between(1, 80)} {street}, #{d.between(2, 30):02d}-{d.between(1, 12):02d}, "
            f"Singapore {d.digits(6)}"
        )
    return f"{d.between(1, 200)} {street}, {city}"

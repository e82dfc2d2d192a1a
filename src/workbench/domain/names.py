"""Personal names in parts, displayed and sorted the way the user's culture expects.

Why parts and not one string: Vietnamese names are written family-first ("Nguyễn Văn An"), but
people are addressed and listed by the given name ("anh An"), so a Vietnamese contact list is
sorted by given name. With only a full string we could do neither reliably.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from workbench.domain.errors import FieldError, ValidationError
from workbench.domain.text import fold, vietnamese_collation_key

MAX_NAME_PART = 80


class NameOrder(StrEnum):
    """How the full name is written: family first (Vietnamese, Chinese, Korean, Japanese,
    Hungarian) or given first (most Western languages)."""

    FAMILY_FIRST = "family_first"
    GIVEN_FIRST = "given_first"


_ORDERS = {order.value: order for order in NameOrder}


def name_order(value: str) -> NameOrder:
    """`NameOrder(value)` (ValueError for an unknown value) without the cost of an Enum call,
    a tenth of what indexing one contact cost: a sync page converts thousands."""
    order = _ORDERS.get(value)
    return order if order is not None else NameOrder(value)


def _is_vietnamese(locale: str) -> bool:
    return locale.replace("-", "_").split("_")[0].lower() == "vi"


@dataclass(frozen=True)
class PersonName:
    """A name in parts; `middle` may hold several words ("Thị Ngọc")."""

    family: str
    middle: str
    given: str
    order: NameOrder = NameOrder.FAMILY_FIRST

    def _parts_in_order(self) -> list[str]:
        if self.order is NameOrder.FAMILY_FIRST:
            parts = [self.family, self.middle, self.given]
        else:
            parts = [self.given, self.middle, self.family]
        return [p for p in parts if p]

    def display(self) -> str:
        """The full name as its owner writes it: "Nguyễn Văn An", "Anna Maria Schmidt"."""
        return " ".join(self._parts_in_order())

    def initials(self) -> str:
        """Up to two letters for avatars: family and given ("NA"), or given and family ("AS").

        The middle name is left out: Vietnamese middle names (Văn, Thị) are shared by so many
        people that they make initials less distinctive, not more.
        """
        if self.order is NameOrder.FAMILY_FIRST:
            parts = [self.family, self.given]
        else:
            parts = [self.given, self.family]
        return "".join(p[0].upper() for p in parts if p)

    def sort_key(self, locale: str) -> tuple[str, ...]:
        """A key for lists: by given name for Vietnamese locales, by family name otherwise.

        Folded text comes first so that diacritics don't push "Ánh" after "Z"; the original
        (NFC) text follows as a tie-breaker so that the order is total and stable between runs.
        Someone with only a given name is sorted by it in non-Vietnamese locales too, rather than
        all such people collecting at the top under an empty family name.
        """
        vietnamese, other = sort_keys(self.family, self.middle, self.given)
        return vietnamese if _is_vietnamese(locale) else other


def written_order(family: str, middle: str, given: str, order: str) -> list[str]:
    """The non-empty parts of a name as `PersonName(..., NameOrder(order)).display()` joins
    them, without building the name (a sync page displays thousands). Raises ValueError for
    an `order` that is not a `NameOrder` value, as `NameOrder(order)` does."""
    if name_order(order) is NameOrder.FAMILY_FIRST:
        parts = (family, middle, given)
    else:
        parts = (given, middle, family)
    return [p for p in parts if p]


def sort_keys(family: str, middle: str, given: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`PersonName.sort_key` for a Vietnamese locale and for any other, from the name parts.

    Why both at once: the store keeps both keys of every contact, and a sync page or an import
    computes them for thousands of rows; the parts are normalised once for the two keys, and
    no `PersonName` is built per row.
    """
    nfc_family = unicodedata.normalize("NFC", family)
    nfc_middle = unicodedata.normalize("NFC", middle)
    nfc_given = unicodedata.normalize("NFC", given)
    first = nfc_family if family else nfc_given
    return (
        (
            vietnamese_collation_key(nfc_given),
            vietnamese_collation_key(nfc_family),
            vietnamese_collation_key(nfc_middle),
            nfc_given,
            nfc_family,
            nfc_middle,
        ),
        (fold(first), fold(nfc_given), fold(nfc_middle), first, nfc_given, nfc_middle),
    )


def split_full_name(full: str, order: NameOrder = NameOrder.FAMILY_FIRST) -> PersonName:
    """Split a full name typed in one field (quick entry, CSV import) into parts.

    A guess, by convention: family first means first word family, last word given, the rest
    middle; given first is the mirror image. One word is taken as the given name, because that
    is the part every person has. Compound given names ("Ngọc Ánh") can't be told apart from
    middle names by text alone, so the user can correct the parts afterwards.
    """
    words = unicodedata.normalize("NFC", full).split()
    if not words:
        return PersonName("", "", "", order)
    if len(words) == 1:
        return PersonName("", "", words[0], order)
    first, *rest, last = words
    middle = " ".join(rest)
    if order is NameOrder.FAMILY_FIRST:
        return PersonName(family=first, middle=middle, given=last, order=order)
    return PersonName(family=last, middle=middle, given=first, order=order)


def _clean(part: str) -> str:
    # NFC because Vietnamese input methods differ in whether they send precomposed letters;
    # without it "Ánh" typed on two machines would not compare equal.
    return " ".join(unicodedata.normalize("NFC", part).split())


def validate_person_name(name: PersonName) -> PersonName:
    """Clean whitespace and check the parts; every problem is reported, not only the first.

    Only the given name is required: some people have a single name, and we file it as given.
    """
    cleaned = PersonName(
        family=_clean(name.family),
        middle=_clean(name.middle),
        given=_clean(name.given),
        order=name.order,
    )
    errors: list[FieldError] = []
    if not cleaned.given:
        errors.append(FieldError("given", "name.given_required", "A given name is required"))
    for field_name in ("family", "middle", "given"):
        if len(getattr(cleaned, field_name)) > MAX_NAME_PART:
            errors.append(
                FieldError(
                    field_name,
                    "name.too_long",
                    "A name part can have at most {max} characters",
                    {"max": str(MAX_NAME_PART)},
                )
            )
    if errors:
        raise ValidationError(errors)
    return cleaned

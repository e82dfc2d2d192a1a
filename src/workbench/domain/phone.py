"""Phone numbers: stored as E.164, shown in the local style.

Why E.164 in storage: the same number arrives as "0912 345 678", "+84 912345678" and
"84-912-345-678"; one canonical form makes duplicate detection and click-to-call work, and it
stays unambiguous when the record syncs to a colleague in another country.
"""

from __future__ import annotations

import phonenumbers

from workbench.domain.errors import ValidationError

_MSG_INVALID = "{value} is not a valid phone number"


def normalize_phone(value: str, default_region: str = "VN", field: str = "phone") -> str:
    """The number in E.164 ("+84912345678"); numbers without a country code use `default_region`.

    Extensions are rejected rather than silently dropped, because E.164 has no place for them
    and losing part of what the user typed would be worse than asking them to move it to notes.
    """
    text = value.strip()
    if not text:
        raise ValidationError.single(field, "phone.empty", "A phone number is required")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError.single(field, "phone.invalid", _MSG_INVALID, value=text) from None
    if number.extension:
        raise ValidationError.single(
            field,
            "phone.invalid",
            "{value} has an extension; enter the number without it",
            value=text,
        )
    if not phonenumbers.is_valid_number(number):
        raise ValidationError.single(field, "phone.invalid", _MSG_INVALID, value=text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str, region: str = "VN") -> str:
    """National format for numbers of `region` ("0912 345 678"), international otherwise.

    Display must never fail on stored data (it may come from an older version or another
    device), so text that does not parse is returned unchanged.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region.upper():
        style = phonenumbers.PhoneNumberFormat.NATIONAL
    else:
        style = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)

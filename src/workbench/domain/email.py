"""E-mail addresses: a pragmatic check, not RFC 5322.

Why pragmatic: the full grammar accepts quoted strings and comments nobody uses, while the real
mistakes are typos (missing dot, spaces, two @). The only true test is sending mail.
"""

from __future__ import annotations

import re

from workbench.domain.errors import ValidationError

_ASCII_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_MAX_LOCAL = 64
_MAX_TOTAL = 254


def _invalid(field: str, value: str) -> ValidationError:
    return ValidationError.single(
        field, "email.invalid", "{value} is not a valid e-mail address", value=value
    )


def _domain_ok(domain: str) -> bool:
    """Check the domain after IDNA encoding, so "tênmiền.vn" passes like its xn-- form."""
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253:
        return False
    if not all(_ASCII_LABEL.fullmatch(label) for label in labels):
        return False
    return not labels[-1].isdigit()


def normalize_email(value: str, field: str = "email") -> str:
    """Strip, lower-case the domain, and reject what cannot be an address.

    The local part keeps its case: servers may treat it as case-sensitive, and changing what
    the user typed there could break delivery. The domain is case-insensitive, and lower-casing
    it lets duplicates be found by equality. IDN domains are kept in Unicode for display.
    """
    text = value.strip()
    if not text:
        raise ValidationError.single(field, "email.empty", "An e-mail address is required")
    if text.count("@") != 1 or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise _invalid(field, text)
    local, domain = text.split("@")
    domain = domain.lower()
    if (
        not local
        or len(local) > _MAX_LOCAL
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or not _domain_ok(domain)
    ):
        raise _invalid(field, text)
    result = f"{local}@{domain}"
    if len(result) > _MAX_TOTAL:
        raise _invalid(field, text)
    return result

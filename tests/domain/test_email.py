from __future__ import annotations

import pytest

from workbench.domain.email import normalize_email
from workbench.domain.errors import ValidationError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("an.nguyen@example.vn", "an.nguyen@example.vn"),
        ("  An.Nguyen@Example.COM.VN ", "An.Nguyen@example.com.vn"),
        ("a+tag@sub.domain.io", "a+tag@sub.domain.io"),
        ("lan@TÊNMIỀN.VN", "lan@tênmiền.vn"),
        ("x@xn--tnmin-hsa0954c.vn", "x@xn--tnmin-hsa0954c.vn"),
    ],
)
def test_valid(value: str, expected: str) -> None:
    assert normalize_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "no-at-sign",
        "two@@example.com",
        "a@b@example.com",
        "@example.com",
        "an@localhost",
        "an nguyen@example.com",
        "an@exa mple.com",
        "an@example..com",
        "an@-example.com",
        "an@example-.com",
        "an@example.com.",
        "an@.example.com",
        ".an@example.com",
        "an.@example.com",
        "a..n@example.com",
        "an@1.2.3.4",
        "an@example.c_m",
        "x" * 65 + "@example.com",
        "an@" + "a" * 64 + ".com",
    ],
)
def test_invalid(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        normalize_email(value, field="contact.email")
    (error,) = exc.value.errors
    assert error.field == "contact.email"
    assert error.code == "email.invalid"
    assert value.strip() in error.render()


def test_empty() -> None:
    with pytest.raises(ValidationError) as exc:
        normalize_email(" ")
    assert exc.value.errors[0].code == "email.empty"

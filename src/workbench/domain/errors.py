"""Validation errors that name the field they are about.

Why a code plus params and not only a message: the UI translates messages, so it needs the
stable code and the values to fill in; the English message is the fallback and what the
command line prints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field. `message` is English with `{placeholders}` from `params`."""

    field: str
    code: str
    message: str
    params: dict[str, str] = dataclasses.field(default_factory=dict)

    def render(self) -> str:
        return self.message.format(**self.params)


class ValidationError(Exception):
    """Raised when input is rejected; carries every field error found, not only the first."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.render()}" for e in self.errors))

    def __iter__(self) -> Iterator[FieldError]:
        return iter(self.errors)

    def for_field(self, name: str) -> list[FieldError]:
        return [e for e in self.errors if e.field == name]

    @classmethod
    def single(cls, field_name: str, code: str, message: str, **params: str) -> ValidationError:
        return cls([FieldError(field_name, code, message, dict(params))])

"""Plain-SQL reads for read models that join several tables at once.

Why: a dock such as the whitespace grid or the stakeholder map reads a handful of tables for
one account and builds its view in Python; one statement per table through the unit's own
connection is the fast way, and building ORM entities for it was most of the cost. Services
may not import SQLAlchemy (DESIGN §2), so they run such statements through these helpers,
which also decode what SQLite hands back for dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

Row = tuple[Any, ...]


def rows(session: Session, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    """Run one read statement (`?` placeholders) in the session's transaction."""
    result = session.connection().exec_driver_sql(sql, tuple(params))
    return [tuple(r) for r in result.fetchall()]


def mapped_rows(session: Session, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """As `rows`, each row as a dict by column name."""
    result = session.connection().exec_driver_sql(sql, tuple(params))
    return [dict(r) for r in result.mappings()]


def marks(n: int) -> str:
    """``?, ?, ?`` for an ``IN (...)`` of `n` values."""
    return ", ".join("?" * n)


def as_date(value: Any) -> date | None:
    """A date column as SQLite returns it to a plain statement (ISO text), as a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])

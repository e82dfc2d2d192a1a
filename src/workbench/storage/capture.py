"""Central change capture: a flush hook that records what every unit of work changed.

Why a flush hook: no service can forget it. Each synced row written through a Session gets its
timestamps set here and a `RowChange` with before/after values of the fields that changed; that
record feeds the UI's change hub, undo, and (with sync) the outbox, all from this one place.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from workbench.domain.changes import Op, RowChange
from workbench.domain.ids import new_id
from workbench.storage.tables import Synced

CAPTURE_KEY = "workbench.changes"
IGNORED = frozenset({"created_at", "updated_at", "row_seq"})


def utcnow() -> datetime:
    """Naive UTC: SQLite has no time zones, so every stored datetime is UTC by convention."""
    return datetime.now(UTC).replace(tzinfo=None)


def plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _captured(session: Session) -> list[RowChange]:
    return session.info.setdefault(CAPTURE_KEY, [])


def _columns(obj: Synced) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {c.key: plain(getattr(obj, c.key)) for c in mapper.column_attrs if c.key not in IGNORED}


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    now = utcnow()
    out = _captured(session)
    for obj in session.new:
        if not isinstance(obj, Synced):
            continue
        obj.id = obj.id or new_id()
        obj.created_at = obj.created_at or now
        obj.updated_at = now
        out.append(RowChange(obj.__tablename__, obj.id, Op.INSERT, {}, _columns(obj)))  # type: ignore[attr-defined]
    for obj in session.dirty:
        if not isinstance(obj, Synced) or not session.is_modified(obj):
            continue
        state = inspect(obj)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for attr in state.mapper.column_attrs:
            if attr.key in IGNORED:
                continue
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                before[attr.key] = plain(hist.deleted[0]) if hist.deleted else None
                after[attr.key] = plain(hist.added[0]) if hist.added else None
        if not after:
            continue
        obj.updated_at = now
        op = Op.UPDATE
        if set(after) == {"deleted_at"}:
            op = Op.ARCHIVE if after["deleted_at"] is not None else Op.RESTORE
        out.append(RowChange(obj.__tablename__, obj.id, op, before, after))  # type: ignore[attr-defined]
    for obj in session.deleted:
        if isinstance(obj, Synced):
            raise RuntimeError(
                f"{obj.__tablename__} rows are archived, never deleted"  # type: ignore[attr-defined]
            )


def install(session: Session) -> None:
    """Attach capture to one Session (each unit of work has its own)."""
    event.listen(session, "before_flush", _before_flush)


def drain(session: Session) -> list[RowChange]:
    return session.info.pop(CAPTURE_KEY, [])

"""What an operation touched: the change set every service call returns.

Why a plain value and not a signal: services run on a worker thread without Qt. The UI's change
hub fans a change set out to docks, and each dock asks `touches(...)` to decide whether it has to
redraw. The same records carry the before/after values of every field, which is what makes a
generic undo possible (apply the inverse) and what sync's outbox will capture later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Op(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    ARCHIVE = "archive"
    RESTORE = "restore"


@dataclass(frozen=True)
class RowChange:
    """One row's change: the fields that changed, with their values before and after."""

    table: str
    row_id: str
    op: Op
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeSet:
    rows: tuple[RowChange, ...] = ()
    # Account ids whose derived views (timeline, last contact, ...) may have changed.
    accounts: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.rows

    def tables(self) -> frozenset[str]:
        return frozenset(r.table for r in self.rows)

    def touches(self, *tables: str) -> bool:
        wanted = set(tables)
        return any(r.table in wanted for r in self.rows)

    def ids(self, table: str) -> frozenset[str]:
        return frozenset(r.row_id for r in self.rows if r.table == table)

    def merged(self, other: ChangeSet) -> ChangeSet:
        return ChangeSet(self.rows + other.rows, self.accounts | other.accounts)

    @staticmethod
    def combine(sets: Iterable[ChangeSet]) -> ChangeSet:
        out = ChangeSet()
        for s in sets:
            out = out.merged(s)
        return out

    def inverse(self) -> tuple[RowChange, ...]:
        """The row changes that undo this set, newest first."""
        undo: list[RowChange] = []
        for r in reversed(self.rows):
            if r.op is Op.INSERT:
                undo.append(RowChange(r.table, r.row_id, Op.ARCHIVE, r.after, {}))
            elif r.op is Op.ARCHIVE:
                undo.append(RowChange(r.table, r.row_id, Op.RESTORE, {}, {}))
            elif r.op is Op.RESTORE:
                undo.append(RowChange(r.table, r.row_id, Op.ARCHIVE, {}, {}))
            else:
                undo.append(RowChange(r.table, r.row_id, Op.UPDATE, r.after, r.before))
        return tuple(undo)

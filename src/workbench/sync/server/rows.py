"""The server's synced rows, stored generically and packed (SYNC.md §1.5, changed).

Why not "domain tables (same models)" as SYNC.md first proposed: the server never runs business
queries on these rows, it merges, scopes and serves them. One table ``sync_row`` holding each
row's fields as ``{field: [value, hlc, node, seq]}`` (the wire form of a pulled field) means:
no server migration for every client column added, a snapshot row is served as stored, and the
per-field versions SYNC.md asks for live beside the values, so the two cannot disagree. The two
references scoping must query (an account id and a user id) are kept in their own columns.

Rows are loaded into a request-wide cache (`RowCache`), changed in memory change by change (a
rejected change simply drops its copies), and written back once per request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from workbench.domain.merge import DELETED, FieldState, Version
from workbench.sync.schema import ACCOUNT_CHILD_TABLES
from workbench.sync.server.db import sync_row, sync_row_scope

Packed = list[Any]  # [value, hlc, node, seq]
_CHUNK = 500


@dataclass
class RowState:
    """One synced row as the server holds it."""

    tbl: str
    row_id: str
    fields: dict[str, Packed]
    deleted: bool
    scopes: set[str]
    seq: int
    stored: bool = False  # exists in the database (an UPDATE, not an INSERT, on save)
    stored_scopes: frozenset[str] = frozenset()

    def copy(self) -> RowState:
        return RowState(
            self.tbl,
            self.row_id,
            dict(self.fields),
            self.deleted,
            set(self.scopes),
            self.seq,
            self.stored,
            self.stored_scopes,
        )

    def value(self, name: str, default: Any = None) -> Any:
        packed = self.fields.get(name)
        return packed[0] if packed is not None else default

    def states(self) -> dict[str, FieldState]:
        return {
            name: FieldState(v, Version(h, n, s), n) for name, (v, h, n, s) in self.fields.items()
        }

    @property
    def account_ref(self) -> str | None:
        if self.tbl == "accounts":
            return self.row_id
        if self.tbl in ACCOUNT_CHILD_TABLES:
            ref = self.value("account_id")
            return ref if isinstance(ref, str) else None
        return None

    @property
    def user_ref(self) -> str | None:
        if self.tbl == "accounts":
            ref = self.value("owner_id")
        elif self.tbl == "account_team":
            ref = self.value("user_id")
        else:
            return None
        return ref if isinstance(ref, str) else None


def from_states(states: dict[str, FieldState]) -> dict[str, Packed]:
    return {
        name: [st.value, st.version.hlc, st.version.node, st.version.seq]
        for name, st in states.items()
    }


def is_deleted(fields: dict[str, Packed]) -> bool:
    packed = fields.get(DELETED)
    return bool(packed is not None and packed[0] is True)


@dataclass
class RowCache:
    """Rows read or written by one request; ``dirty`` ones are saved by `save`.

    Whether a row is already in the database (UPDATE, not INSERT) and which of its scope keys
    are, is tracked here per key, not on the `RowState` objects: a change works on copies, and
    a copy taken before a mid-request `save` (scope queries save first) would otherwise still
    say "new" and be inserted a second time.
    """

    conn: Connection
    rows: dict[tuple[str, str], RowState | None] = field(default_factory=dict)
    dirty: set[tuple[str, str]] = field(default_factory=set)
    stored: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def prefetch(self, keys: Iterable[tuple[str, str]]) -> None:
        by_table: dict[str, list[str]] = {}
        for tbl, row_id in keys:
            if (tbl, row_id) not in self.rows:
                by_table.setdefault(tbl, []).append(row_id)
        for tbl, ids in by_table.items():
            ids = list(dict.fromkeys(ids))
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                for row_id in chunk:
                    self.rows[(tbl, row_id)] = None
                found = self.conn.execute(
                    select(sync_row).where(
                        and_(sync_row.c.tbl == tbl, sync_row.c.row_id.in_(chunk))
                    )
                )
                for r in found:
                    scopes = set(json.loads(r.scopes))
                    self.stored[(tbl, r.row_id)] = frozenset(scopes)
                    self.rows[(tbl, r.row_id)] = RowState(
                        tbl,
                        r.row_id,
                        json.loads(r.fields),
                        bool(r.deleted),
                        scopes,
                        int(r.seq),
                        stored=True,
                        stored_scopes=frozenset(scopes),
                    )

    def get(self, tbl: str, row_id: str) -> RowState | None:
        if (tbl, row_id) not in self.rows:
            self.prefetch([(tbl, row_id)])
        return self.rows[(tbl, row_id)]

    def put(self, row: RowState) -> None:
        self.rows[(row.tbl, row.row_id)] = row
        self.dirty.add((row.tbl, row.row_id))

    def save(self) -> None:
        """Write every dirty row (INSERT new ones, UPDATE stored ones) and new scope keys."""
        new_rows: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        scope_keys: list[dict[str, Any]] = []
        for key in self.dirty:
            row = self.rows[key]
            assert row is not None
            values = {
                "fields": json.dumps(row.fields, ensure_ascii=False, separators=(",", ":")),
                "deleted": row.deleted,
                "scopes": json.dumps(sorted(row.scopes)),
                "account_ref": row.account_ref,
                "user_ref": row.user_ref,
                "seq": row.seq,
            }
            stored_scopes = self.stored.get(key)
            if stored_scopes is not None:
                changed.append(
                    {"k_tbl": row.tbl, "k_row_id": row.row_id}
                    | {f"v_{k}": v for k, v in values.items()}
                )
            else:
                new_rows.append({"tbl": row.tbl, "row_id": row.row_id, **values})
            scope_keys += [
                {"scope": s, "tbl": row.tbl, "row_id": row.row_id}
                for s in row.scopes - (stored_scopes or frozenset())
            ]
            row.stored = True
            row.stored_scopes = frozenset(row.scopes)
            self.stored[key] = frozenset(row.scopes | (stored_scopes or frozenset()))
        if new_rows:
            self.conn.execute(insert(sync_row), new_rows)
        if changed:
            self.conn.execute(
                update(sync_row)
                .where(
                    and_(
                        sync_row.c.tbl == bindparam("k_tbl"),
                        sync_row.c.row_id == bindparam("k_row_id"),
                    )
                )
                .values(
                    fields=bindparam("v_fields"),
                    deleted=bindparam("v_deleted"),
                    scopes=bindparam("v_scopes"),
                    account_ref=bindparam("v_account_ref"),
                    user_ref=bindparam("v_user_ref"),
                    seq=bindparam("v_seq"),
                ),
                changed,
            )
        if scope_keys:
            self.conn.execute(insert(sync_row_scope), scope_keys)
        self.dirty.clear()

"""The server's synced rows, stored generically and packed (SYNC.md §1.5, changed).

Why not "domain tables (same models)" as SYNC.md first proposed: the server never runs business
queries on these rows, it merges, scopes and serves them. One table ``sync_row`` holding each
row's fields in the packed wire form of ``protocol.RowFields`` (`dump_fields`) means:
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

from pydantic_core import to_json
from sqlalchemy import Connection

from workbench.domain.merge import DELETED, FieldState, Version
from workbench.sync.protocol import pack_fields, unpack_fields
from workbench.sync.schema import ACCOUNT_CHILD_TABLES
from workbench.sync.server import scopes as scoping
from workbench.sync.server.db import bulk_insert, bulk_update, sync_row, sync_row_scope

Packed = list[Any]  # [value, hlc, node, seq]
_CHUNK = 500


def dumps(value: Any) -> str:
    """Compact JSON, UTF-8 as is: the stored wire form of fields and log entries.

    pydantic-core's encoder (already a dependency) instead of ``json.dumps``: a push serialises
    every row it writes, and this is several times faster for the same JSON (floats may print
    their exponent differently, ``1e-7`` for ``1e-07``, which parses to the same value).
    """
    return to_json(value).decode()


def dump_fields(fields: dict[str, Packed]) -> str:
    """``sync_row.fields`` / ``sync_log.fields``: the packed wire form (``protocol.RowFields``),
    so pages print it as stored."""
    return dumps(pack_fields(fields))


def load_fields(text: str) -> dict[str, Packed]:
    """The inverse of `dump_fields`: ``{field: [value, hlc, node, seq]}``."""
    return unpack_fields(json.loads(text))


@dataclass
class RowState:
    """One synced row as the server holds it."""

    tbl: str
    row_id: str
    fields: dict[str, Packed]
    deleted: bool
    scopes: set[str]
    seq: int
    # `dump_fields(fields)` when someone already made it (the change log of a new row holds exactly
    # these fields), so saving the row does not serialise it again. Whoever changes `fields`
    # works on a `copy`, which starts without it.
    fields_json: str | None = None

    def copy(self) -> RowState:
        return RowState(
            self.tbl,
            self.row_id,
            dict(self.fields),
            self.deleted,
            set(self.scopes),
            self.seq,
        )

    def value(self, name: str, default: Any = None) -> Any:
        packed = self.fields.get(name)
        return packed[0] if packed is not None else default

    def states(self) -> dict[str, FieldState]:
        return self.states_of(self.fields)

    def states_of(self, names: Iterable[str]) -> dict[str, FieldState]:
        """`states` of the fields ``names`` the row has (a merge of a few fields of a wide
        row needs no others)."""
        fields = self.fields
        return {
            name: FieldState(v, Version(h, n, s), n)
            for name in names
            if name in fields
            for v, h, n, s in (fields[name],)
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


# PostgreSQL: one primary-key probe per id, whatever the statistics say. With the plain
# ``tbl = ... AND row_id IN (...)`` a table that autovacuum has not analysed yet (a new or fast
# growing one) is taken to hold few rows per ``tbl``, and the planner scanned every row of the
# table and compared it with each id: seconds per push after a few big ones. ``OFFSET 0`` keeps
# the subquery from being merged into a join the planner could again get wrong.
_PG_SELECT_ROWS = (
    "SELECT r.row_id, r.fields, r.deleted, r.scopes, r.user_ref, r.seq"
    " FROM unnest(%s::text[]) AS k(id) CROSS JOIN LATERAL"
    " (SELECT * FROM {table} WHERE tbl = %s AND row_id = k.id OFFSET 0) AS r"
)
_PG_CHUNK = 5000
# SQLite: plain text with one mark per id. SQLAlchemy's expanding IN renders the statement
# anew for every list length and processes each id, about a tenth of a small push.
_SQLITE_SELECT_ROWS = (
    "SELECT row_id, fields, deleted, scopes, user_ref, seq FROM {table}"
    " WHERE tbl = ? AND row_id IN ({marks})"
)
_ROW_COLUMNS = ("tbl", "row_id", "fields", "deleted", "scopes", "account_ref", "user_ref", "seq")
_UPDATE_COLUMNS = ("fields", "deleted", "scopes", "account_ref", "user_ref", "seq")


@dataclass
class RowCache:
    """Rows read or written by one request; ``dirty`` ones are saved by `save`.

    Whether a row is already in the database (UPDATE, not INSERT) and which of its scope keys
    are, is tracked here per key, not on the `RowState` objects: a change works on copies, and
    a copy taken before a mid-request `save` (scope queries save first) would otherwise still
    say "new" and be inserted a second time. So is the user a scope-giving row (accounts,
    account_team) names in the database: saving it changes the scope version of that user and
    of the one it names now (`scopes.touch`).
    """

    conn: Connection
    rows: dict[tuple[str, str], RowState | None] = field(default_factory=dict)
    dirty: set[tuple[str, str]] = field(default_factory=set)
    stored: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    stored_user: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # sorted-JSON text per scope set: a push's rows share a handful of scope sets
    _scope_text: dict[frozenset[str], str] = field(default_factory=dict)

    def prefetch(self, keys: Iterable[tuple[str, str]]) -> None:
        by_table: dict[str, list[str]] = {}
        for key in keys:
            if key not in self.rows:
                by_table.setdefault(key[0], []).append(key[1])
        postgres = self.conn.dialect.name == "postgresql"
        size = _PG_CHUNK if postgres else _CHUNK
        for tbl, ids in by_table.items():
            ids = list(dict.fromkeys(ids))
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                self.rows.update(dict.fromkeys([(tbl, row_id) for row_id in chunk]))
                table = self.conn.dialect.identifier_preparer.format_table(sync_row)
                if postgres:
                    query = _PG_SELECT_ROWS.format(table=table)
                    found = self.conn.exec_driver_sql(query, (chunk, tbl))
                else:
                    marks = ",".join("?" * len(chunk))
                    query = _SQLITE_SELECT_ROWS.format(table=table, marks=marks)
                    found = self.conn.exec_driver_sql(query, (tbl, *chunk))
                for row_id, fields, deleted, scopes_text, user_ref, seq in found.fetchall():
                    key = (tbl, row_id)
                    scopes = set(json.loads(scopes_text))
                    self.stored[key] = frozenset(scopes)
                    self.stored_user[key] = user_ref
                    self.rows[key] = RowState(
                        tbl,
                        row_id,
                        load_fields(fields),
                        bool(deleted),
                        scopes,
                        int(seq),
                        fields_json=fields,
                    )

    def get(self, tbl: str, row_id: str) -> RowState | None:
        if (tbl, row_id) not in self.rows:
            self.prefetch([(tbl, row_id)])
        return self.rows[(tbl, row_id)]

    def put(self, row: RowState) -> None:
        self.rows[(row.tbl, row.row_id)] = row
        self.dirty.add((row.tbl, row.row_id))

    def scopes_text(self, scopes: set[str] | frozenset[str]) -> str:
        """``sync_row.scopes`` of a row: its scope keys as a sorted JSON list."""
        key = frozenset(scopes)
        text = self._scope_text.get(key)
        if text is None:
            text = self._scope_text[key] = json.dumps(sorted(key))
        return text

    def save(self) -> None:
        """Write every dirty row (INSERT new ones, UPDATE stored ones) and new scope keys."""
        new_rows: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        scope_keys: list[tuple[str, str, str]] = []
        touched: set[str] = set()
        for key in self.dirty:
            row = self.rows[key]
            assert row is not None
            if row.fields_json is None:
                row.fields_json = dump_fields(row.fields)
            tbl, row_id = key
            text, deleted, seq = row.fields_json, row.deleted, row.seq
            scopes_text = self.scopes_text(row.scopes)
            account_ref, user_ref = row.account_ref, row.user_ref
            stored_scopes = self.stored.get(key)
            if stored_scopes is not None:
                changed.append((text, deleted, scopes_text, account_ref, user_ref, seq, *key))
                added = row.scopes - stored_scopes
                self.stored[key] = stored_scopes | added
            else:
                new_rows.append((*key, text, deleted, scopes_text, account_ref, user_ref, seq))
                added = row.scopes
                self.stored[key] = frozenset(added)
            scope_keys += [(s, tbl, row_id) for s in added]
            if tbl in scoping.SCOPE_TABLES:
                touched.update(u for u in (self.stored_user.get(key), user_ref) if u)
                self.stored_user[key] = user_ref
        bulk_insert(self.conn, sync_row, _ROW_COLUMNS, new_rows)
        bulk_update(self.conn, sync_row, _UPDATE_COLUMNS, ("tbl", "row_id"), changed)
        bulk_insert(self.conn, sync_row_scope, ("scope", "tbl", "row_id"), scope_keys)
        scoping.touch(self.conn, touched)
        self.dirty.clear()

"""The client half of SYNC.md §1.4: what every local unit of work records for sync.

`record(...)` runs inside `UnitOfWork.commit()`, in the same transaction as the domain writes, so
a crash either keeps the edit *and* its outbox entry or neither. For the rows a unit changed it:

1. ticks the device's hybrid logical clock (persisted in `sync_state`, so it survives restarts
   and is shared by every Store opened on the same file);
2. writes the new per-field versions (`hlc`, `node = device_id`, `seq = NULL`) to
   `sync_version` (see `sync_tables` for why one packed row per synced row);
3. appends ONE `sync_outbox` row with a new UUIDv7 `change_id` and the ops:
   insert  -> {"op": "upsert", "fields": every synced column, "base": {f: None}}
   update  -> {"op": "upsert", "fields": the changed columns, "base": {f: seq held before}}
   archive -> {"op": "delete", "base": {"_deleted": seq}}
   restore -> {"op": "restore", "base": {"_deleted": seq}}
   Several changes to one row in one unit become one upsert (and at most one delete/restore),
   in the order the rows were first touched, so parents still precede their children.

A unit that changed no synced column writes nothing here. Columns marked `info={"sync": False}`
in tables.py (bookkeeping and derived columns) are never sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from workbench.domain.changes import Op, RowChange
from workbench.domain.hlc import HybridClock, system_now_ms
from workbench.domain.ids import new_id
from workbench.domain.merge import DELETED
from workbench.storage import sql
from workbench.storage.tables import SYNCED_TABLES, Synced

# Version of the op format/synced columns in outbox rows (SYNC.md §1.12). Bump it together with
# a migration that changes a synced column, and add an op migrator for pending outbox rows.
SYNC_SCHEMA_VERSION = 2
# Version 2 (client migration 0006) added tables and columns only: no op of version 1 needs
# migrating, and the server still takes version-1 pushes (sync.server.service).

TOMBSTONE = "deleted_at"
_NO_ROW = (0, "", None)  # version of a row written before sync existed: older than any write

# Tests may replace the wall clock of the HLC (Unix ms).
now_ms: Callable[[], int] = system_now_ms

_SYNCED_COLUMNS: dict[str, tuple[str, ...]] = {}


def synced_columns(table: str) -> tuple[str, ...]:
    """The columns of `table` sent as op fields: all but the id, the tombstone and LOCAL ones."""
    cols = _SYNCED_COLUMNS.get(table)
    if cols is None:
        cols = tuple(
            attr.key
            for attr in inspect(SYNCED_TABLES[table]).column_attrs
            if attr.key not in ("id", TOMBSTONE)
            and attr.columns[0].info.get("sync", True) is not False
        )
        _SYNCED_COLUMNS[table] = cols
    return cols


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Touched:
    """What one unit did to one row, coalesced over all its flushes."""

    inserted: bool = False
    fields: set[str] = field(default_factory=set)
    tombstone: bool = False


def _state(session: Session, keys: Iterable[str]) -> dict[str, str | None]:
    """`sync_state` values by key. Plain SQL: every local edit (`tick`) and every sync page
    (`observe`) reads the clock, and an ORM-run select with an expanding IN cost ~0.3 ms."""
    wanted = tuple(keys)
    rows = session.connection().exec_driver_sql(
        f"SELECT k, v FROM sync_state WHERE k IN ({sql.marks(len(wanted))})", wanted
    )
    return dict(rows.fetchall())


def _put_state(session: Session, values: Mapping[str, str]) -> None:
    session.connection().exec_driver_sql(
        "INSERT INTO sync_state (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
        list(values.items()),
    )


#: The `sync_state` key of this database's device id.
DEVICE_ID_KEY = "device_id"


def device_id(session: Session) -> str:
    """This database's device id, made (UUIDv7) and stored on first use."""
    current = _state(session, [DEVICE_ID_KEY]).get(DEVICE_ID_KEY)
    if not current:
        current = new_id()
        _put_state(session, {DEVICE_ID_KEY: current})
    return current


def tick(session: Session) -> int:
    """Tick the persistent HLC: strictly above every value this file issued or observed."""
    stored = _state(session, ["hlc"]).get("hlc")
    clock = HybridClock(now_ms, initial=int(stored) if stored else 0)
    value = clock.tick()
    _put_state(session, {"hlc": str(value)})
    return value


def observe(session: Session, remote: int) -> int:
    """Fold an HLC from the server (``server_hlc``) into the persistent clock (SYNC.md §1.3)."""
    stored = _state(session, ["hlc"]).get("hlc")
    clock = HybridClock(now_ms, initial=int(stored) if stored else 0)
    value = clock.observe(remote)
    _put_state(session, {"hlc": str(value)})
    return value


def _versions(
    session: Session, table: str, row_ids: list[str]
) -> dict[str, tuple[int, str, int | None, dict[str, list[Any]]]]:
    out: dict[str, tuple[int, str, int | None, dict[str, list[Any]]]] = {}
    conn = session.connection()
    for start in range(0, len(row_ids), 500):
        chunk = row_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.exec_driver_sql(
            "SELECT row_id, hlc, node, seq, fields FROM sync_version"
            f" WHERE tbl = ? AND row_id IN ({marks})",
            (table, *chunk),
        )
        for row_id, hlc, node, seq, fields in rows:
            out[row_id] = (hlc, node, seq, json.loads(fields))
    return out


#: Reference tables the server manages (SYNC.md §1.10 scope ``ref``): local rows of these are
#: never pushed. A device's own placeholder user, or products from a local import, stay local.
SERVER_MANAGED_TABLES = frozenset({"users", "products"})
#: Ops in one outbox change; equal to ``sync.protocol.MAX_OPS_PER_CHANGE`` (a test checks).
MAX_OPS_PER_CHANGE = 1000


def record(
    session: Session,
    changes: list[RowChange],
    bulk_rows: Mapping[tuple[str, str], Mapping[str, Any]],
) -> list[str]:
    """Write the versions and the outbox rows for `changes`; returns the change ids.

    One unit of work is one outbox change, except a bulk unit (an import) with more ops than a
    change may carry: it is split between rows, in order, into several changes with their own
    HLC ticks. Splitting between *inserts of new rows* changes nothing the merge can observe.

    `bulk_rows` holds the full values of rows inserted by `insert_many`, keyed (table, id):
    those rows are not in the session, and their RowChange carries only routing fields.
    """
    touched: dict[tuple[str, str], _Touched] = {}
    for change in changes:
        if change.table not in SYNCED_TABLES or change.table in SERVER_MANAGED_TABLES:
            continue
        t = touched.setdefault((change.table, change.row_id), _Touched())
        if change.op is Op.INSERT:
            t.inserted = True
        elif change.op is Op.UPDATE:
            cols = synced_columns(change.table)
            t.fields.update(k for k in change.after if k in cols)
            t.tombstone = t.tombstone or TOMBSTONE in change.after
        else:
            t.tombstone = True
    touched = {k: t for k, t in touched.items() if t.inserted or t.fields or t.tombstone}
    if not touched:
        return []

    node = device_id(session)

    # Versions held before this unit, for the bases of updates, archives and restores.
    before: dict[tuple[str, str], tuple[int, str, int | None, dict[str, list[Any]]]] = {}
    by_table: dict[str, list[str]] = {}
    for (table, row_id), t in touched.items():
        if not t.inserted:
            by_table.setdefault(table, []).append(row_id)
    for table, ids in by_table.items():
        before.update(((table, r), v) for r, v in _versions(session, table, ids).items())

    # Per row: its ops, and how its versions change (filled with the chunk's HLC below).
    planned: list[tuple[tuple[str, str], list[dict[str, Any]], _Touched]] = []
    # Per table, for the bulk path: the synced columns and one shared all-None base (read-only).
    insert_shape: dict[str, tuple[tuple[str, ...], dict[str, None]]] = {}
    for (table, row_id), t in touched.items():
        row_ops: list[dict[str, Any]] = []
        if t.inserted:
            values = bulk_rows.get((table, row_id))
            if values is None:
                values = _orm_values(session, table, row_id)
            shape = insert_shape.get(table)
            if shape is None:
                cols = synced_columns(table)
                shape = insert_shape[table] = (cols, dict.fromkeys(cols))
            cols, base = shape
            row_ops.append(
                {
                    "op": "upsert",
                    "tbl": table,
                    "id": row_id,
                    "fields": {c: values[c] for c in cols},
                    "base": base,
                }
            )
            if values[TOMBSTONE] is not None:
                row_ops.append(
                    {"op": "delete", "tbl": table, "id": row_id, "base": {DELETED: None}}
                )
            planned.append(((table, row_id), row_ops, t))
            continue
        _hlc, _node, row_seq, overrides = before.get((table, row_id), (*_NO_ROW, {}))

        def seq_of(f: str, o: dict[str, list[Any]] = overrides, s: int | None = row_seq) -> Any:
            return o[f][2] if f in o else s

        obj = session.get(SYNCED_TABLES[table], row_id)
        assert obj is not None, f"{table} {row_id} vanished within its unit of work"
        if t.fields:
            names = sorted(t.fields, key=synced_columns(table).index)
            row_ops.append(
                {
                    "op": "upsert",
                    "tbl": table,
                    "id": row_id,
                    "fields": {f: getattr(obj, f) for f in names},
                    "base": {f: seq_of(f) for f in names},
                }
            )
        if t.tombstone:
            kind = "delete" if obj.deleted_at is not None else "restore"
            row_ops.append(
                {"op": kind, "tbl": table, "id": row_id, "base": {DELETED: seq_of(DELETED)}}
            )
        planned.append(((table, row_id), row_ops, t))

    chunks: list[list[tuple[tuple[str, str], list[dict[str, Any]], _Touched]]] = [[]]
    size = 0
    for item in planned:
        if size + len(item[1]) > MAX_OPS_PER_CHANGE and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item[1])

    conn = session.connection()
    change_ids: list[str] = []
    for chunk in chunks:
        hlc = tick(session)
        pending = [hlc, node, None]
        fresh: list[tuple[str, str, int, str]] = []
        edited: list[tuple[str, str, int, str, int | None, str]] = []
        ops: list[dict[str, Any]] = []
        for (table, row_id), row_ops, t in chunk:
            ops += row_ops
            if t.inserted:
                fresh.append((table, row_id, hlc, node))
                continue
            row_hlc, row_node, row_seq, overrides = before.get((table, row_id), (*_NO_ROW, {}))
            new = dict(overrides)
            for f in t.fields:
                new[f] = pending
            if t.tombstone:
                new[DELETED] = pending
            edited.append((table, row_id, row_hlc, row_node, row_seq, dumps(new)))
        if fresh:
            conn.exec_driver_sql(
                "INSERT INTO sync_version (tbl, row_id, hlc, node, seq, fields)"
                " VALUES (?, ?, ?, ?, NULL, '{}')"
                " ON CONFLICT (tbl, row_id) DO UPDATE SET hlc = excluded.hlc,"
                " node = excluded.node, seq = NULL, fields = '{}'",
                fresh,
            )
        if edited:
            conn.exec_driver_sql(
                "INSERT INTO sync_version (tbl, row_id, hlc, node, seq, fields)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (tbl, row_id) DO UPDATE SET fields = excluded.fields",
                edited,
            )
        change_id = new_id()
        conn.exec_driver_sql(
            "INSERT INTO sync_outbox (change_id, hlc, schema_version, ops, state, created_at)"
            " VALUES (?, ?, ?, ?, 'pending', ?)",
            (change_id, hlc, SYNC_SCHEMA_VERSION, dumps(ops), system_now_ms()),
        )
        change_ids.append(change_id)
    return change_ids


def _orm_values(session: Session, table: str, row_id: str) -> dict[str, Any]:
    obj: Synced | None = session.get(SYNCED_TABLES[table], row_id)
    assert obj is not None, f"{table} {row_id} vanished within its unit of work"
    return {c: getattr(obj, c) for c in (*synced_columns(table), TOMBSTONE)}


#: The pseudo-table conflict records travel as (SYNC.md §1.5: "conflicts are themselves synced
#: rows"). Only their ``status`` may be written by a client.
CONFLICT_TABLE = "sync_conflict"
CONFLICT_STATUSES = frozenset({"open", "kept", "used_mine", "edited", "restored", "discarded"})


def record_conflict_status(session: Session, conflict_id: str, status: str) -> str:
    """Append one outbox change that sets a conflict record's ``status`` on the server, so a
    conflict resolved on one laptop is resolved on the user's other devices too. Runs in the
    caller's transaction, like `record`. Returns the change id."""
    if status not in CONFLICT_STATUSES:
        raise ValueError(f"unknown conflict status {status!r}")
    hlc = tick(session)
    change_id = new_id()
    op = {
        "op": "upsert",
        "tbl": CONFLICT_TABLE,
        "id": conflict_id,
        "fields": {"status": status},
        "base": {"status": None},
    }
    session.connection().exec_driver_sql(
        "INSERT INTO sync_outbox (change_id, hlc, schema_version, ops, state, created_at)"
        " VALUES (?, ?, ?, ?, 'pending', ?)",
        (change_id, hlc, SYNC_SCHEMA_VERSION, dumps([op]), system_now_ms()),
    )
    return change_id

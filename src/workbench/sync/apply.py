"""The client's apply of server data (SYNC.md §1.8 "Client side", §1.9, §1.10): one page, one
local transaction.

`apply_pull_page` and `apply_snapshot_page` merge every field of every received row with the
local version of that field (``domain.merge.merge_remote``), write the winners to the domain
rows, record their versions (with the true seq of each field) and the row's scopes in
``sync_version``, fold every HLC they saw into the persistent clock, store the cursor (or the
snapshot's resume position) in ``sync_state`` and commit once. A crash anywhere rolls back data
*and* position, so the page is fetched again; re-applying a page changes nothing.

Why a remote unit of work (``Store.unit(remote=True)``): derived columns, the search index and
the ChangeSet for the UI hub come from the same path as a local edit, but an applied server
value writes no outbox entry and no pending version, so nothing is echoed back. Rows new to
this device go in with one ``insert_many`` per table, which is what makes a 10,000-row page
cheap.

Conflict records (``sync_conflict`` rows on the wire) land in the local ``sync_conflict``
table; their ``status`` only moves away from ``open`` (a conflict resolved here stays resolved
while the server has not heard of it yet). Unknown tables and fields, and values that do not
fit their column, are skipped with a warning rather than wedging the pull.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from workbench.domain.changes import ChangeSet
from workbench.domain.merge import DELETED, FieldState, Version, merge_remote
from workbench.storage import capture, outbox, sql
from workbench.storage.store import Store, UnitOfWork, stored_rows
from workbench.storage.tables import SYNCED_TABLES, Synced
from workbench.sync.protocol import BootstrapResponse, PulledOp, PullResponse

log = logging.getLogger(__name__)

#: `sync_state` keys written by a pull.
CURSOR_KEY = "cursor"
HEAD_SEQ_KEY = "head_seq"

# [hlc, node, seq] as stored in sync_version.fields.
_Packed = tuple[int, str, int | None]
_NO_VERSION: _Packed = (0, "", None)  # a row written before sync existed: older than any write
_CHUNK = 500


class BadValue(ValueError):
    """A pulled value that does not fit its local column."""


@dataclass
class _Stored:
    row: _Packed
    fields: dict[str, _Packed]
    scopes: set[str]


@dataclass
class _Page:
    """What one page does to the local database, worked out before it is written."""

    uow: UnitOfWork
    versions: dict[tuple[str, str], _Stored | None] = field(default_factory=dict)
    # Local rows the page touches, read in bulk by `_prefetch` as plain column values (every
    # column), then changed in place as ops apply: None for a row this device does not have.
    objects: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    # The rows of `objects` as stored before the page, for those the page changes.
    before: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # Rows whose pulled values equal what this device already holds: only their row_seq
    # moves, set in one statement per table (`_bump_row_seqs`) rather than an ORM flush each.
    row_seqs: dict[tuple[str, str], int] = field(default_factory=dict)
    new_rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    written: dict[tuple[str, str], _Stored] = field(default_factory=dict)
    conflicts: int = 0


def apply_pull_page(store: Store, page: PullResponse) -> ChangeSet:
    """Apply one pull page in one transaction; returns what changed, for the UI's change hub."""
    with store.unit(remote=True) as uow:
        work = _apply_ops(uow, page.ops, authority=None)
        outbox.observe(uow.session, max(page.server_hlc, _max_hlc(page.ops)))
        _put_state(uow.session, {CURSOR_KEY: str(page.cursor), HEAD_SEQ_KEY: str(page.head_seq)})
        del work
        return uow.commit()


def _put_state(session: Session, values: dict[str, str]) -> None:
    """Upsert `sync_state` keys in one statement (an ORM ``merge`` reads each key first and
    flushes an entity for it: ~0.5 ms a key, for every pull page)."""
    session.connection().exec_driver_sql(
        "INSERT INTO sync_state (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
        list(values.items()),
    )


def _max_hlc(ops: Sequence[PulledOp]) -> int:
    """The newest HLC a page carries (0 for none)."""
    return max((op.packed.max_hlc() for op in ops), default=0)


#: Prefix of the `sync_state` keys of snapshot streams (`bootstrap_key`).
BOOT_PREFIX = "boot:"


def bootstrap_key(scopes: Iterable[str]) -> str:
    """The `sync_state` key of the snapshot stream of the union of ``scopes``: ``boot:`` and
    a hash of the sorted scope set, so a cut-off stream is resumed only for the same set.

    The value is ``"<as_of> <after>"`` while the stream runs and ``"<as_of>"`` once its last
    page is applied; the engine drops it when the batch of scope events commits.
    """
    digest = hashlib.sha256("\n".join(sorted(set(scopes))).encode()).hexdigest()
    return f"{BOOT_PREFIX}{digest[:24]}"


def apply_snapshot_page(store: Store, scopes: Iterable[str], page: BootstrapResponse) -> ChangeSet:
    """Apply one snapshot page of the stream of ``scopes`` and store where the next page
    starts, in one transaction (SYNC.md §1.9 step 2). The snapshot is the server's state at or
    after ``as_of``, so each row is authoritative at least at that position."""
    with store.unit(remote=True) as uow:
        _apply_ops(uow, page.rows, authority=page.as_of)
        if page.rows:
            outbox.observe(uow.session, _max_hlc(page.rows))
        position = f"{page.as_of} {page.next or ''}".strip()
        _put_state(uow.session, {bootstrap_key(scopes): position})
        return uow.commit()


def _apply_ops(uow: UnitOfWork, ops: Sequence[PulledOp], authority: int | None) -> _Page:
    work = _Page(uow)
    _prefetch(work, ops)
    for op in ops:
        if op.tbl == outbox.CONFLICT_TABLE:
            _apply_conflict(uow.session, op)
            work.conflicts += 1
            continue
        if op.tbl not in SYNCED_TABLES:
            log.warning("pulled op for unknown table %r ignored (seq %d)", op.tbl, op.seq)
            continue
        _apply_op(work, op, op.seq if authority is None else max(op.seq, authority))
    new_by_table: dict[str, list[dict[str, Any]]] = {}
    for (t, _), r in work.new_rows.items():
        new_by_table.setdefault(t, []).append(r)
    changed_by_table: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for key, before in work.before.items():
        after = work.objects[key]
        if after is not None:
            changed_by_table.setdefault(key[0], []).append((before, after))
    for table in SYNCED_TABLES:  # parents first
        rows = new_by_table.get(table)
        if rows:
            uow.insert_many(table, rows)
        changed = changed_by_table.get(table)
        if changed:
            uow.update_many(table, changed)  # type: ignore[arg-type]
    _bump_row_seqs(uow.session, work.row_seqs)
    _write_versions(uow.session, work.written)
    return work


def _prefetch(work: _Page, ops: Sequence[PulledOp]) -> None:
    by_table: dict[str, list[str]] = {}
    for op in ops:
        if op.tbl in SYNCED_TABLES:
            by_table.setdefault(op.tbl, []).append(op.id)
    session = work.uow.session
    conn = session.connection()
    for table, ids in by_table.items():
        model = SYNCED_TABLES[table]
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = sql.marks(len(chunk))
            for row_id in chunk:
                work.versions[(table, row_id)] = None
                work.objects[(table, row_id)] = None
            # One query per chunk, plain rows: no entities to build or flush (`update_many`).
            for found in stored_rows(conn, model, chunk):
                work.objects[(table, found["id"])] = found
            for row_id, hlc, node, seq, packed, scopes in conn.exec_driver_sql(
                "SELECT row_id, hlc, node, seq, fields, scopes FROM sync_version"
                f" WHERE tbl = ? AND row_id IN ({marks})",
                (table, *chunk),
            ).fetchall():
                work.versions[(table, row_id)] = _Stored(
                    (hlc, node, seq),
                    {f: (int(v[0]), str(v[1]), v[2]) for f, v in json.loads(packed).items()},
                    set(json.loads(scopes)) if scopes else set(),
                )


_COLUMN_SETS: dict[str, frozenset[str]] = {}


def _columns(table: str) -> frozenset[str]:
    found = _COLUMN_SETS.get(table)
    if found is None:
        found = _COLUMN_SETS[table] = frozenset(outbox.synced_columns(table))
    return found


def _apply_op(work: _Page, op: PulledOp, authority: int) -> None:
    key = (op.tbl, op.id)
    if (
        work.objects.get(key) is None
        and work.versions.get(key) is None
        and key not in work.written
        and key not in work.new_rows
    ):
        _apply_new(work, op, key)
        return
    model = SYNCED_TABLES[op.tbl]
    columns = _columns(op.tbl)
    stored = work.written.get(key) or work.versions.get(key)
    row_version, overrides = (stored.row, stored.fields) if stored else (_NO_VERSION, {})
    pending_new = work.new_rows.get(key)
    obj = work.objects.get(key) if pending_new is None else None
    if stored is not None and obj is not None and _already_held(op, stored, obj):
        # Typically this device's own push coming back: nothing to merge or rewrite, only
        # the row's seq moves and the scopes the server filed the row under are recorded.
        work.row_seqs[key] = max(work.row_seqs.get(key, 0), op.seq)
        if not stored.scopes.issuperset(op.scopes):
            work.written[key] = _Stored(stored.row, stored.fields, stored.scopes | set(op.scopes))
        return

    def current(name: str) -> Any:
        if pending_new is not None:
            return (
                pending_new.get("deleted_at") is not None
                if name == DELETED
                else pending_new.get(name)
            )
        if name == DELETED:
            return obj["deleted_at"] is not None if obj is not None else False
        return obj.get(name) if obj is not None else None

    has_local = obj is not None or pending_new is not None
    values: dict[str, Any] = {}
    deleted: bool | None = None
    won: dict[str, _Packed] = {}
    for name, fv in op.fields.items():
        if name != DELETED and name not in columns:
            log.warning("pulled field %s.%s ignored: not a synced column", op.tbl, name)
            continue
        remote = fv.to_state(op.seq)
        local = None
        if has_local:
            packed = overrides.get(name, row_version)
            if packed[0] > 0:  # hlc 0: written before sync existed, no real version
                local = FieldState(current(name), Version(*packed), packed[1])
        if merge_remote(local, remote, authority) is local:
            continue  # a newer pending edit, or older news
        if name == DELETED:
            deleted = bool(fv.value)
        else:
            try:
                value = _column_value(model, name, fv.value)
            except BadValue as exc:
                log.warning("pulled value of %s.%s ignored: %s", op.tbl, name, exc)
                continue
            # The server's word on a value this device already holds (typically its own
            # pushed edit coming back): only the version changes, the row is not rewritten.
            if obj is None or value != current(name):
                values[name] = value
        won[name] = (remote.version.hlc, remote.version.node, remote.version.seq)

    scopes = (stored.scopes if stored else set()) | set(op.scopes)
    if not has_local:
        row_version = _add_new_row(
            work, op, key, values, op.deleted if deleted is None else deleted, won
        )
        overrides = {}
    elif pending_new is not None:
        pending_new.update(values)
        if deleted is not None:
            pending_new["deleted_at"] = capture.utcnow() if deleted else None
        pending_new["row_seq"] = max(pending_new.get("row_seq") or 0, op.seq)
    else:
        assert obj is not None
        if deleted is not None and deleted == (obj["deleted_at"] is not None):
            deleted = None  # already archived (restored)
        if not values and deleted is None and key not in work.before:
            work.row_seqs[key] = max(work.row_seqs.get(key, 0), op.seq)
        else:
            # Changed in place, written once per page by `update_many`; a later op of the
            # same row in this page sees these values as the current ones.
            work.before.setdefault(key, dict(obj))
            obj.update(values)
            obj["row_seq"] = max(obj.get("row_seq") or 0, op.seq)
            if deleted is True:
                obj["deleted_at"] = capture.utcnow()
            elif deleted is False:
                obj["deleted_at"] = None
    fields = {**overrides, **won}
    fields = {f: v for f, v in fields.items() if tuple(v) != tuple(row_version)}
    work.written[key] = _Stored(row_version, fields, scopes)


def _already_held(op: PulledOp, stored: _Stored, obj: dict[str, Any]) -> bool:
    """Whether this device already holds every field of ``op`` at exactly the pulled version
    (seq included), and the row's tombstone state. A version names one value (a node never
    issues an HLC twice), so the values are then equal too and merging would change nothing.
    """
    packed = op.packed
    if packed.version is not None:
        row, others, held, held_row = packed.version, packed.versions, stored.fields, stored.row
        for name in packed.values:
            if held.get(name, held_row) != others.get(name, row):
                return False
    return op.deleted == (obj["deleted_at"] is not None)


def _apply_new(work: _Page, op: PulledOp, key: tuple[str, str]) -> None:
    """A row this device has never held, nor any version of: every field wins as it is
    (``merge_remote`` with no local value), so no merge is needed. Most rows of a bootstrap or
    of a big pull take this path, which is why it is kept apart and lean: the packed form
    (``protocol.RowFields``) already is what ``sync_version`` stores, a row version and the
    few fields written at another one."""
    model = SYNCED_TABLES[op.tbl]
    packed = op.packed
    values = dict(packed.values)
    deleted = bool(values.pop(DELETED)) if DELETED in values else op.deleted
    dropped = values.keys() - _columns(op.tbl)
    for name in dropped:
        log.warning("pulled field %s.%s ignored: not a synced column", op.tbl, name)
        del values[name]
    for name in _temporal_columns(model).keys() & values.keys():
        try:
            values[name] = _column_value(model, name, values[name])
        except BadValue as exc:
            log.warning("pulled value of %s.%s ignored: %s", op.tbl, name, exc)
            del values[name]
            dropped.add(name)
    _queue_new_row(work, op, key, values, deleted)
    row_version: _Packed = packed.version if packed.version is not None else _NO_VERSION
    others = packed.versions
    fields: dict[str, _Packed] = (
        {n: v for n, v in others.items() if n not in dropped and v != row_version} if others else {}
    )
    work.written[key] = _Stored(row_version, fields, set(op.scopes))


def _queue_new_row(
    work: _Page, op: PulledOp, key: tuple[str, str], values: dict[str, Any], deleted: bool
) -> None:
    """Queue a row this device does not have for `insert_many`."""
    row = {**_fallbacks(SYNCED_TABLES[op.tbl], values), **values, "id": op.id, "row_seq": op.seq}
    row["deleted_at"] = capture.utcnow() if deleted else None
    work.new_rows[key] = row


def _add_new_row(
    work: _Page,
    op: PulledOp,
    key: tuple[str, str],
    values: dict[str, Any],
    deleted: bool,
    won: dict[str, _Packed],
) -> _Packed:
    """Queue a row this device does not have (the merge path: versions but no row); returns
    its row-level version: the most common field version (fields differing from it are
    stored one by one, usually none: one change wrote them all)."""
    _queue_new_row(work, op, key, values, deleted)
    distinct = set(won.values())
    if len(distinct) == 1:
        return next(iter(distinct))
    return Counter(won.values()).most_common(1)[0][0] if won else _NO_VERSION


def _bump_row_seqs(session: Session, row_seqs: dict[tuple[str, str], int]) -> None:
    """Raise ``row_seq`` of rows whose values did not change (never lowers it). ``row_seq`` is
    local bookkeeping: change capture ignores it, so this is what the ORM would have written."""
    by_table: dict[str, list[tuple[int, str, int]]] = {}
    for (table, row_id), seq in row_seqs.items():
        by_table.setdefault(table, []).append((seq, row_id, seq))
    conn = session.connection()
    for table, params in by_table.items():
        conn.exec_driver_sql(
            f"UPDATE {table} SET row_seq = ? WHERE id = ? AND (row_seq IS NULL OR row_seq < ?)",
            params,
        )


def _write_versions(session: Session, written: dict[tuple[str, str], _Stored]) -> None:
    if not written:
        return
    session.connection().exec_driver_sql(
        "INSERT INTO sync_version (tbl, row_id, hlc, node, seq, fields, scopes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (tbl, row_id) DO UPDATE SET hlc = excluded.hlc, node = excluded.node,"
        " seq = excluded.seq, fields = excluded.fields, scopes = excluded.scopes",
        [
            (
                tbl,
                row_id,
                *s.row,
                outbox.dumps({f: list(v) for f, v in s.fields.items()}) if s.fields else "{}",
                _scopes_json(s.scopes),
            )
            for (tbl, row_id), s in written.items()
        ],
    )


def _scopes_json(scopes: set[str]) -> str:
    """``json.dumps(sorted(scopes))``, the same text, without the encoder: scope keys are
    validated on the wire (``protocol.ScopeKey``: letters, digits, ``_``, ``:`` and ``-``),
    so nothing in them needs escaping, and a bootstrap writes one such list per row."""
    return '["' + '", "'.join(sorted(scopes)) + '"]' if scopes else "[]"


_CONFLICT_COLUMNS = (
    "tbl",
    "row_id",
    "field",
    "kind",
    "winner_change",
    "loser_change",
    "winner_value",
    "loser_value",
    "winner_hlc",
    "loser_hlc",
    "winner_user",
    "loser_user",
    "status",
    "created_seq",
)


def _apply_conflict(session: Session, op: PulledOp) -> None:
    """Upsert a conflict record; a status resolved here is not reopened by older news.

    Its received scopes go to ``sync_version`` like any row's (with no field versions), so a
    removed scope takes the record off this device too (`engine._retire_removed_scopes`)."""
    pulled = op.packed.values
    values = {c: pulled[c] for c in _CONFLICT_COLUMNS if c in pulled}
    conn = session.connection()
    existing = conn.exec_driver_sql(
        "SELECT status FROM sync_conflict WHERE id = ?", (op.id,)
    ).first()
    if existing is None:
        missing = [c for c in ("tbl", "row_id", "field", "kind") if not values.get(c)]
        if missing:
            log.warning("conflict record %s without %s ignored", op.id, missing)
            return
        values.setdefault("status", "open")
        names = ["id", *values, "row_seq"]
        conn.exec_driver_sql(
            f"INSERT INTO sync_conflict ({', '.join(names)})"
            f" VALUES ({', '.join('?' * len(names))})",
            (op.id, *values.values(), op.seq),
        )
        _write_conflict_scopes(conn, op)
        return
    _write_conflict_scopes(conn, op)
    if existing[0] != "open" and values.get("status") == "open":
        values.pop("status")
    sets = ", ".join(f"{c} = ?" for c in values)
    conn.exec_driver_sql(
        f"UPDATE sync_conflict SET {sets + ', ' if sets else ''}row_seq = ? WHERE id = ?",
        (*values.values(), op.seq, op.id),
    )


def _write_conflict_scopes(conn: Any, op: PulledOp) -> None:
    held = conn.exec_driver_sql(
        "SELECT scopes FROM sync_version WHERE tbl = ? AND row_id = ?", (op.tbl, op.id)
    ).first()
    scopes = set(op.scopes) | (set(json.loads(held[0])) if held and held[0] else set())
    conn.exec_driver_sql(
        "INSERT INTO sync_version (tbl, row_id, hlc, node, seq, fields, scopes)"
        " VALUES (?, ?, 0, '', ?, '{}', ?)"
        " ON CONFLICT (tbl, row_id) DO UPDATE SET seq = excluded.seq, scopes = excluded.scopes",
        (op.tbl, op.id, op.seq, json.dumps(sorted(scopes))),
    )


def stored_scopes(session: Session) -> Iterable[tuple[str, str, set[str]]]:
    """Every synced row's received scopes: (table, id, scopes)."""
    for tbl, row_id, scopes in session.connection().exec_driver_sql(
        "SELECT tbl, row_id, scopes FROM sync_version WHERE scopes IS NOT NULL"
    ):
        yield tbl, row_id, set(json.loads(scopes))


_TEMPORAL: dict[type[Synced], dict[str, type]] = {}


def _temporal_columns(model: type[Synced]) -> dict[str, type]:
    """The model's date and datetime columns: the only ones whose wire text is converted."""
    found = _TEMPORAL.get(model)
    if found is None:
        found = _TEMPORAL[model] = {
            attr.key: py
            for attr in inspect(model).column_attrs
            if (py := attr.columns[0].type.python_type) in (date, datetime)
        }
    return found


def _column_value(model: type[Synced], name: str, value: Any) -> Any:
    """A wire value as the column stores it: ISO text becomes a date or datetime."""
    if value is None or not isinstance(value, str):
        return value
    py = _temporal_columns(model).get(name)
    if py is None:
        return value
    try:
        if py is datetime:
            return datetime.fromisoformat(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadValue(f"{value!r} is not an ISO {py.__name__}") from exc


_EMPTY: dict[type, Any] = {str: "", int: 0, bool: False}


def _fallbacks(model: type[Synced], values: dict[str, Any]) -> dict[str, Any]:
    """Empty values for required columns without a default that a creating op did not carry
    (a partial op for a row this client never had), so one such op cannot wedge the pull."""
    out: dict[str, Any] = {}
    for name, empty in _required(model):
        if name not in values:
            log.warning("pulled row of %s has no %s; stored empty", model.__name__, name)
            out[name] = empty
    return out


_REQUIRED: dict[type[Synced], list[tuple[str, Any]]] = {}


def _required(model: type[Synced]) -> list[tuple[str, Any]]:
    """Required synced value columns without a default, with the empty value to store."""
    found = _REQUIRED.get(model)
    if found is None:
        found = []
        for attr in inspect(model).column_attrs:
            column = attr.columns[0]
            if column.nullable or column.default is not None:
                continue
            if column.primary_key or column.foreign_keys or column.info.get("sync", True) is False:
                continue  # ids, references and local/derived columns are not ours to invent
            empty = _EMPTY.get(column.type.python_type)
            if empty is not None:
                found.append((attr.key, empty))
        _REQUIRED[model] = found
    return found

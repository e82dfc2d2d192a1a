"""The client's pull apply (SYNC.md §1.8, "Client side"): one page, one local transaction.

`apply_pull_page(store, page)` merges every field of every pulled op with the local version of
that field (``domain.merge.merge_remote``: the same ``(hlc, node)`` rule the server uses), writes
the winners to the domain rows, records their remote versions in ``sync_version`` and the op's
seq in ``row_seq``, folds every HLC it saw into the persistent clock, stores ``cursor`` and
``head_seq`` in ``sync_state`` and commits once. A crash anywhere rolls back data *and* cursor,
so the page is fetched again; re-applying a page changes nothing.

Why a remote unit of work (``Store.unit(remote=True)``): derived columns, the search index and
the ChangeSet for the UI hub come from the same path as a local edit, but an applied server
value must write no outbox entry and no local (pending) version, or the client would echo the
server's changes back to it.

Local versions are read from the packed ``sync_version`` row (see ``storage.sync_tables``): a
field is *pending* when its version has no seq (an unpushed local edit). A pending edit that is
newer than the remote value is kept (the server resolves it on push); an older one gives way,
exactly as the server will decide. Unknown tables and fields, and values that do not fit their
column, are skipped with a warning rather than wedging the pull.

Not handled yet (SYNC.md §1.8 step 2, §1.10, phase 2): ``scope_events`` and the row scopes
(there is no ``_sync_row_scope`` table yet; a page with scope events only logs a warning and does
not store ``scope_set_version``), ``checksums``, and conflict records.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from workbench.domain.changes import ChangeSet
from workbench.domain.merge import DELETED, FieldState, Version, merge_remote
from workbench.storage import capture, outbox
from workbench.storage.store import Store, UnitOfWork
from workbench.storage.sync_tables import SyncState
from workbench.storage.tables import SYNCED_TABLES, Synced
from workbench.sync.protocol import PulledOp, PullResponse

log = logging.getLogger(__name__)

#: `sync_state` keys written by a pull.
CURSOR_KEY = "cursor"
HEAD_SEQ_KEY = "head_seq"

# [hlc, node, seq] as stored in sync_version.fields.
_Packed = tuple[int, str, int | None]
_NO_VERSION: _Packed = (0, "", None)  # a row written before sync existed: older than any write


class BadValue(ValueError):
    """A pulled value that does not fit its local column."""


def apply_pull_page(store: Store, page: PullResponse) -> ChangeSet:
    """Apply one pull page in one transaction; returns what changed, for the UI's change hub."""
    if page.scope_events:
        log.warning(
            "pull page has %d scope events; scope changes are not applied yet",
            len(page.scope_events),
        )
    with store.unit(remote=True) as uow:
        for op in page.ops:
            _apply_op(uow, op)
        hlcs = [page.server_hlc, *(fv.hlc for op in page.ops for fv in op.fields.values())]
        outbox.observe(uow.session, max(hlcs))
        uow.session.merge(SyncState(k=CURSOR_KEY, v=str(page.cursor)))
        uow.session.merge(SyncState(k=HEAD_SEQ_KEY, v=str(page.head_seq)))
        return uow.commit()


def _apply_op(uow: UnitOfWork, op: PulledOp) -> None:
    model = SYNCED_TABLES.get(op.tbl)
    if model is None:
        log.warning("pulled op for unknown table %r ignored (seq %d)", op.tbl, op.seq)
        return
    session = uow.session
    columns = set(outbox.synced_columns(op.tbl))
    obj = session.get(model, op.id)
    stored = _read_version(session, op.tbl, op.id)
    row_version, overrides = stored if stored is not None else (_NO_VERSION, {})

    values: dict[str, Any] = {}
    deleted: bool | None = None
    won: dict[str, _Packed] = {}
    for name, fv in op.fields.items():
        if name != DELETED and name not in columns:
            log.warning("pulled field %s.%s ignored: not a synced column", op.tbl, name)
            continue
        remote = fv.to_state(op.seq)
        local = None
        if obj is not None:
            packed = overrides.get(name, row_version)
            if packed[0] > 0:  # hlc 0: written before sync existed, no real version
                current = obj.deleted_at is not None if name == DELETED else getattr(obj, name)
                local = FieldState(current, Version(*packed), packed[1])
        pending = local is not None and local.version.seq is None
        if merge_remote(local, remote, pending) is local:
            continue  # a newer pending local edit: kept, the server resolves it on push
        if name == DELETED:
            deleted = bool(fv.value)
        else:
            try:
                values[name] = _column_value(model, name, fv.value)
            except BadValue as exc:
                log.warning("pulled value of %s.%s ignored: %s", op.tbl, name, exc)
                continue
        won[name] = (remote.version.hlc, remote.version.node, remote.version.seq)

    if obj is None:
        if deleted is None:
            deleted = op.deleted
        row = {**_fallbacks(model, values), **values, "id": op.id, "row_seq": op.seq}
        if deleted:
            row["deleted_at"] = capture.utcnow()
        uow.insert(op.tbl, row)
        if not won:
            return
        # A row born from this op: its most common field version is the row-level one.
        row_version = Counter(won.values()).most_common(1)[0][0]
        overrides = {}
    else:
        row_seq = max(obj.row_seq or 0, op.seq)
        uow.update(op.tbl, op.id, {**values, "row_seq": row_seq})
        if deleted is True:
            uow.archive(op.tbl, op.id)
        elif deleted is False:
            uow.restore(op.tbl, op.id)
        if not won:
            return
    fields = {**overrides, **won}
    fields = {f: v for f, v in fields.items() if tuple(v) != tuple(row_version)}
    _write_version(session, op.tbl, op.id, row_version, fields)


def _read_version(
    session: Session, table: str, row_id: str
) -> tuple[_Packed, dict[str, _Packed]] | None:
    row = (
        session.connection()
        .exec_driver_sql(
            "SELECT hlc, node, seq, fields FROM sync_version WHERE tbl = ? AND row_id = ?",
            (table, row_id),
        )
        .first()
    )
    if row is None:
        return None
    hlc, node, seq, packed = row
    fields = {f: (int(v[0]), str(v[1]), v[2]) for f, v in json.loads(packed).items()}
    return (hlc, node, seq), fields


def _write_version(
    session: Session,
    table: str,
    row_id: str,
    row_version: _Packed,
    fields: dict[str, _Packed],
) -> None:
    session.connection().exec_driver_sql(
        "INSERT INTO sync_version (tbl, row_id, hlc, node, seq, fields) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (tbl, row_id) DO UPDATE SET hlc = excluded.hlc, node = excluded.node,"
        " seq = excluded.seq, fields = excluded.fields",
        (table, row_id, *row_version, outbox.dumps({f: list(v) for f, v in fields.items()})),
    )


def _column_value(model: type[Synced], name: str, value: Any) -> Any:
    """A wire value as the column stores it: ISO text becomes a date or datetime."""
    py = inspect(model).column_attrs[name].columns[0].type.python_type
    if value is None or not isinstance(value, str):
        return value
    try:
        if py is datetime:
            return datetime.fromisoformat(value)
        if py is date:
            return date.fromisoformat(value)
    except ValueError as exc:
        raise BadValue(f"{value!r} is not an ISO {py.__name__}") from exc
    return value


_EMPTY: dict[type, Any] = {str: "", int: 0, bool: False}


def _fallbacks(model: type[Synced], values: dict[str, Any]) -> dict[str, Any]:
    """Empty values for required columns without a default that a creating op did not carry
    (a partial op for a row this client never had), so one such op cannot wedge the pull."""
    out: dict[str, Any] = {}
    for attr in inspect(model).column_attrs:
        column = attr.columns[0]
        if attr.key in values or column.nullable or column.default is not None:
            continue
        if column.primary_key or column.foreign_keys or column.info.get("sync", True) is False:
            continue  # ids, references and local/derived columns are not ours to invent
        empty = _EMPTY.get(column.type.python_type)
        if empty is not None:
            log.warning("pulled row of %s has no %s; stored empty", model.__name__, attr.key)
            out[attr.key] = empty
    return out

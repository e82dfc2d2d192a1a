"""The sync inbox: conflicts to decide and rejected changes to re-apply (SYNC.md §1.6, §1.14).

Two lists the sync engine fills and only the user empties:

- **Conflicts** (`sync_conflict`): a concurrent edit lost to a later one (or met a delete). The
  winner is what the record holds; the loser's value is kept here. The user keeps the current
  value, writes theirs back ("use mine"), types a third value, or, for a deleted record,
  restores it or lets their edit go.
- **Needs attention** (`sync_attention`): changes the server refused, with its reason and the
  user's values. They can be re-applied as a *new* local edit (on top of whatever the record
  holds now) or dismissed; the rows are never deleted, so the values stay on record.

Why every action is one unit of work that also writes an outbox entry: a decision is an edit
like any other. "Use mine" is an ordinary update captured into the outbox with a fresh HLC, so
it converges like any edit; the new status of the conflict record travels in its own outbox op
(`outbox.record_conflict_status`) so the user's other devices see it resolved too. Each action
returns the ChangeSet of its domain writes plus one row for the inbox table it touched, so
the UI's change hub reloads the lists (those rows are not undoable; see `without_inbox`).

The reads here run plain SQL through the session of a read or a unit: services may not import
SQLAlchemy, and these local-only tables have no query helpers in storage yet.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from workbench.domain.changes import ChangeSet, Op, RowChange
from workbench.domain.errors import ValidationError
from workbench.domain.hlc import unpack
from workbench.domain.ids import new_id
from workbench.domain.merge import DELETED
from workbench.domain.names import NameOrder, PersonName
from workbench.storage import outbox
from workbench.storage.store import Store, UnitOfWork
from workbench.storage.tables import SYNCED_TABLES

CONFLICT_TABLE = "sync_conflict"
ATTENTION_TABLE = "sync_attention"
INBOX_TABLES = (CONFLICT_TABLE, ATTENTION_TABLE)

CONCURRENT_UPDATE = "concurrent_update"
UPDATE_ON_DELETED = "update_on_deleted"
DELETE_ON_UPDATED = "delete_on_updated"
DELETE_KINDS = frozenset({UPDATE_ON_DELETED, DELETE_ON_UPDATED})

#: Machine reason codes of a rejected change (domain.merge.RejectReason and the server's
#: authorisation and schema checks) and the sentence a person reads.
REASONS: dict[str, str] = {
    "no_access": "You no longer have access to this account",
    "server_only_field": "Only the server may change this field",
    "concurrent_finance_edit": (
        "Someone else changed this finance value at the same time; check the new value, "
        "then apply yours again"
    ),
    "stale_hlc": (
        "This change was older than the value it replaced; check the computer's clock, "
        "then apply it again"
    ),
    "invalid_value": "The server did not accept one of these values",
    "unknown_table": "The server does not keep this kind of record",
    "unknown_field": "The server does not keep one of these fields",
    "upgrade_required": (
        "This version of Workbench is too old for the server; update it, then apply again"
    ),
}

#: Reasons where sending the same values again can only be refused again.
NOT_REAPPLICABLE = frozenset({"server_only_field", "unknown_table", "unknown_field"})

# Reference columns and the table their ids point to, so values show names rather than ids.
_REF_TABLES = {
    "owner_id": "users",
    "colleague_id": "users",
    "user_id": "users",
    "account_id": "accounts",
    "parent_id": "accounts",
    "contact_id": "contacts",
    "to_contact_id": "contacts",
    "reports_to_id": "contacts",
    "product_id": "products",
    "activity_id": "activities",
}


def reason_text(code: str) -> str:
    """The English sentence for a rejection code (the UI translates it); unknown codes as is."""
    return REASONS.get(code, code)


class NotOpen(LookupError):
    """The conflict or attention item does not exist or was already dealt with (perhaps on
    another device)."""


# -- values ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConflictItem:
    """One open conflict, ready to show: who wrote what, when, and what it is about."""

    id: str
    kind: str  # concurrent_update | update_on_deleted | delete_on_updated
    table: str
    row_id: str
    record: str  # a human label: account name, contact name, else table and short id
    field: str
    winner_value: Any  # what the record holds (True for the delete kinds: the deletion)
    loser_value: Any  # the overwritten edit
    winner_user: str  # display name; the id when the user is unknown here; "" if none
    loser_user: str
    winner_user_id: str | None
    loser_user_id: str | None
    winner_at: datetime | None  # naive UTC, from the HLC
    loser_at: datetime | None
    exists: bool  # the record is on this device
    deleted: bool  # ... and archived here
    refs: Mapping[str, str] = dataclasses.field(
        default_factory=dict
    )  # id -> label for reference values

    @property
    def on_deleted_record(self) -> bool:
        return self.kind in DELETE_KINDS

    @property
    def field_is_column(self) -> bool:
        return self.field in _synced_columns(self.table)


@dataclass(frozen=True)
class AttentionOp:
    """One op of a rejected change: an upsert of fields, a delete or a restore."""

    op: str  # upsert | delete | restore
    table: str
    row_id: str
    fields: Mapping[str, Any]
    record: str
    exists: bool
    deleted: bool


@dataclass(frozen=True)
class AttentionItem:
    """A change the server refused, with its reason and the user's values."""

    id: int
    change_id: str
    reason: str  # machine code; see reason_text
    detail: str
    created_at: datetime | None  # naive UTC: when the refusal arrived
    made_at: datetime | None  # naive UTC: when the edit was made (from its HLC)
    ops: tuple[AttentionOp, ...]
    refs: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def can_reapply(self) -> bool:
        return self.reason not in NOT_REAPPLICABLE

    @property
    def summary(self) -> str:
        """A plain one-line account of the values (English words; the UI builds its own)."""
        parts = []
        for op in self.ops:
            if op.op == "delete":
                parts.append(f"{op.record}: deleted")
            elif op.op == "restore":
                parts.append(f"{op.record}: restored")
            else:
                shown = ", ".join(
                    f"{k} = {self.refs.get(v, v) if isinstance(v, str) else v}"
                    for k, v in op.fields.items()
                    if v not in (None, "")
                )
                parts.append(f"{op.record}: {shown}" if shown else op.record)
        return "; ".join(parts)


@dataclass(frozen=True)
class SyncOverview:
    """The counts the status bar shows, and where this file syncs to."""

    conflicts: int
    attention: int
    waiting: int  # local changes not yet answered by the server
    server_url: str
    server_user: str

    @property
    def signed_in(self) -> bool:
        return bool(self.server_url and self.server_user)


# -- reading -----------------------------------------------------------------------------------
def _hlc_time(hlc: int | None) -> datetime | None:
    if not hlc:
        return None
    try:
        ms, _ = unpack(int(hlc))
    except (TypeError, ValueError):
        return None
    return _ms_time(ms)


def _ms_time(ms: int | None) -> datetime | None:
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def _decode(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # not JSON: show what was stored rather than nothing


def _synced_columns(table: str) -> tuple[str, ...]:
    return outbox.synced_columns(table) if table in SYNCED_TABLES else ()


class _Labels:
    """Human labels for records and users, read once per id within one read."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._records: dict[tuple[str, str], tuple[str, bool, bool]] = {}
        self._names: dict[tuple[str, str], str | None] = {}

    def _one(self, sql: str, *params: Any) -> Any:
        return self.conn.exec_driver_sql(sql, params).first()

    def name(self, table: str, row_id: str) -> str | None:
        """The plain name of a row of `table` (None when unknown here)."""
        key = (table, row_id)
        if key not in self._names:
            self._names[key] = self._name(table, row_id)
        return self._names[key]

    def _name(self, table: str, row_id: str) -> str | None:
        if table in ("accounts", "users", "products", "opportunities"):
            row = self._one(f"SELECT name FROM {table} WHERE id = ?", row_id)
        elif table == "contacts":
            row = self._one(
                "SELECT family_name, middle_name, given_name, name_order FROM contacts"
                " WHERE id = ?",
                row_id,
            )
            return _person(*row) if row is not None else None
        elif table == "activities":
            row = self._one("SELECT subject FROM activities WHERE id = ?", row_id)
        elif table == "commitments":
            row = self._one("SELECT description FROM commitments WHERE id = ?", row_id)
        elif table == "positions":
            row = self._one(
                "SELECT c.family_name, c.middle_name, c.given_name, c.name_order, p.title"
                " FROM positions p JOIN contacts c ON c.id = p.contact_id WHERE p.id = ?",
                row_id,
            )
            if row is None:
                return None
            person = _person(*row[:4])
            return f"{person} · {row[4]}" if row[4] else person
        elif table == "holdings":
            row = self._one(
                "SELECT pr.name, a.name FROM holdings h JOIN products pr ON pr.id = h.product_id"
                " JOIN accounts a ON a.id = h.account_id WHERE h.id = ?",
                row_id,
            )
            return f"{row[0]} · {row[1]}" if row is not None else None
        elif table == "account_team":
            row = self._one(
                "SELECT u.name, a.name FROM account_team t JOIN users u ON u.id = t.user_id"
                " JOIN accounts a ON a.id = t.account_id WHERE t.id = ?",
                row_id,
            )
            return f"{row[0]} · {row[1]}" if row is not None else None
        else:
            return None
        if row is None or not row[0]:
            return None
        text = " ".join(str(row[0]).split())
        return text if len(text) <= 80 else text[:79] + "…"

    def record(self, table: str, row_id: str) -> tuple[str, bool, bool]:
        """(label, exists here, archived here) of one synced row; rows may be missing."""
        key = (table, row_id)
        if key not in self._records:
            exists = deleted = False
            if table in SYNCED_TABLES:
                row = self._one(f"SELECT deleted_at FROM {table} WHERE id = ?", row_id)
                exists = row is not None
                deleted = exists and row[0] is not None
            label = (self.name(table, row_id) if exists else None) or short_label(table, row_id)
            self._records[key] = (label, exists, deleted)
        return self._records[key]

    def user(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        return self.name("users", user_id) or user_id

    def refs(self, table: str, values: Mapping[str, Any]) -> dict[str, str]:
        """Labels of the ids held by reference columns among `values`."""
        out: dict[str, str] = {}
        for key, value in values.items():
            target = _REF_TABLES.get(key)
            if key == "parent_id" and table != "accounts":
                target = None
            if target and isinstance(value, str) and value:
                label = self.name(target, value)
                if label:
                    out[value] = label
        return out


def _person(family: str, middle: str, given: str, order: str) -> str:
    try:
        name_order = NameOrder(order)
    except ValueError:
        name_order = NameOrder.FAMILY_FIRST
    return PersonName(family or "", middle or "", given or "", name_order).display()


def short_label(table: str, row_id: str) -> str:
    """The label of a record known only by its table and id: "contacts 0000beef"."""
    return f"{table} {row_id[-8:]}" if row_id else table


def _label_from_fields(table: str, fields: Mapping[str, Any]) -> str | None:
    """A record's label from the values a change carried (for rows no longer here)."""

    def text(key: str) -> str:
        value = fields.get(key)
        return " ".join(value.split()) if isinstance(value, str) else ""

    if table == "contacts" and (text("given_name") or text("family_name")):
        order = text("name_order") or NameOrder.FAMILY_FIRST.value
        return _person(text("family_name"), text("middle_name"), text("given_name"), order)
    for key in ("name", "subject", "description", "title"):
        if text(key):
            return text(key)[:80]
    return None


_CONFLICT_SQL = (
    "SELECT id, kind, tbl, row_id, field, winner_value, loser_value, winner_hlc, loser_hlc,"
    " winner_user, loser_user FROM sync_conflict"
)


def _conflict_item(labels: _Labels, row: Any) -> ConflictItem:
    cid, kind, table, row_id, name, w_value, l_value, w_hlc, l_hlc, w_user, l_user = row
    record, exists, deleted = labels.record(table, row_id)
    winner, loser = _decode(w_value), _decode(l_value)
    refs = {
        **labels.refs(table, {name: winner}),
        **labels.refs(table, {name: loser}),
    }
    return ConflictItem(
        id=cid,
        kind=kind,
        table=table,
        row_id=row_id,
        record=record,
        field=name,
        winner_value=winner,
        loser_value=loser,
        winner_user=labels.user(w_user),
        loser_user=labels.user(l_user),
        winner_user_id=w_user,
        loser_user_id=l_user,
        winner_at=_hlc_time(w_hlc),
        loser_at=_hlc_time(l_hlc),
        exists=exists,
        deleted=deleted,
        refs=refs,
    )


def open_conflicts(store: Store) -> list[ConflictItem]:
    """Open conflicts, newest first (by the later of the two edits)."""
    with store.read() as q:
        conn = q.session.connection()
        rows = conn.exec_driver_sql(
            _CONFLICT_SQL + " WHERE status = 'open'"
            " ORDER BY MAX(COALESCE(winner_hlc, 0), COALESCE(loser_hlc, 0)) DESC,"
            " created_seq DESC, id DESC"
        ).all()
        labels = _Labels(conn)
        return [_conflict_item(labels, r) for r in rows]


def conflict(store: Store, conflict_id: str) -> ConflictItem | None:
    """One conflict, whatever its status; None when there is no such record."""
    with store.read() as q:
        conn = q.session.connection()
        row = conn.exec_driver_sql(_CONFLICT_SQL + " WHERE id = ?", (conflict_id,)).first()
        return _conflict_item(_Labels(conn), row) if row is not None else None


def _ops(text: str) -> list[dict[str, Any]]:
    decoded = _decode(text)
    if not isinstance(decoded, list):
        return []
    return [op for op in decoded if isinstance(op, dict)]


def _attention_item(labels: _Labels, row: Any) -> AttentionItem:
    aid, change_id, reason, detail, hlc, created_at, ops_text = row
    ops: list[AttentionOp] = []
    refs: dict[str, str] = {}
    for raw in _ops(ops_text):
        table, row_id = str(raw.get("tbl", "")), str(raw.get("id", ""))
        fields = raw.get("fields") if isinstance(raw.get("fields"), dict) else {}
        assert isinstance(fields, dict)
        record, exists, deleted = labels.record(table, row_id)
        if not exists:
            record = _label_from_fields(table, fields) or record
        refs.update(labels.refs(table, fields))
        kind = str(raw.get("op", "upsert"))
        ops.append(AttentionOp(kind, table, row_id, fields, record, exists, deleted))
    for op in ops:  # references to rows created in the same change read as their names
        if not op.exists and op.record != short_label(op.table, op.row_id):
            refs.setdefault(op.row_id, op.record)
    return AttentionItem(
        id=int(aid),
        change_id=change_id,
        reason=reason,
        detail=detail or "",
        created_at=_ms_time(created_at),
        made_at=_hlc_time(hlc),
        ops=tuple(ops),
        refs=refs,
    )


_ATTENTION_SQL = "SELECT id, change_id, reason, detail, hlc, created_at, ops FROM sync_attention"


def attention_items(store: Store) -> list[AttentionItem]:
    """Open "needs attention" items (changes the server refused), newest first."""
    with store.read() as q:
        conn = q.session.connection()
        rows = conn.exec_driver_sql(
            _ATTENTION_SQL + " WHERE status = 'open' ORDER BY created_at DESC, id DESC"
        ).all()
        labels = _Labels(conn)
        return [_attention_item(labels, r) for r in rows]


def overview(store: Store) -> SyncOverview:
    """Open conflicts, open attention items, unanswered local changes, and the server."""
    with store.read() as q:
        conn = q.session.connection()

        def count(sql: str) -> int:
            return int(conn.exec_driver_sql(sql).scalar() or 0)

        state: dict[str, str | None] = dict(
            conn.exec_driver_sql(
                "SELECT k, v FROM sync_state WHERE k IN ('server_url', 'server_user')"
            ).all()
        )
        return SyncOverview(
            conflicts=count("SELECT COUNT(*) FROM sync_conflict WHERE status = 'open'"),
            attention=count("SELECT COUNT(*) FROM sync_attention WHERE status = 'open'"),
            waiting=count("SELECT COUNT(*) FROM sync_outbox WHERE state IN ('pending', 'sent')"),
            server_url=state.get("server_url") or "",
            server_user=state.get("server_user") or "",
        )


# -- values typed or stored as JSON, back to column values --------------------------------------
def _column(table: str, name: str) -> Any:
    if name not in _synced_columns(table):
        raise ValidationError.single(
            name, "sync.no_such_field", "{field} cannot be changed here", field=name
        )
    return SYNCED_TABLES[table].__table__.c[name]  # type: ignore[attr-defined]


def _parse_date(text: str) -> date:
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d/%m/%Y").date()


def coerce(table: str, name: str, value: Any) -> Any:
    """`value` (decoded JSON, or text a person typed) as a value for column `table.name`.

    Dates arrive as ISO text (that is how the outbox sends them) or typed as dd/mm/yyyy;
    numbers may be typed with spaces or dots between thousands. Raises ValidationError.
    """
    column = _column(table, name)
    py = column.type.python_type
    if isinstance(value, str) and py is not str:
        value = value.strip()
        if value == "":
            value = None
    if value is None:
        if column.nullable:
            return None
        if py is str:
            return ""
        raise ValidationError.single(name, "sync.required", "A value is required")
    try:
        if py is bool:
            if isinstance(value, str):
                return value.lower() in ("1", "true", "yes", "on", "có", "x")
            return bool(value)
        if py is int:
            if isinstance(value, str):
                return int(value.replace(" ", "").replace(".", "").replace(",", ""))
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if py is datetime:
            return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if py is date:
            if isinstance(value, datetime):
                return value.date()
            return value if isinstance(value, date) else _parse_date(str(value))
    except (TypeError, ValueError):
        if py is date:
            raise ValidationError.single(
                name,
                "date.format",
                "Type a date as dd/mm/yyyy, for example {example}",
                example="31/12/2026",
            ) from None
        if py is int:
            raise ValidationError.single(
                name, "sync.number", "{value} is not a whole number", value=str(value)
            ) from None
        raise ValidationError.single(
            name, "sync.value", "{value} is not a valid value here", value=str(value)
        ) from None
    text = value if isinstance(value, str) else str(value)
    return text.strip() if "\n" not in text else text


# -- conflict actions --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Stored:
    id: str
    kind: str
    table: str
    row_id: str
    field: str
    loser_value: Any


def _open_conflict(uow: UnitOfWork, conflict_id: str) -> _Stored:
    row = (
        uow.session.connection()
        .exec_driver_sql(
            "SELECT id, kind, tbl, row_id, field, loser_value FROM sync_conflict"
            " WHERE id = ? AND status = 'open'",
            (conflict_id,),
        )
        .first()
    )
    if row is None:
        raise NotOpen(f"conflict {conflict_id} is not open")
    return _Stored(row[0], row[1], row[2], row[3], row[4], _decode(row[5]))


def _inbox_row(table: str, row_id: str, status: str) -> RowChange:
    return RowChange(table, row_id, Op.UPDATE, {"status": "open"}, {"status": status})


def _resolve(
    store: Store,
    conflict_id: str,
    status: str,
    write: Callable[[UnitOfWork, _Stored], None] | None = None,
) -> ChangeSet:
    with store.unit() as uow:
        stored = _open_conflict(uow, conflict_id)
        if write is not None:
            write(uow, stored)
        outbox.record_conflict_status(uow.session, conflict_id, status)
        uow.session.connection().exec_driver_sql(
            "UPDATE sync_conflict SET status = ? WHERE id = ?", (status, conflict_id)
        )
        changes = uow.commit()
    return changes.merged(ChangeSet((_inbox_row(CONFLICT_TABLE, conflict_id, status),)))


def _write_field(uow: UnitOfWork, stored: _Stored, value: Any) -> None:
    value = coerce(stored.table, stored.field, value)
    uow.update(stored.table, stored.row_id, {stored.field: value})


def keep_current(store: Store, conflict_id: str) -> ChangeSet:
    """The record keeps what it holds; the overwritten value is let go."""
    return _resolve(store, conflict_id, "kept")


def use_mine(store: Store, conflict_id: str) -> ChangeSet:
    """Write the overwritten value back as a new local edit (a fresh HLC, so it wins now)."""
    return _resolve(
        store, conflict_id, "used_mine", lambda uow, c: _write_field(uow, c, c.loser_value)
    )


def edit_value(store: Store, conflict_id: str, value: Any) -> ChangeSet:
    """Write a third value (typed by the user, e.g. a merge of both) as a new local edit."""
    return _resolve(store, conflict_id, "edited", lambda uow, c: _write_field(uow, c, value))


def restore_record(store: Store, conflict_id: str) -> ChangeSet:
    """Undelete the record and put the overwritten edit back on it (delete kinds)."""

    def write(uow: UnitOfWork, c: _Stored) -> None:
        uow.restore(c.table, c.row_id)
        if c.field != DELETED and c.field in _synced_columns(c.table):
            _write_field(uow, c, c.loser_value)

    return _resolve(store, conflict_id, "restored", write)


def discard_mine(store: Store, conflict_id: str) -> ChangeSet:
    """The record stays deleted; the edit made to it is let go (delete kinds)."""
    return _resolve(store, conflict_id, "discarded")


# -- attention actions -------------------------------------------------------------------------
def _open_attention(uow: UnitOfWork, attention_id: int) -> tuple[str, str]:
    row = (
        uow.session.connection()
        .exec_driver_sql(
            "SELECT reason, ops FROM sync_attention WHERE id = ? AND status = 'open'",
            (attention_id,),
        )
        .first()
    )
    if row is None:
        raise NotOpen(f"attention item {attention_id} is not open")
    return row[0], row[1]


def _set_attention(uow: UnitOfWork, attention_id: int, status: str) -> ChangeSet:
    uow.session.connection().exec_driver_sql(
        "UPDATE sync_attention SET status = ? WHERE id = ?", (status, attention_id)
    )
    changes = uow.commit()
    return changes.merged(ChangeSet((_inbox_row(ATTENTION_TABLE, str(attention_id), status),)))


def _required_missing(table: str, values: Mapping[str, Any]) -> list[str]:
    """Columns a new row of `table` cannot do without that `values` lacks."""
    missing = []
    for column in SYNCED_TABLES[table].__table__.columns:  # type: ignore[attr-defined]
        if column.primary_key or column.info.get("sync", True) is False:
            continue
        if column.key in (outbox.TOMBSTONE,):
            continue
        no_default = column.default is None and column.server_default is None
        if not column.nullable and no_default and column.key not in values:
            missing.append(column.key)
    return missing


def _exists(uow: UnitOfWork, table: str, row_id: str) -> bool:
    return uow.session.get(SYNCED_TABLES[table], row_id) is not None


def reapply(store: Store, attention_id: int) -> ChangeSet:
    """Apply the refused values again as a NEW local edit, on top of what records hold now.

    Rows still on this device get the op's fields (and are archived or restored as the op
    said); rows no longer here are inserted again under new ids (an id is never reused, and
    the old one may belong to a record this user can no longer see), with references among
    the re-inserted rows following them.
    """
    with store.unit() as uow:
        reason, ops_text = _open_attention(uow, attention_id)
        if reason in NOT_REAPPLICABLE:
            raise ValidationError.single(
                "reason",
                "sync.not_reapplicable",
                "The server would refuse these values again: {reason}",
                reason=reason_text(reason),
            )
        ops = _ops(ops_text)
        new_ids: dict[str, str] = {}
        for op in ops:
            table, row_id = str(op.get("tbl", "")), str(op.get("id", ""))
            if (
                op.get("op", "upsert") == "upsert"
                and table in SYNCED_TABLES
                and row_id not in new_ids
                and not _exists(uow, table, row_id)
            ):
                new_ids[row_id] = new_id()
        for op in ops:
            _reapply_op(uow, op, new_ids)
        return _set_attention(uow, attention_id, "reapplied")


def _reapply_op(uow: UnitOfWork, op: Mapping[str, Any], new_ids: Mapping[str, str]) -> None:
    kind, table, old_id = str(op.get("op", "upsert")), str(op.get("tbl", "")), str(op.get("id"))
    fields = op.get("fields") if isinstance(op.get("fields"), dict) else {}
    assert isinstance(fields, dict)
    if table == CONFLICT_TABLE:
        status = fields.get("status")
        if status in outbox.CONFLICT_STATUSES:
            outbox.record_conflict_status(uow.session, old_id, str(status))
        return
    if table not in SYNCED_TABLES:
        return  # a kind of record this version does not know: nothing to write it to
    row_id = new_ids.get(old_id, old_id)
    if kind == "upsert":
        columns = _synced_columns(table)
        values = {
            k: coerce(table, k, new_ids.get(v, v) if isinstance(v, str) else v)
            for k, v in fields.items()
            if k in columns
        }
        if old_id in new_ids:
            missing = _required_missing(table, values)
            if missing:
                raise ValidationError.single(
                    missing[0],
                    "sync.record_gone",
                    "The record is no longer on this device and the change does not hold "
                    "all of it; enter it again",
                )
            uow.insert(table, {**values, "id": row_id})
        elif values:
            uow.update(table, row_id, values)
    elif kind in ("delete", "restore") and _exists(uow, table, row_id):
        if kind == "delete":
            uow.archive(table, row_id)
        else:
            uow.restore(table, row_id)


def dismiss(store: Store, attention_id: int) -> ChangeSet:
    """Let the refused change go. The item is kept (status 'dismissed'), never deleted."""
    with store.unit() as uow:
        _open_attention(uow, attention_id)
        return _set_attention(uow, attention_id, "dismissed")


def without_inbox(changes: ChangeSet) -> ChangeSet:
    """`changes` without the inbox rows: what undo may invert (inbox rows are not records)."""
    rows = tuple(r for r in changes.rows if r.table not in INBOX_TABLES)
    return ChangeSet(rows, changes.accounts)


def touches_inbox(changes: ChangeSet) -> bool:
    return changes.touches(*INBOX_TABLES)


def record_ids(items: Iterable[ConflictItem | AttentionItem]) -> frozenset[str]:
    """The ids of the records the items are about (to notice when one of them changes)."""
    out: set[str] = set()
    for item in items:
        if isinstance(item, ConflictItem):
            out.add(item.row_id)
        else:
            out.update(op.row_id for op in item.ops)
    return frozenset(out)

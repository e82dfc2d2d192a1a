"""The server's single write path (SYNC.md §1.5 "Single write path", §1.6, §1.7, §1.10).

Every write, a device's push or the server's own (``workbench server assign``, new users),
goes through `ChangeWriter.apply`: validate, authorise, merge field by field with the shared
``domain.merge`` rules, compute row scopes, record conflicts as synced rows, and append what
pull serves to the change log. A change is all or nothing: it is worked out on copies of the
rows it touches and only a change that passed every check is kept (that is the savepoint of
SYNC.md's algorithm, without a database round trip per change). A rejected change still
consumes its seq and logs the server's current state of the rows it touched, so the device
that made it gets its optimistic copy corrected by the next pull.

The log carries, for every row a change touched, the authoritative state *after* the change
of every field it wrote (also the fields whose write lost), and the whole row when the row is
new to a scope. That is what lets a client treat a pulled op as the server's word at that seq
(``domain.merge.merge_remote``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from workbench.domain.ids import new_id
from workbench.domain.merge import (
    DELETED,
    Conflict,
    IncomingField,
    Policy,
    Rejected,
    RejectReason,
    merge_row,
)
from workbench.storage.outbox import CONFLICT_TABLE
from workbench.sync import protocol
from workbench.sync.protocol import ChangeResult, ConflictOut, ConflictSide, pack_fields
from workbench.sync.schema import (
    COLUMN_RULES,
    FIELD_POLICIES,
    FINANCE_SCOPE,
    REF_TABLES,
    account_scope,
    check_value,
    user_scope,
)
from workbench.sync.server import scopes as scoping
from workbench.sync.server.db import bulk_insert, sync_change, sync_log, sync_log_scope, users
from workbench.sync.server.rows import RowCache, RowState, dumps, from_states, is_deleted

SERVER_NODE = "server"
_SCOPE_TABLES = scoping.SCOPE_TABLES
_LOG_COLUMNS = ("seq", "op_no", "tbl", "row_id", "fields", "deleted", "scopes", "echo_of")
_LOG_SCOPE_COLUMNS = ("scope", "seq", "op_no")
_CHANGE_COLUMNS = (
    "seq",
    "change_id",
    "device_id",
    "user_id",
    "hlc",
    "status",
    "result",
    "applied_at",
)


def _plain_rules() -> dict[str, dict[str, int]]:
    """Per table, the fields whose usual values `_check_fields` accepts without `check_value`:
    text, with its length limit, and integers (-1). A push of 10,000 rows checks some 100,000
    values, and a type test plus a length is all most of them need; anything else (dates,
    NULL, a wrong type) takes the full check and its message."""
    out: dict[str, dict[str, int]] = {}
    for table, rules in COLUMN_RULES.items():
        plain: dict[str, int] = {}
        if table != CONFLICT_TABLE:  # its status has a list of allowed values
            for name, rule in rules.items():
                if rule.kind == "str":
                    plain[name] = sys.maxsize if rule.max_length is None else rule.max_length
                elif rule.kind == "int":
                    plain[name] = -1
        out[table] = plain
    return out


_PLAIN_RULES = _plain_rules()
#: Tables with a field only the server writes: their new rows go through `merge_row` too,
#: which refuses such a field (the shortcut for new rows would not).
_SERVER_ONLY_TABLES = frozenset(
    t for t, policies in FIELD_POLICIES.items() if Policy.SERVER_ONLY in policies.values()
)


@dataclass(frozen=True)
class Writer:
    """Who writes: a user on a device, or the server itself (``device_id`` None)."""

    user_id: str | None
    role: str
    device_id: str | None

    @property
    def node(self) -> str:
        return self.device_id or SERVER_NODE

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" or self.device_id is None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _writable(scopes: set[str], write: frozenset[str], granted: set[str]) -> bool:
    """May a writer holding ``write`` (plus the accounts its change ``granted`` it) change a
    row in ``scopes``?"""
    return scoping.visible(scopes, write) or not granted.isdisjoint(scopes)


def _deny(message: str) -> Rejected:
    return Rejected(RejectReason.NO_ACCESS, "", message)


def _check_fields(tbl: str, fields: Mapping[str, Any]) -> None:
    plain = _PLAIN_RULES[tbl]
    for name, value in fields.items():
        limit = plain.get(name)
        if limit is not None and (
            type(value) is int if limit < 0 else type(value) is str and len(value) <= limit
        ):
            continue
        problem = check_value(tbl, name, value)
        if problem is not None:
            reason = (
                RejectReason.UNKNOWN_FIELD
                if "not a synced field" in problem
                else RejectReason.INVALID_VALUE
            )
            raise Rejected(reason, name, problem)


@dataclass
class _Work:
    """One change being worked out: row copies, log order, written fields, new conflicts."""

    rows: dict[tuple[str, str], RowState] = field(default_factory=dict)
    full: dict[tuple[str, str], bool] = field(default_factory=dict)  # log order, whole row?
    # The fields each op wrote, for rows logged with only those (not `full`).
    written: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    conflicts: list[ConflictOut] = field(default_factory=list)
    scopes_changed: bool = False
    # Account scopes this very change made the writer own (an account and its first contacts
    # are usually one local unit of work, so one change), kept up to date op by op so that
    # authorising an op does not look through the change's other rows (up to 1,000).
    granted: set[str] = field(default_factory=set)


class ChangeWriter:
    """Applies changes inside one server transaction and writes the results once (`flush`)."""

    def __init__(self, conn: Connection, now: Callable[[], datetime]) -> None:
        self.conn = conn
        self.now = now
        self.cache = RowCache(conn)
        self._log: list[tuple[Any, ...]] = []
        self._log_scopes: list[tuple[str, int, int]] = []
        self._ledger: list[tuple[Any, ...]] = []  # `sync_change` rows, `_CHANGE_COLUMNS`
        self._owners: dict[int, tuple[str, str | None]] = {}  # seq -> (change_id, user_id)
        self._names: dict[str, str | None] = {}
        # user id -> (read, write) scopes, until a change touches a scope-giving row
        self._scopes: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._scope_sets: dict[str, scoping.ScopeSet] = {}  # what `_scopes` was derived from
        self._log_scope_text: dict[frozenset[str], tuple[str, list[str]]] = {}
        # seq -> {"tbl:id": scopes} of the log entries that repeat that change exactly
        # (`sync_log.echo_of`): the writer's pulls skip them, its push answer carries these.
        self._echoes: dict[int, dict[str, list[str]]] = {}
        self.only_echoes = True  # every log entry queued so far is an echo (`_append_log`)

    # -- scopes --------------------------------------------------------------------------
    def _user_scopes(self, writer: Writer) -> tuple[frozenset[str], frozenset[str]]:
        """The writer's (read, write) scopes, once per request (and again after a change to
        accounts or teams): the write set is derived once, not per op, as it holds
        thousands of scopes for an account manager."""
        if writer.user_id is None:
            read = frozenset({scoping.ALL_SCOPE})
            return read, read
        key = writer.user_id
        if key not in self._scopes:
            self.cache.save()  # scope queries read sync_row: make this request's rows visible
            found = scoping.scope_set(self.conn, writer.user_id, writer.role)
            self._scope_sets[key] = found
            self._scopes[key] = (found.scopes, scoping.write_scopes(found.scopes, writer.role))
        return self._scopes[key]

    def scope_set(self, user_id: str) -> scoping.ScopeSet | None:
        """The user's scope set as this request read it, while still current: no change
        since has touched a scope-giving row (each such change drops it, and so does
        `_user_scopes`' caller, `apply`). Scope versions change only in writes holding the
        sequencer's lock, as this request does, so nothing else can have changed it."""
        return self._scope_sets.get(user_id) if user_id in self._scopes else None

    # -- the write path ------------------------------------------------------------------
    def prefetch(self, ops: Sequence[protocol.Op]) -> None:
        keys = [(op.tbl, op.id) for op in ops]
        contacts = [
            ("contacts", str(op.fields["contact_id"]))
            for op in ops
            if op.tbl == "positions" and isinstance(op.fields.get("contact_id"), str)
        ]
        self.cache.prefetch(keys + contacts)

    def max_hlc(self, ops: Sequence[protocol.Op]) -> int:
        """The newest version among the fields ``ops`` write (the server observes it first,
        so a server write always orders after what it replaces)."""
        best = 0
        for op in ops:
            row = self.cache.get(op.tbl, op.id)
            if row is not None:
                best = max([best, *(p[1] for p in row.fields.values())])
        return best

    def apply(
        self,
        writer: Writer,
        change_id: str,
        hlc: int,
        ops: Sequence[protocol.Op],
        seq: int,
        *,
        as_sent: bool = False,
    ) -> list[ConflictOut]:
        """Apply one change at ``seq`` or raise `Rejected` (then nothing of it is kept).

        ``as_sent``: ``hlc`` is the one the device stamped the change with (not re-stamped
        for clock skew), so log entries holding only its fields repeat what the device holds
        and its pulls may skip them (``sync_log.echo_of``, `echoes`).
        """
        work = _Work()
        echo_of = writer.device_id if as_sent else None

        def scopes_of(tbl: str, row_id: str) -> set[str]:
            row = self._row(work, tbl, row_id)
            return set(row.scopes) if row is not None else set()

        for op in ops:
            self._apply_op(work, writer, change_id, hlc, op, seq, scopes_of)
        for row in work.rows.values():
            self.cache.put(row)
        for op_no, (key, full) in enumerate(work.full.items()):
            row = work.rows[key]
            if full:
                self._append_log(seq, op_no, row, row.fields, (echo_of, hlc))
            else:
                have = row.fields
                fields = {f: have[f] for f in work.written.get(key, ()) if f in have}
                self._append_log(seq, op_no, row, fields, (echo_of, hlc))
        self._owners[seq] = (change_id, writer.user_id)
        if work.scopes_changed:
            self._scopes.clear()
        return work.conflicts

    def echoes(self, seq: int) -> dict[str, list[str]]:
        """The rows of the change at ``seq`` its writer's pulls will skip, with their scopes
        (``ChangeResult.echoes``)."""
        return self._echoes.get(seq, {})

    def echo(self, ops: Sequence[protocol.Op], seq: int) -> None:
        """Log the current state of the rows a rejected change touched (see module doc)."""
        seen: set[tuple[str, str]] = set()
        op_no = 0
        for op in ops:
            key = (op.tbl, op.id)
            row = self.cache.get(*key) if op.tbl in COLUMN_RULES else None
            if key in seen or row is None:
                continue
            seen.add(key)
            self._append_log(seq, op_no, row, row.fields)
            op_no += 1

    def record(
        self,
        seq: int,
        change_id: str,
        writer: Writer,
        hlc: int,
        result: ChangeResult,
    ) -> None:
        self._owners.setdefault(seq, (change_id, writer.user_id))
        self._ledger.append(
            (
                seq,
                change_id,
                writer.device_id,
                writer.user_id,
                hlc,
                result.status,
                result.model_dump_json(exclude_defaults=True),
                self.now(),
            )
        )

    def flush(self) -> None:
        self.cache.save()
        bulk_insert(self.conn, sync_log, _LOG_COLUMNS, self._log)
        bulk_insert(self.conn, sync_log_scope, _LOG_SCOPE_COLUMNS, self._log_scopes)
        if self._ledger:
            # `bulk_insert` (a COPY on PostgreSQL, not an executemany of 100 INSERTs for an
            # edit push) hands values to the driver as they are: the timestamp is converted
            # here the way the column's type would (`db.UTCDateTime`).
            stamp = sync_change.c.applied_at.type.bind_processor(self.conn.dialect)
            if stamp is not None:
                self._ledger = [(*row[:-1], stamp(row[-1])) for row in self._ledger]
            bulk_insert(self.conn, sync_change, _CHANGE_COLUMNS, self._ledger)
        self._log, self._log_scopes, self._ledger = [], [], []

    # -- one op --------------------------------------------------------------------------
    def _row(self, work: _Work, tbl: str, row_id: str) -> RowState | None:
        if (tbl, row_id) in work.rows:
            return work.rows[(tbl, row_id)]
        return self.cache.get(tbl, row_id)

    def _apply_op(
        self,
        work: _Work,
        writer: Writer,
        change_id: str,
        hlc: int,
        op: protocol.Op,
        seq: int,
        scopes_of: Callable[[str, str], set[str]],
    ) -> None:
        tbl = op.tbl
        if tbl not in COLUMN_RULES:
            raise Rejected(RejectReason.UNKNOWN_TABLE, "", f"{tbl} is not synced")
        _check_fields(tbl, op.fields)
        key = (tbl, op.id)
        current = self._row(work, tbl, op.id)
        if tbl == CONFLICT_TABLE and current is None:
            raise Rejected(RejectReason.NO_ACCESS, "status", "no such conflict record")

        node = writer.node
        conflicts: list[Conflict] = []
        if current is None and op.op == "upsert" and tbl not in _SERVER_ONLY_TABLES:
            # A new row: every field is simply the op's (what `merge_row` would work out,
            # without its per-field objects; most of a big push is new rows).
            fields = {name: [value, hlc, node, seq] for name, value in op.fields.items()}
            row = RowState(tbl, op.id, fields, False, set(), seq)
        else:
            items: list[tuple[str, Any]] = list(op.fields.items())
            if op.op != "upsert":
                items.append((DELETED, op.op == "delete"))
            # The server itself has seen every stored value: its writes overwrite knowingly.
            seen = current.fields if writer.device_id is None and current is not None else {}
            incoming = [
                IncomingField(
                    name,
                    value,
                    hlc,
                    node,
                    node,
                    seen[name][3] if name in seen else op.base.get(name),
                )
                for name, value in items
            ]
            # `merge_row` reads the row's other fields only when a delete wins (they may lose
            # to it); an edit of one field of a wide row needs that field and the tombstone.
            states = (
                {}
                if current is None
                else current.states()
                if op.op == "delete"
                else current.states_of([*op.fields, DELETED])
            )
            merged, conflicts = merge_row(states, incoming, seq, FIELD_POLICIES.get(tbl, {}))
            row = (
                current.copy()
                if current is not None
                else RowState(tbl, op.id, {}, False, set(), seq)
            )
            row.fields.update(from_states({inc.field: merged[inc.field] for inc in incoming}))
            row.deleted = is_deleted(row.fields)
            row.seq = seq

        if tbl == CONFLICT_TABLE:
            computed: set[str] = set()
        else:
            computed = scoping.computed_scopes(tbl, op.id, row.value, writer.user_id, scopes_of)
        self._authorize(work, writer, op, current, row, computed)
        grew = not computed <= row.scopes
        row.scopes |= computed

        if tbl == "positions":
            self._contact_joins_account(work, row, seq)
        work.rows[key] = row
        full = work.full[key] = work.full.get(key, False) or current is None or grew
        if not full:
            work.written.setdefault(key, set()).update(op.fields)
            if op.op != "upsert":
                work.written[key].add(DELETED)
        if tbl in _SCOPE_TABLES:
            work.scopes_changed = True
            account_ref = row.account_ref
            if account_ref and row.user_ref == writer.user_id and writer.role != "finance":
                work.granted.add(account_scope(account_ref))
        for conflict in conflicts:
            self._record_conflict(work, writer, change_id, hlc, row, conflict, seq)

    def _authorize(
        self,
        work: _Work,
        writer: Writer,
        op: protocol.Op,
        current: RowState | None,
        row: RowState,
        computed: set[str],
    ) -> None:
        if writer.is_admin:
            return
        read, write = self._user_scopes(writer)
        granted = work.granted
        if op.tbl in REF_TABLES:
            raise _deny(f"only an administrator changes {op.tbl}")
        if op.tbl == CONFLICT_TABLE:
            assert current is not None
            if not scoping.visible(current.scopes, read):
                raise _deny("not your conflict record")
            return
        if current is not None and not _writable(current.scopes, write, granted):
            raise _deny("you do not have access to this record")
        if op.tbl == "accounts":
            owner_before = current.value("owner_id") if current is not None else None
            owner_after = row.value("owner_id")
            if current is None:
                if owner_after != writer.user_id or writer.role == "finance":
                    raise _deny("a new account must be owned by its creator")
                return
            if owner_after != owner_before and owner_before != writer.user_id:
                raise _deny("only the account's owner or an administrator reassigns it")
            if not _writable({account_scope(op.id), FINANCE_SCOPE}, write, granted):
                raise _deny("you do not have access to this account")
            return
        if not _writable(computed, write, granted):
            raise _deny("you do not have access to this account")

    def _contact_joins_account(self, work: _Work, position: RowState, seq: int) -> None:
        """A contact with a position at an account is in that account's scope from then on."""
        contact_id, account_id = position.value("contact_id"), position.value("account_id")
        if not isinstance(contact_id, str) or not isinstance(account_id, str):
            return
        contact = self._row(work, "contacts", contact_id)
        scope = account_scope(account_id)
        if contact is None or scope in contact.scopes:
            return
        contact = contact.copy()
        contact.scopes.add(scope)
        contact.seq = seq
        key = ("contacts", contact_id)
        work.rows[key] = contact
        work.full[key] = True  # logged before the position (dict order), whole row

    # -- conflicts -----------------------------------------------------------------------
    def _owner(self, seq: int | None) -> tuple[str | None, str | None]:
        if seq is None:
            return None, None
        if seq not in self._owners:
            found = self.conn.execute(
                select(sync_change.c.change_id, sync_change.c.user_id).where(
                    sync_change.c.seq == seq
                )
            ).first()
            self._owners[seq] = (found.change_id, found.user_id) if found else ("", None)
        change_id, user_id = self._owners[seq]
        return change_id or None, user_id

    def user_name(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self._names:
            self._names[user_id] = self.conn.execute(
                select(users.c.name).where(users.c.id == user_id)
            ).scalar_one_or_none()
        return self._names[user_id]

    def _record_conflict(
        self,
        work: _Work,
        writer: Writer,
        change_id: str,
        hlc: int,
        row: RowState,
        conflict: Conflict,
        seq: int,
    ) -> None:
        mine = (hlc, writer.node)

        def side(version_key: tuple[int, str], version_seq: int | None) -> tuple[Any, Any]:
            if version_key == mine and version_seq == seq:
                return change_id, writer.user_id
            return self._owner(version_seq)

        w_change, w_user = side(conflict.winner_version.key, conflict.winner_version.seq)
        l_change, l_user = side(conflict.loser_version.key, conflict.loser_version.seq)
        values: dict[str, Any] = {
            "tbl": row.tbl,
            "row_id": row.row_id,
            "field": conflict.field,
            "kind": conflict.kind.value,
            "winner_change": w_change,
            "loser_change": l_change,
            "winner_value": _dumps(conflict.winner_value),
            "loser_value": _dumps(conflict.loser_value),
            "winner_hlc": conflict.winner_version.hlc,
            "loser_hlc": conflict.loser_version.hlc,
            "winner_user": w_user,
            "loser_user": l_user,
            "status": "open",
            "created_seq": seq,
        }
        conflict_id = new_id()
        record = RowState(
            CONFLICT_TABLE,
            conflict_id,
            {k: [v, hlc, SERVER_NODE, seq] for k, v in values.items()},
            False,
            set(row.scopes) | ({user_scope(l_user)} if l_user else set()),
            seq,
        )
        key = (CONFLICT_TABLE, conflict_id)
        work.rows[key] = record
        work.full[key] = True
        if len(work.conflicts) < protocol.MAX_CONFLICTS_PER_CHANGE:
            work.conflicts.append(
                ConflictOut(
                    id=conflict_id,
                    tbl=row.tbl,
                    row_id=row.row_id,
                    field=conflict.field,
                    kind=conflict.kind.value,
                    outcome="won" if w_change == change_id else "lost",
                    winner=ConflictSide(
                        value=conflict.winner_value,
                        hlc=conflict.winner_version.hlc,
                        node=conflict.winner_version.node,
                        user=self.user_name(w_user),
                    ),
                    loser=ConflictSide(
                        value=conflict.loser_value,
                        hlc=conflict.loser_version.hlc,
                        node=conflict.loser_version.node,
                        user=self.user_name(l_user),
                    ),
                )
            )

    # -- log -----------------------------------------------------------------------------
    def _append_log(
        self,
        seq: int,
        op_no: int,
        row: RowState,
        fields: dict[str, Any],
        writer: tuple[str | None, int] = (None, 0),
    ) -> None:
        """Queue a log entry; ``writer`` is the pushing device and its change's hlc, when the
        entry may be an echo of that change (`ChangeWriter.apply`)."""
        packed = pack_fields(fields)
        text = dumps(packed)
        if fields is row.fields:
            row.fields_json = text  # saving the row needs this very text (`RowState`)
        device, hlc = writer
        version = packed["v"]
        echo_of = (
            device
            if device is not None and "x" not in packed and version == [hlc, device, seq]
            else None
        )
        key = frozenset(row.scopes)
        scopes = self._log_scope_text.get(key)
        if scopes is None:
            ordered = sorted(key)
            scopes = self._log_scope_text[key] = (_dumps(ordered), ordered)
        if echo_of is not None:
            self._echoes.setdefault(seq, {})[f"{row.tbl}:{row.row_id}"] = scopes[1]
        else:
            self.only_echoes = False
        self._log.append((seq, op_no, row.tbl, row.row_id, text, row.deleted, scopes[0], echo_of))
        self._log_scopes += [(s, seq, op_no) for s in scopes[1]]

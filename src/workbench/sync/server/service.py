"""Push, pull, snapshot and server-side writes: one database transaction each (SYNC.md §1.6–1.9).

The HTTP routes in ``app.py`` only authenticate, parse and call these; tests and the command
line (``workbench server assign``) call them directly, so every write takes the same path.

Pull and snapshot answers are assembled as JSON text from the stored wire form of each row
(``sync_log.fields`` / ``sync_row.fields`` are already ``{field: [value, hlc, node, seq]}``):
parsing and re-serialising tens of thousands of stored fields per page only to print them again
would dominate the server's time. The shape is exactly ``protocol.PullResponse`` /
``protocol.BootstrapResponse``, which the tests parse with those strict models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, exists, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from workbench.domain.hlc import restamp_if_skewed, unpack
from workbench.domain.ids import new_id
from workbench.domain.merge import Rejected
from workbench.sync import protocol
from workbench.sync.protocol import (
    BootstrapRequest,
    ChangeResult,
    PullRequest,
    PushRequest,
    PushResponse,
)
from workbench.sync.schema import ALL_SCOPE
from workbench.sync.server import scopes as scoping
from workbench.sync.server.apply import ChangeWriter, Writer
from workbench.sync.server.db import (
    devices,
    head_seq,
    lock_counter,
    now_utc,
    set_counter,
    sync_change,
    sync_log,
    sync_log_scope,
    sync_row,
    sync_row_scope,
    sync_scope_set,
    users,
    write_transaction,
)

SCHEMA_VERSION = 1  # the op format this server accepts (storage.outbox.SYNC_SCHEMA_VERSION)


class Clock(Protocol):
    def tick(self) -> int: ...
    def observe(self, remote: int) -> int: ...


class Refusal(Exception):
    """A request-level refusal with a protocol error code (not a per-change rejection)."""

    def __init__(self, code: protocol.ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    device_id: str


# -- push -------------------------------------------------------------------------------------


def _reason(exc: Rejected) -> str:
    detail = str(exc).split(": ", 1)[1] if ": " in str(exc) else ""
    text = f"{exc.reason.value}: {detail}" if detail else exc.reason.value
    return text[:200]


def push(
    engine: Engine,
    caller: Caller,
    request: PushRequest,
    clock: Clock,
    now: Callable[[], datetime] = now_utc,
) -> PushResponse:
    """Apply a device's changes in device_seq order; one transaction (SYNC.md §1.6)."""
    if request.device_id != caller.device_id:
        raise Refusal("forbidden", "the device id does not match the device token")
    if request.schema_version != SCHEMA_VERSION:
        raise Refusal(
            "upgrade_required",
            f"this server speaks sync schema {SCHEMA_VERSION}, the client "
            f"{request.schema_version}; upgrade the older side",
        )
    writer = Writer(caller.user_id, caller.role, caller.device_id)
    results: list[ChangeResult] = []
    with write_transaction(engine) as conn:
        device = conn.execute(
            select(devices.c.last_device_seq, devices.c.clock_flag)
            .where(devices.c.device_id == caller.device_id)
            .with_for_update()
        ).one()
        last: int | None = device.last_device_seq
        flagged = bool(device.clock_flag)
        ids = [ch.change_id for ch in request.changes]
        cached = {
            r.change_id: r
            for r in conn.execute(
                select(sync_change.c.change_id, sync_change.c.result).where(
                    sync_change.c.change_id.in_(ids)
                )
            )
        }
        counter = lock_counter(conn)
        changes = ChangeWriter(conn, now)
        changes.prefetch([op for ch in request.changes for op in ch.ops])
        for ch in sorted(request.changes, key=lambda c: c.device_seq):
            if ch.change_id in cached:
                first = ChangeResult.model_validate_json(cached[ch.change_id].result)
                results.append(
                    first.model_copy(
                        update={"status": "duplicate", "original_status": first.status}
                    )
                )
                continue
            if last is not None and ch.device_seq <= last:
                results.append(ChangeResult(change_id=ch.change_id, status="device_forked"))
                break
            # No "gap" check: device_seqs only have to increase. A client drops a change it can
            # never send (into its attention list, SYNC.md §1.6) without renumbering the rest.
            counter += 1
            now_ms, count = unpack(clock.tick())
            hlc, clamped = restamp_if_skewed(ch.hlc, now_ms, count)
            if clamped:
                flagged = True
            else:
                clock.observe(hlc)
            try:
                conflicts = changes.apply(writer, ch.change_id, hlc, ch.ops, counter)
                result = ChangeResult(
                    change_id=ch.change_id, status="applied", seq=counter, conflicts=conflicts
                )
            except Rejected as exc:
                changes.echo(ch.ops, counter)
                result = ChangeResult(
                    change_id=ch.change_id, status="rejected", seq=counter, reason=_reason(exc)
                )
            changes.record(counter, ch.change_id, writer, hlc, result)
            results.append(result)
            last = ch.device_seq
        changes.flush()
        set_counter(conn, counter)
        conn.execute(
            update(devices)
            .where(devices.c.device_id == caller.device_id)
            .values(last_device_seq=last, clock_flag=flagged)
        )
    return PushResponse(results=results, acked_device_seq=last or 0, server_hlc=clock.tick())


def server_write(
    engine: Engine,
    clock: Clock,
    ops: Sequence[protocol.Op],
    *,
    user_id: str | None = None,
    now: Callable[[], datetime] = now_utc,
) -> int:
    """Apply a change made by the server itself (administration); returns its seq.

    Its HLC is taken after observing every version it replaces, so an administrator's write
    always wins over what it overwrote, even on a fresh process whose clock started behind a
    client's. Raises `Rejected` for invalid ops (nothing is written then).
    """
    writer = Writer(user_id, "admin", None)
    with write_transaction(engine) as conn:
        counter = lock_counter(conn) + 1
        changes = ChangeWriter(conn, now)
        changes.prefetch(ops)
        clock.observe(max(1, changes.max_hlc(ops)))
        hlc = clock.tick()
        change_id = new_id()
        conflicts = changes.apply(writer, change_id, hlc, ops, counter)
        result = ChangeResult(
            change_id=change_id, status="applied", seq=counter, conflicts=conflicts
        )
        changes.record(counter, change_id, writer, hlc, result)
        changes.flush()
        set_counter(conn, counter)
    return counter


# -- pull -------------------------------------------------------------------------------------


def _scope_set_at(conn: Connection, device_id: str, version: int) -> frozenset[str] | None:
    if version == 0:
        return frozenset()
    raw = conn.execute(
        select(sync_scope_set.c.scopes).where(
            and_(sync_scope_set.c.device_id == device_id, sync_scope_set.c.version == version)
        )
    ).scalar_one_or_none()
    return frozenset(json.loads(raw)) if raw is not None else None


def _settle_scope_set(engine: Engine, device_id: str, scopes: frozenset[str]) -> int:
    """The version number of ``scopes`` for this device: the latest if equal, else a new one."""
    with write_transaction(engine) as conn:
        latest = conn.execute(
            select(sync_scope_set.c.version, sync_scope_set.c.scopes)
            .where(sync_scope_set.c.device_id == device_id)
            .order_by(sync_scope_set.c.version.desc())
            .limit(1)
        ).first()
        if latest is not None and frozenset(json.loads(latest.scopes)) == scopes:
            return int(latest.version)
        version = (int(latest.version) if latest is not None else 0) + 1
        conn.execute(
            insert(sync_scope_set).values(
                device_id=device_id, version=version, scopes=json.dumps(sorted(scopes))
            )
        )
        return version


def _op_json(seq: int, tbl: str, row_id: str, deleted: bool, scopes: list[str], fields: str) -> str:
    return (
        f'{{"seq":{seq},"tbl":"{tbl}","id":"{row_id}","deleted":{"true" if deleted else "false"},'
        f'"scopes":{json.dumps(scopes)},"fields":{fields}}}'
    )


def _in_scope(user_scopes: frozenset[str]) -> ColumnElement[bool] | None:
    if ALL_SCOPE in user_scopes:
        return None
    return exists().where(
        and_(
            sync_log_scope.c.seq == sync_log.c.seq,
            sync_log_scope.c.op_no == sync_log.c.op_no,
            sync_log_scope.c.scope.in_(sorted(user_scopes)),
        )
    )


def pull(engine: Engine, caller: Caller, request: PullRequest, clock: Clock) -> bytes:
    """One pull page as JSON (``protocol.PullResponse``), ending on a whole seq."""
    if request.device_id != caller.device_id:
        raise Refusal("forbidden", "the device id does not match the device token")
    if request.schema_version != SCHEMA_VERSION:
        raise Refusal("upgrade_required", f"this server speaks sync schema {SCHEMA_VERSION}")
    if request.hlc:
        clock.observe(min(request.hlc, clock.tick()))  # never let a skewed client drag us
    with engine.connect() as conn, conn.begin():
        scopes = scoping.read_scopes(conn, caller.user_id, caller.role)
        head = head_seq(conn)
        known = _scope_set_at(conn, caller.device_id, request.scope_set_version)
        if known is None:
            known = frozenset()
        if known == scopes:
            # Caught up (the common poll): nothing lies past the head, so no page query.
            ops = (
                _page(conn, scopes, request.cursor, head, request.limit)
                if request.cursor < head
                else []
            )
    cursor = request.cursor
    events: list[dict[str, Any]] = []
    version = request.scope_set_version
    if known != scopes:
        version = _settle_scope_set(engine, caller.device_id, scopes)
        events = [
            {"scope": s, "event": "added", "bootstrap_as_of": head} for s in sorted(scopes - known)
        ] + [{"scope": s, "event": "removed"} for s in sorted(known - scopes)]
        body_ops: list[str] = []
    else:
        body_ops = []
        last_seq = None
        for row in ops:
            shown = scoping.shown_scopes(json.loads(row.scopes), scopes)
            body_ops.append(_op_json(row.seq, row.tbl, row.row_id, row.deleted, shown, row.fields))
            last_seq = row.seq
        full_page = len(ops) >= request.limit
        cursor = last_seq if (full_page and last_seq is not None) else head
    return (
        f'{{"ops":[{",".join(body_ops)}],"scope_events":{json.dumps(events)},'
        f'"scope_set_version":{version},"cursor":{cursor},"head_seq":{head},'
        f'"has_more":{"true" if cursor < head else "false"},"server_hlc":{clock.tick()}}}'
    ).encode()


def _page(
    conn: Connection, scopes: frozenset[str], cursor: int, head: int, limit: int
) -> list[Any]:
    condition = _in_scope(scopes)
    columns = (
        sync_log.c.seq,
        sync_log.c.op_no,
        sync_log.c.tbl,
        sync_log.c.row_id,
        sync_log.c.fields,
        sync_log.c.deleted,
        sync_log.c.scopes,
    )
    where = [sync_log.c.seq > cursor, sync_log.c.seq <= head]
    if condition is not None:
        where.append(condition)
    rows = list(
        conn.execute(
            select(*columns)
            .where(and_(*where))
            .order_by(sync_log.c.seq, sync_log.c.op_no)
            .limit(limit)
        )
    )
    if len(rows) >= limit:  # finish the last seq: a server transaction is never split
        last = rows[-1]
        rest = [sync_log.c.seq == last.seq, sync_log.c.op_no > last.op_no]
        if condition is not None:
            rest.append(condition)
        rows += list(conn.execute(select(*columns).where(and_(*rest)).order_by(sync_log.c.op_no)))
    return rows


# -- snapshot ---------------------------------------------------------------------------------


def snapshot(engine: Engine, caller: Caller, request: BootstrapRequest) -> bytes:
    """One snapshot page of a scope the caller holds (``protocol.BootstrapResponse``)."""
    with engine.connect() as conn, conn.begin():
        # Only the scopes this page needs (the one asked for, then those its rows name for
        # `shown_scopes`), not the caller's whole scope set: see `scopes.held_scopes`.
        scopes = scoping.held_scopes(conn, caller.user_id, caller.role, [request.scope])
        if request.scope not in scopes and ALL_SCOPE not in scopes:
            raise Refusal("forbidden", f"scope {request.scope} is not yours")
        as_of = request.as_of if request.as_of is not None else head_seq(conn)
        binary = conn.dialect.name == "postgresql"
        if request.scope == ALL_SCOPE:
            source = sync_row
            tbl, row_id = sync_row.c.tbl, sync_row.c.row_id
            query = select(sync_row)
        else:
            tbl, row_id = sync_row_scope.c.tbl, sync_row_scope.c.row_id
            query = (
                select(sync_row)
                .select_from(
                    sync_row_scope.join(
                        sync_row,
                        and_(sync_row.c.tbl == tbl, sync_row.c.row_id == row_id),
                    )
                )
                .where(sync_row_scope.c.scope == request.scope)
            )
            source = sync_row_scope
        del source
        tbl_key = tbl.collate("C") if binary else tbl
        id_key = row_id.collate("C") if binary else row_id
        if request.after is not None:
            after_tbl, _, after_id = request.after.partition(":")
            query = query.where(or_(tbl_key > after_tbl, and_(tbl == after_tbl, id_key > after_id)))
        rows = list(conn.execute(query.order_by(tbl_key, id_key).limit(request.limit)))
        row_scopes = [json.loads(r.scopes) for r in rows]
        if ALL_SCOPE not in scopes:
            named = {s for listed in row_scopes for s in listed} - scopes
            scopes |= scoping.held_scopes(conn, caller.user_id, caller.role, named)
    body = [
        _op_json(
            r.seq,
            r.tbl,
            r.row_id,
            bool(r.deleted),
            scoping.shown_scopes(listed, scopes) or [request.scope],
            r.fields,
        )
        for r, listed in zip(rows, row_scopes, strict=True)
    ]
    following = (
        f'"{rows[-1].tbl}:{rows[-1].row_id}"' if rows and len(rows) >= request.limit else "null"
    )
    return f'{{"rows":[{",".join(body)}],"next":{following},"as_of":{as_of}}}'.encode()


# -- administration ---------------------------------------------------------------------------


def user_row_ops(user_id: str, name: str, role: str) -> list[protocol.Op]:
    """The ``users`` directory row of a server account (scope ``ref``): the id every client
    uses as the owner of that user's accounts."""
    return [
        protocol.Op(
            op="upsert",
            tbl="users",
            id=user_id,
            fields={"name": name, "email": "", "role": role},
            base={},
        )
    ]


def find_account(engine: Engine, spec: str) -> list[tuple[str, str]]:
    """Accounts matching an id, a tax code or an exact name: [(id, name)]."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(sync_row.c.row_id, sync_row.c.fields).where(sync_row.c.tbl == "accounts")
        )
        out = []
        for row_id, raw in rows:
            fields = json.loads(raw)
            name = fields.get("name", [""])[0]
            tax = fields.get("tax_code", [""])[0]
            if spec in (row_id, tax) or (name and name.casefold() == spec.casefold()):
                out.append((row_id, name))
        return out


def register_user(engine: Engine, clock: Clock, user_id: str, name: str, role: str) -> int:
    """Publish a server account in the synced user directory (a server-side write)."""
    return server_write(engine, clock, user_row_ops(user_id, name, role))


def assign_ops(engine: Engine, account_id: str, user_id: str) -> list[protocol.Op]:
    """The ops of a reassignment: the new owner, and the account team's "owner" membership
    moved with it (the old owner's ends, so the account leaves their devices; a colleague's
    ordinary membership stays)."""
    ops = [
        protocol.Op(
            op="upsert", tbl="accounts", id=account_id, fields={"owner_id": user_id}, base={}
        )
    ]
    has_owner_row = False
    with engine.connect() as conn:
        team = conn.execute(
            select(sync_row.c.row_id, sync_row.c.fields).where(
                and_(
                    sync_row.c.tbl == "account_team",
                    sync_row.c.account_ref == account_id,
                    sync_row.c.deleted.is_(False),
                )
            )
        )
        for row_id, raw in team:
            fields = json.loads(raw)
            member, role = fields.get("user_id", [None])[0], fields.get("role", [None])[0]
            if member == user_id:
                has_owner_row = True
                if role != "owner":
                    ops.append(
                        protocol.Op(
                            op="upsert",
                            tbl="account_team",
                            id=row_id,
                            fields={"role": "owner"},
                            base={},
                        )
                    )
            elif role == "owner":
                ops.append(protocol.Op(op="delete", tbl="account_team", id=row_id, base={}))
    if not has_owner_row:
        ops.append(
            protocol.Op(
                op="upsert",
                tbl="account_team",
                id=new_id(),
                fields={"account_id": account_id, "user_id": user_id, "role": "owner"},
                base={},
            )
        )
    return ops


def duplicate_change_ids(engine: Engine) -> list[str]:
    """Change ids recorded more than once (must always be empty; SYNC.md P3)."""
    with engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                select(sync_change.c.change_id)
                .group_by(sync_change.c.change_id)
                .having(func.count() > 1)
            )
        ]


def user_id_by_name(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        found: str | None = conn.execute(
            select(users.c.id).where(users.c.name == name)
        ).scalar_one_or_none()
        return found


def all_rows(engine: Engine, tables: Iterable[str] | None = None) -> list[Any]:
    """Every stored row (tests and tools compare replicas with it)."""
    with engine.connect() as conn:
        query = select(sync_row)
        if tables is not None:
            query = query.where(sync_row.c.tbl.in_(list(tables)))
        return list(conn.execute(query))

"""Push, pull, snapshot and server-side writes: one database transaction each (SYNC.md §1.6–1.9).

The HTTP routes in ``app.py`` only authenticate, parse and call these; tests and the command
line (``workbench server assign``) call them directly, so every write takes the same path.

Pull and snapshot answers are assembled as JSON text from the stored wire form of each row
(``sync_log.fields`` / ``sync_row.fields`` are already packed as ``protocol.RowFields``):
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

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    exists,
    func,
    insert,
    not_,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from workbench.domain.hlc import restamp_if_skewed, unpack
from workbench.domain.ids import new_id
from workbench.domain.merge import Rejected
from workbench.sync import protocol
from workbench.sync.gc_pause import collector_paused
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
    sync_counter,
    sync_log,
    sync_log_scope,
    sync_row,
    sync_row_scope,
    sync_scope_set,
    sync_scope_version,
    users,
    write_transaction,
)
from workbench.sync.server.rows import load_fields

SCHEMA_VERSION = 2  # the op format this server speaks (storage.outbox.SYNC_SCHEMA_VERSION)
#: Op formats a push may still come in (SYNC.md §1.12 lenses). Version 2 only added tables
#: and nullable or defaulted columns (account plans, leads, whitespace marks; client migration
#: 0006), so a version-1 op is a valid version-2 op as it is: a device that queued edits before
#: upgrading pushes them unchanged. Pulls are refused below version 2: such a device would skip
#: the rows of tables it does not know and never get them back once upgraded.
PUSH_SCHEMA_VERSIONS = frozenset({1, 2})


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
    if request.schema_version not in PUSH_SCHEMA_VERSIONS:
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
        cached = _answered(conn, [ch.change_id for ch in request.changes])
        counter = start = lock_counter(conn)
        # Pushes take the counter lock in turn, so these pauses never overlap and the
        # collector runs between pushes (see `collector_paused`).
        with collector_paused():
            changes = ChangeWriter(conn, now)
            changes.prefetch([op for ch in request.changes for op in ch.ops])
            for ch in sorted(request.changes, key=lambda c: c.device_seq):
                if ch.change_id in cached:
                    first = ChangeResult.model_validate_json(cached[ch.change_id])
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
                    conflicts = changes.apply(
                        writer, ch.change_id, hlc, ch.ops, counter, as_sent=not clamped
                    )
                    result = ChangeResult(
                        change_id=ch.change_id,
                        status="applied",
                        seq=counter,
                        conflicts=conflicts,
                        echoes=changes.echoes(counter),
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
            read = changes.scope_set(caller.user_id)
            # Every seq past the device's cursor is this push's and logs only echoes of it.
            own = request.position is not None and request.position.cursor == start
            own = own and changes.only_echoes
            del changes  # its rows go before the collector may run again
        caught_up = (
            _caught_up_after_push(conn, caller, request.position, counter, results, read, own)
            if request.position is not None
            else None
        )
        set_counter(conn, counter)
        conn.execute(
            update(devices)
            .where(devices.c.device_id == caller.device_id)
            .values(last_device_seq=last, clock_flag=flagged)
        )
    return PushResponse(
        results=results,
        acked_device_seq=last or 0,
        server_hlc=clock.tick(),
        caught_up_to=caught_up,
    )


def _answered(conn: Connection, change_ids: list[str]) -> dict[str, str]:
    """The recorded answers (``sync_change.result``) of those of ``change_ids`` already
    applied: a push repeated after a lost answer gets them back (SYNC.md §1.6).

    On PostgreSQL the ids go as one array parameter (``= ANY``), not an expanding IN: 100
    bound parameters cost more to compile, convert and send than the probe itself.
    """
    if conn.dialect.name == "postgresql":
        found = conn.exec_driver_sql(
            "SELECT change_id, result FROM sync_change WHERE change_id = ANY(%s::text[])",
            (change_ids,),
        )
    else:  # plain marks: an expanding IN is rendered anew per list length (`rows.RowCache`)
        table = conn.dialect.identifier_preparer.format_table(sync_change)
        found = conn.exec_driver_sql(
            f"SELECT change_id, result FROM {table}"
            f" WHERE change_id IN ({','.join('?' * len(change_ids))})",
            tuple(change_ids),
        )
    return {change_id: result for change_id, result in found.fetchall()}


#: Seqs (server transactions, of up to 1,000 entries each) past the pusher's cursor up to
#: which a push answer says whether it is caught up; a device further behind is left to pull.
#: The check is one query that stops at the first entry the device would be sent, so it
#: reads a long way only when the way holds nothing but the device's own answered entries,
#: which the pull's query would read anyway.
_CAUGHT_UP_SPAN = 2 * protocol.DEFAULT_PULL_LIMIT


def _caught_up_after_push(
    conn: Connection,
    caller: Caller,
    position: protocol.PullPosition,
    head: int,
    results: Sequence[ChangeResult],
    read: scoping.ScopeSet | None = None,
    own: bool = False,
) -> int | None:
    """``head`` when a pull from ``position`` would bring nothing but the device's own
    changes, answered before or in this push (`_Echoes`), and no scope event; else None.
    ``read``: the caller's scope set as the push read it and still current
    (`ChangeWriter.scope_set`), which spares reading its version again. ``own``: every
    entry from the cursor to ``head`` was logged by this push as an echo of its own changes
    (the device was at the head when the push took the sequencer, and nothing it logged
    differs from what the device sent), so no entry needs looking for: the common case of a
    device's small edit, spared its log query.

    Inside the push's transaction, holding the sequencer: ``head`` is the last seq handed
    out, and nothing can be logged before it while this runs. Saves the device the pull
    request every cycle otherwise ends with, most of a small edit's round trip.
    """
    if head - position.cursor > _CAUGHT_UP_SPAN or position.cursor > head:
        return None
    current = read or scoping.scope_set(conn, caller.user_id, caller.role)
    known = _scope_set_at(conn, caller.device_id, position.scope_set_version, current)
    if known is None or not (known is current.scopes or known == current.scopes):
        return None  # scope events to deliver: the pull does that
    if own or position.cursor == head:
        return head
    answered = [r.seq for r in results if r.seq is not None]
    through = max([position.answered_through, *answered])
    skip = _Echoes(caller.device_id, through)
    if _page(conn, current.scopes, position.cursor, head, 1, skip):
        return None
    return head


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


_SCOPE_SET_AT = select(sync_scope_set.c.scopes).where(
    sync_scope_set.c.device_id == bindparam("device_id"),
    sync_scope_set.c.version == bindparam("version"),
)


def _scope_set_at(
    conn: Connection, device_id: str, version: int, current: scoping.ScopeSet
) -> frozenset[str] | None:
    """The scope set a device was told about as ``version`` (None: no such version).

    Stored as the sorted JSON list `ScopeSet.text` makes, so when it equals the text of the
    user's current set (the caught-up poll) the answer is that set, without parsing thousands
    of scopes per poll. The stored row is read every time: never assumed from a cache.
    """
    if version == 0:
        return frozenset()
    raw = conn.execute(
        _SCOPE_SET_AT, {"device_id": device_id, "version": version}
    ).scalar_one_or_none()
    return _stored_scope_set(version, raw, current)


def _stored_scope_set(
    version: int, raw: str | None, current: scoping.ScopeSet
) -> frozenset[str] | None:
    """`_scope_set_at` from the stored text ``raw`` of ``version`` (None: no such row)."""
    if version == 0:
        return frozenset()
    if raw is None:
        return None
    return current.scopes if raw == current.text else frozenset(json.loads(raw))


#: What every pull reads first, in one statement (one round trip, not three): the user's
#: scope version token (`scopes.scope_set`), the head, and the scope set the device was told
#: about (`_scope_set_at`). The token is read no later than the rows a cache miss then reads,
#: as `scopes.scope_set` requires.
_POLL = select(
    select(sync_scope_version.c.token)
    .where(sync_scope_version.c.user_id == bindparam("user_id"))
    .scalar_subquery()
    .label("token"),
    select(sync_counter.c.seq).where(sync_counter.c.id == 1).scalar_subquery().label("head"),
    _SCOPE_SET_AT.scalar_subquery().label("known"),
)


def _settle_scope_set(engine: Engine, device_id: str, current: scoping.ScopeSet) -> int:
    """The version number of ``current`` for this device: the latest if equal, else a new one."""
    with write_transaction(engine) as conn:
        latest = conn.execute(
            select(sync_scope_set.c.version, sync_scope_set.c.scopes)
            .where(sync_scope_set.c.device_id == device_id)
            .order_by(sync_scope_set.c.version.desc())
            .limit(1)
        ).first()
        if latest is not None and (
            latest.scopes == current.text or frozenset(json.loads(latest.scopes)) == current.scopes
        ):
            return int(latest.version)
        version = (int(latest.version) if latest is not None else 0) + 1
        conn.execute(
            insert(sync_scope_set).values(device_id=device_id, version=version, scopes=current.text)
        )
        return version


def _op_json_text(seq: int, tbl: str, row_id: str, deleted: bool, scopes: str, fields: str) -> str:
    """A pulled op as JSON, from its parts already in JSON form (``scopes``, ``fields``)."""
    return (
        f'{{"seq":{seq},"tbl":"{tbl}","id":"{row_id}","deleted":{"true" if deleted else "false"},'
        f'"scopes":{scopes},"packed":{fields}}}'
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
        # The caught-up poll costs three primary-key reads: the scope version, the head and
        # the device's scope set (see `scopes.scope_set` and `_scope_set_at`).
        poll = conn.execute(
            _POLL,
            {
                "user_id": caller.user_id,
                "device_id": caller.device_id,
                "version": request.scope_set_version,
            },
        ).one()
        current = scoping.scope_set(conn, caller.user_id, caller.role, token=poll.token or "")
        scopes = current.scopes
        head = int(poll.head)
        known = _stored_scope_set(request.scope_set_version, poll.known, current)
        if known is None:
            known = frozenset()
        if known is scopes or known == scopes:
            known = scopes
            # Caught up (the common poll): nothing lies past the head, so no page query.
            skip = _Echoes(caller.device_id, request.answered_through)
            ops = (
                _page(conn, scopes, request.cursor, head, request.limit, skip)
                if request.cursor < head
                else []
            )
    cursor = request.cursor
    events: list[dict[str, Any]] = []
    version = request.scope_set_version
    if known is not scopes:
        version = _settle_scope_set(engine, caller.device_id, current)
        events = [
            {"scope": s, "event": "added", "bootstrap_as_of": head} for s in sorted(scopes - known)
        ] + [{"scope": s, "event": "removed"} for s in sorted(known - scopes)]
        body_ops: list[str] = []
    else:
        body_ops = []
        last_seq = None
        shown_by_text: dict[str, str] = {}  # a page's ops share a few scope lists
        for row in ops:
            shown = shown_by_text.get(row.scopes)
            if shown is None:
                shown = json.dumps(scoping.shown_scopes(json.loads(row.scopes), scopes))
                shown_by_text[row.scopes] = shown
            body_ops.append(
                _op_json_text(row.seq, row.tbl, row.row_id, row.deleted, shown, row.fields)
            )
            last_seq = row.seq
        full_page = len(ops) >= request.limit
        cursor = last_seq if (full_page and last_seq is not None) else head
    return (
        f'{{"ops":[{",".join(body_ops)}],"scope_events":{json.dumps(events)},'
        f'"scope_set_version":{version},"cursor":{cursor},"head_seq":{head},'
        f'"has_more":{"true" if cursor < head else "false"},"server_hlc":{clock.tick()}}}'
    ).encode()


_LOG_COLUMNS = (
    sync_log.c.seq,
    sync_log.c.op_no,
    sync_log.c.tbl,
    sync_log.c.row_id,
    sync_log.c.fields,
    sync_log.c.deleted,
    sync_log.c.scopes,
)
#: Up to this many scopes a page is filtered by the database (`_in_scope`); a user holding more
#: (an account manager with thousands of accounts) gets the log read in order and filtered by
#: each entry's own scope list (`_page_filtered`).
_FEW_SCOPES = 64


@dataclass(frozen=True)
class _Echoes:
    """Log entries a pull leaves out: those repeating exactly a change of the pulling device
    (``sync_log.echo_of``) whose answer it has recorded (``PullRequest.answered_through``);
    the push answer gave it their scopes (``ChangeResult.echoes``), it holds the rest."""

    device_id: str
    through: int

    def kept(self) -> ColumnElement[bool]:
        return or_(
            sync_log.c.echo_of.is_(None),
            sync_log.c.echo_of != self.device_id,
            sync_log.c.seq > self.through,
        )


def _page(
    conn: Connection,
    scopes: frozenset[str],
    cursor: int,
    head: int,
    limit: int,
    skip: _Echoes,
) -> list[Any]:
    if ALL_SCOPE not in scopes and len(scopes) > _FEW_SCOPES:
        return _page_filtered(conn, scopes, cursor, head, limit, skip)
    # The entries this device may see, less its own answered ones.
    candidates = (_in_scope(scopes), skip.kept() if skip.through else None)
    filters = [c for c in candidates if c is not None]
    rows = list(
        conn.execute(
            select(*_LOG_COLUMNS)
            .where(sync_log.c.seq > cursor, sync_log.c.seq <= head, *filters)
            .order_by(sync_log.c.seq, sync_log.c.op_no)
            .limit(limit)
        )
    )
    if len(rows) >= limit:  # finish the last seq: a server transaction is never split
        last = rows[-1]
        rest = [sync_log.c.seq == last.seq, sync_log.c.op_no > last.op_no, *filters]
        rows += list(
            conn.execute(select(*_LOG_COLUMNS).where(and_(*rest)).order_by(sync_log.c.op_no))
        )
    return rows


def _page_filtered(
    conn: Connection,
    scopes: frozenset[str],
    cursor: int,
    head: int,
    limit: int,
    skip: _Echoes,
) -> list[Any]:
    """`_page` for a user holding many scopes: the same rows, filtered here.

    Why: `_in_scope` sends every scope as a parameter and probes the scope index once per
    scope for every log entry it looks at; with 5,000 accounts a pull of a handful of ops cost
    tens of milliseconds. Reading the entries in order (each names its own few scopes) costs
    the same whoever asks, and such a user can see most of what is logged anyway.
    """
    out: list[Any] = []
    batch = max(limit, 500)
    after: ColumnElement[bool] = sync_log.c.seq > cursor
    kept = [skip.kept()] if skip.through else []
    while True:
        rows = list(
            conn.execute(
                select(*_LOG_COLUMNS)
                .where(after, sync_log.c.seq <= head, *kept)
                .order_by(sync_log.c.seq, sync_log.c.op_no)
                .limit(batch)
            )
        )
        for row in rows:
            if len(out) >= limit and row.seq != out[-1].seq:
                return out  # the last seq is finished: a transaction is never split
            if not scopes.isdisjoint(json.loads(row.scopes)):
                out.append(row)
        if len(rows) < batch:
            return out
        after = tuple_(sync_log.c.seq, sync_log.c.op_no) > tuple_(rows[-1].seq, rows[-1].op_no)


# -- snapshot ---------------------------------------------------------------------------------


def snapshot(engine: Engine, caller: Caller, request: BootstrapRequest) -> bytes:
    """One page of the snapshot of the union of ``request.scopes`` (``protocol.BootstrapResponse``).

    Every requested scope must be one the caller holds (an admin's ``all`` covers any), else
    the whole request is refused. A row held by several requested scopes comes once; its
    ``scopes`` are all of its scopes the caller holds (`scopes.shown_scopes`).
    """
    asked = frozenset(request.scopes)
    with engine.connect() as conn, conn.begin():
        # The caller's whole scope set, as a pull reads it: cached per scope version
        # (`scopes.scope_set`), so the 29 pages of a 5,000-account bootstrap do not each read
        # the thousands of accounts the request names.
        scopes = scoping.read_scopes(conn, caller.user_id, caller.role)
        if ALL_SCOPE not in scopes:
            refused = sorted(asked - scopes)
            if refused:
                others = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
                raise Refusal("forbidden", f"scope {refused[0]} is not yours{others}")
        as_of = request.as_of if request.as_of is not None else head_seq(conn)
        wanted = None if ALL_SCOPE in asked else sorted(asked)
        keys, more = _snapshot_keys(conn, wanted, request.after, request.limit)
        stored = _stored_rows(conn, list(keys))
        rows = [stored[key] for key in keys if key in stored]
    # Rows of one account share their scope list: each distinct stored list is parsed and
    # filtered once per page, not once per row.
    shown: dict[str, str] = {}
    body = []
    for r in rows:
        listed = shown.get(r.scopes)
        if listed is None:
            listed = shown[r.scopes] = json.dumps(
                scoping.shown_scopes(json.loads(r.scopes), scopes)
            )
        if listed == "[]":
            listed = json.dumps([keys[(r.tbl, r.row_id)]])
        body.append(_op_json_text(r.seq, r.tbl, r.row_id, bool(r.deleted), listed, r.fields))
    following = f'"{rows[-1].tbl}:{rows[-1].row_id}"' if rows and more else "null"
    return f'{{"rows":[{",".join(body)}],"next":{following},"as_of":{as_of}}}'.encode()


#: A page of several scopes is gathered from their primary-key ranges and sorted while at most
#: this many of their entries lie past the resume position, else by walking `SNAPSHOT_INDEX`
#: (SQLite; PostgreSQL's planner chooses between the two from its statistics).
_SORT_AT_MOST = 4 * protocol.MAX_SNAPSHOT_LIMIT
_ROWS_CHUNK = 1000


def _snapshot_keys(
    conn: Connection, scopes: list[str] | None, after: str | None, limit: int
) -> tuple[dict[tuple[str, str], str], bool]:
    """The next ``limit`` row keys (or fewer) of the union of ``scopes`` (None: every row)
    after ``after``, in ``(tbl, row_id)`` byte order, each with a requested scope holding it;
    and whether the stream goes on after them.

    Why the plan matters: served the obvious way (the scopes' primary-key ranges, sorted), a
    page costs a sort of everything left in the stream, so a stream of many big scopes was
    quadratic (300,000 rows: 6.5 s of SQLite). Walking `db.SNAPSHOT_INDEX` from ``after`` and
    stopping at the page's last row costs the entries walked, so one stream costs at most one
    pass over the index, which is what a large stream gets; a small one (a few reassigned
    accounts on a big server) is still sorted, because a pass would read every other user's
    entries for a handful of rows. A probe of at most ``_SORT_AT_MOST`` entries decides.
    """
    postgres = conn.dialect.name == "postgresql"
    tbl, row_id, scope = sync_row_scope.c.tbl, sync_row_scope.c.row_id, sync_row_scope.c.scope
    tbl_key = tbl.collate("C") if postgres else tbl
    id_key = row_id.collate("C") if postgres else row_id
    position: list[ColumnElement[bool]] = []
    if after is not None:
        after_tbl, _, after_id = after.partition(":")
        if postgres:
            # The same rows as `>`, but PostgreSQL estimates a row comparison by its first
            # column alone, and `tbl > t` leaves out the rest of table t: planned for almost
            # no rows, a page of a few small scopes walked the whole index instead of reading
            # their entries (0.3 s a page at 460,000 entries).
            position.append(tuple_(tbl_key, id_key) >= tuple_(after_tbl, after_id))
            position.append(not_(and_(tbl == after_tbl, row_id == after_id)))
        else:
            position.append(tuple_(tbl_key, id_key) > tuple_(after_tbl, after_id))

    def page_of(*which: ColumnElement[bool]) -> Select[Any]:
        # One entry per (row, requested scope): limit + 1 entries hold the page's rows (fewer
        # when a row is in several requested scopes: a shorter page) and say if more follow.
        query = select(tbl, row_id, scope).where(*which, *position)
        return query.order_by(tbl_key, id_key).limit(limit + 1)

    if scopes is None:
        query = page_of()  # every row: the walk
    elif len(scopes) == 1:
        query = page_of(scope == scopes[0])  # the scope's primary-key range, in order
    elif postgres:
        query = page_of(scope.in_(scopes))  # the planner chooses from its statistics
    else:
        probe = select(scope).where(scope.in_(scopes), *position).limit(_SORT_AT_MOST)
        left = conn.execute(select(func.count()).select_from(probe.subquery())).scalar_one()
        if left < _SORT_AT_MOST:
            query = page_of(scope.in_(scopes))  # few entries left: gathered and sorted
        else:
            # `scope || ''` cannot use the primary key, which leaves SQLite the walk.
            query = page_of(scope.concat("").in_(scopes))
    found = conn.execute(query).all()
    keys: dict[tuple[str, str], str] = {}
    for tbl_name, key_id, held_by in found:
        keys.setdefault((tbl_name, key_id), held_by)
    if len(keys) > limit:
        keys.pop(next(reversed(keys)))
        return keys, True
    return keys, len(found) > limit


def _stored_rows(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The ``sync_row`` rows of ``keys`` (by primary key, a table at a time)."""
    by_table: dict[str, list[str]] = {}
    for tbl, row_id in keys:
        by_table.setdefault(tbl, []).append(row_id)
    found: dict[tuple[str, str], Any] = {}
    # Plain SQL with one array parameter on PostgreSQL (`= ANY`), not an expanding IN: a
    # page's 5,000 ids as separate bind parameters cost more to compile and to send than the
    # query took (a third of a snapshot page's server CPU there).
    postgres = conn.dialect.name == "postgresql"
    columns = "tbl, row_id, fields, deleted, scopes, seq"
    for tbl, ids in by_table.items():
        for start in range(0, len(ids), _ROWS_CHUNK):
            chunk = ids[start : start + _ROWS_CHUNK]
            if postgres:
                result = conn.exec_driver_sql(
                    f"SELECT {columns} FROM sync_row WHERE tbl = %s AND row_id = ANY(%s)",
                    (tbl, chunk),
                )
            else:
                result = conn.exec_driver_sql(
                    f"SELECT {columns} FROM sync_row"
                    f" WHERE tbl = ? AND row_id IN ({','.join('?' * len(chunk))})",
                    (tbl, *chunk),
                )
            for r in result.fetchall():
                found[(r.tbl, r.row_id)] = r
    return found


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
            fields = load_fields(raw)
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
            fields = load_fields(raw)
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

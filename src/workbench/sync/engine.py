"""The client's sync cycle (SYNC.md §1.6, §1.8–§1.10): push all → pull until caught up →
push again → retire removed scopes.

Why it is built this way:

- Every answer is committed locally together with its consequences, in one transaction: a push
  answer drops outbox rows *and* gives their field versions the server's seq (or moves a
  rejected change to the attention list); a pull page writes data *and* cursor; a snapshot page
  writes rows *and* its resume position. A crash between two requests loses nothing and
  repeats nothing harmful (the server deduplicates by change id, pages re-apply harmlessly).
- A local change the protocol cannot even carry (a value too long, a control character) is
  never sent: it goes to the attention list at once, with its values, so one bad change cannot
  wedge the queue behind it.
- Scope changes arrive as events: an added scope is bootstrapped from a snapshot, never by
  replaying the log; a removed scope is only purged once every local change is answered, so
  edits made to a reassigned account come back as rejected, with the user's values kept.
- "Caught up" is SYNC.md's definition: outbox empty, cursor equal to the server's head, no
  bootstrap or removal left half done. Never "the requests returned 200".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workbench.domain.changes import ChangeSet
from workbench.domain.ids import new_id
from workbench.storage import outbox
from workbench.storage.store import Store
from workbench.storage.tables import SYNCED_TABLES
from workbench.sync.ahead import InFlight
from workbench.sync.apply import (
    BOOT_PREFIX,
    CURSOR_KEY,
    HEAD_SEQ_KEY,
    apply_pull_page,
    apply_snapshot_page,
    bootstrap_key,
    stored_scopes,
)
from workbench.sync.client import (
    ProtocolError,
    Refused,
    ServerUnavailable,
    SyncClient,
    SyncError,
    Unauthorized,
)
from workbench.sync.gc_pause import collector_paused
from workbench.sync.protocol import (
    MAX_CHANGES_PER_PUSH,
    MAX_OPS_PER_PUSH,
    MAX_SNAPSHOT_LIMIT,
    MAX_SNAPSHOT_SCOPES,
    PROTOCOL,
    BootstrapRequest,
    Change,
    ChangeResult,
    PullPosition,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from workbench.sync.report import SyncReport
from workbench.sync.schema import ALL_SCOPE

log = logging.getLogger(__name__)

SCOPES_KEY = "scopes"  # JSON list: the scope set this device holds
SCOPE_SET_VERSION_KEY = "scope_set_version"
REMOVED_KEY = "scopes_removed"  # JSON list: removed scopes not purged yet
# JSON list: added scopes whose snapshot began in a batch of scope events not committed yet
BOOTING_KEY = "scopes_booting"
# Set when the server applied rows this device created: they are ours only if a pull brings them
UNDELIVERED_KEY = "created_unseen"
#: The newest server seq among this device's answered changes (``PullRequest.answered_through``).
ANSWERED_KEY = "answered_through"
STATE_URL = "server_url"
STATE_USER = "server_user"
PUSH_BYTES = 1024 * 1024  # a push body this size or smaller (SYNC.md §1.13 suggests ~1 MiB)
MAX_ROUNDS = 1000  # bound on requests per cycle phase: no loop runs forever


class CycleCancelled(Exception):
    """The user cancelled; everything committed so far stays."""


class DeviceForked(SyncError):
    """This file was restored from a copy; it needs a new device id (sign in again)."""


@dataclass
class _Entry:
    device_seq: int
    change_id: str
    hlc: int
    ops_text: str
    ops: list[dict[str, Any]]


@dataclass
class _Tally:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    rejected: int = 0


Progress = Callable[[int, int, str], None]


class SyncEngine:
    """Syncs one local database with one server through a signed-in `SyncClient`."""

    #: Rows per snapshot page asked for (tests make pages small to break bootstraps off).
    snapshot_limit: int = MAX_SNAPSHOT_LIMIT
    #: Ask for the next page while the current one is applied (`sync.ahead`); off, every
    #: page is fetched only after the previous one is applied (for comparing, and tests).
    fetch_ahead: bool = True

    def __init__(
        self,
        store: Store,
        client: SyncClient,
        *,
        page_limit: int = 2000,
        owns_store: bool = False,
    ) -> None:
        self.store = store
        self.client = client
        self.page_limit = page_limit
        self._owns_store = owns_store
        self._progress: Progress = lambda _d, _t, _w: None
        self._cancelled: Callable[[], bool] = lambda: False
        # Set by a push answer that moved the cursor to the head (`_apply_push_answer`).
        self._at_head = False

    def close(self) -> None:
        self.client.close()
        if self._owns_store:
            self.store.close()

    # -- the cycle -----------------------------------------------------------------------
    def sync_once(
        self,
        *,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SyncReport:
        """One cycle; never raises for network or server trouble (see the report)."""
        tally = _Tally()
        changes: list[ChangeSet] = []
        offline = cancelled_now = False
        error: str | None = None
        self._progress = progress or (lambda _d, _t, _w: None)
        self._cancelled = cancelled or (lambda: False)
        try:
            self._at_head = False
            self._push_all(tally, changes)
            if not self._at_head:  # else the push answer said there is nothing to pull
                self._pull_all(tally, changes)
            self._push_all(tally, changes)  # what was typed meanwhile; no-op if nothing
            self._retire_removed_scopes(changes)
        except CycleCancelled:
            cancelled_now = True
        except ServerUnavailable as exc:
            offline, error = True, str(exc)
        except Unauthorized as exc:
            error = f"signed out by the server: {exc}; sign in again"
        except (Refused, ProtocolError, DeviceForked) as exc:
            error = str(exc)
        finished = not (offline or error or cancelled_now)
        waiting = self.waiting()
        return SyncReport(
            # The stored head is only the server's head as of the last page: a cycle that
            # failed cannot say the device is caught up, whatever it held before.
            caught_up=finished and self._caught_up(waiting),
            pushed=tally.pushed,
            pulled=tally.pulled,
            conflicts=tally.conflicts,
            rejected=tally.rejected,
            waiting=waiting,
            offline=offline,
            error=error,
            cancelled=cancelled_now,
            finished_at=datetime.now(UTC),
            changes=changes,
        )

    def waiting(self) -> int:
        return pending_changes(self.store)

    def caught_up(self) -> bool:
        return self._caught_up(self.waiting())

    def _caught_up(self, waiting: int) -> bool:
        """`caught_up` with the count of waiting changes already read."""
        if waiting:
            return False
        state = self._state()
        return (
            state.get(CURSOR_KEY) is not None
            and state.get(CURSOR_KEY) == state.get(HEAD_SEQ_KEY)
            and not json.loads(state.get(REMOVED_KEY) or "[]")
            and not any(k.startswith(BOOT_PREFIX) for k in state)
        )

    def _check(self) -> None:
        if self._cancelled():
            raise CycleCancelled

    def _device_id(self, state: dict[str, str]) -> str:
        """This file's device id, from the `sync_state` just read when it is there (it is once
        the file has one: a store of its own costs a session per request)."""
        return state.get(outbox.DEVICE_ID_KEY) or self.store.device_id()

    def _state(self) -> dict[str, str]:
        with self.store.engine.connect() as conn:  # a read: no unit of work needed
            rows = conn.exec_driver_sql("SELECT k, v FROM sync_state").fetchall()
            return {k: v for k, v in rows if v is not None}

    # -- push ----------------------------------------------------------------------------
    def _pending_span(self) -> tuple[int, int | None]:
        """How many changes wait, and the device_seq of the last one (None: none waits)."""
        with self.store.engine.connect() as conn:
            count, last = conn.exec_driver_sql(
                "SELECT count(*), max(device_seq) FROM sync_outbox WHERE state = 'pending'"
            ).one()
            return int(count), last

    def _pending(self, up_to: int, after: int = 0) -> list[_Entry]:
        with self.store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT device_seq, change_id, hlc, ops FROM sync_outbox"
                " WHERE state = 'pending' AND device_seq > ? AND device_seq <= ?"
                " ORDER BY device_seq LIMIT ?",
                (after, up_to, MAX_CHANGES_PER_PUSH),
            )
            entries: list[_Entry] = []
            ops_total = size = 0
            for device_seq, change_id, hlc, ops_text in rows:
                ops = json.loads(ops_text)
                if entries and (
                    ops_total + len(ops) > MAX_OPS_PER_PUSH or size + len(ops_text) > PUSH_BYTES
                ):
                    break
                entries.append(_Entry(device_seq, change_id, hlc, ops_text, ops))
                ops_total += len(ops)
                size += len(ops_text)
            return entries

    def _push_all(self, tally: _Tally, changes: list[ChangeSet]) -> None:
        """Push what waits, one batch in flight while the previous answer is recorded.

        Why in flight: the server works on a batch while this device records the answer to
        the one before and reads and checks the next one, so the two costs overlap instead
        of adding up (10,000 new contacts are several batches). Batches still reach the
        server one after the other on one helper thread, in device_seq order; a batch sent
        after one whose answer stops the push (a gap, a forked device) is answered the same
        way and changes nothing there.
        """
        # Only what waits now: changes committed while this runs (a user typing, an import)
        # wait for the next push phase, or a busy writer would keep the cycle pushing and
        # never let it pull (SYNC.md P8).
        total, last = self._pending_span()
        done = 0
        if last is None:
            return
        flight: InFlight[PushResponse] | None = None
        try:
            with collector_paused():  # reading and checking thousands of ops (`gc_pause`)
                batch = self._next_batch(last, 0, changes, tally)
            if batch is None:
                return
            entries, request = batch
            self._check()
            flight = self._send(request, ahead=entries[-1].device_seq < last)
            for _ in range(MAX_ROUNDS):
                self._progress(done, max(total, done + len(entries)), "push")
                following = None
                if entries[-1].device_seq < last:  # else this batch holds all that waited
                    with collector_paused():
                        following = self._next_batch(last, entries[-1].device_seq, changes, tally)
                assert flight is not None  # sent before the loop, or in the round before
                answer, flight = flight.result(), None
                # The server starts on the next batch while this answer is recorded. A cancel
                # sends nothing more but still records the answer it has (already committed
                # on the server).
                cancel = self._cancelled()
                if following is not None and not cancel:
                    flight = self._send(following[1], ahead=following[0][-1].device_seq < last)
                # The last batch's answer may move the cursor (`PushResponse.caught_up_to`).
                position = request.position if following is None else None
                with collector_paused():
                    answered = self._apply_push_answer(entries, answer, tally, changes, position)
                done += answered
                if answered < len(entries):
                    return  # a gap or a fork: what is left is sent next cycle
                if cancel:
                    raise CycleCancelled
                if following is None:
                    return
                entries, request = following
        finally:
            if flight is not None:
                flight.settle()
        raise ProtocolError("the push did not finish in a bounded number of rounds")

    def _send(self, request: PushRequest, *, ahead: bool) -> InFlight[PushResponse]:
        """Send a push batch: on a helper thread while another batch waits to be read and
        checked (``ahead``), else right here (the last or only batch: a small edit's push)."""
        flight = InFlight(partial(self.client.push, request), ahead=ahead and self.fetch_ahead)
        return flight

    def _next_batch(
        self, last: int, after: int, changes: list[ChangeSet], tally: _Tally
    ) -> tuple[list[_Entry], PushRequest] | None:
        """The next push after device_seq ``after`` (None: nothing left); changes that cannot
        be sent at all go to the attention list on the way."""
        for _ in range(MAX_ROUNDS):
            entries = self._pending(last, after)
            if not entries:
                return None
            valid, unsendable = self._validate(entries)
            if unsendable:
                changes.append(self._reject_locally(unsendable))
                tally.rejected += len(unsendable)
            if valid:
                state = self._state()
                request = PushRequest(
                    protocol=PROTOCOL,
                    schema_version=outbox.SYNC_SCHEMA_VERSION,
                    device_id=self._device_id(state),
                    hlc=max(1, int(state.get("hlc", "0"))),
                    changes=[change for _, change in valid],
                    # Not while a bootstrap is unfinished: the pull settles its scopes.
                    position=None
                    if BOOTING_KEY in state or any(k.startswith(BOOT_PREFIX) for k in state)
                    else PullPosition(
                        cursor=int(state.get(CURSOR_KEY, "0")),
                        scope_set_version=int(state.get(SCOPE_SET_VERSION_KEY, "0")),
                        answered_through=int(state.get(ANSWERED_KEY, "0")),
                    ),
                )
                return [e for e, _ in valid], request
        raise ProtocolError("the push did not finish in a bounded number of rounds")

    def _validate(self, entries: list[_Entry]) -> tuple[list[tuple[_Entry, Change]], list[Any]]:
        valid: list[tuple[_Entry, Change]] = []
        bad: list[tuple[_Entry, str]] = []
        for entry in entries:
            try:
                change = Change.model_validate(
                    {
                        "change_id": entry.change_id,
                        "device_seq": entry.device_seq,
                        "hlc": entry.hlc,
                        "ops": entry.ops,
                    }
                )
            except ValidationError as exc:
                where = exc.errors()[0].get("loc", ()) if exc.errors() else ()
                bad.append((entry, "cannot be sent: " + ".".join(str(p) for p in where)))
                continue
            if bad:  # keep device_seq contiguous: stop at the first unsendable change
                break
            valid.append((entry, change))
        return valid, bad

    def _reject_locally(self, bad: list[tuple[_Entry, str]]) -> ChangeSet:
        with self.store.unit(remote=True) as uow:
            conn = uow.session.connection()
            for entry, detail in bad:
                _to_attention(conn, entry, "invalid_value", detail)
                conn.exec_driver_sql(
                    "DELETE FROM sync_outbox WHERE device_seq = ?", (entry.device_seq,)
                )
            return uow.commit()

    def _apply_push_answer(
        self,
        entries: list[_Entry],
        answer: PushResponse,
        tally: _Tally,
        changes: list[ChangeSet],
        position: PullPosition | None = None,
    ) -> int:
        """Record a push answer in one transaction; with the ``position`` the request sent
        (the cycle's last batch), also the cursor the answer moved it to, if any."""
        by_id = {e.change_id: e for e in entries}
        answered = 0
        forked = False
        with self.store.unit(remote=True) as uow:
            conn = uow.session.connection()
            marks = _Answered(conn)
            answered_seqs: list[tuple[int]] = []
            for result in answer.results:
                entry = by_id[result.change_id]
                if result.status == "device_forked":
                    forked = True
                    break
                if result.status == "gap":
                    break
                answered += 1
                assert result.seq is not None
                status = result.original_status or result.status
                marks.add(entry, result.seq, applied=status == "applied", echoes=result.echoes)
                if status == "applied" and any(_creates(op) for op in entry.ops):
                    # The lowest seq of creations no complete pull has confirmed yet.
                    conn.exec_driver_sql(
                        "INSERT INTO sync_state (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE"
                        " SET v = CAST(min(CAST(v AS INTEGER), CAST(excluded.v AS INTEGER))"
                        " AS TEXT)",
                        (UNDELIVERED_KEY, str(result.seq)),
                    )
                answered_seqs.append((entry.device_seq,))
                if status == "rejected":
                    code, _, detail = (result.reason or "rejected").partition(": ")
                    _to_attention(conn, entry, code, detail)
                    marks.flush()  # the purge reads the seqs of every change before it
                    _purge_refused_creations(uow, entry, result)
                    tally.rejected += 1
            marks.flush()
            if answered:
                # In the transaction that records the answers: a pull may then leave out
                # the values of these changes (echoes), which this database now holds.
                newest = max(r.seq or 0 for r in answer.results[:answered])
                conn.exec_driver_sql(
                    "INSERT INTO sync_state (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE"
                    " SET v = excluded.v WHERE CAST(excluded.v AS INTEGER) >"
                    " CAST(sync_state.v AS INTEGER)",
                    (ANSWERED_KEY, str(newest)),
                )
            if answered_seqs:
                conn.exec_driver_sql("DELETE FROM sync_outbox WHERE device_seq = ?", answered_seqs)
            outbox.observe(uow.session, answer.server_hlc)
            head = answer.caught_up_to
            if position is not None and head is not None and answered == len(entries):
                cursor = conn.exec_driver_sql(
                    "SELECT v FROM sync_state WHERE k = ?", (CURSOR_KEY,)
                ).scalar()
                if int(cursor or 0) == position.cursor:  # nothing moved it since
                    conn.exec_driver_sql(
                        "INSERT INTO sync_state (k, v) VALUES (?, ?), (?, ?)"
                        " ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                        (CURSOR_KEY, str(head), HEAD_SEQ_KEY, str(head)),
                    )
                    self._at_head = True
            changes.append(uow.commit())
        tally.pushed += answered
        if forked:
            self.store.set_sync_state({outbox.DEVICE_ID_KEY: new_id()})
            raise DeviceForked(
                "this database was restored from an older copy; sign in again "
                "(workbench login) to sync it as a new device. Unsent edits are kept."
            )
        return answered

    # -- pull ----------------------------------------------------------------------------
    def _pull_all(self, tally: _Tally, changes: list[ChangeSet]) -> None:
        # The next page, asked for while the current one is applied (see `ahead`); a list so
        # that `_pull_pages` can hand it over and this can wait for it whatever happens.
        ahead: list[InFlight[bytes] | None] = [None]
        try:
            self._pull_pages(tally, changes, ahead)
        finally:
            if ahead[0] is not None:
                ahead[0].settle()

    def _pull_pages(
        self,
        tally: _Tally,
        changes: list[ChangeSet],
        ahead: list[InFlight[bytes] | None],
    ) -> None:
        for _ in range(MAX_ROUNDS):
            self._check()
            state = self._state()
            request = PullRequest(
                device_id=self._device_id(state),
                schema_version=outbox.SYNC_SCHEMA_VERSION,
                cursor=int(state.get(CURSOR_KEY, "0")),
                scope_set_version=int(state.get(SCOPE_SET_VERSION_KEY, "0")),
                limit=self.page_limit,
                hlc=int(state.get("hlc", "0")),
                answered_through=int(state.get(ANSWERED_KEY, "0")),
            )
            fetched, ahead[0] = ahead[0], None
            with collector_paused():
                if fetched is not None:  # asked for with this cursor while the last applied
                    page = self.client.read_pull(request, fetched.result())
                else:
                    page = self.client.pull(request)
            if page.has_more and not page.scope_events:
                # The server builds the next page while this one is applied.
                following = request.model_copy(update={"cursor": page.cursor})
                flight = InFlight(partial(self.client.fetch_pull, following))
                if not self.fetch_ahead:
                    flight.settle()
                ahead[0] = flight
            if page.scope_events:
                self._scope_events(page, state, tally, changes)
                continue
            if state.get(BOOTING_KEY) or any(k.startswith(BOOT_PREFIX) for k in state):
                # No events: the scope set this device holds is the server's current one.
                held = set(json.loads(state.get(SCOPES_KEY, "[]")))
                removed = set(json.loads(state.get(REMOVED_KEY, "[]")))
                self.store.set_sync_state(_abandon_unfinished(state, held, removed))
            unmoved = (
                not page.ops
                and state.get(CURSOR_KEY) == str(page.cursor)
                and state.get(HEAD_SEQ_KEY) == str(page.head_seq)
            )
            if not unmoved:  # the common poll finds nothing: no write transaction for it
                with collector_paused():
                    changes.append(apply_pull_page(self.store, page))
            tally.pulled += len(page.ops)
            tally.conflicts += sum(1 for op in page.ops if op.tbl == outbox.CONFLICT_TABLE)
            self._progress(page.cursor, max(page.head_seq, 1), "pull")
            if not page.has_more:
                return
        raise ProtocolError("the pull did not finish in a bounded number of rounds")

    def _scope_events(
        self,
        page: PullResponse,
        state: dict[str, str],
        tally: _Tally,
        changes: list[ChangeSet],
    ) -> None:
        held = set(json.loads(state.get(SCOPES_KEY, "[]")))
        removed = set(json.loads(state.get(REMOVED_KEY, "[]")))
        fresh_device = not held and int(state.get(CURSOR_KEY, "0")) == 0
        booting = set(json.loads(state.get(BOOTING_KEY, "[]")))
        added = sorted({e.scope for e in page.scope_events if e.event == "added"})
        if not booting.issuperset(added):
            # Rows of these scopes land before the batch is committed: if the cycle breaks
            # off, the next batch must know about them (see `_abandon_unfinished`).
            self.store.set_sync_state({BOOTING_KEY: json.dumps(sorted(booting.union(added)))})
            state = {**state, BOOTING_KEY: json.dumps(sorted(booting.union(added)))}
        # One snapshot stream for all the added scopes (SYNC.md §1.9 has one per scope: 5,000
        # accounts were 5,000+ requests), in chunks the server accepts.
        streams = [
            added[i : i + MAX_SNAPSHOT_SCOPES] for i in range(0, len(added), MAX_SNAPSHOT_SCOPES)
        ]
        as_of = [self._bootstrap(scopes, tally, changes) for scopes in streams]
        for event in page.scope_events:
            if event.event == "added":
                held.add(event.scope)
                removed.discard(event.scope)
            else:
                held.discard(event.scope)
                removed.add(event.scope)
        values = _abandon_unfinished(state, held, removed)
        values.update(dict.fromkeys((bootstrap_key(scopes) for scopes in streams), None))
        values[SCOPES_KEY] = json.dumps(sorted(held))
        values[SCOPE_SET_VERSION_KEY] = str(page.scope_set_version)
        if fresh_device and as_of:
            # Everything this device may hold came from snapshots at or after these positions:
            # start pulling there, never replay the log from 0 (SYNC.md §1.9).
            values[CURSOR_KEY] = str(min(as_of))
        self.store.set_sync_state(values)

    def _bootstrap(self, scopes: list[str], tally: _Tally, changes: list[ChangeSet]) -> int:
        """Fetch the snapshot of the union of ``scopes`` page by page; returns its as_of.

        The stream's position is kept under its scope set (`bootstrap_key`) until the batch
        of scope events commits: a stream of the same set that a broken-off cycle began is
        resumed, one it finished is not fetched again, and one of another set is left for
        `_abandon_unfinished` to drop.
        """
        saved = self.store.sync_state(bootstrap_key(scopes))
        as_of: int | None = None
        after: str | None = None
        if saved:
            first, _, rest = saved.partition(" ")
            as_of, after = int(first), (rest or None)
            if after is None:
                return as_of  # finished before the cycle broke off
        request = BootstrapRequest(
            scopes=scopes, as_of=as_of, after=after, limit=self.snapshot_limit
        )
        flight: InFlight[bytes] | None = InFlight(partial(self.client.fetch_snapshot, request))
        try:
            for _ in range(MAX_ROUNDS * 100):
                self._check()
                assert flight is not None
                with collector_paused():
                    page = self.client.read_snapshot(request, flight.result())
                flight = None
                if page.next is not None:  # the server builds the next page meanwhile
                    request = request.model_copy(update={"as_of": page.as_of, "after": page.next})
                    flight = InFlight(partial(self.client.fetch_snapshot, request))
                    if not self.fetch_ahead:
                        flight.settle()
                with collector_paused():
                    changes.append(apply_snapshot_page(self.store, scopes, page))
                tally.pulled += len(page.rows)
                tally.conflicts += sum(1 for r in page.rows if r.tbl == outbox.CONFLICT_TABLE)
                self._progress(tally.pulled, tally.pulled + (1000 if page.next else 0), "bootstrap")
                if page.next is None:
                    return page.as_of
        finally:
            if flight is not None:
                flight.settle()
        raise ProtocolError(f"the snapshot of {len(scopes)} scopes did not end")

    # -- removed scopes ------------------------------------------------------------------
    def _retire_removed_scopes(self, changes: list[ChangeSet]) -> None:
        """Purge rows that only removed scopes held, and rows this device created that are
        in none of its scopes once a complete pull went past them, when no local change is
        unanswered.

        The second kind: the server applied a creation, then took the row out of this user's
        scopes before the device pulled (an administrator reassigned the new account). No
        scope event names it (the device never held its scope), so without this the row
        would stay here for good. Its scopes came with the push answer (`_Answered`); had
        the row stayed in scope, the pull past its seq would have brought the scope event
        that adds its scope to the held set.
        """
        state = self._state()
        removed = set(json.loads(state.get(REMOVED_KEY) or "[]"))
        unseen = UNDELIVERED_KEY in state
        if not (removed or unseen) or self.waiting():
            return
        held = set(json.loads(state.get(SCOPES_KEY) or "[]"))
        cursor = int(state.get(CURSOR_KEY) or "0")
        with self.store.unit(remote=True) as uow:
            conn = uow.session.connection()
            # Every row's scopes are read only when a scope was removed: after a push of new
            # rows (`unseen`) this runs each cycle, and a portfolio holds 100,000 rows.
            doomed = [
                (tbl, row_id)
                for tbl, row_id, scopes in (stored_scopes(uow.session) if removed else ())
                if scopes & removed and not _holds(held, scopes)
            ]
            later: int | None = None
            if unseen and held:
                since = int(state[UNDELIVERED_KEY])
                outside: dict[str, bool] = {}  # per scope list: rows share a handful
                for tbl, row_id, seq, scopes in conn.exec_driver_sql(
                    "SELECT tbl, row_id, seq, scopes FROM sync_version WHERE seq >= ?", (since,)
                ).fetchall():
                    if seq > cursor:  # pushed after this cycle's pull: judged next time
                        later = seq if later is None else min(later, seq)
                        continue
                    gone = outside.get(scopes)
                    if gone is None:
                        gone = outside[scopes] = not scopes or not _holds(
                            held, set(json.loads(scopes))
                        )
                    if gone:
                        doomed.append((tbl, row_id))
            for tbl, row_id in _children_first(doomed):
                if tbl == outbox.CONFLICT_TABLE:  # a conflict record, not a domain row
                    conn.exec_driver_sql("DELETE FROM sync_conflict WHERE id = ?", (row_id,))
                    conn.exec_driver_sql(
                        "DELETE FROM sync_version WHERE tbl = ? AND row_id = ?", (tbl, row_id)
                    )
                    continue
                uow.purge(tbl, row_id)
            if removed:
                conn.exec_driver_sql("DELETE FROM sync_state WHERE k = ?", (REMOVED_KEY,))
            if unseen and held and later is None:
                conn.exec_driver_sql("DELETE FROM sync_state WHERE k = ?", (UNDELIVERED_KEY,))
            elif unseen and held:
                conn.exec_driver_sql(
                    "UPDATE sync_state SET v = ? WHERE k = ?", (str(later), UNDELIVERED_KEY)
                )
            changes.append(uow.commit())


def _holds(held: set[str], scopes: set[str]) -> bool:
    """Whether a device holding the scope set ``held`` may hold a row filed under ``scopes``
    (the server's rule, `scopes.visible`): an admin's ``all`` holds every row."""
    return ALL_SCOPE in held or not held.isdisjoint(scopes)


def _abandon_unfinished(
    state: dict[str, str], held: set[str], removed: set[str]
) -> dict[str, str | None]:
    """`sync_state` values that settle scopes an earlier, broken-off batch of scope events
    began to bootstrap: those the server's scope set (``held``) no longer has are removed
    scopes (their rows are purged like any other's), and every snapshot position in ``state``
    is dropped.

    Why: the server states scope events relative to the scope set version this device last
    *committed*. A scope added by a batch that broke off after some of its rows were written,
    and taken away again before the next pull, is in neither version, so no event would ever
    name it and its rows would stay on the device for good. The positions: a stream is keyed
    by its scope set and only resumed by a batch that asks for the same set again, which a
    batch after the device's scope set settled must not do (it fetches the set anew).
    """
    booting = set(json.loads(state.get(BOOTING_KEY) or "[]"))
    abandoned = booting - held
    values: dict[str, str | None] = {k: None for k in state if k.startswith(BOOT_PREFIX)}
    values[REMOVED_KEY] = json.dumps(sorted((removed | abandoned) - held))
    values[BOOTING_KEY] = None
    return values


def _children_first(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    order = {name: i for i, name in enumerate(SYNCED_TABLES)}
    return sorted(keys, key=lambda k: -order.get(k[0], -1))


def pending_changes(store: Store) -> int:
    """Local changes not yet answered by the server."""
    with store.engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM sync_outbox WHERE state = 'pending'")
        return int(count.scalar_one())


def _to_attention(conn: Any, entry: _Entry, code: str, detail: str) -> None:
    conn.exec_driver_sql(
        "INSERT INTO sync_attention (change_id, device_seq, hlc, ops, reason, detail, status,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)"
        " ON CONFLICT (change_id) DO NOTHING",
        (
            entry.change_id,
            entry.device_seq,
            entry.hlc,
            entry.ops_text,
            code,
            detail,
            int(time.time() * 1000),
        ),
    )


class _Answered:
    """Gives answered changes' still-current pending versions the seq the server answered
    with, for a whole push answer at once.

    A version is a change's when its HLC is the change's (this file's clock never issues one
    twice); a later local edit of the same field keeps its own pending version. The next pull
    brings the server's state at that seq, which then replaces whatever lost.

    Why in bulk: a push of 10,000 new rows used to read and rewrite ``sync_version`` one row
    at a time (20,000 statements); here the rows are read in chunks, the marks applied in
    answer order in memory, and the changed rows written with one executemany.
    """

    _CHUNK = 500

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.todo: list[tuple[_Entry, int]] = []
        # Per table, (seq, id, seq) of rows an applied change wrote: their `row_seq`.
        self.row_seqs: dict[str, list[tuple[int, str, int]]] = {}
        # Scopes of rows the pulls will leave out (`ChangeResult.echoes`), recorded here.
        self.scopes: dict[tuple[str, str], set[str]] = {}

    def add(
        self, entry: _Entry, seq: int, *, applied: bool, echoes: Mapping[str, list[str]]
    ) -> None:
        self.todo.append((entry, seq))
        if applied:
            # The row's seq moves with the answer (SYNC.md §1.6): a pull leaves the change's
            # own log entries out, so nothing else would move it.
            for tbl, row_id in _row_keys(entry):
                self.row_seqs.setdefault(tbl, []).append((seq, row_id, seq))
        for token, scopes in echoes.items():
            tbl, _, row_id = token.partition(":")
            self.scopes.setdefault((tbl, row_id), set()).update(scopes)

    def flush(self) -> None:
        for tbl, params in self.row_seqs.items():
            if tbl in SYNCED_TABLES:
                self.conn.exec_driver_sql(
                    f"UPDATE {tbl} SET row_seq = ? WHERE id = ?"
                    " AND (row_seq IS NULL OR row_seq < ?)",
                    params,
                )
        self.row_seqs = {}
        if not self.todo:
            return
        keyed = [(entry, seq, _row_keys(entry)) for entry, seq in self.todo]
        received, self.scopes = self.scopes, {}
        self.todo = []
        wanted: dict[str, list[str]] = {}
        for _, _, keys in keyed:
            for tbl, row_id in keys:
                wanted.setdefault(tbl, []).append(row_id)
        rows: dict[tuple[str, str], list[Any]] = {}
        for tbl, ids in wanted.items():
            unique = list(dict.fromkeys(ids))
            for start in range(0, len(unique), self._CHUNK):
                chunk = unique[start : start + self._CHUNK]
                found = self.conn.exec_driver_sql(
                    "SELECT row_id, hlc, seq, fields, scopes FROM sync_version"
                    f" WHERE tbl = ? AND row_id IN ({','.join('?' * len(chunk))})",
                    (tbl, *chunk),
                )
                for row_id, hlc, row_seq, packed, scopes in found.fetchall():
                    # "{}" (no field apart from the row version) is what a new row has: a
                    # push of 10,000 of them need not parse and print it 10,000 times.
                    rows[(tbl, row_id)] = [
                        hlc,
                        row_seq,
                        json.loads(packed) if packed != "{}" else {},
                        scopes,
                    ]
        dirty: set[tuple[str, str]] = set()
        for entry, seq, keys in keyed:
            for key in keys:
                row = rows.get(key)
                if row is None:
                    continue
                if row[0] == entry.hlc and row[1] is None:
                    row[1] = seq
                    dirty.add(key)
                for version in row[2].values():
                    if version[0] == entry.hlc and version[2] is None:
                        version[2] = seq
                        dirty.add(key)
        for key, scopes in received.items():
            row = rows.get(key)
            if row is None:
                continue
            held = set(json.loads(row[3])) if row[3] else set()
            if not held >= scopes:
                row[3] = json.dumps(sorted(held | scopes))
                dirty.add(key)
        if dirty:
            self.conn.exec_driver_sql(
                "UPDATE sync_version SET seq = ?, fields = ?, scopes = ?"
                " WHERE tbl = ? AND row_id = ?",
                [
                    (rows[k][1], outbox.dumps(rows[k][2]) if rows[k][2] else "{}", rows[k][3], *k)
                    for k in dirty
                ],
            )


def _row_keys(entry: _Entry) -> list[tuple[str, str]]:
    return list(
        dict.fromkeys(
            (op["tbl"], op["id"]) for op in entry.ops if op["tbl"] != outbox.CONFLICT_TABLE
        )
    )


def _creates(op: dict[str, Any]) -> bool:
    """An op that creates a row (an upsert that saw no earlier version of any field)."""
    return (
        op["op"] == "upsert"
        and op["tbl"] != outbox.CONFLICT_TABLE
        and all(v is None for v in op["base"].values())
    )


def _purge_refused_creations(uow: Any, entry: _Entry, result: ChangeResult) -> None:
    """A refused change that created rows: the server never had them, so they leave this
    device too (their values are in the attention list). Rows some other change put on the
    server (any version with another seq) stay."""
    conn = uow.session.connection()
    for op in entry.ops:
        if op["op"] != "upsert" or any(v is not None for v in op["base"].values()):
            continue
        if op["tbl"] == outbox.CONFLICT_TABLE:
            continue
        row = conn.exec_driver_sql(
            "SELECT seq, fields FROM sync_version WHERE tbl = ? AND row_id = ?",
            (op["tbl"], op["id"]),
        ).first()
        seqs = {row[0], *(v[2] for v in json.loads(row[1]).values())} if row else set()
        if seqs <= {None, result.seq}:
            uow.purge(op["tbl"], op["id"])


def engine_for(db_path: Path, *, timeout: float = 30.0) -> SyncEngine | None:
    """The engine for a signed-in database, or None (not signed in, or no secure keyring)."""
    from workbench import credentials

    store = Store(db_path)
    url, user = store.sync_state(STATE_URL), store.sync_state(STATE_USER)
    if not url or not user:
        store.close()
        return None
    try:
        token = credentials.load_token(url, user)
    except credentials.NoSecureStoreError:
        token = None
    if not token:
        store.close()
        return None
    return SyncEngine(store, SyncClient(url, token, timeout=timeout), owns_store=True)

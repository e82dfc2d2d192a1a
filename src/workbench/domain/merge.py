"""Per-field last-writer-wins merge with conflict records (SYNC.md §1.7, §1.8 step 1).

Why one pure module: the server decides what is final, and clients compute their optimistic
view with *the same function*, so what a user sees offline is what the server will compute.

Why per field and ordered by ``(hlc, node)``: a per-field LWW register is a join-semilattice,
so the result does not depend on the order in which pushes arrive. Ordering alone would drop
the loser without a trace, so every *concurrent* overwrite (the writer had not seen the value it
replaced) with a different value is also reported as a ``Conflict``; the server stores it and
the loser's value stays recoverable ("no silent loss", SYNC.md §1.1).

Row deletion is the ordinary LWW field ``_deleted`` (a bool). ``merge_row`` adds two conflict
kinds for the interplay of a delete and a concurrent edit; see its docstring for exactly when.

Policies ``append_only`` (every item is its own row, so it never merges) and ``state_machine``
(LWW plus a transition check that needs the business rules) are handled by the callers; here
only the policies that change the merge itself exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

DELETED = "_deleted"


@dataclass(frozen=True)
class Version:
    """Which write a stored value came from: its HLC, its node and the server seq that applied it.

    Only ``(hlc, node)`` orders versions; ``seq`` is where the server applied the write (None
    for a client's pending local write) and is what a writer's ``base`` refers to. Equality of
    two versions compares all three, use ``key`` to ask "same write?".
    """

    hlc: int
    node: str
    seq: int | None

    @property
    def key(self) -> tuple[int, str]:
        """The LWW order key; ``node`` breaks HLC ties so the order is total."""
        return (self.hlc, self.node)

    def wins_over(self, other: Version) -> bool:
        """True if this write replaces ``other`` under LWW (strictly newer key)."""
        return self.key > other.key


@dataclass(frozen=True)
class FieldState:
    """A field's current value, the version that wrote it and the device that wrote it."""

    value: Any
    version: Version
    device: str


@dataclass(frozen=True)
class IncomingField:
    """One field of a pushed op. ``base_seq`` is the seq the writer held for this field when it
    wrote (None: it held no synced value, e.g. a new row or an earlier unacknowledged edit)."""

    field: str
    value: Any
    hlc: int
    node: str
    device: str
    base_seq: int | None


class Policy(StrEnum):
    """How a field merges. ``append_only`` and ``state_machine`` are enforced outside this
    module (see the module docstring); a field without a declared policy is LWW."""

    LWW = "lww"
    SERVER_ONLY = "server_only"
    FAIL_IF_CONCURRENT = "fail_if_concurrent"


class ConflictKind(StrEnum):
    CONCURRENT_UPDATE = "concurrent_update"
    UPDATE_ON_DELETED = "update_on_deleted"
    DELETE_ON_UPDATED = "delete_on_updated"


@dataclass(frozen=True)
class Conflict:
    """A concurrent overwrite to report and keep. Winner is what the row now holds.

    For ``concurrent_update`` both sides are writes of ``field``. For the delete kinds the
    winner side is the delete (``winner_value`` is True, the ``_deleted`` version and device)
    and the loser side is the edit of ``field`` that now sits on a tombstoned row.
    A side's ``version.seq`` is the seq of the change that carried it, also when it lost.
    """

    field: str
    winner_value: Any
    loser_value: Any
    winner_version: Version
    loser_version: Version
    winner_device: str
    loser_device: str
    kind: ConflictKind


class RejectReason(StrEnum):
    SERVER_ONLY_FIELD = "server_only_field"
    CONCURRENT_FINANCE_EDIT = "concurrent_finance_edit"
    # The writer had seen the current value yet carries an older (hlc, node): impossible with
    # correct HLCs; happens only after a bad re-stamp or a client bug. Rejecting keeps the
    # write from being dropped silently (it goes to the user's attention list instead).
    STALE_HLC = "stale_hlc"
    # Decided by the server around the merge (authorisation and validation, SYNC.md §1.6):
    NO_ACCESS = "no_access"
    INVALID_VALUE = "invalid_value"
    UNKNOWN_TABLE = "unknown_table"
    UNKNOWN_FIELD = "unknown_field"


class Rejected(Exception):
    """The whole change is refused (the server rolls back its savepoint); terminal, with a
    stable ``reason`` code for the client's attention list."""

    def __init__(self, reason: RejectReason, field: str, message: str = "") -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"{reason} on {field!r}" + (f": {message}" if message else ""))


_NO_POLICIES: Mapping[str, Policy] = MappingProxyType({})


def _incoming_state(incoming: IncomingField, seq: int) -> FieldState:
    return FieldState(incoming.value, Version(incoming.hlc, incoming.node, seq), incoming.device)


def _has_seen(current: FieldState, incoming: IncomingField) -> bool:
    # None never counts as "seen": a writer without a synced base cannot have seen a server
    # value (SYNC.md's `base != cur.seq` would call None == None "seen" on client-side states).
    return incoming.base_seq is not None and incoming.base_seq == current.version.seq


def is_concurrent(current: FieldState, incoming: IncomingField) -> bool:
    """SYNC.md §1.7: the writer had not seen the current value and is another device.

    Why the device check: a device's later edit of a field whose earlier edit is still
    unacknowledged carries ``base_seq=None`` but obviously knows its own earlier value.
    """
    return not _has_seen(current, incoming) and current.device != incoming.device


def merge_field(
    current: FieldState | None,
    incoming: IncomingField,
    seq: int,
    policy: Policy = Policy.LWW,
) -> tuple[FieldState, Conflict | None]:
    """Merge one pushed field into the server's current state, applied at server ``seq``.

    Returns the new state (the incoming write stamped with ``seq`` if it wins, else
    ``current`` unchanged) and a ``concurrent_update`` conflict when the writes were concurrent
    and their values differ. Re-applying a write that is already current changes nothing.

    Raises ``Rejected``: ``server_only_field`` for any client write to a SERVER_ONLY field (the
    server's own computed writes merge as LWW); ``concurrent_finance_edit`` for a concurrent,
    differing write to a FAIL_IF_CONCURRENT field; ``stale_hlc`` for a write that had seen the
    current value but is ordered before it.
    """
    if policy is Policy.SERVER_ONLY:
        raise Rejected(RejectReason.SERVER_ONLY_FIELD, incoming.field, "computed on the server")
    new = _incoming_state(incoming, seq)
    if current is None:
        return new, None

    concurrent = is_concurrent(current, incoming)
    differs = current.value != incoming.value
    if policy is Policy.FAIL_IF_CONCURRENT and concurrent and differs:
        raise Rejected(
            RejectReason.CONCURRENT_FINANCE_EDIT,
            incoming.field,
            "changed by someone else since you last saw it",
        )

    if new.version.wins_over(current.version):
        winner, loser = new, current
    else:
        if _has_seen(current, incoming) and differs:
            raise Rejected(
                RejectReason.STALE_HLC, incoming.field, "write is older than the value it replaced"
            )
        winner, loser = current, new

    conflict = None
    if concurrent and differs:
        conflict = Conflict(
            field=incoming.field,
            winner_value=winner.value,
            loser_value=loser.value,
            winner_version=winner.version,
            loser_version=loser.version,
            winner_device=winner.device,
            loser_device=loser.device,
            kind=ConflictKind.CONCURRENT_UPDATE,
        )
    return winner, conflict


def _is_deleted(state: FieldState | None) -> bool:
    return state is not None and state.value is True


def merge_row(
    current: Mapping[str, FieldState],
    incoming: Sequence[IncomingField],
    seq: int,
    policies: Mapping[str, Policy] = _NO_POLICIES,
) -> tuple[dict[str, FieldState], list[Conflict]]:
    """Merge all fields of one op on one row, applied at server ``seq``.

    ``current`` is not modified; a ``Rejected`` from any field refuses the whole op. Fields
    merge independently with ``merge_field``; on top of that the delete interplay adds:

    - ``update_on_deleted``: the row was deleted before this op (``_deleted`` is True), the op
      does not write ``_deleted`` itself, comes from a device other than the deleter, and sets
      a field to a value different from the stored one. One conflict per such field. The edit
      is still merged into the tombstoned row, so a restore brings it back.
    - ``delete_on_updated``: this op's ``_deleted=True`` wins and turns a live row (``_deleted``
      missing or False) into a deleted one, and another field holds a value written by
      another device with a version newer than the delete's. By the HLC rule the deleter
      cannot have seen that value. One conflict per such field.

    Deliberate limits: an op carries no row-level base, so "the deleter had not seen the
    edit" is read from HLCs, which detects only edits ordered after the delete; an unseen edit
    with an older HLC is not reported (it is not lost either: it stays on the tombstoned row
    and is current there). Which of the two kinds a race yields depends on arrival order; the
    resulting field states do not.
    """
    for i, inc in enumerate(incoming):
        if any(other.field == inc.field for other in incoming[:i]):
            raise ValueError(f"field {inc.field!r} appears twice in one op")
        if inc.field == DELETED and not isinstance(inc.value, bool):
            raise ValueError(f"{DELETED} must be a bool, got {inc.value!r}")

    row = dict(current)
    conflicts: list[Conflict] = []
    for inc in incoming:
        row[inc.field], conflict = merge_field(
            current.get(inc.field), inc, seq, policies.get(inc.field, Policy.LWW)
        )
        if conflict is not None:
            conflicts.append(conflict)

    deleted_before = current.get(DELETED)
    delete_op = next((inc for inc in incoming if inc.field == DELETED), None)

    if delete_op is None and deleted_before is not None and _is_deleted(deleted_before):
        for inc in incoming:
            before = current.get(inc.field)
            if inc.device == deleted_before.device or (
                before is not None and before.value == inc.value
            ):
                continue
            conflicts.append(
                Conflict(
                    field=inc.field,
                    winner_value=True,
                    loser_value=inc.value,
                    winner_version=deleted_before.version,
                    loser_version=Version(inc.hlc, inc.node, seq),
                    winner_device=deleted_before.device,
                    loser_device=inc.device,
                    kind=ConflictKind.UPDATE_ON_DELETED,
                )
            )

    delete_won = (
        delete_op is not None
        and delete_op.value is True
        and not _is_deleted(deleted_before)
        and row[DELETED].version.key == (delete_op.hlc, delete_op.node)
    )
    if delete_op is not None and delete_won:
        delete_version = row[DELETED].version
        for name, state in current.items():
            if (
                name == DELETED
                or state.device == delete_op.device
                or not state.version.wins_over(delete_version)
            ):
                continue
            conflicts.append(
                Conflict(
                    field=name,
                    winner_value=True,
                    loser_value=state.value,
                    winner_version=delete_version,
                    loser_version=state.version,
                    winner_device=delete_op.device,
                    loser_device=state.device,
                    kind=ConflictKind.DELETE_ON_UPDATED,
                )
            )
    return row, conflicts


def merge_remote(local: FieldState | None, remote: FieldState, authority_seq: int) -> FieldState:
    """Client side of a pull page or snapshot row (SYNC.md §1.8 step 1).

    ``authority_seq`` is the server seq the remote value is authoritative at: the pulled op's
    seq (a pull op carries the server's state *after* that change for every field the change
    wrote, also when the change lost), or the snapshot's position.

    - No local value: take the remote one.
    - A *pending* local edit (no seq yet, the server has not answered it) is kept only when it
      is strictly newer by ``(hlc, node)``, exactly as the server will decide when it arrives;
      an older one yields, so the optimistic view equals the server's.
    - A local value the server has answered (it has a seq) yields to any remote value that is
      authoritative at that seq or later, and is kept against older news. This is what makes
      re-applied pages and snapshot-then-pull harmless, and what corrects the local copy when
      the server re-stamped or rejected a write (the device's own HLC no longer orders it).
    """
    if local is None:
        return remote
    if local.version.seq is None:
        return local if local.version.wins_over(remote.version) else remote
    return remote if authority_seq >= local.version.seq else local

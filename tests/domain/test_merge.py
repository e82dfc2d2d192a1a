"""Per-field LWW merge: SYNC.md §1.7 rules, §2.3 merge laws and order independence, and the
§1.1 "no silent loss" ledger over simulated devices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.domain.hlc import HybridClock
from workbench.domain.merge import (
    DELETED,
    Conflict,
    ConflictKind,
    FieldState,
    IncomingField,
    Policy,
    Rejected,
    RejectReason,
    Version,
    merge_field,
    merge_remote,
    merge_row,
)

PROPS = settings(derandomize=True, max_examples=200, deadline=None)

DEVICES = ("a", "b", "c")
hlc_st = st.integers(min_value=1, max_value=6)  # small, so HLC ties between nodes are common
device_st = st.sampled_from(DEVICES)


def state(value: Any, hlc: int, device: str, seq: int | None) -> FieldState:
    return FieldState(value, Version(hlc, device, seq), device)


def write(name: str, value: Any, hlc: int, device: str, base: int | None = None) -> IncomingField:
    return IncomingField(name, value, hlc, device, device, base)


def snapshot(row: Mapping[str, FieldState]) -> dict[str, tuple[Any, int, str, str]]:
    """A row without seqs: which seq applied the winner depends on arrival order by nature."""
    return {k: (s.value, s.version.hlc, s.version.node, s.device) for k, s in row.items()}


def apply_all(
    row: Mapping[str, FieldState], ops: Sequence[IncomingField], first_seq: int = 1
) -> tuple[dict[str, FieldState], list[Conflict]]:
    out = dict(row)
    conflicts: list[Conflict] = []
    for seq, op in enumerate(ops, start=first_seq):
        out, found = merge_row(out, [op], seq)
        conflicts += found
    return out, conflicts


# --- merge laws on the LWW register (the join merge_remote computes) -------------------------


@st.composite
def field_states(draw: st.DrawFn) -> FieldState:
    # Value and seq are functions of (hlc, node): one write never carries two values.
    hlc, node = draw(hlc_st), draw(device_st)
    return state(f"{node}{hlc}", hlc, node, hlc * 10 + DEVICES.index(node))


def join(x: FieldState, y: FieldState) -> FieldState:
    # A pending local value merges with a remote one by the LWW rule.
    pending = replace(x, version=replace(x.version, seq=None))
    return y if merge_remote(pending, y, authority_seq=0) is y else x


@PROPS
@given(field_states(), field_states(), field_states())
def test_join_is_commutative_associative_idempotent(
    x: FieldState, y: FieldState, z: FieldState
) -> None:
    assert join(x, y) == join(y, x)
    assert join(join(x, y), z) == join(x, join(y, z))
    assert join(x, x) == x
    assert join(x, y).version.key == max(x.version.key, y.version.key)


def test_hlc_tie_is_broken_by_node() -> None:
    a, b = state("from a", 5, "a", 1), state("from b", 5, "b", 2)
    assert join(a, b) == join(b, a) == b
    assert b.version.wins_over(a.version)
    assert not a.version.wins_over(b.version)
    assert not a.version.wins_over(a.version)


# --- merge_field: winner, conflict predicate --------------------------------------------------


@PROPS
@given(
    cur_value=st.sampled_from(["x", "y", "z"]),
    cur_hlc=hlc_st,
    cur_device=device_st,
    value=st.sampled_from(["x", "y", "z"]),
    hlc=hlc_st,
    device=device_st,
    base=st.sampled_from([None, 6, 7]),
)
def test_winner_is_max_and_conflict_iff_concurrent_and_different(
    cur_value: str,
    cur_hlc: int,
    cur_device: str,
    value: str,
    hlc: int,
    device: str,
    base: int | None,
) -> None:
    current = state(cur_value, cur_hlc, cur_device, 7)
    incoming = write("phone", value, hlc, device, base)
    seen = base == 7
    incoming_wins = (hlc, device) > (cur_hlc, cur_device)
    if seen and not incoming_wins and value != cur_value:
        # Had seen the value yet ordered before it: impossible with a correct HLC.
        with pytest.raises(Rejected) as err:
            merge_field(current, incoming, 8)
        assert err.value.reason is RejectReason.STALE_HLC
        return

    result, conflict = merge_field(current, incoming, 8)

    applied = state(value, hlc, device, 8)
    assert result == (applied if incoming_wins else current)
    concurrent = not seen and device != cur_device
    assert (conflict is not None) == (concurrent and value != cur_value)
    if conflict is not None:
        winner, loser = (applied, current) if incoming_wins else (current, applied)
        assert conflict == Conflict(
            "phone",
            winner.value,
            loser.value,
            winner.version,
            loser.version,
            winner.device,
            loser.device,
            ConflictKind.CONCURRENT_UPDATE,
        )


def test_first_write_applies_with_the_given_seq() -> None:
    result, conflict = merge_field(None, write("phone", "1", 3, "a"), 42)
    assert result == state("1", 3, "a", 42)
    assert conflict is None


def test_concurrent_equal_values_are_no_conflict() -> None:
    current = state("same", 5, "a", 7)
    result, conflict = merge_field(current, write("phone", "same", 9, "b", 3), 8)
    assert result == state("same", 9, "b", 8)
    assert conflict is None


def test_own_unacknowledged_edits_do_not_conflict() -> None:
    current = state("first", 5, "a", 7)  # a's first edit, applied at 7
    result, conflict = merge_field(current, write("phone", "second", 6, "a", None), 8)
    assert result.value == "second"
    assert conflict is None


# --- order independence and idempotence (P5) ---------------------------------------------------

SEED_ROW = {
    "name": state("seed name", 0, "seed", 0),
    "phone": state("seed phone", 0, "seed", 0),
    DELETED: state(False, 0, "seed", 0),
}


@st.composite
def concurrent_writes(draw: st.DrawFn, fields: Sequence[str]) -> list[IncomingField]:
    """Writes that all saw only the seed row (base 0); one device never reuses an HLC."""
    specs = draw(
        st.lists(
            st.tuples(st.sampled_from(fields), device_st, hlc_st),
            min_size=1,
            max_size=12,
            unique_by=lambda t: (t[1], t[2]),
        )
    )
    return [
        write(f, (i % 2 == 0) if f == DELETED else f"{f}-{d}-{i}", h, d, 0)
        for i, (f, d, h) in enumerate(specs)
    ]


@PROPS
@given(st.data())
def test_final_state_is_independent_of_arrival_order(data: st.DataObject) -> None:
    ops = data.draw(concurrent_writes(["name", "phone", DELETED]))
    one = data.draw(st.permutations(ops))
    two = data.draw(st.permutations(ops))
    row_one, _ = apply_all(SEED_ROW, one)
    row_two, _ = apply_all(SEED_ROW, two)
    assert snapshot(row_one) == snapshot(row_two)
    for name in SEED_ROW:
        candidates = [(0, "seed")] + [(w.hlc, w.node) for w in ops if w.field == name]
        assert row_one[name].version.key == max(candidates)

    # Re-applying any write, at any later seq, changes nothing (seqs included).
    again = data.draw(st.sampled_from(ops))
    row_again, _ = merge_row(row_one, [again], len(ops) + 1)
    assert row_again == row_one


@PROPS
@given(st.data())
def test_recorded_losers_are_independent_of_arrival_order(data: st.DataObject) -> None:
    """One write per (device, field) and distinct values: every write but the max ends as a
    concurrent_update loser, whatever the order. (With several unacknowledged writes of one
    device on one field the loser *set* does depend on order: the device's own older write is
    superseded without a conflict when it is current at the time; see the ledger test.)"""
    ops = data.draw(concurrent_writes(["name", "phone"]))
    ops = list({(w.field, w.device): w for w in ops}.values())
    results = []
    for order in (data.draw(st.permutations(ops)), data.draw(st.permutations(ops))):
        _, conflicts = apply_all(SEED_ROW, order)
        assert all(c.kind is ConflictKind.CONCURRENT_UPDATE for c in conflicts)
        results.append(sorted((c.field, c.loser_value, c.loser_version.key) for c in conflicts))
    assert results[0] == results[1]
    winners = {
        f: max((w for w in ops if w.field == f), key=lambda w: (w.hlc, w.node))
        for f in {w.field for w in ops}
    }
    expected = sorted((w.field, w.value, (w.hlc, w.node)) for w in ops if w is not winners[w.field])
    assert results[0] == expected


# --- no silent loss: a ledger over simulated devices ---------------------------------------


@dataclass
class Device:
    name: str
    clock: HybridClock
    local: dict[str, FieldState] = field(default_factory=dict)
    outbox: list[list[IncomingField]] = field(default_factory=list)

    def base(self, name: str) -> int | None:
        # §1.4: base = the seq the field had before the edit; NULL while an edit is pending.
        current = self.local.get(name)
        return None if current is None else current.version.seq


@dataclass
class Server:
    row: dict[str, FieldState] = field(default_factory=dict)
    counter: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    applied: list[tuple[IncomingField, int]] = field(default_factory=list)  # (write, seq)


class Wall:
    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def reader(self, skew: int) -> HybridClock:
        return HybridClock(lambda: self.ms + skew)


def local_write(device: Device, names: Sequence[str], serial: int) -> None:
    hlc = device.clock.tick()  # one HLC per change, shared by its fields
    change = []
    for name in names:
        inc = IncomingField(
            name, f"{device.name}{serial}{name}", hlc, device.name, device.name, device.base(name)
        )
        change.append(inc)
        device.local[name] = FieldState(inc.value, Version(hlc, device.name, None), device.name)
    device.outbox.append(change)


def push(device: Device, server: Server) -> None:
    for change in device.outbox:
        server.counter += 1
        seq = server.counter
        server.row, conflicts = merge_row(server.row, change, seq)
        server.conflicts += conflicts
        server.applied += [(inc, seq) for inc in change]
        for inc in change:  # the acknowledgement gives our still-current edits their seq
            mine = device.local[inc.field]
            if mine.version.key == (inc.hlc, inc.node):
                device.local[inc.field] = replace(mine, version=replace(mine.version, seq=seq))
    device.outbox.clear()


def pull(device: Device, server: Server) -> None:
    for name, remote in server.row.items():
        local = device.local.get(name)
        device.local[name] = merge_remote(local, remote, authority_seq=server.counter)
        device.clock.observe(remote.version.hlc)


def accounted_for(w: IncomingField, seq: int, server: Server) -> bool:
    """SYNC.md §2.2's ledger check, states (a)-(c), with (b) extended to the device's own
    later write: it had the earlier value locally even though no server seq shows it."""
    key = (w.hlc, w.node)
    now = server.row[w.field]
    if now.version.key == key and now.value == w.value:
        return True  # (a) current
    for w2, seq2 in server.applied:
        if w2.field != w.field or seq2 <= seq:
            continue
        if w2.base_seq is not None and w2.base_seq >= seq:
            return True  # (b) knowingly overwritten through the server
        if w2.device == w.device and (w2.hlc, w2.node) > key:
            return True  # (b') overwritten by its own device's later edit
    return any(
        c.field == w.field and c.loser_version.key == key and c.loser_value == w.value
        for c in server.conflicts
    )  # (c) a conflict loser, value kept


action_st = st.tuples(
    st.sampled_from(["write", "push", "pull"]),
    st.integers(min_value=0, max_value=2),  # device index (only 2 used for 2-device runs)
    st.sampled_from([("name",), ("phone",), ("name", "phone")]),
    st.integers(min_value=0, max_value=3),  # wall-clock advance in ms
)


@PROPS
@given(
    st.integers(min_value=2, max_value=3),
    st.lists(st.integers(min_value=-40, max_value=40), min_size=3, max_size=3),
    st.lists(action_st, max_size=40),
)
def test_every_write_is_accounted_for(
    n_devices: int, skews: list[int], actions: list[tuple[str, int, tuple[str, ...], int]]
) -> None:
    wall = Wall()
    devices = [Device(DEVICES[i], wall.reader(skews[i])) for i in range(n_devices)]
    server = Server()
    for serial, (kind, index, names, advance) in enumerate(actions):
        wall.ms += advance
        device = devices[index % n_devices]
        if kind == "write":
            local_write(device, names, serial)
        elif kind == "push":
            push(device, server)
        else:
            pull(device, server)
    for device in devices:  # quiesce: everyone pushes, then everyone pulls
        push(device, server)
    for device in devices:
        pull(device, server)

    for w, seq in server.applied:
        assert accounted_for(w, seq, server), w
    for device in devices:  # P1 as a bonus: optimistic views converge to the server's
        assert snapshot(device.local) == snapshot(server.row)


# --- policies -------------------------------------------------------------------------------


def test_server_only_fields_reject_any_client_write() -> None:
    for current in (None, state(10, 1, "server", 3)):
        with pytest.raises(Rejected) as err:
            merge_field(current, write("total", 99, 5, "a", 3), 4, Policy.SERVER_ONLY)
        assert err.value.reason is RejectReason.SERVER_ONLY_FIELD
        assert err.value.field == "total"


def test_fail_if_concurrent_rejects_a_concurrent_differing_edit() -> None:
    current = state("100.00", 5, "b", 7)
    stale = write("amount", "120.00", 9, "a", 3)
    with pytest.raises(Rejected) as err:
        merge_field(current, stale, 8, Policy.FAIL_IF_CONCURRENT)
    assert err.value.reason is RejectReason.CONCURRENT_FINANCE_EDIT


def test_fail_if_concurrent_accepts_informed_equal_and_own_edits() -> None:
    current = state("100.00", 5, "b", 7)
    policy = Policy.FAIL_IF_CONCURRENT
    informed, _ = merge_field(current, write("amount", "120.00", 9, "a", 7), 8, policy)
    assert informed.value == "120.00"
    same, conflict = merge_field(current, write("amount", "100.00", 9, "a", 3), 8, policy)
    assert same.value == "100.00" and conflict is None
    own, _ = merge_field(current, write("amount", "130.00", 9, "b", None), 8, policy)
    assert own.value == "130.00"
    first, _ = merge_field(None, write("amount", "1.00", 9, "a", None), 8, policy)
    assert first.value == "1.00"


def test_a_rejected_field_refuses_the_whole_op_and_leaves_the_row_alone() -> None:
    row = {"name": state("n", 1, "b", 1), "amount": state("5", 1, "b", 1)}
    before = dict(row)
    op = [write("name", "new", 9, "a", 1), write("amount", "6", 9, "a", 0)]
    with pytest.raises(Rejected):
        merge_row(row, op, 2, {"amount": Policy.FAIL_IF_CONCURRENT})
    assert row == before


def test_malformed_ops_are_refused() -> None:
    with pytest.raises(ValueError):
        merge_row({}, [write("name", "x", 1, "a"), write("name", "y", 1, "a")], 1)
    with pytest.raises(ValueError):
        merge_row({}, [write(DELETED, 1, 1, "a")], 1)


# --- delete interplay ---------------------------------------------------------------------


LIVE_ROW = {"name": state("Acme", 1, "a", 1), DELETED: state(False, 1, "a", 1)}


def test_update_on_deleted() -> None:
    row, _ = merge_row(LIVE_ROW, [write(DELETED, True, 5, "b", 1)], 2)
    edit = write("name", "Acme Ltd", 3, "a", 1)  # a edited offline, never saw the delete
    row, conflicts = merge_row(row, [edit], 3)
    assert row["name"] == state("Acme Ltd", 3, "a", 3)  # applied to the tombstoned row
    assert row[DELETED].value is True
    assert conflicts == [
        Conflict(
            "name",
            True,
            "Acme Ltd",
            Version(5, "b", 2),
            Version(3, "a", 3),
            "b",
            "a",
            ConflictKind.UPDATE_ON_DELETED,
        )
    ]


def test_no_update_on_deleted_for_the_deleter_a_restore_or_an_unchanged_value() -> None:
    deleted, _ = merge_row(LIVE_ROW, [write(DELETED, True, 5, "b", 1)], 2)
    _, own = merge_row(deleted, [write("name", "x", 6, "b", 1)], 3)
    assert own == []
    restore = [write(DELETED, False, 7, "a", 2), write("name", "x", 7, "a", 1)]
    restored, conflicts = merge_row(deleted, restore, 3)
    assert conflicts == []
    assert restored[DELETED].value is False
    _, unchanged = merge_row(deleted, [write("name", "Acme", 6, "a", 1)], 3)
    assert unchanged == []


def test_delete_on_updated() -> None:
    row, _ = merge_row(LIVE_ROW, [write("name", "Acme Ltd", 6, "a", 1)], 2)
    delete = write(DELETED, True, 4, "b", 1)  # b deleted offline, before a's edit
    row, conflicts = merge_row(row, [delete], 3)
    assert row[DELETED] == state(True, 4, "b", 3)
    assert row["name"].value == "Acme Ltd"  # kept on the tombstone: a restore brings it back
    assert conflicts == [
        Conflict(
            "name",
            True,
            "Acme Ltd",
            Version(4, "b", 3),
            Version(6, "a", 2),
            "b",
            "a",
            ConflictKind.DELETE_ON_UPDATED,
        )
    ]


def test_no_delete_on_updated_when_the_deleter_saw_the_edit_or_the_delete_loses() -> None:
    row, _ = merge_row(LIVE_ROW, [write("name", "Acme Ltd", 3, "a", 1)], 2)
    _, conflicts = merge_row(row, [write(DELETED, True, 6, "b", 1)], 3)
    assert conflicts == []  # the delete is ordered after the edit: b had seen it
    restored, _ = merge_row(row, [write(DELETED, False, 9, "a", 1)], 3)
    _, conflicts = merge_row(restored, [write(DELETED, True, 4, "b", 1)], 4)
    assert [c.kind for c in conflicts] == [ConflictKind.CONCURRENT_UPDATE]  # restore won


def test_concurrent_deletes_agree() -> None:
    row, _ = merge_row(LIVE_ROW, [write(DELETED, True, 5, "b", 1)], 2)
    row, conflicts = merge_row(row, [write(DELETED, True, 4, "c", 1)], 3)
    assert conflicts == []
    assert row[DELETED] == state(True, 5, "b", 2)


# --- client side ------------------------------------------------------------------------------


def test_merge_remote_keeps_a_newer_pending_edit_and_yields_to_a_newer_remote() -> None:
    pending = state("mine", 9, "a", None)
    remote = state("theirs", 5, "b", 40)
    assert merge_remote(pending, remote, authority_seq=40) is pending
    newer_remote = state("theirs", 12, "b", 41)
    assert merge_remote(pending, newer_remote, authority_seq=41) is newer_remote
    assert merge_remote(None, remote, authority_seq=40) is remote


def test_merge_remote_adopts_the_seq_of_our_own_acknowledged_write() -> None:
    pending = state("mine", 9, "a", None)
    echoed = state("mine", 9, "a", 44)
    assert merge_remote(pending, echoed, authority_seq=44) is echoed


def test_an_answered_local_value_yields_to_news_at_or_after_its_seq_only() -> None:
    # Our write was acknowledged at seq 50 but the server re-stamped it and kept another
    # value: the op at seq 50 carries the server's state, older by HLC, and still wins.
    acked = state("mine", 99, "a", 50)
    server_view = state("theirs", 12, "b", 31)
    assert merge_remote(acked, server_view, authority_seq=50) is server_view
    # A page applied again after a newer one: old news does not regress the value.
    assert merge_remote(acked, server_view, authority_seq=49) is acked


def test_merge_remote_reapplying_an_older_page_is_harmless() -> None:
    synced = state("new", 9, "b", 50)
    assert merge_remote(synced, state("old", 5, "b", 40), authority_seq=40) is synced

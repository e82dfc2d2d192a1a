"""Hybrid logical clock: SYNC.md §1.3 rules and the §2.3 HLC properties."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.domain.hlc import (
    MAX_COUNTER,
    MAX_FORWARD_SKEW_MS,
    MAX_HLC,
    MAX_MS,
    HybridClock,
    pack,
    restamp_if_skewed,
    unpack,
)

PROPS = settings(derandomize=True, max_examples=200, deadline=None)

ms_st = st.integers(min_value=0, max_value=MAX_MS)
counter_st = st.integers(min_value=0, max_value=MAX_COUNTER)
# Wall times near "now" so that values collide, run backwards and tie often.
wall_st = st.integers(min_value=1_700_000_000_000, max_value=1_700_000_000_050)


class ScriptedClock:
    """A wall clock that returns the scripted readings in turn, then repeats the last one."""

    def __init__(self, readings: Iterable[int]) -> None:
        self.readings = list(readings) or [0]
        self.i = 0

    def __call__(self) -> int:
        value = self.readings[min(self.i, len(self.readings) - 1)]
        self.i += 1
        return value


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)


def _ms(year: int) -> int:
    return (datetime(year, 1, 1, tzinfo=UTC) - EPOCH) // ONE_MS


@PROPS
@given(ms_st, counter_st)
def test_pack_unpack_round_trip(ms: int, counter: int) -> None:
    assert unpack(pack(ms, counter)) == (ms, counter)


@PROPS
@given(ms_st, counter_st, ms_st, counter_st)
def test_packed_order_is_lexicographic(ms1: int, c1: int, ms2: int, c2: int) -> None:
    assert (pack(ms1, c1) < pack(ms2, c2)) == ((ms1, c1) < (ms2, c2))


@PROPS
@given(ms_st, counter_st)
def test_every_packed_value_fits_a_signed_64_bit_column(ms: int, counter: int) -> None:
    assert 0 <= pack(ms, counter) <= 2**63 - 1


def test_range_limits() -> None:
    assert pack(MAX_MS, MAX_COUNTER) == MAX_HLC == 2**63 - 1
    # 47 usable bits reach past the year 6000 ...
    assert unpack(pack(_ms(6000), 7)) == (_ms(6000), 7)
    # ... but not the year 10000: 48-bit ms << 16 would overflow a signed BIGINT there.
    year_10000 = (datetime(9999, 12, 31, tzinfo=UTC) - EPOCH + timedelta(days=1)) // ONE_MS
    assert year_10000 << 16 > 2**63 - 1
    with pytest.raises(ValueError):
        pack(year_10000, 0)
    for ms, counter in [(-1, 0), (MAX_MS + 1, 0), (0, -1), (0, MAX_COUNTER + 1)]:
        with pytest.raises(ValueError):
            pack(ms, counter)
    with pytest.raises(ValueError):
        unpack(-1)
    with pytest.raises(ValueError):
        unpack(MAX_HLC + 1)


# One step of a node's life: a local write, or receiving a remote HLC (wall ms, counter).
step_st = st.one_of(
    st.just(None),
    st.tuples(wall_st, st.integers(min_value=0, max_value=5)),
)


@PROPS
@given(st.lists(wall_st, max_size=60), st.lists(step_st, min_size=1, max_size=60))
def test_ticks_strictly_increase_even_when_the_wall_clock_goes_back(
    readings: list[int], steps: list[tuple[int, int] | None]
) -> None:
    clock = HybridClock(ScriptedClock(readings))
    last = clock.value
    for step in steps:
        value = clock.tick() if step is None else clock.observe(pack(*step))
        assert value > last
        assert clock.value == value
        last = value


@PROPS
@given(
    st.lists(wall_st, max_size=40),
    st.lists(step_st, max_size=40),
    st.tuples(wall_st, counter_st),
)
def test_a_write_that_saw_a_value_gets_a_larger_hlc(
    readings: list[int], history: list[tuple[int, int] | None], remote: tuple[int, int]
) -> None:
    clock = HybridClock(ScriptedClock(readings))
    for step in history:
        clock.tick() if step is None else clock.observe(pack(*step))
    seen = pack(*remote)
    assert clock.observe(seen) > seen
    assert clock.tick() > seen


@PROPS
@given(st.lists(wall_st, min_size=1, max_size=60), st.lists(step_st, max_size=60))
def test_logical_time_stays_within_what_was_seen(
    readings: list[int], steps: list[tuple[int, int] | None]
) -> None:
    """§2.3 "l - physical <= max_skew_seen": l never exceeds the largest wall reading or remote
    ms seen (no counter overflow can happen in 60 steps)."""
    wall = ScriptedClock(readings)
    clock = HybridClock(wall)
    seen = 0
    for step in steps:
        if step is None:
            clock.tick()
        else:
            clock.observe(pack(*step))
            seen = max(seen, step[0])
        consumed = wall.readings[: wall.i]
        assert unpack(clock.value)[0] <= max([seen, *consumed])


def test_tick_rules_by_example() -> None:
    wall = ScriptedClock([1000, 1000, 1005, 990])
    clock = HybridClock(wall)
    assert unpack(clock.tick()) == (1000, 0)  # l moved to the wall clock: counter restarts
    assert unpack(clock.tick()) == (1000, 1)  # l unchanged: counter climbs
    assert unpack(clock.tick()) == (1005, 0)
    assert unpack(clock.tick()) == (1005, 1)  # wall clock went back to 990: l holds


def test_observe_rules_by_example() -> None:
    clock = HybridClock(ScriptedClock([1000]), initial=pack(1000, 3))
    assert unpack(clock.observe(pack(1000, 7))) == (1000, 8)  # same l: max counter + 1
    assert unpack(clock.observe(pack(2000, 4))) == (2000, 5)  # remote ahead: its counter + 1
    assert unpack(clock.observe(pack(1500, 9))) == (2000, 6)  # local ahead: own counter + 1
    clock = HybridClock(ScriptedClock([3000]), initial=pack(1000, 3))
    assert unpack(clock.observe(pack(2000, 4))) == (3000, 0)  # wall ahead of both


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    clock = HybridClock(ScriptedClock([1000]), initial=pack(1000, MAX_COUNTER))
    assert unpack(clock.tick()) == (1001, 0)
    clock = HybridClock(ScriptedClock([1000]), initial=pack(1000, 0))
    assert unpack(clock.observe(pack(1000, MAX_COUNTER))) == (1001, 0)


def test_wall_clock_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        HybridClock(ScriptedClock([-5])).tick()


def test_default_clock_reads_the_system_time() -> None:
    before = datetime.now(UTC).timestamp() * 1000
    assert unpack(HybridClock().tick())[0] >= int(before) - 1


def test_restamp_leaves_a_sane_clock_alone() -> None:
    now = 1_700_000_000_000
    hlc = pack(now + MAX_FORWARD_SKEW_MS, 3)  # exactly at the limit is still fine
    assert restamp_if_skewed(hlc, now, 9) == (hlc, False)
    lagging = pack(now - 86_400_000, 3)
    assert restamp_if_skewed(lagging, now, 9) == (lagging, False)


def test_restamp_clamps_a_fast_clock() -> None:
    now = 1_700_000_000_000
    hlc = pack(now + MAX_FORWARD_SKEW_MS + 1, 3)
    assert restamp_if_skewed(hlc, now, 9) == (pack(now, 9), True)


@PROPS
@given(ms_st, counter_st, st.integers(min_value=0, max_value=MAX_MS - MAX_FORWARD_SKEW_MS))
def test_restamp_caps_any_device_at_now_plus_five_minutes(ms: int, counter: int, now: int) -> None:
    stamped, flagged = restamp_if_skewed(pack(ms, counter), now, counter)
    assert unpack(stamped)[0] <= now + MAX_FORWARD_SKEW_MS
    assert flagged == (ms > now + MAX_FORWARD_SKEW_MS)


def test_restamp_from_the_server_clock_beats_everything_the_server_stored() -> None:
    """The recommended use (see restamp_if_skewed): re-stamp from the server's own HLC, which
    observed a value stored from a device running 2 minutes fast (inside the tolerance)."""
    now = 1_700_000_000_000
    server = HybridClock(ScriptedClock([now]))
    stored = server.observe(pack(now + 120_000, 0))
    pushed = pack(now + 3_600_000, 0)  # a device one hour fast that had seen `stored`
    stamped, flagged = restamp_if_skewed(pushed, *unpack(server.tick()))
    assert flagged
    assert stamped > stored

"""Hybrid logical clock (Kulkarni et al. 2014) for ordering field writes, see SYNC.md §1.3.

Why an HLC and not the wall clock: per-field last-writer-wins must order edits by the user's
intent time, yet a write that *saw* a value must always beat that value, even when the laptop's
clock runs behind. The HLC tracks wall time closely but never goes backwards and jumps past every
timestamp it has observed, so "knowingly overwrote" implies "wins".

Why a packed int: it is stored as SQLite INTEGER / PostgreSQL BIGINT and compared with plain
integer comparison, which equals the lexicographic order of (wall ms, counter).

Layout: ``hlc = ms << 16 | counter``. SYNC.md calls this "48-bit ms + 16-bit counter", but both
databases store *signed* 64-bit integers, so only 47 bits of ms keep the value positive and
ordered: ``MAX_MS`` is 2**47 - 1 (about the year 6429). ``pack`` refuses anything beyond it.

The module is pure: the clock reads time only through the injected ``now_ms`` callable.
"""

from __future__ import annotations

import time
from collections.abc import Callable

COUNTER_BITS = 16
MAX_COUNTER = (1 << COUNTER_BITS) - 1
# 47 and not 48 bits: the packed value must fit a *signed* 64-bit column (see the module docstring).
MAX_MS = (1 << 47) - 1
MAX_HLC = (MAX_MS << COUNTER_BITS) | MAX_COUNTER  # == 2**63 - 1
# A pushed HLC further ahead of the server's wall clock than this is re-stamped (SYNC.md §1.3).
MAX_FORWARD_SKEW_MS = 5 * 60_000


def pack(ms: int, counter: int) -> int:
    """Pack wall milliseconds and a logical counter into one orderable 64-bit int."""
    if not 0 <= ms <= MAX_MS:
        raise ValueError(f"HLC milliseconds out of range: {ms}")
    if not 0 <= counter <= MAX_COUNTER:
        raise ValueError(f"HLC counter out of range: {counter}")
    return (ms << COUNTER_BITS) | counter


def unpack(hlc: int) -> tuple[int, int]:
    """Split a packed HLC back into (wall ms, counter)."""
    if not 0 <= hlc <= MAX_HLC:
        raise ValueError(f"HLC out of range: {hlc}")
    return hlc >> COUNTER_BITS, hlc & MAX_COUNTER


def system_now_ms() -> int:
    """The machine's wall clock in Unix milliseconds; the default time source of a clock."""
    return time.time_ns() // 1_000_000


def _normalize(ms: int, counter: int) -> int:
    # The counter ran out within one millisecond: borrow the next millisecond rather than wrap,
    # because wrapping would make the clock go backwards.
    if counter > MAX_COUNTER:
        ms, counter = ms + 1, 0
    return pack(ms, counter)


class HybridClock:
    """One node's HLC. Not thread-safe: the owner serializes access (one sync writer per node).

    ``tick`` stamps a local write; ``observe`` folds in every HLC received from elsewhere (the
    server's ``server_hlc`` and each field HLC of a pull page), so later ticks exceed it.
    """

    __slots__ = ("_counter", "_ms", "_now_ms")

    def __init__(self, now_ms: Callable[[], int] = system_now_ms, initial: int = 0) -> None:
        self._now_ms = now_ms
        self._ms, self._counter = unpack(initial)

    @property
    def value(self) -> int:
        """The last HLC issued or observed (the value to persist in ``_sync_state``)."""
        return pack(self._ms, self._counter)

    def _read_wall(self) -> int:
        now = self._now_ms()
        if not 0 <= now <= MAX_MS:
            raise ValueError(f"wall clock out of HLC range: {now}")
        return now

    def tick(self) -> int:
        """Stamp a local write: strictly greater than every value this clock issued or saw.

        Paper's send rule: ``l = max(l, now)``; the counter increments if ``l`` did not move,
        else resets to 0. A wall clock that jumps backwards only makes the counter climb.
        """
        now = self._read_wall()
        if now > self._ms:
            ms, counter = now, 0
        else:
            ms, counter = self._ms, self._counter + 1
        self._ms, self._counter = unpack(_normalize(ms, counter))
        return self.value

    def observe(self, remote: int) -> int:
        """Fold in a received HLC (paper's receive rule); the result is greater than ``remote``.

        ``l = max(l, l_msg, now)``; the counter continues from whichever of the local and
        remote values supplied that ``l`` (both: the larger counter), or restarts at 0 if the
        wall clock alone is ahead. No skew check here: the server clamps pushed HLCs
        (``restamp_if_skewed``), so values a client receives are already bounded.
        """
        r_ms, r_counter = unpack(remote)
        now = self._read_wall()
        ms = max(self._ms, r_ms, now)
        if ms == self._ms == r_ms:
            counter = max(self._counter, r_counter) + 1
        elif ms == self._ms:
            counter = self._counter + 1
        elif ms == r_ms:
            counter = r_counter + 1
        else:
            counter = 0
        self._ms, self._counter = unpack(_normalize(ms, counter))
        return self.value


def restamp_if_skewed(hlc: int, server_now_ms: int, counter: int) -> tuple[int, bool]:
    """The server's skew guard: clamp an HLC too far ahead of server time; True if clamped.

    Why: without it a laptop whose clock is a year fast would win every LWW comparison for a
    year. A pushed HLC with ``ms > server_now_ms + MAX_FORWARD_SKEW_MS`` becomes
    ``pack(server_now_ms, counter)`` and the device is flagged. Lagging clocks need no guard.

    Callers should pass ``(server_now_ms, counter)`` from ``unpack(server_clock.tick())`` of
    a server HybridClock that observes every HLC it stores. Taking the wall clock plus the
    device's own counter (the literal SYNC.md wording) can give two writes from one device in
    one push the same millisecond with a *smaller* counter for the later one, or put a write
    below a value it had seen; ``merge_field`` then rejects it as ``stale_hlc``. With the server
    clock the re-stamped value is unique and above everything the server has stored.
    """
    ms, _ = unpack(hlc)
    if ms > server_now_ms + MAX_FORWARD_SKEW_MS:
        return pack(server_now_ms, counter), True
    return hlc, False

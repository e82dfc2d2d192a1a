"""One seeded source of randomness and time for the whole generator.

Why one object: determinism. Every random choice, id and timestamp comes from the same
`random.Random(seed)` and from `today`, never from the clock or `os.urandom`, so the same seed,
size and day give the same database, byte for byte in its rows, ids included.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from workbench.domain.ids import new_id_from

T = TypeVar("T")

# Vietnam is UTC+7 without daylight saving; stored datetimes are naive UTC.
ICT = timedelta(hours=7)


class Dice:
    """Seeded choices plus the calendar of the demo (`today`, office hours, past dates)."""

    def __init__(self, seed: int, today: date) -> None:
        self.r = random.Random(seed)
        self.today = today
        # "Now" is the start of `today` in Vietnam: everything generated as past happened
        # before it, so no row looks as if it were made later than the moment of generation.
        self.now = datetime.combine(today, time()) - ICT
        # Ids count up from midnight UTC at the start of `today`.
        self._ms = int(datetime.combine(today, time()).replace(tzinfo=UTC).timestamp() * 1000)
        self._cum: dict[int, tuple[Sequence[object], list[float]]] = {}

    # -- choices -------------------------------------------------------------------------------
    def pick(self, items: Sequence[T]) -> T:
        return items[self.r.randrange(len(items))]

    def weighted(self, pairs: Sequence[tuple[T, float]]) -> T:
        """One item of (item, weight) pairs; the cumulative weights are cached per table."""
        key = id(pairs)
        cached = self._cum.get(key)
        if cached is None or cached[0] is not pairs:
            cum = list(itertools.accumulate(w for _, w in pairs))
            cached = (pairs, cum)
            self._cum[key] = cached
        return self.r.choices(pairs, cum_weights=cached[1])[0][0]

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def between(self, low: int, high: int) -> int:
        return self.r.randint(low, high)

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        return self.r.sample(list(items), min(k, len(items)))

    def digits(self, n: int) -> str:
        return "".join(str(self.r.randrange(10)) for _ in range(n))

    # -- ids -----------------------------------------------------------------------------------
    def new_id(self) -> str:
        """The next UUIDv7: one millisecond after the previous one, from a base fixed by `today`.

        Why consecutive rather than each row's `created_at`: ids in insertion order make every
        primary-key insert an append, which keeps a 20,000-account build fast and the file
        small; ids made at random past times scatter writes over the whole B-tree.
        """
        self._ms += 1
        return new_id_from(self.r.getrandbits(74), self._ms)

    # -- calendar ------------------------------------------------------------------------------
    def day(self, offset: int) -> date:
        """`today` plus `offset` days (negative for the past)."""
        return self.today + timedelta(days=offset)

    def office_time(self, day: date) -> datetime:
        """A weekday office-hours moment (Vietnam time) on or next to `day`, as naive UTC."""
        if day.weekday() == 5:
            day -= timedelta(days=1)
        elif day.weekday() == 6:
            day += timedelta(days=1)
        local = datetime.combine(day, time(self.between(8, 16), self.pick((0, 15, 30, 45))))
        return local - ICT

    def past(self, min_days: int, max_days: int) -> datetime:
        """A moment between `max_days` and `min_days` days before now."""
        seconds = self.r.randrange(min_days * 86400, max(max_days, min_days + 1) * 86400)
        return self.now - timedelta(seconds=seconds)

    def edited(self, created: datetime) -> datetime:
        """When a row created at `created` was last touched: later, never after now."""
        if created >= self.now or self.chance(0.35):
            return min(created, self.now)
        span = int((self.now - created).total_seconds())
        return created + timedelta(seconds=self.r.randrange(span))

    def clamp(self, when: datetime) -> datetime:
        """`when`, but not in the future: rows about future events were created earlier."""
        return min(when, self.now - timedelta(minutes=self.between(5, 600)))

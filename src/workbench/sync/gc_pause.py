"""Pausing Python's cyclic garbage collector around bulk sync work, on client and server.

Why: applying a sync page or a push builds tens of thousands of short-lived objects (parsed
ops, field versions, row dicts) that hold no reference cycles and are freed by reference
counting. Their sheer number made the collector run full collections over the whole heap in
the middle of the work, to find nothing: about a third of a 10,000-row page's CPU on the
client, ~100 ms per 5,000 ops on the server. The pause covers one page or one push at a time,
so the collector still runs between them and nothing piles up.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _CollectorPause:
    """See `collector_paused`. Counts its holders: overlapping ones (FastAPI runs sync routes
    on a thread pool) turn the collector back on only when the last one leaves, and only if
    it was on to begin with."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self.lock:
            if self.holders == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.holders += 1
        try:
            yield
        finally:
            with self.lock:
                self.holders -= 1
                if self.holders == 0 and self.was_enabled:
                    gc.enable()


#: Pause the collector for one page or one push (see the module docstring). The server holds
#: it while it parses a push and while it holds the sequencer lock (pushes take that in
#: turn, so at most one push's parse overlaps another's apply), the client for one page's
#: parse and apply and for reading and checking one push batch.
collector_paused = _CollectorPause()

"""One sync request in flight on a helper thread while the caller applies the previous answer.

Why: a big pull or bootstrap is a chain of pages, each needing the previous page's position
(cursor, keyset). Done strictly in turn, the server builds page k+1 while the client waits,
then the client applies it while the server idles: the two costs add up. With the next
request sent as soon as the current page is parsed, the server's work overlaps the client's
local transaction (a 110,000-row bootstrap spends ~7 s on each side). Pages are still applied
one by one in order, each with its position in one transaction; a page fetched ahead and
never applied (a crash, a cancel, an error) is simply dropped: fetching is read-only.

Only the request runs on the helper thread, which then mostly waits on its socket; the answer
comes back as bytes and is parsed by the caller. Parsing there too made both threads fight
over the interpreter lock and cost more CPU than the overlap saved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class InFlight(Generic[T]):
    """``fetch()`` running on its own daemon thread; `result` waits for it."""

    def __init__(self, fetch: Callable[[], T], *, ahead: bool = True) -> None:
        """``ahead=False``: fetch right here, in the caller's thread, before returning (the
        caller has nothing to do meanwhile, so a thread would only add its start and the
        hand-over of the interpreter lock)."""
        self._fetch = fetch
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sync-fetch-ahead", daemon=True)
        if ahead:
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        try:
            self._result = self._fetch()
        except BaseException as exc:  # handed to the caller by `result`
            self._error = exc

    def result(self) -> T:
        """The answer, or the fetch's exception raised here, in the caller's thread."""
        self.settle()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def settle(self) -> None:
        """Wait for the request to end and drop its outcome (the cycle ends without it)."""
        if self._thread.is_alive():
            self._thread.join()

"""`sync.ahead.InFlight`: a request on a helper thread, its answer or error in the caller's."""

from __future__ import annotations

import threading

import pytest

from workbench.sync.ahead import InFlight
from workbench.sync.client import ServerUnavailable


def test_the_answer_comes_back_from_another_thread() -> None:
    seen: list[str] = []

    def fetch() -> bytes:
        seen.append(threading.current_thread().name)
        return b'{"ops": []}'

    assert InFlight(fetch).result() == b'{"ops": []}'
    assert seen == ["sync-fetch-ahead"]


def test_the_fetch_error_is_raised_in_the_caller() -> None:
    def fetch() -> bytes:
        raise ServerUnavailable("connection refused")

    flight = InFlight(fetch)
    with pytest.raises(ServerUnavailable, match="connection refused"):
        flight.result()


def test_settle_waits_and_drops_the_outcome() -> None:
    release = threading.Event()
    done: list[bool] = []

    def fetch() -> bytes:
        release.wait(5)
        done.append(True)
        raise ServerUnavailable("dropped")

    flight = InFlight(fetch)
    release.set()
    flight.settle()  # no exception: a page fetched ahead and never used is dropped
    assert done == [True]


def test_not_ahead_fetches_in_the_caller_before_returning() -> None:
    # The last push batch of a cycle: the caller has nothing to do meanwhile.
    seen: list[str] = []

    def fetch() -> bytes:
        seen.append(threading.current_thread().name)
        raise ServerUnavailable("connection refused")

    flight = InFlight(fetch, ahead=False)
    assert seen == [threading.current_thread().name]  # done before the constructor returned
    flight.settle()  # no thread to wait for
    with pytest.raises(ServerUnavailable, match="connection refused"):
        flight.result()

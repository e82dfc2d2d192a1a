"""The database worker: work off the GUI thread, results back on it, errors, cancel, progress."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.ui.tasks import Tasks


@pytest.fixture
def tasks(qtbot: Any, tmp_path: Path) -> Iterator[Tasks]:
    from workbench.storage.store import Store

    t = Tasks()
    opened: list[Any] = []
    t.open_store(lambda: Store(tmp_path / "t.db"), opened.append)
    qtbot.waitUntil(lambda: bool(opened))
    yield t
    t.shutdown()


def test_work_runs_on_the_worker_and_answers_on_the_gui_thread(tasks: Tasks, qtbot: Any) -> None:
    seen: dict[str, Any] = {}

    def work(store: Any, _ctx: Any) -> int:
        seen["worker"] = threading.current_thread()
        with store.read() as q:
            return len(q.users())

    def done(result: int) -> None:
        seen["result"] = result
        seen["gui"] = threading.current_thread()

    tasks.run("count users", work, done)
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["result"] == 0
    assert seen["worker"] is not threading.main_thread()
    assert seen["gui"] is threading.main_thread()
    assert tasks.idle


def test_errors_reach_the_error_callback(tasks: Tasks, qtbot: Any) -> None:
    errors: list[BaseException] = []

    def boom(_store: Any, _ctx: Any) -> None:
        raise ValueError("bad input")

    tasks.run("boom", boom, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ValueError)


def test_cancelled_work_never_answers(tasks: Tasks, qtbot: Any) -> None:
    gate = threading.Event()
    answers: list[str] = []
    tasks.run("hold", lambda _s, _c: gate.wait(5), lambda _r: answers.append("hold"))
    second = tasks.run("second", lambda _s, _c: "second", answers.append)
    second.cancel()
    gate.set()
    qtbot.waitUntil(lambda: tasks.idle)
    assert answers == ["hold"]


def test_progress_is_reported_and_cancel_stops_a_long_task(tasks: Tasks, qtbot: Any) -> None:
    progress: list[tuple[int, int]] = []
    finished: list[Any] = []

    def long(_store: Any, ctx: Any) -> int:
        done = 0
        for done in range(1, 1_000_000):
            if not ctx.progress(done, 1_000_000, "rows"):
                break
        return done

    task = tasks.run(
        "long",
        long,
        finished.append,
        on_progress=lambda d, t, _w: (progress.append((d, t)), task.cancel()),
    )
    qtbot.waitUntil(lambda: tasks.idle)
    assert progress and progress[0][1] == 1_000_000
    assert finished and finished[0] < 1_000_000

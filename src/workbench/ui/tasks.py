"""One API for background work (STYLE practice 3).

Database work runs on a single worker thread (SQLite has one writer, and a Session must stay on
one thread); results, errors and throttled progress come back to the GUI thread by a queued
signal, so no callback ever touches a widget from the worker. Network work (sync) will get its
own pool so it never queues behind database work.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from workbench.storage.store import Store

PROGRESS_INTERVAL = 0.05  # seconds between progress signals: enough to look live, no flood


class Cancelled(Exception):
    """Raised inside a task by `ctx.check()` once the user cancelled it."""


@dataclass
class TaskContext:
    """Handed to each task: report progress, and notice cancellation."""

    _emit: Callable[[int, int, str], None]
    cancelled: threading.Event = field(default_factory=threading.Event)
    _last: float = 0.0

    def progress(self, done: int, total: int, what: str = "") -> bool:
        """Report progress (throttled); returns False once cancelled."""
        now = time.monotonic()
        if done >= total or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self._emit(done, total, what)
        return not self.cancelled.is_set()

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled


class Task(QObject):
    """The GUI thread's handle on one piece of work: its signals, and cancel.

    Only the GUI thread ever holds a Task: the worker gets the task's number, its context and
    its function (see `Tasks._loop`). A Task is a QObject belonging to the GUI thread, and
    when the worker held one, the worker could drop the last reference to it (or to a widget
    a finished function captured), destroying a Qt object on the wrong thread; and its
    context's callback made every Task a reference cycle, freed whenever and wherever the
    garbage collector happened to run. Both showed as rare crashes in the test suite.
    """

    finished = Signal(object)
    failed = Signal(object)  # the exception
    progressed = Signal(int, int, str)

    def __init__(self, name: str, context: TaskContext) -> None:
        super().__init__()
        self.name = name
        self.context = context
        self.done = False

    def cancel(self) -> None:
        self.context.cancelled.set()


StoreFn = Callable[[Any, TaskContext], Any]  # (Store or None before opening, ctx)


class _Bridge(QObject):
    """Lives on the GUI thread; the worker emits on it, so delivery is queued to the GUI.
    Tasks are named by number: the worker never holds one (see `Task`)."""

    delivered = Signal(int, str, object)
    progressed = Signal(int, int, int, str)


class Tasks(QObject):
    """The database worker. `run(name, fn, on_done)` calls `fn(store, ctx)` on the worker."""

    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[tuple[int, TaskContext, StoreFn] | None] = queue.Queue()
        self._store: Store | None = None
        self._bridge = _Bridge()
        self._bridge.delivered.connect(self._deliver)
        self._bridge.progressed.connect(self._progress)
        self._pending = 0
        # number -> (task, its function): the GUI thread holds both until the answer is in,
        # so the last reference to either is always dropped here, never on the worker.
        self._live: dict[int, tuple[Task, StoreFn]] = {}
        self._numbers = itertools.count(1)
        self._thread = threading.Thread(target=self._loop, name="workbench-db", daemon=True)
        self._thread.start()

    # -- GUI thread --------------------------------------------------------------------------
    def open_store(
        self,
        opener: Callable[[], Store],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Task:
        def work(_store: Any, _ctx: TaskContext) -> Store:
            if self._store is not None:
                self._store.close()
            self._store = opener()
            return self._store

        return self.run("open", work, on_done, on_error, needs_store=False)

    def run(
        self,
        name: str,
        fn: StoreFn,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        *,
        needs_store: bool = True,
    ) -> Task:
        number = next(self._numbers)
        bridge = self._bridge
        context = TaskContext(
            lambda done, total, what: bridge.progressed.emit(number, done, total, what)
        )
        task = Task(name, context)
        if on_done is not None:
            task.finished.connect(on_done)
        if on_error is not None:
            task.failed.connect(on_error)
        else:
            task.failed.connect(self._report)
        if on_progress is not None:
            task.progressed.connect(on_progress)
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)

        def guarded(store: Any, ctx: TaskContext) -> Any:
            if needs_store and store is None:
                raise RuntimeError(f"no database is open (task {name})")
            return fn(store, ctx)

        self._live[number] = (task, guarded)
        self._queue.put((number, context, guarded))
        return task

    @property
    def idle(self) -> bool:
        return self._pending == 0

    def shutdown(self, timeout: float = 10.0) -> None:
        """Finish queued work, close the store and stop the worker thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _progress(self, number: int, done: int, total: int, what: str) -> None:
        found = self._live.get(number)
        if found is not None:
            found[0].progressed.emit(done, total, what)

    def _deliver(self, number: int, kind: str, payload: Any) -> None:
        self._pending -= 1
        task, _fn = self._live.pop(number)
        task.done = True
        if kind == "ok":
            task.finished.emit(payload)
        elif kind == "cancelled":
            pass
        else:
            task.failed.emit(payload)
        if self._pending == 0:
            self.busy_changed.emit(False)

    @staticmethod
    def _report(exc: BaseException) -> None:
        traceback.print_exception(exc)

    # -- worker thread -----------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                if self._store is not None:
                    self._store.close()
                    self._store = None
                return
            number, context, fn = item
            del item
            kind, payload = "ok", None
            try:
                if context.cancelled.is_set():
                    raise Cancelled
                payload = fn(self._store, context)
            except Cancelled:
                kind = "cancelled"
            except BaseException as exc:  # delivered to the GUI, which shows it
                kind, payload = "error", exc
            # The GUI thread still holds the function (`_live`): drop this thread's reference
            # before the answer can be handled there, so the last one goes on the GUI thread.
            del fn, context
            self._bridge.delivered.emit(number, kind, payload)
            del payload

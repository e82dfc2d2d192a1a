"""One API for background work (STYLE practice 3).

Database work runs on a single worker thread (SQLite has one writer, and a Session must stay on
one thread); results, errors and throttled progress come back to the GUI thread by a queued
signal, so no callback ever touches a widget from the worker. Network work (sync) will get its
own pool so it never queues behind database work.
"""

from __future__ import annotations

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
    finished = Signal(object)
    failed = Signal(object)  # the exception
    progressed = Signal(int, int, str)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.context = TaskContext(self._emit_progress)
        self.done = False

    def _emit_progress(self, done: int, total: int, what: str) -> None:
        self.progressed.emit(done, total, what)

    def cancel(self) -> None:
        self.context.cancelled.set()


StoreFn = Callable[[Any, TaskContext], Any]  # (Store or None before opening, ctx)


class _Bridge(QObject):
    """Lives on the GUI thread; the worker emits on it, so delivery is queued to the GUI."""

    delivered = Signal(object, str, object)


class Tasks(QObject):
    """The database worker. `run(name, fn, on_done)` calls `fn(store, ctx)` on the worker."""

    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[tuple[Task, StoreFn] | None] = queue.Queue()
        self._store: Store | None = None
        self._bridge = _Bridge()
        self._bridge.delivered.connect(self._deliver)
        self._pending = 0
        self._live: set[Task] = set()
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
        task = Task(name)
        if on_done is not None:
            task.finished.connect(on_done)
        if on_error is not None:
            task.failed.connect(on_error)
        else:
            task.failed.connect(self._report)
        if on_progress is not None:
            task.progressed.connect(on_progress)
        self._live.add(task)
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)

        def guarded(store: Any, ctx: TaskContext) -> Any:
            if needs_store and store is None:
                raise RuntimeError(f"no database is open (task {name})")
            return fn(store, ctx)

        self._queue.put((task, guarded))
        return task

    @property
    def idle(self) -> bool:
        return self._pending == 0

    def shutdown(self, timeout: float = 10.0) -> None:
        """Finish queued work, close the store and stop the worker thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _deliver(self, task: Task, kind: str, payload: Any) -> None:
        self._pending -= 1
        self._live.discard(task)
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
            task, fn = item
            try:
                if task.context.cancelled.is_set():
                    raise Cancelled
                result = fn(self._store, task.context)
            except Cancelled:
                self._bridge.delivered.emit(task, "cancelled", None)
            except BaseException as exc:  # delivered to the GUI, which shows it
                self._bridge.delivered.emit(task, "error", exc)
            else:
                self._bridge.delivered.emit(task, "ok", result)

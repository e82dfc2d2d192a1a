"""Team sync in the window: a background runner and its status-bar item (SYNC.md §1.8, §1.14).

Why a thread of its own: a sync cycle waits on the network for seconds (timeouts of up to a
minute, SYNC.md §1.13). On the GUI thread that would freeze the window; on the single database
worker (ui.tasks) it would queue every list reload behind the network. The engine opens its
own database connection, so `SyncRunner` runs it on a dedicated Python thread, one cycle at a
time, and hands the `SyncReport` back to the GUI thread by a queued signal. The data changes
the cycle applied are then published on the change hub like any edit, so open docks reload.

`SyncStatusItem` is the status-bar end of it: offline, syncing (with progress and a cancel
button), up to date, changes waiting, not signed in, plus links to the Conflicts and Needs
attention docks when something waits there. Its counts come from `services.sync_inbox.overview`
on the database worker, after each cycle and after local edits.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from workbench.domain.changes import ChangeSet
from workbench.ui import fmt
from workbench.ui.i18n import tr
from workbench.ui.widgets.colours import AMBER, GREEN, GREY, RED

if TYPE_CHECKING:
    from workbench.services.sync_inbox import SyncOverview
    from workbench.sync.report import SyncReport
    from workbench.ui.context import AppContext
    from workbench.ui.hub import ChangeHub

log = logging.getLogger(__name__)

INTERVAL_MS = 120_000  # a background cycle every two minutes
FIRST_DELAY_MS = 3_000  # and one shortly after the window opens
PROGRESS_INTERVAL = 0.1  # seconds between progress signals
STOP_TIMEOUT = 5.0  # seconds to wait for a running cycle when the window closes


class SyncEngine(Protocol):
    """What the runner needs of `workbench.sync.engine`: one cycle, with progress and cancel."""

    def sync_once(
        self,
        *,
        progress: Callable[[int, int, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SyncReport: ...


EngineFactory = Callable[[], SyncEngine | None]


def default_engine_factory(ctx: AppContext) -> EngineFactory:
    """The real engine for the open database, or None when it is not signed in.

    Imported when a cycle starts (on the sync thread), so the window neither waits for the
    sync stack to import nor fails while the engine module does not exist yet.
    """

    def factory() -> SyncEngine | None:
        path = ctx.db_path
        if path is None or not ctx.store_ready:
            return None
        try:
            from workbench.sync.engine import engine_for  # type: ignore[import-not-found,unused-ignore]
        except ModuleNotFoundError as exc:
            if exc.name == "workbench.sync.engine":
                return None  # a build without the sync engine: never signed in
            raise
        engine: SyncEngine | None = engine_for(path)
        return engine

    return factory


def _report(**values: Any) -> SyncReport:
    from workbench.sync.report import SyncReport

    return SyncReport(**{"finished_at": datetime.now(UTC).replace(tzinfo=None), **values})


class _Bridge(QObject):
    """Lives on the GUI thread; the sync thread emits on it, so delivery is queued."""

    started = Signal()
    progressed = Signal(int, int, str)
    delivered = Signal(object, bool)  # SyncReport or None, and whether signed in


class SyncRunner(QObject):
    """Runs sync cycles on a thread of its own: on a timer, and on demand; never two at once.

    ``engine_factory`` is called on the sync thread at the start of every cycle; it returns
    None when the database is not signed in (the cycle then reports `signed_in` False).
    """

    started = Signal()  # a cycle began
    progressed = Signal(int, int, str)  # done, total, what
    finished = Signal(object)  # the SyncReport (None: not signed in)
    running_changed = Signal(bool)

    def __init__(
        self,
        hub: ChangeHub,
        engine_factory: EngineFactory,
        *,
        interval_ms: int = INTERVAL_MS,
        first_delay_ms: int = FIRST_DELAY_MS,
        ready: Callable[[], bool] = lambda: True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.hub = hub
        self.engine_factory = engine_factory
        self.ready = ready
        self.interval_ms = interval_ms
        self.first_delay_ms = first_delay_ms
        self.last_report: SyncReport | None = None
        self.last_success: datetime | None = None  # naive UTC of the last caught-up cycle
        self.signed_in: bool | None = None  # unknown until a cycle has asked the factory
        self.cycles = 0
        self._running = False
        self._cancel = threading.Event()
        self._queue: queue.Queue[bool | None] = queue.Queue()  # True: run a cycle; None: stop
        self._bridge = _Bridge()
        self._bridge.started.connect(self.started)
        self._bridge.progressed.connect(self.progressed)
        self._bridge.delivered.connect(self._deliver)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="workbench-sync", daemon=True)
        self._thread.start()

    # -- GUI thread --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running

    @property
    def cancelling(self) -> bool:
        return self._running and self._cancel.is_set()

    def start(self) -> None:
        """Start the timer: a first cycle after `first_delay_ms`, then every `interval_ms`."""
        if not self._stopped:
            self._timer.start(self.first_delay_ms)

    def sync_now(self) -> bool:
        """Start a cycle now; False when one is already running (or the runner stopped)."""
        return self._begin()

    def cancel(self) -> None:
        """Ask the running cycle to stop at its next safe point (the engine checks)."""
        if self._running and not self._cancel.is_set():
            self._cancel.set()
            self.running_changed.emit(True)  # the item shows "Cancelling…"

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Cancel a running cycle and end the thread (on window close). Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._timer.stop()
        self._cancel.set()
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("sync cycle still running after %.0f s; leaving it to finish", timeout)

    def _tick(self) -> None:
        if not self.ready():
            self._timer.start(self.first_delay_ms)  # the database is not open yet
            return
        if not self._begin():
            self._timer.start(self.interval_ms)

    def _begin(self) -> bool:
        if self._running or self._stopped:
            return False
        self._timer.stop()
        self._running = True
        self._cancel.clear()
        self._queue.put(True)
        self.running_changed.emit(True)
        return True

    def _deliver(self, report: SyncReport | None, signed_in: bool) -> None:
        self._running = False
        self.cycles += 1
        self.signed_in = signed_in
        if not self._stopped:
            self._timer.start(self.interval_ms)
        if report is not None:
            self.last_report = report
            if report.caught_up:
                finished = naive_utc(report.finished_at)
                self.last_success = finished or datetime.now(UTC).replace(tzinfo=None)
            # One publication for the whole cycle: docks reload once, not once per page.
            changes = ChangeSet.combine(report.changes)
            self.hub.publish(changes)
            self.hub.sync_finished.emit(report)
        self.running_changed.emit(False)
        self.finished.emit(report)

    # -- sync thread -------------------------------------------------------------------------
    def _emit(self, signal: Any, *args: Any) -> None:
        # RuntimeError: the window (and the bridge) went away while the cycle ran.
        with contextlib.suppress(RuntimeError):
            signal.emit(*args)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                report, signed_in = self._cycle()
            except BaseException as exc:  # never leave the GUI waiting for a cycle that died
                report, signed_in = _report(caught_up=False, error=repr(exc)), True
            self._emit(self._bridge.delivered, report, signed_in)

    def _cycle(self) -> tuple[SyncReport | None, bool]:
        self._emit(self._bridge.started)
        last = 0.0

        def progress(done: int, total: int, what: str = "") -> None:
            nonlocal last
            now = time.monotonic()
            if done >= total or now - last >= PROGRESS_INTERVAL:
                last = now
                self._emit(self._bridge.progressed, int(done), int(total), str(what))

        try:
            engine = self.engine_factory()
        except Exception as exc:
            log.exception("could not prepare the sync engine")
            return _report(caught_up=False, error=str(exc) or type(exc).__name__), True
        if engine is None:
            return None, False
        try:
            return engine.sync_once(progress=progress, cancelled=self._cancel.is_set), True
        except Exception as exc:
            log.exception("sync cycle failed")
            return _report(caught_up=False, error=str(exc) or type(exc).__name__), True
        finally:
            close = getattr(engine, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    log.exception("could not close the sync engine")


# -- the status-bar item -----------------------------------------------------------------------
def naive_utc(moment: datetime | None) -> datetime | None:
    """A report's time as the app keeps times: naive UTC (engines may hand aware ones)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def synced_at(moment: datetime | None, today: date | None = None) -> str:
    """ "14:05" today, else the local date and time."""
    moment = naive_utc(moment)
    if moment is None:
        return ""
    local = fmt.local(moment)
    if local.date() == (today or date.today()):
        return f"{local:%H:%M}"
    return f"{fmt.day(moment)} {local:%H:%M}"


LINK_STYLE = "QToolButton {{ color: {colour}; border: none; padding: 0 4px; font-weight: 600; }}"


class SyncStatusItem(QWidget):
    """Sync state in the status bar, with links to what waits for the user."""

    open_dock = Signal(str)  # a dock's object name: the user clicked a count

    def __init__(self, ctx: AppContext, runner: SyncRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("status.sync")
        self.ctx = ctx
        self.runner = runner
        self.overview: SyncOverview | None = None
        self._progress: tuple[int, int] | None = None
        self._generation = 0
        self._asked = False  # the user pressed Sync now: answer even "not signed in"

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(4)
        self.state_button = QToolButton()
        self.state_button.setObjectName("status.sync.state")
        self.state_button.setAutoRaise(True)
        self.state_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.state_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.progress = QProgressBar()
        self.progress.setObjectName("status.sync.progress")
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(False)
        self.progress.setFixedSize(80, 10)
        self.progress.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("status.sync.cancel")
        self.cancel_button.setText("✕")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setToolTip(tr("Cancel sync"))
        self.cancel_button.clicked.connect(runner.cancel)
        self.cancel_button.hide()
        self.conflicts_link = self._link("status.sync.conflicts", RED, "dock.conflicts")
        self.attention_link = self._link("status.sync.attention", AMBER, "dock.attention")
        for widget in (
            self.state_button,
            self.progress,
            self.cancel_button,
            self.conflicts_link,
            self.attention_link,
        ):
            layout.addWidget(widget)

        self.sync_now_action = QAction(tr("Sync now"), self)
        self.sync_now_action.setObjectName("act.sync_now")
        self.sync_now_action.setShortcuts([QKeySequence("F9"), QKeySequence("Ctrl+Shift+S")])
        self.sync_now_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.sync_now_action.triggered.connect(self.sync_now)
        self.cancel_action = QAction(tr("Cancel sync"), self)
        self.cancel_action.setObjectName("act.cancel_sync")
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.cancel_action.triggered.connect(runner.cancel)
        menu = QMenu(self)
        menu.addAction(self.sync_now_action)
        menu.addAction(self.cancel_action)
        self.state_button.setMenu(menu)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(300)
        self._refresh_timer.timeout.connect(self.refresh_counts)
        runner.running_changed.connect(lambda _on: self._show())
        runner.progressed.connect(self._progressed)
        runner.finished.connect(self._finished)
        ctx.hub.changed.connect(lambda _changes: self._refresh_timer.start())
        # The first counts as soon as the database has opened and the docks have loaded.
        ctx.tasks.busy_changed.connect(self._worker_busy)
        self._show()

    def _worker_busy(self, busy: bool) -> None:
        if not busy and self.overview is None and self.ctx.store_ready:
            self.refresh_counts()

    def _link(self, name: str, colour: str, dock: str) -> QToolButton:
        link = QToolButton()
        link.setObjectName(name)
        link.setAutoRaise(True)
        link.setCursor(Qt.CursorShape.PointingHandCursor)
        link.setStyleSheet(LINK_STYLE.format(colour=colour))
        link.clicked.connect(lambda: self.open_dock.emit(dock))
        link.hide()
        return link

    def actions_for_menu(self) -> list[QAction]:
        return [self.sync_now_action, self.cancel_action]

    # -- events ------------------------------------------------------------------------------
    def sync_now(self) -> None:
        if self.runner.sync_now():
            self._asked = True
        elif self.runner.running:
            self.ctx.hub.status.emit(tr("Already syncing."))

    def _progressed(self, done: int, total: int, _what: str) -> None:
        self._progress = (done, total)
        self._show()

    def _finished(self, report: SyncReport | None) -> None:
        self._progress = None
        asked, self._asked = self._asked, False
        if report is None and asked:
            self.ctx.hub.status.emit(
                tr("Not signed in to a team server. Sign in with: workbench login URL USER")
            )
        elif report is not None and report.error and not report.offline:
            self.ctx.hub.status.emit(tr("Sync failed: {error}", error=report.error))
        self.refresh_counts()
        self._show()

    def refresh_counts(self) -> None:
        """Ask the database worker for the counts (conflicts, attention, waiting changes)."""
        if not self.ctx.store_ready:
            return
        from workbench.services.sync_inbox import overview

        self._generation += 1
        generation = self._generation

        def done(result: SyncOverview) -> None:
            if generation == self._generation:
                self.overview = result
                self._show()

        self.ctx.tasks.run("sync overview", lambda store, _c: overview(store), done)

    # -- showing -----------------------------------------------------------------------------
    def state_text(self) -> tuple[str, str]:
        """The state line and its colour."""
        runner = self.runner
        report = runner.last_report
        view = self.overview
        waiting = view.waiting if view is not None else (report.waiting if report else 0)
        if runner.cancelling:
            return tr("Cancelling…"), GREY
        if runner.running:
            if self._progress is not None and self._progress[1] > 0:
                done, total = self._progress
                percent = max(0, min(100, round(100 * done / total)))
                return tr("Syncing… {percent}%", percent=percent), ""
            return tr("Syncing…"), ""
        if runner.signed_in is False or (
            runner.signed_in is None and view is not None and not view.signed_in
        ):
            return tr("Not signed in"), GREY
        if report is None:
            if waiting:
                return self._waiting_text(waiting), ""
            return tr("Not synced yet"), GREY
        if report.offline:
            if waiting:
                return f"{tr('Offline')} · {self._waiting_text(waiting)}", GREY
            return tr("Offline"), GREY
        if report.error:
            return tr("Sync failed"), RED
        if report.cancelled:
            return tr("Sync cancelled"), GREY
        if waiting:
            return self._waiting_text(waiting), ""
        when = synced_at(runner.last_success or report.finished_at)
        if report.caught_up:
            return tr("Up to date · synced {time}", time=when), GREEN
        return tr("Synced {time}", time=when), ""

    @staticmethod
    def _waiting_text(n: int) -> str:
        return tr("1 change waiting") if n == 1 else tr("{n} changes waiting", n=n)

    def tooltip_text(self) -> str:
        runner = self.runner
        report = runner.last_report
        view = self.overview
        lines: list[str] = []
        if runner.signed_in is False or (view is not None and not view.signed_in):
            lines.append(
                tr("Not signed in to a team server. Sign in with: workbench login URL USER")
            )
        elif view is not None:
            lines.append(tr("Server: {url}", url=view.server_url))
            if view.server_user:
                lines.append(tr("Signed in as {user}", user=view.server_user))
        lines.append(
            tr("Last sync: {time}", time=synced_at(runner.last_success))
            if runner.last_success
            else tr("Last sync: not yet")
        )
        if view is not None and view.waiting:
            lines.append(self._waiting_text(view.waiting))
        if report is not None and report.offline:
            lines.append(tr("The server cannot be reached; changes wait on this computer."))
        if report is not None and report.error:
            lines.append(tr("Last error: {error}", error=report.error))
        lines.append(tr("Click for Sync now (F9) and Cancel sync"))
        return "\n".join(lines)

    def _show(self) -> None:
        text, colour = self.state_text()
        self.state_button.setText(text)
        colour_rule = f"color: {colour};" if colour else ""
        self.state_button.setStyleSheet(
            f"QToolButton {{ {colour_rule} padding: 0 2px; }}"
            " QToolButton::menu-indicator { image: none; width: 0; }"
        )
        self.state_button.setToolTip(self.tooltip_text())
        running = self.runner.running
        self.progress.setVisible(running)
        if running:
            if self._progress is not None and self._progress[1] > 0:
                done, total = self._progress
                self.progress.setRange(0, 100)
                self.progress.setValue(max(0, min(100, round(100 * done / total))))
            else:
                self.progress.setRange(0, 0)  # busy until the engine reports a total
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running and not self.runner.cancelling)
        self.cancel_action.setEnabled(running and not self.runner.cancelling)
        self.sync_now_action.setEnabled(not running)
        view = self.overview
        conflicts = view.conflicts if view is not None else 0
        attention = view.attention if view is not None else 0
        self.conflicts_link.setVisible(conflicts > 0)
        self.conflicts_link.setText(
            tr("1 conflict") if conflicts == 1 else tr("{n} conflicts", n=conflicts)
        )
        self.conflicts_link.setToolTip(tr("Show the Conflicts list (Alt+5)"))
        self.attention_link.setVisible(attention > 0)
        self.attention_link.setText(
            tr("1 needs attention") if attention == 1 else tr("{n} need attention", n=attention)
        )
        self.attention_link.setToolTip(tr("Show the Needs attention list (Alt+6)"))

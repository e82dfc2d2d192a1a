"""The sync runner and the status-bar item, with small engines that return prepared reports.

The runner must run each cycle on its own thread (neither the GUI thread nor the database
worker), never two at once, publish what a cycle changed, honour cancel, and stop with the
window. The item must say what state sync is in and link to the lists that need the user.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer

from tests.ui.conftest import Seed, add_attention, add_conflict, settle, sql
from workbench.domain.changes import ChangeSet, Op, RowChange
from workbench.sync.report import SyncReport
from workbench.ui.i18n import set_language
from workbench.ui.sync_status import SyncRunner, SyncStatusItem, default_engine_factory

NOW = datetime(2026, 3, 12, 7, 5)  # naive UTC, as SyncReport.finished_at


class Engine:
    """Returns prepared reports; records the thread each cycle ran on."""

    def __init__(self, *reports: SyncReport) -> None:
        self.reports = list(reports)
        self.threads: list[str] = []

    def sync_once(
        self,
        *,
        progress: Callable[[int, int, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SyncReport:
        self.threads.append(threading.current_thread().name)
        if progress is not None:
            progress(1, 1, "push")
        return self.reports.pop(0) if len(self.reports) > 1 else self.reports[0]


class SlowEngine:
    """Works in small steps until released or cancelled, reporting progress as it goes."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.thread = ""
        self.saw_cancel = False

    def sync_once(
        self,
        *,
        progress: Callable[[int, int, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> SyncReport:
        self.thread = threading.current_thread().name
        self.started.set()
        step = 0
        deadline = time.monotonic() + 20
        while not self.release.is_set() and time.monotonic() < deadline:
            if cancelled is not None and cancelled():
                self.saw_cancel = True
                return SyncReport(caught_up=False, cancelled=True, waiting=2, finished_at=NOW)
            if progress is not None and step < 4:
                step += 1
                progress(step * 10, 100, "pull")
            time.sleep(0.01)
        return SyncReport(caught_up=True, finished_at=NOW)


@pytest.fixture
def pushed(seeded: Seed) -> Seed:
    """The seeded file as after a sync: its outbox answered, nothing waiting."""
    sql(seeded.path, "DELETE FROM sync_outbox")
    return seeded


@pytest.fixture
def make_item(qtbot: Any) -> Iterator[Callable[..., tuple[SyncRunner, SyncStatusItem]]]:
    made: list[SyncRunner] = []

    def make(ctx: Any, factory: Any, **kw: Any) -> tuple[SyncRunner, SyncStatusItem]:
        runner = SyncRunner(ctx.hub, factory, **kw)
        item = SyncStatusItem(ctx, runner)
        qtbot.addWidget(item)
        item.show()
        made.append(runner)
        return runner, item

    yield make
    for runner in made:
        runner.stop()


def _cycle(qtbot: Any, runner: SyncRunner) -> Any:
    qtbot.waitUntil(lambda: not runner.running, timeout=10000)
    with qtbot.waitSignal(runner.finished, timeout=10000) as blocker:
        assert runner.sync_now()
    return blocker.args[0]


def test_up_to_date_after_a_clean_cycle(
    open_window: Any, pushed: Seed, qtbot: Any, make_item: Any
) -> None:
    _window, ctx = open_window(pushed.path)
    engine = Engine(SyncReport(caught_up=True, pushed=3, pulled=12, finished_at=NOW))
    runner, item = make_item(ctx, lambda: engine)
    report = _cycle(qtbot, runner)
    settle(qtbot, ctx)
    assert report.caught_up
    local = NOW.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)
    assert item.state_button.text().startswith("Up to date · synced ")
    assert f"{local:%H:%M}" in item.state_button.text()
    assert engine.threads == ["workbench-sync"]
    assert not item.progress.isVisible() and not item.cancel_button.isVisible()
    assert "Last sync:" in item.state_button.toolTip()

    # The real engine stamps an aware UTC time; it reads the same.
    aware = datetime.now(UTC)
    engine.reports = [SyncReport(caught_up=True, finished_at=aware)]
    _cycle(qtbot, runner)
    settle(qtbot, ctx)
    assert item.state_button.text().endswith(f"{aware.astimezone():%H:%M}")


def test_a_cycle_publishes_what_it_changed_once(
    open_window: Any, pushed: Seed, qtbot: Any, make_item: Any
) -> None:
    _window, ctx = open_window(pushed.path)
    account = pushed.accounts["dang"]
    pages = [
        ChangeSet((RowChange("accounts", account, Op.UPDATE, {"city": "A"}, {"city": "B"}),)),
        ChangeSet((RowChange("contacts", pushed.contacts["lan"], Op.UPDATE, {}, {}),)),
        ChangeSet(),
    ]
    engine = Engine(SyncReport(caught_up=True, finished_at=NOW, changes=pages))
    runner, _item = make_item(ctx, lambda: engine)
    published: list[ChangeSet] = []
    finished: list[Any] = []
    ctx.hub.changed.connect(published.append)
    ctx.hub.sync_finished.connect(finished.append)
    _cycle(qtbot, runner)
    assert len(published) == 1
    assert published[0].ids("accounts") == {account} and published[0].touches("contacts")
    assert len(finished) == 1 and finished[0].caught_up
    settle(qtbot, ctx)


def test_offline_waiting_failed_and_not_signed_in(
    open_window: Any, seeded: Seed, qtbot: Any, make_item: Any
) -> None:
    _window, ctx = open_window(seeded.path)
    waiting = int(sql(seeded.path, "SELECT COUNT(*) FROM sync_outbox")[0][0])
    assert waiting > 1  # the seeding wrote local changes nobody has pushed
    engine = Engine(SyncReport(caught_up=False, offline=True, waiting=waiting, finished_at=NOW))
    runner, item = make_item(ctx, lambda: engine)

    _cycle(qtbot, runner)
    settle(qtbot, ctx)
    assert item.state_button.text() == f"Offline · {waiting} changes waiting"
    assert "cannot be reached" in item.state_button.toolTip()

    engine.reports = [SyncReport(caught_up=False, pushed=1, waiting=waiting, finished_at=NOW)]
    _cycle(qtbot, runner)
    settle(qtbot, ctx)
    assert item.state_button.text() == f"{waiting} changes waiting"

    engine.reports = [SyncReport(caught_up=False, error="the server said no", finished_at=NOW)]
    with qtbot.waitSignal(ctx.hub.status, timeout=5000) as said:
        _cycle(qtbot, runner)
    assert said.args[0] == "Sync failed: the server said no"
    assert item.state_button.text() == "Sync failed"
    assert "Last error: the server said no" in item.state_button.toolTip()

    runner.engine_factory = lambda: None
    _cycle(qtbot, runner)
    assert item.state_button.text() == "Not signed in"
    assert "workbench login URL USER" in item.state_button.toolTip()
    # Asked for by the user, "not signed in" is also said in the status line.
    with qtbot.waitSignal(ctx.hub.status, timeout=5000) as said:
        item.sync_now_action.trigger()
    assert said.args[0].startswith("Not signed in to a team server")
    settle(qtbot, ctx)


def test_an_engine_that_raises_is_a_failed_cycle_not_a_crash(
    open_window: Any, pushed: Seed, qtbot: Any, make_item: Any
) -> None:
    _window, ctx = open_window(pushed.path)

    class Broken:
        def sync_once(self, **_kw: Any) -> SyncReport:
            raise ConnectionError("connection reset by peer")

    runner, item = make_item(ctx, Broken)
    report = _cycle(qtbot, runner)
    assert report.error == "connection reset by peer" and not report.caught_up
    assert item.state_button.text() == "Sync failed"
    assert not runner.running
    settle(qtbot, ctx)


def test_a_slow_cycle_runs_off_the_gui_and_database_threads_and_can_be_cancelled(
    open_window: Any, seeded: Seed, qtbot: Any, make_item: Any
) -> None:
    _window, ctx = open_window(seeded.path)
    engine = SlowEngine()
    runner, item = make_item(ctx, lambda: engine)
    assert runner.sync_now()
    assert not runner.sync_now()  # never two cycles at once
    qtbot.waitUntil(lambda: item.state_button.text().startswith("Syncing… "), timeout=5000)
    assert engine.thread == "workbench-sync"
    assert item.progress.isVisible() and item.cancel_button.isEnabled()
    assert not item.sync_now_action.isEnabled() and item.cancel_action.isEnabled()

    # The window stays responsive: timers fire, and the database worker answers at once.
    fired: list[bool] = []
    QTimer.singleShot(0, lambda: fired.append(True))
    answered: list[int] = []
    ctx.tasks.run(
        "count",
        lambda store, _c: sql(seeded.path, "SELECT COUNT(*) FROM accounts")[0][0],
        answered.append,
    )
    qtbot.waitUntil(lambda: bool(fired) and answered == [3], timeout=3000)
    assert runner.running and not engine.release.is_set()

    with qtbot.waitSignal(runner.finished, timeout=10000) as blocker:
        qtbot.mouseClick(item.cancel_button, Qt.MouseButton.LeftButton)
        assert item.state_button.text() == "Cancelling…"
    assert engine.saw_cancel and blocker.args[0].cancelled
    assert item.state_button.text() == "Sync cancelled"
    assert item.sync_now_action.isEnabled() and not item.progress.isVisible()
    settle(qtbot, ctx)


def test_stopping_the_runner_cancels_the_cycle_and_ends_the_thread(
    open_window: Any, pushed: Seed, qtbot: Any
) -> None:
    _window, ctx = open_window(pushed.path)
    engine = SlowEngine()
    runner = SyncRunner(ctx.hub, lambda: engine)
    runner.sync_now()
    assert engine.started.wait(5)
    began = time.monotonic()
    runner.stop()
    assert time.monotonic() - began < 3
    assert engine.saw_cancel and not runner._thread.is_alive()
    assert not runner.sync_now()  # stopped for good
    settle(qtbot, ctx)


def test_the_timer_syncs_shortly_after_start_and_then_again(
    open_window: Any, pushed: Seed, qtbot: Any, make_item: Any
) -> None:
    _window, ctx = open_window(pushed.path)
    engine = Engine(SyncReport(caught_up=True, finished_at=NOW))
    runner, _item = make_item(ctx, lambda: engine, interval_ms=50, first_delay_ms=10)
    runner.start()
    qtbot.waitUntil(lambda: runner.cycles >= 3, timeout=10000)
    runner.stop()
    assert set(engine.threads) == {"workbench-sync"}
    settle(qtbot, ctx)


def test_counts_link_to_the_docks(open_window: Any, pushed: Seed, qtbot: Any) -> None:
    add_conflict(pushed.path, "accounts", pushed.accounts["dang"], "city", "A", "B")
    add_conflict(pushed.path, "accounts", pushed.accounts["acb"], "city", "C", "D")
    add_attention(pushed.path, [], reason="no_access")
    window, ctx = open_window(pushed.path, "am")
    item, runner = window.sync_status, window.sync_runner
    engine = Engine(SyncReport(caught_up=True, conflicts=2, rejected=1, finished_at=NOW))
    runner.engine_factory = lambda: engine
    _cycle(qtbot, runner)
    settle(qtbot, ctx)
    assert item.conflicts_link.isVisible() and item.conflicts_link.text() == "2 conflicts"
    assert item.attention_link.isVisible() and item.attention_link.text() == "1 needs attention"

    conflicts = window.panels["dock.conflicts"]
    assert not conflicts.exposed()  # a tab behind the timeline
    qtbot.mouseClick(item.conflicts_link, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: conflicts.exposed() and conflicts.model.rowCount() == 2, timeout=5000)
    qtbot.mouseClick(item.attention_link, Qt.MouseButton.LeftButton)
    attention = window.panels["dock.attention"]
    qtbot.waitUntil(lambda: attention.exposed() and attention.model.rowCount() == 1, timeout=5000)

    # Keeping a conflict updates the count without waiting for the next sync.
    window.show_dock("dock.conflicts")
    qtbot.waitUntil(lambda: conflicts.selected() is not None, timeout=5000)
    conflicts.keep_current()
    qtbot.waitUntil(lambda: item.conflicts_link.text() == "1 conflict", timeout=5000)
    settle(qtbot, ctx)


def test_sync_menu_and_shortcut(open_window: Any, pushed: Seed, qtbot: Any) -> None:
    window, ctx = open_window(pushed.path)
    menus = [a.text() for a in window.menuBar().actions()]
    assert "&Sync" in menus
    engine = Engine(SyncReport(caught_up=True, finished_at=NOW))
    runner = window.sync_runner
    qtbot.waitUntil(lambda: not runner.running, timeout=10000)
    runner.engine_factory = lambda: engine
    action = window.sync_status.sync_now_action
    assert action in window.actions()
    assert [s.toString() for s in action.shortcuts()] == ["F9", "Ctrl+Shift+S"]
    with qtbot.waitSignal(runner.finished, timeout=10000):
        action.trigger()
    assert engine.threads == ["workbench-sync"]
    settle(qtbot, ctx)


def test_without_a_sign_in_the_default_engine_is_none(
    open_window: Any, pushed: Seed, qtbot: Any, make_item: Any
) -> None:
    _window, ctx = open_window(pushed.path)
    runner, item = make_item(ctx, default_engine_factory(ctx))
    report = _cycle(qtbot, runner)
    assert report is None and runner.signed_in is False
    assert item.state_button.text() == "Not signed in"
    settle(qtbot, ctx)


def test_status_speaks_vietnamese(
    open_window: Any, pushed: Seed, qtbot: Any, make_item: Any
) -> None:
    set_language("vi")
    try:
        _window, ctx = open_window(pushed.path)
        engine = Engine(SyncReport(caught_up=False, offline=True, finished_at=NOW))
        runner, item = make_item(ctx, lambda: engine)
        _cycle(qtbot, runner)
        settle(qtbot, ctx)
        assert item.state_button.text() == "Ngoại tuyến"  # nothing waits: the outbox is empty
        assert item.sync_now_action.text() == "Đồng bộ ngay"
        engine.reports = [SyncReport(caught_up=True, finished_at=NOW)]
        _cycle(qtbot, runner)
        settle(qtbot, ctx)
        assert item.state_button.text().startswith("Đã cập nhật · đồng bộ lúc ")
    finally:
        set_language("en")

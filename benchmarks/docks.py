"""Accounts and Contacts docks on the 100,000-contact database: first rows, then a full scroll.

What is measured, in one process on Qt's offscreen platform, with the real main window at
1600x1000:

- first_rows: from the dock asking for its rows (`Panel.reload`, or `model.set_filter`) to the
  first paint of its table after the rows arrived (the model's `loaded` signal, then the
  viewport's next paint event). "cold" is when the database has just been opened, in the "sales"
  perspective where both docks are on screen: every dock loads at once and shares the one
  database worker (Accounts queues first), and these are the file's first queries. Then
  `--repeats` more times per dock on an idle worker via `model.set_filter(...)` (a fresh count
  and first page, as when a filter changes or a stale dock is shown), as median and max.
- scroll: in the "am" perspective (Contacts tabbed with Accounts, so the list gets the full
  height), the Contacts table is scrolled from the top to the bottom one screenful at a time
  (`verticalScrollBar().setValue`), waiting after each step until every visible row is loaded.
  RSS (VmRSS) is read before and after (and sampled every 100 steps for the peak); the rows the
  model caches are reported at the end, and how long the steps that had to fetch a page waited.
  The scroll stops after `--budget` seconds; the time to the end is then extrapolated from the
  rows reached (`"complete": false` in its line).

Targets: first rows painted within 100 ms of opening the dock; memory growth under 50 MB while
scrolling through.

    .venv/bin/python benchmarks/docks.py [--repeats 5] [--scroll-rows N] [--budget 180]
"""

from __future__ import annotations

import argparse
import bisect
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _data import big_db, contact_count, emit, percentile
from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from workbench.ui.i18n import set_language
from workbench.ui.launch import build, make_app, open_database

PLACEHOLDER = "…"  # what PagedTableModel shows for a row whose page has not arrived


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class PaintWatch(QObject):
    """Remembers when a widget was painted."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.times: list[float] = []
        widget.installEventFilter(self)

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.times.append(time.perf_counter())
        return False

    def first_after(self, moment: float) -> float | None:
        i = bisect.bisect_right(self.times, moment)
        return self.times[i] if i < len(self.times) else None


def wait_until(pred: Callable[[], bool], timeout: float, what: str) -> None:
    """Process events (sleeping while there are none) until `pred()` or the deadline."""
    app = QApplication.instance()
    assert app is not None
    deadline = time.perf_counter() + timeout
    ticker = QTimer()  # wakes the loop now and then so the deadline is noticed
    ticker.start(10)
    try:
        while not pred():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    finally:
        ticker.stop()


class Dock:
    """One list dock under measurement: its panel, model, view and paint watch."""

    def __init__(self, window: Any, name: str) -> None:
        self.name = name
        self.dock = window.docks[f"dock.{name}"]
        self.panel: Any = window.panels[f"dock.{name}"]
        self.model = self.panel.model
        self.view = self.panel.view
        self.paints = PaintWatch(self.view.viewport())
        self.loaded_at = 0.0
        self.model.loaded.connect(self._loaded)
        self.asked_at = 0.0
        reload = self.panel.reload

        def timed_reload() -> None:  # the moment the dock asks for its rows
            self.asked_at = self.asked_at or time.perf_counter()
            reload()

        self.panel.reload = timed_reload

    def _loaded(self) -> None:
        self.loaded_at = time.perf_counter()

    def expect(self) -> None:
        self.asked_at = 0.0
        self.loaded_at = 0.0
        self.paints.times.clear()

    def wait_first_rows(self, started: float | None = None) -> float:
        """ms from the request (or `started`) to the first paint after the rows were loaded."""
        wait_until(
            lambda: self.loaded_at > 0 and self.paints.first_after(self.loaded_at) is not None,
            30,
            f"{self.name} rows to be painted",
        )
        painted = self.paints.first_after(self.loaded_at)
        assert painted is not None
        begin = started if started is not None else self.asked_at
        shown = self.model.data(self.model.index(0, 0))
        if self.model.total and shown == PLACEHOLDER:
            raise RuntimeError(f"{self.name}: first row painted as a placeholder")
        return (painted - begin) * 1000


def settle(ctx: Any, timeout: float = 60) -> None:
    """Wait until the worker has nothing queued (other docks' loads included)."""
    wait_until(lambda: ctx.tasks.idle, timeout, "the worker to be idle")
    QApplication.processEvents()


def visible_rows(view: Any) -> range:
    top = view.rowAt(0)
    bottom = view.rowAt(view.viewport().height() - 1)
    if bottom < 0:
        bottom = view.model().rowCount() - 1
    return range(max(top, 0), bottom + 1)


def rows_loaded(model: Any, rows: range) -> bool:
    return all(model.data(model.index(r, 0)) != PLACEHOLDER for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument(
        "--scroll-rows",
        type=int,
        default=0,
        help="scroll only this many rows (default: the whole list)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=180,
        help="stop scrolling after this many seconds and extrapolate (default: 180)",
    )
    args = parser.parse_args()

    db = big_db(args.accounts)
    contacts = contact_count(db)
    app = make_app()
    set_language("en")
    scratch = tempfile.mkdtemp(prefix="workbench-bench-docks-")  # settings; removed at the end
    settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
    window, ctx = build(settings, "sales")
    window.resize(1600, 1000)
    accounts = Dock(window, "accounts")
    people = Dock(window, "contacts")
    window.show()
    QApplication.processEvents()

    # -- first rows, cold: both docks on screen as the database opens ----------------------------
    opened = time.perf_counter()
    open_database(window, ctx, db)
    for dock in (accounts, people):
        cold = dock.wait_first_rows()
        extra = {"asked_after_open_ms": round((dock.asked_at - opened) * 1000, 1)}
        emit(
            f"{dock.name}_first_rows_cold",
            round(cold, 1),
            "ms",
            contacts,
            rows=dock.model.total,
            **extra,
        )
    settle(ctx)

    # -- first rows, repeated (fresh count and first page each time) ------------------------------
    from workbench.storage.queries import AccountFilter, ContactFilter

    for dock, make_filter in ((accounts, AccountFilter), (people, ContactFilter)):
        dock.dock.raise_()
        settle(ctx)
        times = []
        for _ in range(args.repeats):
            dock.expect()
            started = time.perf_counter()
            dock.model.set_filter(make_filter())
            times.append(dock.wait_first_rows(started))
            settle(ctx)
        emit(
            f"{dock.name}_first_rows_median",
            round(statistics.median(times), 1),
            "ms",
            contacts,
            repeats=len(times),
        )
        emit(
            f"{dock.name}_first_rows_max", round(max(times), 1), "ms", contacts, repeats=len(times)
        )

    # -- scroll the contacts from top to bottom ---------------------------------------------------
    window.set_perspective("am")
    people.dock.raise_()
    settle(ctx)
    view, model = people.view, people.model
    bar = view.verticalScrollBar()
    bar.setValue(0)
    settle(ctx)
    gc.collect()
    rss_before = rss_mb()
    peak = rss_before
    last_row = model.rowCount() - 1
    if args.scroll_rows:
        last_row = min(last_row, args.scroll_rows)
    waits: list[float] = []
    steps = 0
    started = time.perf_counter()
    budget_end = started + args.budget
    while time.perf_counter() < budget_end:
        rows = visible_rows(view)
        if rows.stop - 1 >= last_row or bar.value() >= bar.maximum():
            break
        bar.setValue(min(bar.value() + bar.pageStep(), bar.maximum()))
        steps += 1
        step_start = time.perf_counter()
        QApplication.processEvents()  # lets the view paint, which asks for missing pages
        rows = visible_rows(view)
        if not rows_loaded(model, rows):
            what = f"rows {rows.start}–{rows.stop - 1}"
            wait_until(lambda rows=rows: rows_loaded(model, rows), 60, what)
            waits.append((time.perf_counter() - step_start) * 1000)
        if steps % 100 == 0:
            peak = max(peak, rss_mb())
    settle(ctx)
    QApplication.processEvents()
    seconds = time.perf_counter() - started
    gc.collect()
    rss_after = rss_mb()
    peak = max(peak, rss_after)
    reached = visible_rows(view).stop - 1
    complete = reached >= last_row
    emit(
        "contacts_scroll_to_end",
        round(seconds if complete else seconds * last_row / max(reached, 1), 1),
        "s",
        contacts,
        complete=complete,  # False: stopped at --budget; the value is extrapolated
        rows_scrolled=reached + 1,
        seconds_spent=round(seconds, 1),
        steps=steps,
        rows_per_step=len(visible_rows(view)),
    )
    emit(
        "contacts_scroll_rss_growth",
        round(rss_after - rss_before, 1),
        "MB",
        contacts,
        rss_before_mb=round(rss_before, 1),
        rss_after_mb=round(rss_after, 1),
        rss_peak_mb=round(peak, 1),
        rows_scrolled=reached + 1,
    )
    emit("contacts_scroll_cached_rows", model.cached_rows, "rows", contacts)
    if waits:
        for name, value in (
            ("p50", percentile(waits, 50)),
            ("p95", percentile(waits, 95)),
            ("max", max(waits)),
        ):
            emit(
                f"contacts_scroll_page_wait_{name}",
                round(value, 1),
                "ms",
                contacts,
                page_loads=len(waits),
            )

    window.close()
    ctx.tasks.shutdown()
    shutil.rmtree(scratch, ignore_errors=True)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())

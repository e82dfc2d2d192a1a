"""Start the GUI: window first, then open (or generate) the database on the worker.

Why this order: the window paints before SQLAlchemy is even imported (it is imported on the
worker when the store opens), so start-up feels instant even on a large database.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench.ui.context import AppContext
from workbench.ui.hub import ChangeHub
from workbench.ui.i18n import set_language, system_language, tr
from workbench.ui.main_window import MainWindow
from workbench.ui.tasks import Tasks
from workbench.ui.undo import UndoManager


def make_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Workbench")
    app.setOrganizationName("Workbench")
    app.setStyle("Fusion")
    return app


def build(settings: QSettings, perspective: str | None) -> tuple[MainWindow, AppContext]:
    tasks = Tasks()
    hub = ChangeHub()
    ctx = AppContext(tasks=tasks, hub=hub, undo=UndoManager(tasks, hub), settings=settings)
    window = MainWindow(ctx, settings, perspective)
    return window, ctx


def open_database(
    window: MainWindow,
    ctx: AppContext,
    path: Path,
    *,
    demo: bool = False,
    on_ready: Any = None,
    on_error: Any = None,
) -> None:
    """Open `path` on the worker (generating demo data first when `demo`), then load docks."""

    def opener() -> Any:
        from workbench.storage.store import Store

        if demo:
            from workbench.demo.generator import generate

            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            generate(path)
        return Store(path)

    def ready(store: Any) -> None:
        ctx.db_path = path
        window.set_database_label(str(path))
        if store.backup_made is not None:
            window.show_message(
                tr("Upgraded the database; a copy was kept at {path}", path=store.backup_made)
            )

        def loaded(result: Any) -> None:
            users, current = result
            ctx.users = users
            ctx.current_user_id = current or (users[0].id if users else "")
            ctx.store_ready = True
            for panel in window.panels.values():
                panel.request_reload()
            if on_ready is not None:
                on_ready()

        def load_users(s: Any, _ctx: Any) -> Any:
            import getpass

            from workbench.services.setup import ensure_current_user

            current = ensure_current_user(s, getpass.getuser())
            with s.read() as q:
                return q.users(), current

        ctx.tasks.run("users", load_users, loaded)

    def failed(exc: BaseException) -> None:
        window.set_database_label(tr("No database open"))
        if on_error is not None:
            on_error(exc)
        else:
            QMessageBox.critical(window, tr("Cannot open the database"), str(exc))

    window.set_database_label(
        tr("Generating demo data…") if demo else tr("Opening {path}…", path=path)
    )
    ctx.tasks.open_store(opener, ready, failed)


def when_settled(ctx: AppContext, callback: Any, quiet_ms: int = 250) -> None:
    """Call `callback` once the worker has been idle for `quiet_ms` (all docks loaded)."""
    timer = QTimer()
    timer.setSingleShot(True)
    timer.setInterval(quiet_ms)

    def check() -> None:
        if ctx.tasks.idle and ctx.store_ready:
            ctx.tasks.busy_changed.disconnect(on_busy)
            callback()
        else:
            timer.start()

    def on_busy(busy: bool) -> None:
        if not busy:
            timer.start()

    timer.timeout.connect(check)
    ctx.tasks.busy_changed.connect(on_busy)
    timer.start()
    ctx.__dict__["_settle_timer"] = timer  # keep it alive as long as the context


def _bench_probe(window: MainWindow) -> None:
    """For benchmarks/startup.py: print when the window first paints and when loaded accounts
    first paint (and whether SQLAlchemy is imported yet), then close the window."""
    import time

    from PySide6.QtCore import QEvent, QObject

    class Probe(QObject):
        def eventFilter(self, obj: Any, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                obj.removeEventFilter(self)
                what = "first_paint" if obj is window else "accounts_painted"
                print(f"BENCH {what} {time.time():.6f} {'sqlalchemy' in sys.modules}", flush=True)
                if obj is not window:
                    QTimer.singleShot(0, window.close)
            return False

    probe = Probe(window)
    window.installEventFilter(probe)
    panel: Any = window.panels["dock.accounts"]
    panel.model.loaded.connect(lambda: panel.view.viewport().installEventFilter(probe))


def run_gui(
    *,
    db: Path | None,
    demo: bool,
    lang: str | None,
    perspective: str | None,
    screenshot: Path | None,
) -> int:
    from workbench.paths import default_db_path, demo_db_path

    app = make_app()
    set_language(lang or system_language())
    if screenshot is not None:
        # A screenshot must not depend on (or change) the user's saved layout.
        scratch = tempfile.mkdtemp(prefix="workbench-shot-")
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
    else:
        settings = QSettings()
    window, ctx = build(settings, perspective)
    if screenshot is not None:
        window.resize(1600, 1000)
    if os.environ.get("WORKBENCH_BENCH_STARTUP"):  # benchmarks/startup.py only
        _bench_probe(window)
    window.show()
    path = db or (demo_db_path() if demo else default_db_path())
    status: dict[str, int] = {"code": 0}

    def shoot() -> None:
        window.repaint()
        ok = window.grab().save(str(screenshot))
        if not ok:
            print(f"workbench: could not write {screenshot}", file=sys.stderr)
            status["code"] = 1
        window.close()

    def cannot_open(exc: BaseException) -> None:
        print(f"workbench: {exc}", file=sys.stderr)
        status["code"] = 2
        window.close()

    if screenshot is not None:
        open_database(
            window,
            ctx,
            path,
            demo=demo and db is None,
            on_ready=lambda: when_settled(ctx, shoot),
            on_error=cannot_open,
        )
    else:
        open_database(window, ctx, path, demo=demo and db is None)
    code = app.exec()
    ctx.tasks.shutdown()
    return status["code"] or code

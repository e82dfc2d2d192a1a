"""The main window: a thin shell that builds docks from the registry and owns the menus.

It knows no dock's internals: commands like New (Ctrl+N) or Edit (F2) go to whichever dock has
the focus, through the Panel interface.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QWidget,
)

from workbench import __version__
from workbench.ui import perspectives
from workbench.ui.context import AppContext
from workbench.ui.i18n import tr
from workbench.ui.panel import Panel
from workbench.ui.registry import AREA, DockSpec, dock_specs
from workbench.ui.sync_status import SyncRunner, SyncStatusItem, default_engine_factory


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, settings: QSettings, perspective: str | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.settings = settings
        self.setObjectName("workbench.main")
        self.setWindowTitle("Workbench")
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        central = QWidget()
        central.setMaximumSize(0, 0)
        self.setCentralWidget(central)
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, Panel] = {}
        for spec in dock_specs():
            self._add_dock(spec)
        self.sync_runner = SyncRunner(
            ctx.hub, default_engine_factory(ctx), ready=lambda: ctx.store_ready, parent=self
        )
        self.sync_status = SyncStatusItem(ctx, self.sync_runner)
        self._build_menus()
        self._build_status()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 1000)
        saved = settings.value("layout/perspective")
        self.perspective = perspective or (saved if saved in perspectives.PERSPECTIVES else "am")
        perspectives.restore(self, self.docks, settings, self.perspective)
        self._check_perspective()
        ctx.hub.status.connect(self.show_message)
        self.sync_runner.start()

    # -- docks -------------------------------------------------------------------------------
    def _add_dock(self, spec: DockSpec) -> None:
        dock = QDockWidget(tr(spec.title), self)
        dock.setObjectName(spec.object_name)
        panel = spec.factory(self.ctx)
        panel.setObjectName(spec.object_name.replace("dock.", "panel."))
        dock.setWidget(panel)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.docks[spec.object_name] = dock
        self.panels[spec.object_name] = panel
        dock.visibilityChanged.connect(lambda shown, p=panel: shown and p.on_exposed())
        toggle = dock.toggleViewAction()
        toggle.setShortcut(QKeySequence(spec.shortcut))
        self._dock_toggles = [*getattr(self, "_dock_toggles", []), toggle]

    def show_dock(self, name: str) -> None:
        """Bring a dock to the front, docking it first if this perspective leaves it out."""
        dock = self.docks[name]
        if not dock.isFloating() and self.dockWidgetArea(dock) == AREA.NoDockWidgetArea:
            self.addDockWidget(AREA.RightDockWidgetArea, dock)
        dock.show()
        dock.raise_()

    def focused_panel(self) -> Panel | None:
        widget = QApplication.focusWidget()
        while widget is not None:
            if isinstance(widget, Panel):
                return widget
            widget = widget.parentWidget()
        for name in ("dock.accounts", "dock.contacts", "dock.timeline", "dock.account"):
            if self.docks[name].isVisible() and not self.docks[name].visibleRegion().isEmpty():
                return self.panels[name]
        return None

    # -- menus -------------------------------------------------------------------------------
    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: object, name: str
    ) -> QAction:
        action = QAction(tr(text), self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(tr("&File"))
        file_menu.addAction(
            self._action("New account", "Ctrl+Shift+A", self._new_account, "act.new_account")
        )
        file_menu.addAction(
            self._action("New contact", "Ctrl+Shift+C", self._new_contact, "act.new_contact")
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("Quit", QKeySequence.StandardKey.Quit, self.close, "act.quit")
        )

        edit = bar.addMenu(tr("&Edit"))
        self.undo_action = self._action(
            "Undo", QKeySequence.StandardKey.Undo, self.ctx.undo.undo, "act.undo"
        )
        self.redo_action = self._action("Redo", "Ctrl+Shift+Z", self.ctx.undo.redo, "act.redo")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        edit.addAction(self._action("New", "Ctrl+N", lambda: self._to_panel("new_item"), "act.new"))
        edit.addAction(self._action("Edit", "F2", lambda: self._to_panel("edit_item"), "act.edit"))
        edit.addAction(
            self._action(
                "Archive", "Ctrl+Delete", lambda: self._to_panel("archive_item"), "act.archive"
            )
        )
        edit.addAction(
            self._action("Filter", "Ctrl+F", lambda: self._to_panel("focus_filter"), "act.filter")
        )
        edit.addSeparator()
        edit.addAction(
            self._action("Quick search…", "Ctrl+K", self.quick_search, "act.quick_search")
        )
        self.ctx.undo.state_changed.connect(self._update_undo)
        self._update_undo()

        view = bar.addMenu(tr("&View"))
        persp_menu = view.addMenu(tr("Perspective"))
        group = QActionGroup(self)
        self.perspective_actions: dict[str, QAction] = {}
        for n, (key, p) in enumerate(perspectives.PERSPECTIVES.items(), start=1):
            act = self._action(
                p.title,
                f"Ctrl+Alt+{n}",
                lambda _=False, k=key: self.set_perspective(k),
                f"act.perspective.{key}",
            )
            act.setCheckable(True)
            group.addAction(act)
            persp_menu.addAction(act)
            self.perspective_actions[key] = act
        view.addSeparator()
        for toggle in self._dock_toggles:
            view.addAction(toggle)
        view.addSeparator()
        view.addAction(self._action("Reset layout", None, self.reset_layout, "act.reset_layout"))

        sync_menu = bar.addMenu(tr("&Sync"))
        for action in self.sync_status.actions_for_menu():
            sync_menu.addAction(action)
            self.addAction(action)

        help_menu = bar.addMenu(tr("&Help"))
        help_menu.addAction(self._action("About Workbench", None, self._about, "act.about"))

    def _update_undo(self) -> None:
        label = self.ctx.undo.undo_label()
        self.undo_action.setEnabled(label is not None)
        self.undo_action.setText(tr("Undo {what}", what=label) if label else tr("Undo"))
        redo = self.ctx.undo.redo_label()
        self.redo_action.setEnabled(redo is not None)
        self.redo_action.setText(tr("Redo {what}", what=redo) if redo else tr("Redo"))

    def _to_panel(self, method: str) -> None:
        panel = self.focused_panel()
        if panel is not None:
            getattr(panel, method)()

    def _new_account(self) -> None:
        self.panels["dock.accounts"].new_item()

    def _new_contact(self) -> None:
        self.panels["dock.contacts"].new_item()

    def quick_search(self) -> None:
        from workbench.ui.dialogs.quick_search import QuickSearch

        dialog = QuickSearch(self.ctx, self)
        dialog.open_account.connect(self._open_account)
        dialog.open_contact.connect(self._open_contact)
        dialog.show()

    def _open_account(self, account_id: str) -> None:
        self.ctx.hub.set_current_account(account_id)
        self.docks["dock.account"].show()
        self.docks["dock.account"].raise_()

    def _open_contact(self, contact_id: str) -> None:
        self.docks["dock.contacts"].show()
        self.docks["dock.contacts"].raise_()
        self.ctx.hub.open_contact.emit(contact_id)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            tr("About Workbench"),
            tr(
                "Workbench {version}: accounts, people and interactions, offline first.",
                version=__version__,
            ),
        )

    # -- perspectives ------------------------------------------------------------------------
    def set_perspective(self, key: str) -> None:
        if key == self.perspective:
            return
        perspectives.save(self, self.settings, self.perspective)
        self.perspective = key
        perspectives.restore(self, self.docks, self.settings, key)
        self.settings.setValue("layout/perspective", key)
        self._check_perspective()

    def reset_layout(self) -> None:
        perspectives.forget(self.settings, self.perspective)
        perspectives.apply_default(self, self.docks, self.perspective)

    def _check_perspective(self) -> None:
        self.perspective_actions[self.perspective].setChecked(True)
        title = tr(perspectives.PERSPECTIVES[self.perspective].title)
        self.setWindowTitle(f"Workbench — {title}")

    # -- status ------------------------------------------------------------------------------
    def _build_status(self) -> None:
        status = self.statusBar()
        self.db_label = QLabel()
        self.busy = QProgressBar()
        self.busy.setObjectName("status.busy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.hide()
        status.addPermanentWidget(self.busy)
        status.addPermanentWidget(self.sync_status)
        status.addPermanentWidget(self.db_label)
        self.sync_status.open_dock.connect(self.show_dock)
        self.ctx.tasks.busy_changed.connect(self.busy.setVisible)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def set_database_label(self, text: str) -> None:
        self.db_label.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sync_runner.stop()
        perspectives.save(self, self.settings, self.perspective)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.sync()
        super().closeEvent(event)

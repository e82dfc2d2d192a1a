"""The base of every dock's content: reload when affected, and only when visible.

A hidden dock marks itself stale instead of querying (STYLE practice 4), and reloads when shown.
Docks declare what they care about in `affected_by`; the hub hands them every ChangeSet.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from workbench.domain.changes import ChangeSet
from workbench.ui.context import AppContext


class Panel(QWidget):
    follows_current_account = False

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._stale = True
        self.loads = 0  # how many reloads ran; tests use it to check docks skip needless work
        ctx.hub.changed.connect(self._on_changed)
        if self.follows_current_account:
            ctx.hub.current_account_changed.connect(self._on_current_account)

    # -- to override ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Ask the worker for fresh data; the answer arrives on the GUI thread."""

    def affected_by(self, changes: ChangeSet) -> bool:
        return True

    def new_item(self) -> None:
        """Ctrl+N in this dock."""

    def edit_item(self) -> None:
        """F2 in this dock."""

    def archive_item(self) -> None:
        """Delete in this dock: archive, with undo."""

    def focus_filter(self) -> None:
        """Ctrl+F in this dock."""

    # -- machinery -----------------------------------------------------------------------------
    def exposed(self) -> bool:
        """On screen: shown, and not a dock tab behind another (those stay `isVisible()`).

        A panel whose whole area is covered by opaque children (a scroll area filling it) has
        an empty visible region of its own even on screen: then what its descendants show
        counts, searched breadth-first (the covering child is usually near the top).
        """
        if not self.isVisible():
            return False
        if not self.visibleRegion().isEmpty():
            return True
        queue: list[QWidget] = [self]
        while queue:
            widget = queue.pop(0)
            for child in widget.children():
                if isinstance(child, QWidget) and child.isVisible():
                    if not child.visibleRegion().isEmpty():
                        return True
                    queue.append(child)
        return False

    def on_exposed(self) -> None:
        """The dock came to the front (its tab was picked): catch up if something changed."""
        if self._stale:
            # After the tab switch is laid out, so `exposed()` sees the new geometry.
            QTimer.singleShot(0, self.request_reload)

    def request_reload(self) -> None:
        if not self.ctx.store_ready:
            return
        if self.exposed():
            self._stale = False
            self.loads += 1
            self.reload()
        else:
            self._stale = True

    def _on_changed(self, changes: ChangeSet) -> None:
        if self.affected_by(changes):
            self.request_reload()

    def _on_current_account(self, _account_id: str) -> None:
        self.request_reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.request_reload()

    def run(self, name: str, fn: Any, on_done: Any, on_error: Any = None) -> None:
        self.ctx.tasks.run(name, fn, on_done, on_error)

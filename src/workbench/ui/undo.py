"""Undo and redo of committed edits (Ctrl+Z / Ctrl+Shift+Z).

Each entry is a ChangeSet a service returned; undoing runs `services.undo.undo` on the worker,
which applies the inverse as a new unit of work, and the result is published like any change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from workbench.domain.changes import ChangeSet

if TYPE_CHECKING:
    from workbench.ui.hub import ChangeHub
    from workbench.ui.tasks import Tasks

LIMIT = 100


@dataclass(frozen=True)
class Entry:
    label: str
    changes: ChangeSet


class UndoManager(QObject):
    state_changed = Signal()

    def __init__(self, tasks: Tasks, hub: ChangeHub) -> None:
        super().__init__()
        self._tasks = tasks
        self._hub = hub
        self._undo: list[Entry] = []
        self._redo: list[Entry] = []

    def push(self, label: str, changes: ChangeSet) -> None:
        if changes.empty:
            return
        self._undo = [*self._undo[-(LIMIT - 1) :], Entry(label, changes)]
        self._redo.clear()
        self.state_changed.emit()

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
        self.state_changed.emit()

    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    def undo(self) -> None:
        if self._undo:
            entry = self._undo.pop()
            self._apply(entry, self._redo)

    def redo(self) -> None:
        if self._redo:
            entry = self._redo.pop()
            self._apply(entry, self._undo)

    def _apply(self, entry: Entry, target: list[Entry]) -> None:
        from workbench.services.undo import undo as undo_service

        def done(changes: Any) -> None:
            target.append(Entry(entry.label, changes))
            self._hub.publish(changes)
            self.state_changed.emit()

        self._tasks.run("undo", lambda store, _ctx: undo_service(store, entry.changes), done)
        self.state_changed.emit()

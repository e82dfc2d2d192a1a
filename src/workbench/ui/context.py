"""What every dock needs, handed over once: the worker, the hub, undo and who the user is."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSettings

from workbench.domain.records import UserRow
from workbench.ui.hub import ChangeHub
from workbench.ui.tasks import Tasks
from workbench.ui.undo import UndoManager


@dataclass
class AppContext:
    tasks: Tasks
    hub: ChangeHub
    undo: UndoManager
    db_path: Path | None = None
    users: list[UserRow] = field(default_factory=list)
    current_user_id: str = ""
    store_ready: bool = False
    settings: QSettings | None = None  # UI state (layouts, columns), never user data

    def user_name(self, user_id: str | None) -> str:
        return next((u.name for u in self.users if u.id == user_id), "")

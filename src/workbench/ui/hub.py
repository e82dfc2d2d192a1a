"""The change hub: one signal for "data changed", one for "the current account changed".

Why one hub: every service call returns a ChangeSet; the hub fans it out and each dock decides
from the set itself whether it must redraw, so no dock knows any other (STYLE practice 4).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from workbench.domain.changes import ChangeSet


class ChangeHub(QObject):
    changed = Signal(object)  # ChangeSet
    current_account_changed = Signal(str)  # account id ("" for none)
    open_contact = Signal(str)
    status = Signal(str)  # a short message for the status bar
    # A sync cycle ended (a SyncReport): the conflict and attention lists may have grown even
    # when no record changed. Its data changes arrive separately, through `changed`.
    sync_finished = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.current_account: str = ""

    def publish(self, changes: ChangeSet) -> None:
        if not changes.empty:
            self.changed.emit(changes)

    def set_current_account(self, account_id: str) -> None:
        if account_id != self.current_account:
            self.current_account = account_id
            self.current_account_changed.emit(account_id)

"""Undo: any committed change set is undone by applying its inverse in a new unit of work.

Why generic: every service already returns before/after values of what it touched, so undo
needs no per-operation code, and an undo is itself a change the rest of the app (and later
sync) sees like any other.
"""

from __future__ import annotations

from workbench.domain.changes import ChangeSet
from workbench.storage.store import Store


def undo(store: Store, changes: ChangeSet) -> ChangeSet:
    with store.unit() as uow:
        uow.apply_inverse(changes)
        return uow.commit()

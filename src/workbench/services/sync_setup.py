"""Signing a database in to a team server: the server's user becomes the current user.

Why: a database used offline before its first sign-in holds rows owned by a local placeholder
user (see `setup.ensure_current_user`). The server knows that person by another id, and scopes
accounts by owner, so the placeholder's references are moved to the server's id as ordinary
local edits (they sync like any edit) and the placeholder is archived.
"""

from __future__ import annotations

from workbench.storage.store import Store

#: Every synced column that refers to a user.
USER_REFERENCES: tuple[tuple[str, str], ...] = (
    ("accounts", "owner_id"),
    ("account_team", "user_id"),
    ("positions", "colleague_id"),
    ("opportunities", "owner_id"),
    ("activities", "owner_id"),
    ("activity_attendees", "user_id"),
    ("commitments", "owner_id"),
    ("leads", "owner_id"),
    ("account_plans", "owner_id"),
    ("plan_updates", "author_id"),
    ("plan_actions", "owner_id"),
)
CURRENT_USER = "current_user_id"


def adopt_server_user(store: Store, user_id: str, name: str, role: str) -> int:
    """Make ``user_id`` this database's current user; returns how many rows moved to it."""
    previous = store.setting(CURRENT_USER)
    with store.unit(remote=True) as uow:
        if not uow.ids_where("users", id=user_id):
            uow.insert("users", {"id": user_id, "name": name, "email": "", "role": role})
            uow.commit()
    moved = 0
    if previous and previous != user_id:
        with store.unit() as uow:
            for table, column in USER_REFERENCES:
                for row_id in uow.ids_where(table, **{column: previous}):
                    uow.update(table, row_id, {column: user_id})
                    moved += 1
            if uow.ids_where("users", id=previous):
                uow.archive("users", previous)
            uow.commit()
    store.set_setting(CURRENT_USER, user_id)
    return moved

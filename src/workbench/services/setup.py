"""First run: a database always knows who is using it.

Why: activities, commitments and "my accounts" all need a current user. A fresh database
(no demo, no sync yet) has no team, so the person at the keyboard becomes its first user.
"""

from __future__ import annotations

from workbench.storage.store import Store


def ensure_current_user(store: Store, login_name: str) -> str:
    """The current user's id, creating a user named after the OS login when there is none."""
    current = store.setting("current_user_id")
    with store.read() as q:
        users = q.users()
    if current and any(u.id == current for u in users):
        return current
    if users:
        chosen = users[0].id
    else:
        with store.unit() as uow:
            chosen = uow.insert(
                "users", {"name": login_name.strip() or "Me", "email": "", "role": "am"}
            )
            uow.commit()
    store.set_setting("current_user_id", chosen)
    return chosen

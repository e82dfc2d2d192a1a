"""First run: the person at the keyboard becomes the database's first user."""

from __future__ import annotations

from workbench.services.setup import ensure_current_user
from workbench.storage.store import Store


def test_an_empty_database_gets_a_first_user(store: Store) -> None:
    uid = ensure_current_user(store, "hoa")
    with store.read() as q:
        assert [(u.id, u.name, u.role) for u in q.users()] == [(uid, "hoa", "am")]
    assert store.setting("current_user_id") == uid
    assert ensure_current_user(store, "someone else") == uid


def test_an_existing_team_is_used_as_it_is(store: Store, user_id: str) -> None:
    store.set_setting("current_user_id", "gone")
    assert ensure_current_user(store, "hoa") == user_id
    with store.read() as q:
        assert len(q.users()) == 1

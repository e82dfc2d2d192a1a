"""Shared fixtures: real SQLite files in tmp_path, an isolated keyring and Qt settings.

Qt runs offscreen; no test touches the user's real data folder, settings or keyring.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never the user's real keyring: the null backend stores nothing and says so.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data folder and Qt settings of each test live in a temporary folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "workbench.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[object]:
    from workbench.storage.store import Store

    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def user_id(store: object) -> str:
    from workbench.storage.store import Store

    assert isinstance(store, Store)
    with store.unit() as u:
        uid = u.insert(
            "users", {"name": "Trần Minh Anh", "email": "anh@workbench.vn", "role": "am"}
        )
        u.commit()
    store.set_setting("current_user_id", uid)
    return uid

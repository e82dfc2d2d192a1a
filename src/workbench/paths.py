"""Where the user's files live (platformdirs), in one place."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "Workbench"


def data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "workbench.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"

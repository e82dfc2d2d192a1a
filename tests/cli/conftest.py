"""Shared set-up for the import/export tests: real SQLite files, data made by the services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.app import main
from workbench.storage.store import Store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "workbench.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = Store(db)
    yield s
    s.close()


def add_user(store: Store, name: str, email: str, role: str = "am") -> str:
    with store.unit() as u:
        user_id = u.insert("users", {"name": name, "email": email, "role": role})
        u.commit()
    return user_id


def write_csv(path: Path, text: str, *, bom: bool = False) -> Path:
    """Write `text` (lines joined with "\\n") as UTF-8, optionally with Excel's BOM."""
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


class Cli:
    """Runs `workbench.app.main` and returns (exit code, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str | Path) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)

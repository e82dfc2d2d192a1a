"""Open-time schema migration: back up, upgrade, or refuse a file from a newer Workbench.

Why refuse: a newer Workbench may have added columns or meanings this version would silently
damage, so an unknown revision stops the open with a message instead.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class NewerDatabaseError(RuntimeError):
    """The file was written by a newer Workbench (its schema revision is unknown here)."""


class NotAWorkbenchDatabaseError(RuntimeError):
    """The file is not a SQLite database, or holds tables that are not Workbench's."""


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_file(path: Path, label: str) -> Path:
    """Copy the database with SQLite's online backup (consistent even with a WAL beside it)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}.bak")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return bool(rows)


def upgrade(engine: Engine, path: Path) -> Path | None:
    """Bring the file at `path` to the head revision. Returns the backup made, if any."""
    script = ScriptDirectory.from_config(_config())
    known = {rev.revision for rev in script.walk_revisions()}
    try:
        current = current_revision(engine)
        has_tables = _has_tables(engine)
    except Exception as exc:  # sqlite3.DatabaseError: file is not a database
        raise NotAWorkbenchDatabaseError(f"{path} is not a Workbench database ({exc})") from exc
    if current is not None and current not in known:
        raise NewerDatabaseError(
            f"{path} was written by a newer version of Workbench (schema {current}); "
            "update Workbench to open it. The file was not changed."
        )
    head = script.get_current_head()
    if current == head:
        return None
    if current is None and has_tables:
        raise NotAWorkbenchDatabaseError(
            f"{path} holds tables but no Workbench schema version; it was not changed."
        )
    backup = backup_file(path, f"before-{head}") if current is not None else None
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return backup

"""Opening files: fresh, current, older (backed up then upgraded), newer (refused), foreign."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from workbench.storage import migrate
from workbench.storage.store import Store


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fresh_file_gets_every_table_and_the_head_revision(db_path: Path) -> None:
    store = Store(db_path)
    assert store.backup_made is None
    assert migrate.current_revision(store.engine) == migrate.head_revision()
    store.close()
    names = {
        r[0] for r in sqlite3.connect(db_path).execute("SELECT name FROM sqlite_master").fetchall()
    }
    assert {"accounts", "contacts", "positions", "activities", "search_fts"} <= names


def test_pragmas_protect_the_data(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_reopening_a_current_file_makes_no_backup(db_path: Path) -> None:
    Store(db_path).close()
    again = Store(db_path)
    assert again.backup_made is None
    again.close()
    assert not list(db_path.parent.glob("*.bak"))


def test_newer_file_is_refused_and_left_untouched(db_path: Path) -> None:
    Store(db_path).close()
    con = sqlite3.connect(db_path)
    con.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    con.commit()
    con.close()
    before = _digest(db_path)
    with pytest.raises(migrate.NewerDatabaseError, match="newer version of Workbench"):
        Store(db_path)
    assert _digest(db_path) == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(migrate.NotAWorkbenchDatabaseError):
        Store(bogus)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE songs (title TEXT)")
    con.commit()
    con.close()
    with pytest.raises(migrate.NotAWorkbenchDatabaseError):
        Store(other)


def test_older_file_is_backed_up_then_upgraded(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer Workbench (simulated with an extra revision) upgrades an old file, keeping a
    copy of it beside the original first."""
    store = Store(db_path)
    with store.unit() as u:
        u.insert("users", {"name": "Lê Hoàng Nam", "role": "rm"})
        u.commit()
    store.close()

    # The simulated newer revision follows whatever the current head is (it was '0001' when
    # this test was written; sync's 0002 came next), so it never collides with a real one.
    old_head = migrate.head_revision()
    newer = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, newer)
    (newer / "versions" / "9999_test.py").write_text(
        '"""test revision"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f"revision = '9999'\ndown_revision = '{old_head}'\n"
        "branch_labels = None\ndepends_on = None\n\n"
        "def upgrade():\n"
        "    op.add_column('users', sa.Column('nickname', sa.String(40)))\n\n"
        "def downgrade():\n"
        "    op.drop_column('users', 'nickname')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", newer)

    upgraded = Store(db_path)
    assert upgraded.backup_made is not None and upgraded.backup_made.exists()
    assert migrate.current_revision(upgraded.engine) == "9999"
    upgraded.close()
    backup = sqlite3.connect(upgraded.backup_made)
    assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == (old_head,)
    assert backup.execute("SELECT name FROM users").fetchall() == [("Lê Hoàng Nam",)]
    backup.close()
    cols = [r[1] for r in sqlite3.connect(db_path).execute("PRAGMA table_info(users)")]
    assert "nickname" in cols


def test_the_migrations_build_exactly_the_orm_tables(store: Store) -> None:
    """A column or index added to tables.py without a migration fails here, not on a user's
    laptop. The FTS tables are created by hand in the migration and are not in the ORM."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from workbench.storage.tables import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "search_" not in str(d)] == []

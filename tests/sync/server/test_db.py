"""The server schema, its engine factory and its own Alembic chain, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from workbench.sync.server import db


def test_plain_path_becomes_an_absolute_sqlite_url(tmp_path: Path) -> None:
    url = db.parse_url(str(tmp_path / "team.db"))
    assert url.drivername == "sqlite"
    assert url.database == str(tmp_path / "team.db")
    assert db.parse_url(f"sqlite:///{tmp_path}/x.db").database == f"{tmp_path}/x.db"


@pytest.mark.parametrize(
    "spec",
    [
        "postgresql://u:secret@db.example:5432/wb",
        "postgres://u:secret@db.example:5432/wb",
        "postgresql+psycopg://u:secret@db.example:5432/wb",
    ],
)
def test_postgresql_urls_use_psycopg3_and_hide_the_password(spec: str) -> None:
    url = db.parse_url(spec)
    assert url.drivername == "postgresql+psycopg"
    assert url.database == "wb"
    assert "secret" not in db.display_url(url)


@pytest.mark.parametrize(
    "spec",
    ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "postgresql+psycopg2://u@h/db"],
)
def test_unsupported_urls_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        db.parse_url(spec)


def test_sqlite_engine_sets_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    engine = db.make_engine(tmp_path / "s.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_upgrade_is_idempotent_and_uses_its_own_version_table(db_url: str) -> None:
    engine = db.make_engine(db_url)
    assert db.upgrade(engine) == (None, db.head_revision())
    assert db.upgrade(engine) == (db.head_revision(), db.head_revision())
    tables = set(inspect(engine).get_table_names())
    assert {"users", "devices", "login_attempts", "sync_counter", db.VERSION_TABLE} <= tables
    assert "alembic_version" not in tables  # left free for the domain tables' chain
    db.check_schema(engine)
    engine.dispose()


def test_migrations_build_exactly_the_declared_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": db.VERSION_TABLE})
        assert compare_metadata(ctx, db.metadata) == []


def test_check_schema_refuses_uninitialised_and_newer_databases(db_url: str) -> None:
    engine = db.make_engine(db_url)
    with pytest.raises(db.SchemaError, match="not initialised"):
        db.check_schema(engine)
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE {db.VERSION_TABLE} SET version_num = 's9999'")
    with pytest.raises(db.SchemaError, match="s9999"):
        db.check_schema(engine)
    with pytest.raises(db.SchemaError, match="newer Workbench"):
        db.upgrade(engine)
    engine.dispose()


def test_sequencer_hands_out_consecutive_ranges(engine: Engine) -> None:
    with db.write_transaction(engine) as conn:
        assert db.allocate_seqs(conn, 3) == range(1, 4)
    with db.write_transaction(engine) as conn:
        assert db.allocate_seqs(conn, 1) == range(4, 5)
    with pytest.raises(RuntimeError), db.write_transaction(engine) as conn:
        db.allocate_seqs(conn, 10)
        raise RuntimeError("rolled back: the numbers are not used up")
    with db.write_transaction(engine) as conn:
        assert db.allocate_seqs(conn, 2) == range(5, 7)
    with pytest.raises(ValueError), db.write_transaction(engine) as conn:
        db.allocate_seqs(conn, 0)


def test_sequencer_has_exactly_one_row(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(db.sync_counter).values(id=2, seq=0))
    with engine.connect() as conn:
        assert conn.execute(select(db.sync_counter.c.id)).scalars().all() == [1]


def test_role_is_checked_by_the_database(engine: Engine) -> None:
    from workbench.sync.server.auth import Auth

    from .conftest import FAST_HASHER

    Auth(engine, hasher=FAST_HASHER).create_user("anh", "am", "long enough pw")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(db.users).values(role="superuser"))


def _migrate(engine: Engine, target: str, *, down: bool = False) -> None:
    from alembic import command

    cfg = db._alembic_config()
    with db.write_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def test_s0005_packs_stored_fields_and_unpacks_them_on_the_way_back(db_url: str) -> None:
    """Pages print stored fields as they are: a server upgraded in place must hold the packed
    form (`protocol.RowFields`), older rows included."""
    import json

    from workbench.sync.server.rows import load_fields

    engine = db.make_engine(db_url)
    _migrate(engine, "s0004")
    old = {
        "name": ["Ngân hàng Á Châu", 1_700_000_000_000, "dev-a", 3],
        "city": ["Huế", 1_700_000_000_500, "dev-b", 7],
        "tax_code": ["0301452948", 1_700_000_000_000, "dev-a", 3],
    }
    text = json.dumps(old, ensure_ascii=False)
    row_id = "0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"
    with engine.begin() as conn:
        conn.execute(
            insert(db.sync_row).values(
                tbl="accounts", row_id=row_id, fields=text, deleted=False, scopes="[]", seq=7
            )
        )
        conn.exec_driver_sql(
            "INSERT INTO sync_log (seq, op_no, tbl, row_id, fields, deleted, scopes)"
            " VALUES (7, 0, 'accounts', %s, %s, false, '[]')"
            if engine.dialect.name == "postgresql"
            else "INSERT INTO sync_log (seq, op_no, tbl, row_id, fields, deleted, scopes)"
            " VALUES (7, 0, 'accounts', ?, ?, 0, '[]')",
            (row_id, text),
        )
    _migrate(engine, "head")
    with engine.connect() as conn:
        stored = conn.execute(select(db.sync_row.c.fields)).scalar_one()
        logged = conn.execute(select(db.sync_log.c.fields, db.sync_log.c.echo_of)).one()
    assert json.loads(stored) == {
        "v": [1_700_000_000_000, "dev-a", 3],
        "f": {"name": "Ngân hàng Á Châu", "city": "Huế", "tax_code": "0301452948"},
        "x": {"city": [1_700_000_000_500, "dev-b", 7]},
    }
    assert load_fields(stored) == old and load_fields(logged[0]) == old
    assert logged[1] is None  # older entries are never echoes
    _migrate(engine, "s0004", down=True)
    with engine.connect() as conn:
        assert json.loads(conn.execute(select(db.sync_row.c.fields)).scalar_one()) == old
    engine.dispose()


def test_postgresql_connections_never_prepare_statements(pg_database: str) -> None:
    # `db.make_engine`: prepared statements get generic plans, which were slow for the
    # pushes' array lookups. Run one query past psycopg's threshold: still not prepared.
    engine = db.make_engine(pg_database)
    try:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None and driver.prepare_threshold is None  # type: ignore[attr-defined]
            for _ in range(8):
                conn.exec_driver_sql("SELECT count(*) FROM pg_class WHERE relname = %s", ("x",))
            prepared = conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements")
            assert prepared.scalar_one() == 0
    finally:
        engine.dispose()

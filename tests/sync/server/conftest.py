"""Server test fixtures: every storage test runs on a SQLite file AND on the local PostgreSQL.

PostgreSQL: one scratch database `workbench_test_<random>` per session on 127.0.0.1:5432 (user
postgres, trust auth), dropped at the end; each test gets its own schema in it (via
`search_path`), which is much faster than a database per test. An unreachable PostgreSQL fails
the tests loudly instead of skipping them, as `.ci/run` does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from workbench.sync.server import db
from workbench.sync.server.auth import Auth, LoginLimits

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

# Argon2 at its cheapest: these tests check the logic, not the cost parameters.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    import psycopg

    name = f"workbench_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at 127.0.0.1:5432 as postgres: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def pg_schema_url(database_url: str) -> tuple[str, str]:
    """A fresh schema in the scratch database and a URL whose search_path points at it."""
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema, f"{database_url}?options=-csearch_path%3D{schema}"


def drop_pg_schema(database_url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty server database: a SQLite file path, or a postgresql:// URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "server.db")
        return
    database = request.getfixturevalue("pg_database")
    schema, url = pg_schema_url(database)
    try:
        yield url
    finally:
        drop_pg_schema(database, schema)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated server database."""
    eng = db.make_engine(db_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


class FakeClock:
    """A settable UTC clock, so rate-limit windows pass without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def auth(engine: Engine, clock: FakeClock) -> Auth:
    return Auth(engine, hasher=FAST_HASHER, clock=clock, limits=LoginLimits())

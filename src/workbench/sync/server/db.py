"""The server's own schema, engine factory and migrations (SYNC.md §1.5, DESIGN §5).

The server keeps its own `MetaData`, separate from the client's `workbench.storage.tables.Base`:
accounts and devices exist only on the server, and the domain tables it will hold later are
migrated by their own chain. That is also why the server's Alembic chain records its revision in
`alembic_version_server`: two chains in one database must not share a version table.

All state lives here (users, device tokens, login failures, the sequencer), never in process
memory, so any number of server processes can serve one database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    false,
    select,
    update,
)
from sqlalchemy.engine import URL, make_url

ROLES = ("am", "rm", "finance", "sales", "admin")
VERSION_TABLE = "alembic_version_server"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so values are stored as naive UTC
    and given back their zone on read. Without this, comparisons in the rate limiter would mix
    aware and naive values depending on the backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the server database; use UTC-aware values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(naming_convention=NAMING)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False, server_default=false()),
    CheckConstraint("role IN ('am', 'rm', 'finance', 'sales', 'admin')", name="role"),
)

devices = Table(
    "devices",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    # sha256 hex of the bearer token: a database leak must not hand out working tokens.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    # Push bookkeeping (SYNC.md §1.6): the last device_seq recorded (NULL until the first push,
    # whose device_seq sets the start) and the "clock is wrong" flag of the skew guard.
    Column("last_device_seq", BigInteger, nullable=True),
    Column("clock_flag", Boolean, nullable=False, default=False, server_default=false()),
)

# One row per login attempt that has not (yet) succeeded, keyed by the *attempted* name so that
# guessing against a name that does not exist is limited the same way and reveals nothing.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(200), nullable=False),
    Column("client_ip", String(64), nullable=False),
    Column("attempted_at", UTCDateTime, nullable=False),
    Index("ix_login_attempts_user_name_attempted_at", "user_name", "attempted_at"),
    Index("ix_login_attempts_client_ip_attempted_at", "client_ip", "attempted_at"),
    Index("ix_login_attempts_attempted_at", "attempted_at"),
)

# The sequencer (SYNC.md §1.5): one row, locked for the length of each push transaction so
# that sequence numbers commit in order and a `seq > cursor` reader never skips a row.
sync_counter = Table(
    "sync_counter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)


# -- synced data (SYNC.md §1.5, packed; see workbench.sync.server.rows for why) -------------

# Current state of every synced row: its per-field values and versions as one JSON object
# {field: [value, hlc, node, seq]} (the wire form of a pulled field), its tombstone, its scope
# keys, and the two references scoping needs to query (an account id, a user id).
sync_row = Table(
    "sync_row",
    metadata,
    Column("tbl", String(40), primary_key=True),
    Column("row_id", String(36), primary_key=True),
    Column("fields", Text, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("scopes", Text, nullable=False),  # JSON list, only ever grows
    Column("account_ref", String(36), nullable=True),
    Column("user_ref", String(36), nullable=True),
    Column("seq", BigInteger, nullable=False),  # last change that touched the row
    Index("ix_sync_row_tbl_user_ref", "tbl", "user_ref"),
)

# Which rows a scope holds, for snapshots (bootstrap) in (tbl, row_id) keyset order.
sync_row_scope = Table(
    "sync_row_scope",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("tbl", String(40), primary_key=True),
    Column("row_id", String(36), primary_key=True),
)

# What pull serves: per applied change (seq), one op per row with the authoritative state of
# every field the change wrote, in the wire form.
sync_log = Table(
    "sync_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("op_no", Integer, primary_key=True, autoincrement=False),
    Column("tbl", String(40), nullable=False),
    Column("row_id", String(36), nullable=False),
    Column("fields", Text, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("scopes", Text, nullable=False),
)

sync_log_scope = Table(
    "sync_log_scope",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("op_no", Integer, primary_key=True, autoincrement=False),
)

# The exactly-once ledger and response cache of push (SYNC.md §1.6); server writes too.
sync_change = Table(
    "sync_change",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("change_id", String(36), nullable=False, unique=True),
    Column("device_id", String(36), nullable=True),  # NULL: a server-side write
    Column("user_id", String(36), nullable=True),
    Column("hlc", BigInteger, nullable=False),  # as applied (after the skew guard)
    Column("status", String(12), nullable=False),  # applied | rejected
    Column("result", Text, nullable=False),  # the ChangeResult JSON, replayed as "duplicate"
    Column("applied_at", UTCDateTime, nullable=False),
)

# The scope sets a device has been told about, by version (SYNC.md §1.10), so a lost pull
# answer is simply answered again with the same events.
sync_scope_set = Table(
    "sync_scope_set",
    metadata,
    Column("device_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("scopes", Text, nullable=False),
)


class SchemaError(RuntimeError):
    """The server database is missing, not initialised, or from a newer Workbench."""


def parse_url(spec: str | Path) -> URL:
    """Turn `--db` into a SQLAlchemy URL.

    Accepts a plain file path, `sqlite:///file` or `postgresql://…` (`postgres://` too). The
    PostgreSQL driver is pinned to psycopg 3 (`postgresql+psycopg`) because that is the driver
    the `server` extra installs; SQLAlchemy would otherwise pick psycopg2.
    """
    text = str(spec)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "postgresql":
        raise ValueError(f"unsupported PostgreSQL driver {url.drivername!r}; use postgresql://")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        if not url.database or url.database == ":memory:":
            # Every pooled connection would get its own empty database.
            raise ValueError("the server needs a SQLite file, not an in-memory database")
        return url.set(drivername="sqlite")
    raise ValueError(f"unsupported database URL scheme {url.drivername!r}")


def display_url(url: URL) -> str:
    """The URL for messages, never with its password."""
    return url.render_as_string(hide_password=True)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook emit BEGIN itself, so writers can ask for BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting;
    # BEGIN IMMEDIATE takes the write lock up front and honours busy_timeout.
    immediate = conn.get_execution_options().get("workbench_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(spec: str | Path | URL) -> Engine:
    """An engine for a server database: SQLite (WAL, FULL sync, foreign keys) or PostgreSQL."""
    url = spec if isinstance(spec, URL) else parse_url(spec)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: takes SQLite's write lock at BEGIN (no-op elsewhere)."""
    with engine.connect() as conn:
        conn.execution_options(workbench_write=True)
        with conn.begin():
            yield conn


def now_utc() -> datetime:
    return datetime.now(UTC)


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return ctx.get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate the server schema to head; returns (revision before, revision after).

    Refuses a database stamped by a newer Workbench instead of guessing what its schema means.
    """
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    script = ScriptDirectory.from_config(_alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    before = current_revision(engine)
    if before is not None and before not in known:
        raise SchemaError(
            f"the server database has schema {before}, written by a newer Workbench; "
            "update Workbench. Nothing was changed."
        )
    cfg = _alembic_config()
    with write_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return before, head_revision()


def check_schema(engine: Engine) -> None:
    """Refuse to serve a database that `workbench server init` has not brought to head."""
    try:
        current = current_revision(engine)
    except Exception as exc:  # unreachable server, not a database, permissions
        raise SchemaError(f"cannot open the server database ({exc})") from exc
    head = head_revision()
    if current is None:
        raise SchemaError("the server database is not initialised; run: workbench server init")
    if current != head:
        raise SchemaError(
            f"the server database is at schema {current}, this Workbench expects {head}; "
            "run: workbench server init (it migrates)"
        )


def allocate_seqs(conn: Connection, count: int) -> range:
    """Reserve `count` consecutive server sequence numbers inside the caller's transaction.

    The counter row stays locked (FOR UPDATE; on SQLite the write transaction's lock) until the
    caller commits, so sequence numbers become visible strictly in order (SYNC.md §1.5).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    seq = conn.execute(
        select(sync_counter.c.seq).where(sync_counter.c.id == 1).with_for_update()
    ).scalar_one()
    conn.execute(update(sync_counter).where(sync_counter.c.id == 1).values(seq=seq + count))
    return range(seq + 1, seq + count + 1)


def lock_counter(conn: Connection) -> int:
    """Lock the sequencer row for the rest of the caller's transaction; returns its value.

    A push takes the lock once, numbers its changes in memory and writes the final value with
    `set_counter` before it commits (SYNC.md §1.5), instead of one round trip per change.
    """
    seq: int = conn.execute(
        select(sync_counter.c.seq).where(sync_counter.c.id == 1).with_for_update()
    ).scalar_one()
    return seq


def set_counter(conn: Connection, seq: int) -> None:
    conn.execute(update(sync_counter).where(sync_counter.c.id == 1).values(seq=seq))


def head_seq(conn: Connection) -> int:
    """The last committed seq: every seq up to it is committed (gap-free sequencing)."""
    seq: int = conn.execute(select(sync_counter.c.seq).where(sync_counter.c.id == 1)).scalar_one()
    return seq

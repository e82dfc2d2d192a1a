"""The server's own schema, engine factory and migrations (SYNC.md §1.5, DESIGN §5).

The server keeps its own `MetaData`, separate from the client's `workbench.storage.tables.Base`:
accounts and devices exist only on the server, and the domain tables it will hold later are
migrated by their own chain. That is also why the server's Alembic chain records its revision in
`alembic_version_server`: two chains in one database must not share a version table.

All state lives here (users, device tokens, login failures, the sequencer), never in process
memory, so any number of server processes can serve one database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic_core import to_json
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

# Which rows a scope holds, for snapshots (bootstrap) in (tbl, row_id) keyset order: a page of
# one scope walks the primary key, a page of many scopes `SNAPSHOT_INDEX`, from the resume
# position (`service.snapshot`). Both in byte order, the order snapshots are served in: the
# "C" collation on PostgreSQL (the database default may sort "account_team" after
# "accounts"); SQLite's BINARY already is.
SNAPSHOT_INDEX = "ix_sync_row_scope_key"
_BYTEWISE_40 = String(40).with_variant(String(40, collation="C"), "postgresql")
_BYTEWISE_36 = String(36).with_variant(String(36, collation="C"), "postgresql")
sync_row_scope = Table(
    "sync_row_scope",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("tbl", _BYTEWISE_40, primary_key=True),
    Column("row_id", _BYTEWISE_36, primary_key=True),
    Index(SNAPSHOT_INDEX, "tbl", "row_id", "scope"),
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
    # The device whose change this entry repeats exactly: every field as that device sent it
    # (its node, the change's own hlc and seq). Its pull may get the entry as an echo, without
    # the values it already holds (`protocol.PullRequest.answered_through`). NULL otherwise.
    Column("echo_of", String(36), nullable=True),
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


# A token per user that changes (a fresh random value) in the same transaction as any write to
# an ``accounts`` or ``account_team`` row naming that user (before or after the write): those
# rows are all a user's scope set is computed from, so a process may keep the set it computed
# for a token and serve it again while the database still holds that token (see
# `workbench.sync.server.scopes.read_scopes`). Random, not a seq: a rolled-back write's token
# never comes back, while its seq is handed out again. No row: unchanged since this table was
# created (the token is then "").
sync_scope_version = Table(
    "sync_scope_version",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("token", String(36), nullable=False),
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


# SQLite's page cache per connection (negative: KiB), normally and while it writes. A push of
# 10,000 rows dirties some 25 MB of pages, spread over five indexes in random (uuid) order;
# with the default 2 MB cache SQLite spilled and re-read pages all through the transaction,
# which cost about a third of the push's database time. The writer's cache is lent only for
# its transaction (SQLite has one writer at a time) and shrunk again when the connection goes
# back to the pool, so idle pooled connections do not each keep 32 MB.
_SQLITE_CACHE_KIB = 2000
_SQLITE_WRITE_CACHE_KIB = 32768
_BIG_CACHE = "workbench_big_cache"


def _sqlite_begin(conn: Connection) -> None:
    # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting;
    # BEGIN IMMEDIATE takes the write lock up front and honours busy_timeout.
    immediate = conn.get_execution_options().get("workbench_write", False)
    if immediate:
        conn.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_WRITE_CACHE_KIB}")
        conn.connection.info[_BIG_CACHE] = True
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_checkin(dbapi_connection: Any, record: Any) -> None:
    if dbapi_connection is not None and record.info.pop(_BIG_CACHE, False):
        dbapi_connection.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")


def make_engine(spec: str | Path | URL) -> Engine:
    """An engine for a server database: SQLite (WAL, FULL sync, foreign keys) or PostgreSQL."""
    url = spec if isinstance(spec, URL) else parse_url(spec)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "checkin", _sqlite_checkin)
        return engine
    # No server-side prepared statements (psycopg prepares a query after its fifth run on a
    # connection): PostgreSQL then switches to a generic plan, blind to the parameters, and
    # for the pushes' ``= ANY(<array of ids>)`` lookups that plan was several times slower,
    # and slower still as the tables grow. A connection that only ever commits keeps its
    # prepared statements (a rollback drops them), so this struck at random: in one
    # benchmark it added 30 ms to a 100-edit push.
    return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None})


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


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) in one go, inside the caller's transaction.

    Why not ``conn.execute(insert(table), dicts)``: a push of 10,000 ops writes some 40,000 rows
    (each row, its scope keys, its log entry and the entry's scope keys), and SQLAlchemy's
    per-row parameter handling cost more CPU than the database's own work. Only for columns
    whose Python values go to the driver unchanged (text, integers, booleans, NULL): no type
    processing is skipped. PostgreSQL gets one COPY stream (about 15 times less client CPU than
    an executemany of INSERTs), SQLite an executemany of one prepared statement.
    """
    if not rows:
        return
    name = conn.dialect.identifier_preparer.format_table(table)
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()  # the same session and transaction as ``conn``
        with cursor, cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {name} ({names}) VALUES ({marks})", list(rows))


def bulk_update(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    keys: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """UPDATE one row per tuple (``columns`` values, then ``keys`` values), straight to the
    driver like `bulk_insert`, for the same kinds of columns; ``keys`` name one row each.

    PostgreSQL gets one statement taking every row in one JSON parameter (`_pg_json_update`)
    instead of an executemany: psycopg pipelines the executemany into one round trip, but
    still sends, plans and answers one statement per row. For 100 contacts of an edit push
    (~600 bytes each) that took 2.9 ms, 2.2 of them the server's own CPU; the one statement
    2.6 ms, 0.6 of them the server's (measured on this 2-vCPU machine, noisy). SQLite gets
    an executemany of one prepared statement (no round trips to save there).
    """
    if not rows:
        return
    name = conn.dialect.identifier_preparer.format_table(table)
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    where = " AND ".join(f"{k} = {mark}" for k in keys)
    if conn.dialect.name == "postgresql" and len(rows) > 1:
        unique = {tuple(row[-len(keys) :]): row for row in rows}  # the last row of a key wins
        statement = _pg_json_update(conn.dialect, table, columns, keys)
        updated = conn.exec_driver_sql(statement, (to_json(list(unique.values())).decode(),))
        if updated.rowcount == len(unique):
            return
        # A key without a row (or a row moved under the statement, which the sequencer's lock
        # rules out for `sync_row`): the plain way, which leaves every row as wanted whatever
        # the statement above did.
    conn.exec_driver_sql(f"UPDATE {name} SET {sets} WHERE {where}", list(rows))


_JSON_UPDATES: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}


def _pg_json_update(
    dialect: Dialect, table: Table, columns: Sequence[str], keys: Sequence[str]
) -> str:
    """``UPDATE table AS t SET c = (v.e->>0)::type, ... FROM jsonb_array_elements(%s) AS v(e)``:
    the rows as one JSON array of arrays (``columns`` values, then ``keys`` values), each row
    found by its key through the primary key and updated by its ``ctid``.

    Why JSON: one text parameter costs the server next to nothing to send, where psycopg
    quotes the elements of array parameters one by one in Python (100 rows as eight arrays:
    more client CPU than the executemany). Why ``jsonb``: ``->>`` on a ``json`` value parses
    its text again for every column taken out of it; 100 contacts of ~600 bytes took 5.4 ms
    that way, 2.6 ms as ``jsonb`` (parsed once). Why the lateral subquery: with a plain
    ``WHERE t.k = v.k`` the planner picks its join from the table's statistics, and a table
    autovacuum has not analysed since it grew (right after a big push) is taken to be small:
    it hashed the 100 rows of an edit and scanned all of ``sync_row`` (20,000 rows: 11 ms
    instead of 1). The subquery (``OFFSET 0`` keeps it from being merged into a join) makes
    one primary-key probe per row whatever the statistics; the row is then fetched by its
    tuple id.
    """
    cache_key = (table.name, tuple(columns), tuple(keys))
    found = _JSON_UPDATES.get(cache_key)
    if found is not None:
        return found
    preparer = dialect.identifier_preparer
    name = preparer.format_table(table)

    def value(i: int, column: str) -> str:
        kind = table.c[column].type
        if isinstance(kind, String):
            return f"v.e->>{i}"
        return f"(v.e->>{i})::{kind.compile(dialect=dialect)}"

    sets = ", ".join(f"{preparer.quote(c)} = {value(i, c)}" for i, c in enumerate(columns))
    match = " AND ".join(
        f"{preparer.quote(k)} = {value(i, k)}" for i, k in enumerate(keys, len(columns))
    )
    found = _JSON_UPDATES[cache_key] = (
        f"UPDATE {name} AS t SET {sets} FROM jsonb_array_elements(%s::jsonb) AS v(e)"
        f" CROSS JOIN LATERAL (SELECT ctid AS found FROM {name} WHERE {match} OFFSET 0) AS r"
        " WHERE t.ctid = r.found"
    )
    return found

"""The local store: one SQLite file, opened once, and units of work over it.

Why a unit of work with generic `insert/update/archive` by table name: services stay free of
SQLAlchemy, every write passes the same path (where change capture and the search index are kept
in step), and what leaves storage is plain data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from workbench.domain.changes import ChangeSet, Op, RowChange
from workbench.domain.ids import new_id
from workbench.domain.names import NameOrder, name_order, sort_keys
from workbench.domain.text import fold
from workbench.storage import capture, outbox, search, sql
from workbench.storage.engine import make_engine
from workbench.storage.migrate import upgrade
from workbench.storage.queries import Queries
from workbench.storage.sync_tables import SyncState
from workbench.storage.tables import (
    SYNCED_TABLES,
    Account,
    Activity,
    Commitment,
    Contact,
    Holding,
    Opportunity,
    Position,
    Setting,
    Synced,
)


class RowNotFoundError(LookupError):
    """The row does not exist (or is archived where a live row was needed)."""


class Store:
    """One open database file. Thread-safe to share; each unit of work owns one Session."""

    def __init__(self, path: Path, *, capture_sync: bool = True) -> None:
        """`capture_sync=False` is for generated data that must never be pushed (the demo
        portfolio): its units of work write no outbox entries or field versions."""
        self.path = Path(path)
        self.capture_sync = capture_sync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = make_engine(self.path)
        self.backup_made: Path | None = upgrade(self.engine, self.path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Queries]:
        """A read-only view for one user event; no change capture."""
        with self._sessions() as session:
            yield Queries(session)

    @contextmanager
    def unit(self, *, remote: bool = False) -> Iterator[UnitOfWork]:
        """A unit of work: commit it with `uow.commit()`; leaving without commit rolls back.

        `remote=True` is for applying values that came from the sync server (a pull page): the
        unit may set `row_seq` and writes no outbox entry or local field versions, so the
        server's changes are never echoed back; derived columns, the search index and the
        returned ChangeSet are kept exactly as for a local edit.
        """
        if not remote:
            with self._sessions() as session:
                capture.install(session)
                yield UnitOfWork(session, capture_sync=self.capture_sync, remote=False)
            return
        # Server data may reference rows outside this device's scopes (a parent account owned
        # by someone else): referential integrity of synced data is the server's job, so a
        # remote unit does not enforce foreign keys. Set outside a transaction (SQLite ignores
        # it inside one) on a connection held for the whole unit and restored before it goes
        # back to the pool: a session commit returns its connection at once, and restoring on
        # whatever connection the session took next left another pooled one without them.
        #
        # synchronous=NORMAL: a power cut may lose the last such transactions (never corrupt
        # the file), and that is harmless here, unlike for a local edit: a pull page commits
        # with its cursor and is fetched again, a lost push answer means the change is resent
        # and the server answers it as a duplicate. It saves an fsync per page and per push
        # answer.
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            conn.commit()
            try:
                with self._sessions(bind=conn) as session:
                    capture.install(session)
                    yield UnitOfWork(session, capture_sync=False, remote=True)
            finally:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()

    def setting(self, key: str, default: str = "") -> str:
        with self._sessions() as session:
            row = session.get(Setting, key)
            return row.value if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self._sessions.begin() as session:
            session.merge(Setting(key=key, value=value))

    def device_id(self) -> str:
        """This file's sync device id (a UUIDv7 made on first use; a copied file shares it)."""
        with self._sessions.begin() as session:
            return outbox.device_id(session)

    def sync_state(self, key: str) -> str | None:
        """One value of the sync client's key/value state (`sync_state`), or None."""
        with self._sessions() as session:
            row = session.get(SyncState, key)
            return row.v if row is not None else None

    def set_sync_state(self, values: Mapping[str, str | None]) -> None:
        """Set several `sync_state` keys in one transaction; None deletes a key."""
        with self._sessions.begin() as session:
            for key, value in values.items():
                if value is None:
                    session.execute(delete(SyncState).where(SyncState.k == key))
                else:
                    session.merge(SyncState(k=key, v=value))

    def observe_hlc(self, remote: int) -> int:
        """Fold a server HLC into this file's clock, so the next local write orders after it."""
        with self._sessions.begin() as session:
            return outbox.observe(session, remote)


def _account_of(session: Session, change: RowChange) -> str | None:
    """The account whose derived views a row change affects (for change fan-out)."""
    model = SYNCED_TABLES[change.table]
    if change.after.get("account_id"):
        return str(change.after["account_id"])
    if model is Account:
        return change.row_id
    if model in (Position, Holding, Opportunity, Activity, Commitment):
        obj = session.get(model, change.row_id)
        return getattr(obj, "account_id", None) if obj is not None else None
    return None


# Tables with search documents (`storage.search`).
_SEARCHED = ("accounts", "contacts")

# Columns a local edit never sets (row_seq is written only when applying server values).
_FIXED = ("id", "created_at", "updated_at", "row_seq")


class UnitOfWork:
    def __init__(
        self, session: Session, *, capture_sync: bool = True, remote: bool = False
    ) -> None:
        self.capture_sync = capture_sync
        # Applying server values (see Store.unit): only such a unit may set `row_seq`.
        self.remote = remote
        self.session = session
        self.q = Queries(session)
        self._changes: list[RowChange] = []
        # Full values of rows inserted by insert_many, for the outbox (their RowChange only
        # carries routing fields, and there is no ORM object to read them from).
        self._bulk: dict[tuple[str, str], dict[str, Any]] = {}
        # Rows of searchable tables written by insert_many or update_many, by table and id, as
        # stored: their search documents are built from these values at commit instead of
        # reading them back (`_reindex` keeps only rows with no other change in this unit).
        self._fresh: dict[str, dict[str, dict[str, Any]]] = {}

    def _model(self, table: str) -> type[Synced]:
        try:
            return SYNCED_TABLES[table]
        except KeyError:
            raise ValueError(f"unknown table {table}") from None

    def _load(self, table: str, row_id: str) -> Synced:
        obj = self.session.get(self._model(table), row_id)
        if obj is None:
            raise RowNotFoundError(f"{table} {row_id} not found")
        return obj

    def insert(self, table: str, values: Mapping[str, Any]) -> str:
        model = self._model(table)
        obj = model(**values)
        _keep_derived(obj)
        self.session.add(obj)
        self.session.flush()
        return obj.id

    def insert_many(self, table: str, rows: list[dict[str, Any]]) -> list[str]:
        """Insert many rows in one statement (demo data, imports): the same defaults, derived
        columns and capture as `insert`, without building an ORM object or flushing per row.

        The search documents of these rows are made at commit from the values inserted here
        (`_reindex`), so a later write to one of them in this unit must go through the unit
        (`update`, `update_many`, `archive`, `purge` record it); raw SQL on a searched column
        would leave the document as inserted."""
        model = self._model(table)
        defaults = _column_defaults(model)
        now = capture.utcnow()
        columns = defaults.keys()
        prepared: list[dict[str, Any]] = []
        for values in rows:
            if not columns >= values.keys():
                unknown = values.keys() - columns
                raise ValueError(f"{table} has no column {sorted(unknown)[0]}")
            row = {**defaults, **values}
            row["id"] = row["id"] or new_id()
            row["created_at"] = row["created_at"] or now
            row["updated_at"] = row["updated_at"] or now
            row.update(_derived(model, row))
            prepared.append(row)
        if prepared:
            _insert_rows(self.session, model, prepared)
            self._changes.extend(
                RowChange(table, r["id"], Op.INSERT, {}, _bulk_after(r)) for r in prepared
            )
            if self.capture_sync:
                self._bulk.update(((table, r["id"]), r) for r in prepared)
            if table in _SEARCHED:
                self._fresh.setdefault(table, {}).update((r["id"], r) for r in prepared)
        return [r["id"] for r in prepared]

    def update_many(self, table: str, rows: list[tuple[Mapping[str, Any], dict[str, Any]]]) -> None:
        """Rewrite many rows of one table from server data (remote units only): each item is
        the row as stored (every column, as `select(table)` reads it) and the row it becomes.

        Why not `update` per row: that loads an entity and flushes once per row, which was
        most of the time a sync page of edits took. Here derived columns are recomputed when
        what they derive from changed, only changed columns are written (one executemany of
        plain tuples per set of changed columns, `_update_rows`) and each row gets the same
        `RowChange` the flush hook would have recorded (archive/restore when only
        `deleted_at` changed). No entity of these rows may be loaded in this session.
        """
        if not self.remote:
            raise ValueError("update_many applies server data; local edits use update")
        model = self._model(table)
        now = capture.utcnow()
        inputs = _DERIVED_FROM.get(model)
        searched = self._fresh.setdefault(table, {}) if table in _SEARCHED else None
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for before, wanted in rows:
            changed = {k: v for k, v in wanted.items() if k != "id" and before.get(k) != v}
            if inputs is not None and not inputs.isdisjoint(changed):
                derived = _derived(model, {**before, **changed})
                changed.update((k, v) for k, v in derived.items() if before.get(k) != v)
            if not changed:
                continue
            shown = {k: v for k, v in changed.items() if k not in capture.IGNORED}
            if shown:
                changed["updated_at"] = now
                op = Op.UPDATE
                if set(shown) == {"deleted_at"}:
                    op = Op.ARCHIVE if shown["deleted_at"] is not None else Op.RESTORE
                self._changes.append(
                    RowChange(
                        table,
                        str(before["id"]),
                        op,
                        {k: capture.plain(before.get(k)) for k in shown},
                        {k: capture.plain(v) for k, v in shown.items()},
                    )
                )
                if searched is not None:
                    # The row as stored now: its search document is built from it at commit
                    # (`_reindex`), as for a row `insert_many` wrote, instead of reading it back.
                    searched[str(before["id"])] = {**before, **changed}
            groups.setdefault(tuple(sorted(changed)), []).append({**changed, "id": before["id"]})
        for names, params in groups.items():
            _update_rows(self.session, model, names, params)

    def update(self, table: str, row_id: str, values: Mapping[str, Any]) -> None:
        obj = self._load(table, row_id)
        columns = {c.key for c in inspect(type(obj)).column_attrs}
        fixed = ("id", "created_at", "updated_at") if self.remote else _FIXED
        for key, value in values.items():
            if key not in columns or key in fixed:
                raise ValueError(f"{table}.{key} cannot be set")
            setattr(obj, key, value)
        _keep_derived(obj)
        self.session.flush()

    def archive(self, table: str, row_id: str) -> None:
        obj = self._load(table, row_id)
        if obj.deleted_at is None:
            obj.deleted_at = capture.utcnow()
            self.session.flush()

    def restore(self, table: str, row_id: str) -> None:
        obj = self._load(table, row_id)
        if obj.deleted_at is not None:
            obj.deleted_at = None
            self.session.flush()

    def purge(self, table: str, row_id: str) -> None:
        """Remove a row from this device for good (remote units only): the server took it out
        of this device's scopes, or refused to create it. Recorded as an archive for the UI."""
        if not self.remote:
            raise ValueError("only server data is purged; local rows are archived")
        obj = self.session.get(self._model(table), row_id)
        if obj is None:
            return
        self.session.expunge(obj)
        self.session.execute(delete(self._model(table)).where(self._model(table).id == row_id))
        self.session.connection().exec_driver_sql(
            "DELETE FROM sync_version WHERE tbl = ? AND row_id = ?", (table, row_id)
        )
        if table in ("accounts", "contacts"):
            search.remove(self.session, [row_id])
        self._changes.append(RowChange(table, row_id, Op.ARCHIVE, {}, {}))

    def values(self, table: str, row_id: str) -> dict[str, Any]:
        obj = self._load(table, row_id)
        return {c.key: getattr(obj, c.key) for c in inspect(type(obj)).column_attrs}

    def ids_where(self, table: str, **equals: Any) -> list[str]:
        model = self._model(table)
        stmt = select(model.id).where(model.deleted_at.is_(None))
        for key, value in equals.items():
            stmt = stmt.where(getattr(model, key) == value)
        return list(self.session.scalars(stmt))

    def commit(self) -> ChangeSet:
        """Commit, keeping the search index and the sync outbox in step (in this one
        transaction); returns everything this unit changed."""
        self.session.flush()
        rows = self._changes + capture.drain(self.session)
        bulk = self._bulk
        fresh = self._fresh
        self._changes = []
        self._bulk = {}
        self._fresh = {}
        accounts = {a for r in rows if (a := _account_of(self.session, r))}
        self._reindex(rows, fresh)
        if self.capture_sync:
            outbox.record(self.session, rows, bulk)
        self.session.commit()
        return ChangeSet(tuple(rows), frozenset(accounts))

    def _reindex(self, rows: list[RowChange], fresh: dict[str, dict[str, dict[str, Any]]]) -> None:
        """Rewrite the search documents of the accounts and contacts these changes touched.

        `fresh` (rows written by insert_many or update_many) holds exactly what is stored for
        a row whose only change in this unit is that write; a row changed again since (update,
        archive, purge: each records a change) is read back like any other.
        """
        account_ids = {r.row_id for r in rows if r.table == "accounts"}
        contact_ids = {r.row_id for r in rows if r.table == "contacts"}
        for r in rows:
            if r.table == "positions" and r.after.get("contact_id"):
                contact_ids.add(str(r.after["contact_id"]))
            elif r.table == "positions":
                pos = self.session.get(Position, r.row_id)
                if pos is not None:
                    contact_ids.add(pos.contact_id)
        renamed = [
            r.row_id
            for r in rows
            if r.table == "accounts" and r.op is Op.UPDATE and "name" in r.after
        ]
        if renamed:
            # An account's new name shows in its contacts' subtitles.
            contact_ids.update(
                self.session.scalars(
                    select(Position.contact_id).where(Position.account_id.in_(renamed))
                )
            )
        if fresh:
            seen = Counter((r.table, r.row_id) for r in rows if r.table in fresh)
            for table, inserted in fresh.items():
                fresh[table] = {k: v for k, v in inserted.items() if seen[(table, k)] == 1}
        search.index_accounts(self.session, account_ids, fresh.get("accounts"))
        search.index_contacts(self.session, contact_ids, fresh.get("contacts"))
        capture.drain(self.session)  # search_docs is local-only; nothing to capture

    def apply_inverse(self, changes: ChangeSet) -> None:
        """Undo: apply the inverse of a committed change set (newest first)."""
        for r in changes.inverse():
            if r.op is Op.ARCHIVE:
                self.archive(r.table, r.row_id)
            elif r.op is Op.RESTORE:
                self.restore(r.table, r.row_id)
            else:
                self.update(r.table, r.row_id, _from_plain(self._model(r.table), r.after))


# Per model: the INSERT statement, a row's values in column order, and the columns (by
# position) whose type has a bind processor of its own.
_INSERTS: dict[type[Synced], tuple[str, itemgetter[Any], list[tuple[int, Any]]]] = {}


def _insert_rows(session: Session, model: type[Synced], rows: list[dict[str, Any]]) -> None:
    """One executemany of plain tuples, every column given (None is NULL, as ORM inserts with
    ``render_nulls`` would write it).

    Why not an ORM or Core insert: both build a parameter dict per row through SQLAlchemy's
    compiler, about a third of what a 10,000-row sync page cost. The column types' own bind
    processors (booleans to integers) are applied here; dates and datetimes go to the driver
    as they are and are stored by its adapters (ISO text, which SQLAlchemy reads back; a
    datetime at a whole second lacks the ".000000" an ORM insert writes). The values are
    taken with one `itemgetter` per row and only processed columns are touched: a contact has
    none, and a Python step per column was most of this function's time.
    """
    conn = session.connection()
    plan = _INSERTS.get(model)
    if plan is None:
        quote = conn.dialect.identifier_preparer.quote
        attrs = list(inspect(model).column_attrs)
        table = model.__table__  # type: ignore[attr-defined]
        names = ", ".join(quote(a.columns[0].name) for a in attrs)
        marks = ", ".join("?" * len(attrs))
        processors = [a.columns[0].type.bind_processor(conn.dialect) for a in attrs]
        plan = (
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})",
            itemgetter(*(a.key for a in attrs)),
            [(i, p) for i, p in enumerate(processors) if p is not None],
        )
        _INSERTS[model] = plan
    sql, values, processed = plan
    conn.exec_driver_sql(sql, _bound(rows, values, processed))


# Per model and set of columns: the UPDATE statement, a row's values in its parameter order,
# and the positions whose type has a bind processor (see `_insert_rows`).
_UPDATES: dict[tuple[type[Synced], tuple[str, ...]], tuple[str, Any, list[tuple[int, Any]]]] = {}


def _update_rows(
    session: Session, model: type[Synced], names: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    """``UPDATE <table> SET <names> WHERE id = ?`` as one executemany of plain tuples, for the
    same reason and with the same value handling as `_insert_rows` (a Core update built its
    statement and a parameter dict per row through the compiler, a fifth of a 100-edit page)."""
    conn = session.connection()
    key = (model, names)
    plan = _UPDATES.get(key)
    if plan is None:
        quote = conn.dialect.identifier_preparer.quote
        columns = {a.key: a.columns[0] for a in inspect(model).column_attrs}
        table = model.__table__  # type: ignore[attr-defined]
        sets = ", ".join(f"{quote(columns[n].name)} = ?" for n in names)
        order = (*names, "id")
        processors = [columns[n].type.bind_processor(conn.dialect) for n in order]
        plan = (
            f"UPDATE {quote(table.name)} SET {sets} WHERE {quote(columns['id'].name)} = ?",
            itemgetter(*order),
            [(i, p) for i, p in enumerate(processors) if p is not None],
        )
        _UPDATES[key] = plan
    sql, values, processed = plan
    conn.exec_driver_sql(sql, _bound(rows, values, processed))


# Per model: its column names, the SELECT of them by id (``{marks}`` to fill) and the result
# processors of the columns that have one (dates, datetimes, booleans on SQLite).
_SELECTS: dict[type[Synced], tuple[list[str], str, list[tuple[int, Any]]]] = {}


def stored_rows(conn: Any, model: type[Synced], ids: list[str]) -> list[dict[str, Any]]:
    """Every column of these rows, as ``select(table)`` would read them (each column's own
    result processor applied), by plain SQL with one mark per id: SQLAlchemy's expanding IN
    renders the statement anew for each list length, a tenth of a 100-edit page's apply.
    Rows come back in no particular order; missing ids are simply absent. Beside
    `_insert_rows` and `_update_rows`, which write rows the same way."""
    plan = _SELECTS.get(model)
    if plan is None:
        table = model.__table__  # type: ignore[attr-defined]
        dialect = conn.dialect
        quote = dialect.identifier_preparer.quote
        names = [c.name for c in table.c]
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in table.c]
        plan = _SELECTS[model] = (
            names,
            f"SELECT {', '.join(quote(n) for n in names)} FROM {quote(table.name)}"
            f" WHERE {quote(table.c.id.name)} IN ({{marks}})",
            [(i, p) for i, p in enumerate(processors) if p is not None],
        )
    names, statement, processed = plan
    found = conn.exec_driver_sql(statement.format(marks=sql.marks(len(ids))), tuple(ids))
    out: list[dict[str, Any]] = []
    for row in found.fetchall():
        values = list(row)
        for i, process in processed:
            values[i] = process(values[i])
        out.append(dict(zip(names, values, strict=True)))
    return out


def _bound(
    rows: list[dict[str, Any]], values: Any, processed: list[tuple[int, Any]]
) -> list[tuple[Any, ...]]:
    """Each row's values (``values``, an itemgetter) as a tuple, with the bind processors of
    the ``processed`` positions applied (`_insert_rows`)."""
    params: list[tuple[Any, ...]] = list(map(values, rows))
    if processed:
        for n, row in enumerate(params):
            processed_row = list(row)
            for i, process in processed:
                if row[i] is not None:
                    processed_row[i] = process(row[i])
            params[n] = tuple(processed_row)
    return params


def _bulk_after(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a bulk insert records per row: enough to route it, not a copy of every value."""
    return {k: row[k] for k in ("account_id", "contact_id") if row.get(k)}


def _from_plain(model: type[Synced], values: Mapping[str, Any]) -> dict[str, Any]:
    """Turn captured ISO strings back into dates for date/datetime columns."""
    from datetime import date, datetime

    out: dict[str, Any] = {}
    columns = {c.key: c for c in inspect(model).column_attrs}
    for key, value in values.items():
        if isinstance(value, str) and key in columns:
            py = columns[key].columns[0].type.python_type
            if py is datetime:
                value = datetime.fromisoformat(value)
            elif py is date:
                value = date.fromisoformat(value)
        out[key] = value
    return out


_DEFAULTS: dict[type[Synced], dict[str, Any]] = {}


def _column_defaults(model: type[Synced]) -> dict[str, Any]:
    """Every column of `model` with its scalar default (None where it has none), cached."""
    if model not in _DEFAULTS:
        out: dict[str, Any] = {}
        for attr in inspect(model).column_attrs:
            default = attr.columns[0].default
            out[attr.key] = default.arg if default is not None and default.is_scalar else None
        _DEFAULTS[model] = out
    return dict(_DEFAULTS[model])


def _derived(model: type[Synced], values: Mapping[str, Any]) -> dict[str, Any]:
    """Columns derived from others (folded names, sort keys), computed in this one place."""
    if model is Account:
        return {"name_folded": fold(values.get("name") or "")}
    if model is Contact:
        name_order(values.get("name_order") or NameOrder.FAMILY_FIRST)  # refuses unknown ones
        by_given, by_family = sort_keys(
            values.get("family_name") or "",
            values.get("middle_name") or "",
            values.get("given_name") or "",
        )
        # The keys of a Vietnamese and of any other locale (`PersonName.sort_key`).
        return {"sort_given": "\x1f".join(by_given), "sort_family": "\x1f".join(by_family)}
    return {}


#: What each model's derived columns (`_derived`) are computed from.
_DERIVED_FROM: dict[type[Synced], frozenset[str]] = {
    Account: frozenset({"name"}),
    Contact: frozenset({"name_order", "family_name", "middle_name", "given_name"}),
}


def _keep_derived(obj: Synced) -> None:
    model = type(obj)
    values = {attr.key: getattr(obj, attr.key) for attr in inspect(model).column_attrs}
    for key, value in _derived(model, values).items():
        setattr(obj, key, value)

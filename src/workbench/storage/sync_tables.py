"""Local-only sync bookkeeping tables of the client (SYNC.md §1.4, §1.6, §1.14).

These rows never sync themselves, so they are not `Synced` and change capture ignores them. They
live on the same `Base.metadata` as the domain tables so the migration check
(tests/storage/test_migrate.py) covers them too.

Why `sync_version` (one row per synced row) instead of SYNC.md's `_sync_field` (one row per
field): the demo generator and imports write ~700,000 rows through `insert_many`; one row per
field would be ~6 million rows and hundreds of MB. SYNC.md allows packing a row's per-field
versions into JSON; this packs them further: the row-level `(hlc, node, seq)` is the version of
every field (and of the tombstone `_deleted`) that is *not* listed in `fields`, and `fields` maps
only the fields written since with their own `[hlc, node, seq]`. A fresh insert is therefore one
narrow row with `fields = '{}'`. The semantics are exactly those of `_sync_field`:
`version(f) = fields.get(f, (hlc, node, seq))`. See `workbench.storage.outbox`.
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from workbench.storage.tables import Base


class SyncVersion(Base):
    """Per-field versions of one synced row, packed (see the module docstring)."""

    __tablename__ = "sync_version"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 (SQLAlchemy's own type)
    tbl: Mapped[str] = mapped_column(String(40), primary_key=True)
    row_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    hlc: Mapped[int] = mapped_column(Integer, nullable=False)
    node: Mapped[str] = mapped_column(String(36), nullable=False)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # JSON {field: [hlc, node, seq]} for fields whose version differs from the row's.
    fields: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'{}'"))
    # JSON list of the server scopes the row was received under (SYNC.md §1.4 `_sync_row_scope`,
    # packed like the versions); NULL for a row the server has not sent yet.
    scopes: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncOutbox(Base):
    """One row per local unit of work that changed synced data, written in its transaction."""

    __tablename__ = "sync_outbox"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 (device_seq never reused)
    device_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    hlc: Mapped[int] = mapped_column(Integer, nullable=False)
    schema_version: Mapped[int] = mapped_column(Integer, nullable=False)
    ops: Mapped[str] = mapped_column(Text, nullable=False)  # JSON [{op, tbl, id, fields, base}]
    # pending | sent | rejected (a rejected change moves to sync_attention)
    state: Mapped[str] = mapped_column(String(12), nullable=False, server_default=text("'pending'"))
    created_at: Mapped[int] = mapped_column(Integer, nullable=False)  # Unix ms


class SyncState(Base):
    """Key/value state of the sync client: device_id, hlc, cursor, head_seq, scope set version."""

    __tablename__ = "sync_state"
    k: Mapped[str] = mapped_column(String(40), primary_key=True)
    v: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncConflict(Base):
    """A conflict record synced down from the server (SYNC.md §1.5, §1.14); shown in the UI."""

    __tablename__ = "sync_conflict"
    __table_args__ = (Index("ix_sync_conflict_row", "tbl", "row_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tbl: Mapped[str] = mapped_column(String(40), nullable=False)
    row_id: Mapped[str] = mapped_column(String(36), nullable=False)
    field: Mapped[str] = mapped_column(String(60), nullable=False)
    # concurrent_update | update_on_deleted | delete_on_updated
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    winner_change: Mapped[str | None] = mapped_column(String(36), nullable=True)
    loser_change: Mapped[str | None] = mapped_column(String(36), nullable=True)
    winner_value: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    loser_value: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    winner_hlc: Mapped[int | None] = mapped_column(Integer, nullable=True)
    loser_hlc: Mapped[int | None] = mapped_column(Integer, nullable=True)
    winner_user: Mapped[str | None] = mapped_column(String(36), nullable=True)
    loser_user: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, server_default=text("'open'"))
    created_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    row_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # conflicts sync too


class SyncAttention(Base):
    """A change the server rejected, with its reason and the user's values; never auto-deleted.

    The "needs attention" list (SYNC.md §1.6, §1.14) offers "re-apply as new edit" from `ops`.
    """

    __tablename__ = "sync_attention"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    device_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hlc: Mapped[int] = mapped_column(Integer, nullable=False)
    ops: Mapped[str] = mapped_column(Text, nullable=False)  # JSON, as it was in the outbox
    reason: Mapped[str] = mapped_column(String(60), nullable=False)  # machine code
    detail: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("''"))
    status: Mapped[str] = mapped_column(String(12), nullable=False, server_default=text("'open'"))
    created_at: Mapped[int] = mapped_column(Integer, nullable=False)  # Unix ms


SYNC_TABLE_NAMES = frozenset(
    {"sync_version", "sync_outbox", "sync_state", "sync_conflict", "sync_attention"}
)

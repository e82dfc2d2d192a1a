"""server: fields in the packed wire form (protocol.RowFields), sync_log.echo_of

Revision ID: s0005
Revises: s0004
Create Date: 2027-02-03 00:00:00
"""

import json
from collections import Counter
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None

_BATCH = 2000


def _is_packed(fields: dict[str, object]) -> bool:
    # Unpacked, every value is a [value, hlc, node, seq] list; packed, "f" is an object.
    return isinstance(fields.get("f"), dict)


def _pack(fields: dict[str, list[Any]]) -> dict[str, Any]:
    """The packed form (``protocol.RowFields``), made here rather than by the live
    ``protocol.pack_fields``: a migration must keep doing what it did, whatever that becomes."""
    versions = Counter((h, n, s) for _, h, n, s in fields.values())
    if not versions:
        return {"v": None, "f": {}}
    row = versions.most_common(1)[0][0]
    packed: dict[str, Any] = {"v": list(row), "f": {k: v[0] for k, v in fields.items()}}
    others = {k: v[1:] for k, v in fields.items() if tuple(v[1:]) != row}
    if others:
        packed["x"] = others
    return packed


def _unpack(packed: dict[str, Any]) -> dict[str, list[Any]]:
    row, others = packed["v"], packed.get("x") or {}
    return {k: [value, *others.get(k, row)] for k, value in packed["f"].items()}


def _packed(text: str) -> str:
    fields = json.loads(text)
    if _is_packed(fields):
        return text
    return json.dumps(_pack(fields), ensure_ascii=False, separators=(",", ":"))


def _unpacked(text: str) -> str:
    fields = json.loads(text)
    if not _is_packed(fields):
        return text
    return json.dumps(_unpack(fields), ensure_ascii=False, separators=(",", ":"))


def _rewrite(table: str, keys: tuple[str, ...], convert: object) -> None:
    """Rewrite every row's ``fields`` in batches, walking the primary key."""
    conn = op.get_bind()
    t = sa.table(table, *(sa.column(k) for k in keys), sa.column("fields"))
    after: tuple[object, ...] | None = None
    while True:
        query = sa.select(*(t.c[k] for k in keys), t.c.fields).order_by(*(t.c[k] for k in keys))
        if after is not None:
            query = query.where(sa.tuple_(*(t.c[k] for k in keys)) > sa.tuple_(*after))
        rows = conn.execute(query.limit(_BATCH)).all()
        if not rows:
            return
        where = sa.and_(*(t.c[k] == sa.bindparam(f"k_{k}") for k in keys))
        conn.execute(
            t.update().where(where).values(fields=sa.bindparam("new_fields")),
            [
                {**{f"k_{k}": r[i] for i, k in enumerate(keys)}, "new_fields": convert(r[-1])}  # type: ignore[operator]
                for r in rows
            ],
        )
        after = tuple(rows[-1][: len(keys)])


def upgrade() -> None:
    # Stored rows are printed into pages as they are: a server upgraded in place must hold
    # the form the new clients parse.
    _rewrite("sync_row", ("tbl", "row_id"), _packed)
    _rewrite("sync_log", ("seq", "op_no"), _packed)
    # Entries logged before this are never echoes: they are sent in full, as before.
    op.add_column("sync_log", sa.Column("echo_of", sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.drop_column("sync_log", "echo_of")
    _rewrite("sync_row", ("tbl", "row_id"), _unpacked)
    _rewrite("sync_log", ("seq", "op_no"), _unpacked)

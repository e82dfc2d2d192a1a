"""search index: kept in step by the code that writes it, not by triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:00:00

Why: SQLite runs the triggers' FTS5 writes row by row, about five times the cost of the
batched writes `storage.search._write` now makes itself (it is the only writer of
`search_docs`). The index content is unchanged, so nothing is rebuilt.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TRIGGERS = {
    "search_docs_ai": "AFTER INSERT ON search_docs BEGIN"
    " INSERT INTO search_fts(rowid, kind, body) VALUES (new.rowid, new.kind, new.body); END",
    "search_docs_ad": "AFTER DELETE ON search_docs BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, kind, body)"
    " VALUES ('delete', old.rowid, old.kind, old.body); END",
    "search_docs_au": "AFTER UPDATE ON search_docs BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, kind, body)"
    " VALUES ('delete', old.rowid, old.kind, old.body);"
    " INSERT INTO search_fts(rowid, kind, body) VALUES (new.rowid, new.kind, new.body); END",
}


def upgrade() -> None:
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def downgrade() -> None:
    for name, body in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")

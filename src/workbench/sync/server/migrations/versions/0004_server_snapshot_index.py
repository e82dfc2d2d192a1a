"""server: sync_row_scope in byte order and by (tbl, row_id), for snapshots of many scopes

Revision ID: s0004
Revises: s0003
Create Date: 2027-01-20 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None

INDEX = "ix_sync_row_scope_key"


def upgrade() -> None:
    # Snapshot pages are served in byte order of (tbl, row_id): on PostgreSQL the keys must
    # collate as "C" for an index walk to give that order (rewrites the table and its primary
    # key once); SQLite's BINARY already is byte order.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            'ALTER TABLE sync_row_scope ALTER COLUMN tbl TYPE VARCHAR(40) COLLATE "C",'
            ' ALTER COLUMN row_id TYPE VARCHAR(36) COLLATE "C"'
        )
    op.create_index(INDEX, "sync_row_scope", ["tbl", "row_id", "scope"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="sync_row_scope")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("sync_row_scope", "tbl", type_=sa.String(length=40))
        op.alter_column("sync_row_scope", "row_id", type_=sa.String(length=36))

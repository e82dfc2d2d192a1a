"""sync client: local-only version, outbox, state, conflict and attention tables (SYNC.md §1.4)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:00:00

Rows written before this revision have no sync_version row: their fields count as "older than
any write" (hlc 0) and have no synced base, and they are in no outbox entry.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_version",
        sa.Column("tbl", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("fields", sa.Text(), server_default=sa.text("'{}'"), nullable=False),
        sa.PrimaryKeyConstraint("tbl", "row_id", name=op.f("pk_sync_version")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "sync_outbox",
        sa.Column("device_seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("ops", sa.Text(), nullable=False),
        sa.Column(
            "state", sa.String(length=12), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("device_seq", name=op.f("pk_sync_outbox")),
        sa.UniqueConstraint("change_id", name=op.f("uq_sync_outbox_change_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sync_state",
        sa.Column("k", sa.String(length=40), nullable=False),
        sa.Column("v", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("k", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tbl", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("winner_change", sa.String(length=36), nullable=True),
        sa.Column("loser_change", sa.String(length=36), nullable=True),
        sa.Column("winner_value", sa.Text(), nullable=True),
        sa.Column("loser_value", sa.Text(), nullable=True),
        sa.Column("winner_hlc", sa.Integer(), nullable=True),
        sa.Column("loser_hlc", sa.Integer(), nullable=True),
        sa.Column("winner_user", sa.String(length=36), nullable=True),
        sa.Column("loser_user", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=12), server_default=sa.text("'open'"), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=True),
        sa.Column("row_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    op.create_index("ix_sync_conflict_row", "sync_conflict", ["tbl", "row_id"], unique=False)
    op.create_table(
        "sync_attention",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.String(length=36), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=True),
        sa.Column("hlc", sa.Integer(), nullable=False),
        sa.Column("ops", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("detail", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("status", sa.String(length=12), server_default=sa.text("'open'"), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_attention")),
        sa.UniqueConstraint("change_id", name=op.f("uq_sync_attention_change_id")),
    )


def downgrade() -> None:
    op.drop_table("sync_attention")
    op.drop_index("ix_sync_conflict_row", table_name="sync_conflict")
    op.drop_table("sync_conflict")
    op.drop_table("sync_state")
    op.drop_table("sync_outbox")
    op.drop_table("sync_version")

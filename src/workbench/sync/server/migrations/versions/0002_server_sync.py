"""server: synced rows, change log and ledger, scope sets; device push bookkeeping

Revision ID: s0002
Revises: s0001
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from workbench.sync.server.db import UTCDateTime

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("last_device_seq", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("clock_flag", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "sync_row",
        sa.Column("tbl", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("account_ref", sa.String(length=36), nullable=True),
        sa.Column("user_ref", sa.String(length=36), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tbl", "row_id", name=op.f("pk_sync_row")),
    )
    op.create_index("ix_sync_row_tbl_user_ref", "sync_row", ["tbl", "user_ref"])
    op.create_table(
        "sync_row_scope",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("tbl", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("scope", "tbl", "row_id", name=op.f("pk_sync_row_scope")),
    )
    op.create_table(
        "sync_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("op_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tbl", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", "op_no", name=op.f("pk_sync_log")),
    )
    op.create_table(
        "sync_log_scope",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("op_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("scope", "seq", "op_no", name=op.f("pk_sync_log_scope")),
    )
    op.create_table(
        "sync_change",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("change_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("hlc", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_change")),
        sa.UniqueConstraint("change_id", name=op.f("uq_sync_change_change_id")),
    )
    op.create_table(
        "sync_scope_set",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "version", name=op.f("pk_sync_scope_set")),
    )


def downgrade() -> None:
    op.drop_table("sync_scope_set")
    op.drop_table("sync_change")
    op.drop_table("sync_log_scope")
    op.drop_table("sync_log")
    op.drop_table("sync_row_scope")
    op.drop_index("ix_sync_row_tbl_user_ref", table_name="sync_row")
    op.drop_table("sync_row")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("clock_flag")
        batch.drop_column("last_device_seq")

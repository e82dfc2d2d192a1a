"""sync client: the scopes each synced row was received under

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_version") as batch:
        batch.add_column(sa.Column("scopes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_version") as batch:
        batch.drop_column("scopes")

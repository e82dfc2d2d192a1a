"""server: per-user scope version token (caches a user's scope set across pulls)

Revision ID: s0003
Revises: s0002
Create Date: 2027-01-15 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty on purpose: a user without a row has token "" until their scope rows next change,
    # and no process has cached anything under the new scheme yet.
    op.create_table(
        "sync_scope_version",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_sync_scope_version")),
    )


def downgrade() -> None:
    op.drop_table("sync_scope_version")

"""contacts: drop the plain sort-key indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:00:00

Why: every list of live contacts sorts on the partial indexes `ix_contacts_live_given` and
`ix_contacts_live_family` (sort key and id, where `deleted_at IS NULL`), so the plain
`ix_contacts_sort_given` and `ix_contacts_sort_family` served only the archived-contacts
list, which scans the table and sorts its few rows at least as fast (15 ms against 20 ms
for 50,000 contacts, 5 % archived). Each was still written for every contact inserted or
renamed: a quarter of the cost of inserting a sync page of 10,000 new contacts.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_INDEXES = {"ix_contacts_sort_given": "sort_given", "ix_contacts_sort_family": "sort_family"}


def upgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="contacts")


def downgrade() -> None:
    for name, column in _INDEXES.items():
        op.create_index(name, "contacts", [column], unique=False)

"""Alembic environment for the server schema: driven programmatically with a live connection.

`version_table` is `alembic_version_server` so this chain can share a database with the domain
tables' chain later (SYNC.md §1.5) without the two overwriting each other's revision.
"""

from alembic import context

from workbench.sync.server.db import VERSION_TABLE, make_engine, metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic revision --autogenerate` during development
    engine = make_engine(config.get_main_option("dev_db") or "server-dev.db")
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

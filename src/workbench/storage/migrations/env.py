"""Alembic environment: always driven programmatically with a live connection."""

from alembic import context

from workbench.storage import sync_tables  # noqa: F401  (registers the sync_* tables)
from workbench.storage.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic revision --autogenerate` during development
    from pathlib import Path

    from workbench.storage.engine import make_engine

    engine = make_engine(Path(config.get_main_option("dev_db") or "dev.db"))
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

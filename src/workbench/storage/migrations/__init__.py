"""Alembic migrations of the local store; run on open by `workbench.storage.migrate`."""

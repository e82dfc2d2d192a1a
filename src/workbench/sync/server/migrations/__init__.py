"""Alembic scripts for the server schema (its own chain and version table)."""

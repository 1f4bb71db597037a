"""The central store's Alembic revisions, oldest first."""

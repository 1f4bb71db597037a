"""Alembic migrations of the central store (run by ``shared-care-store upgrade`` and ``serve``)."""

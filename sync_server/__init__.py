"""The central store: the sync server the laptops push to and pull from.

FastAPI on uvicorn over PostgreSQL (SQLAlchemy 2 and psycopg 3), with its own Alembic
migrations and an admin command line (``shared-care-store``). It never imports the
desktop application: the two share only the wire protocol in docs/sync-server.md and
``scp_common`` (the timestamp column type).
"""

__version__ = "0.1.0"

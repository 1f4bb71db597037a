"""The unit of work: one session per user action, committed or rolled back as a whole.

Services do ``with uow.begin() as session: ...`` and return plain frozen dataclasses;
no ORM object leaves the database thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.services.core.audit import Actor
from desktop_app.services.core.errors import StorageError
from desktop_app.services.core.tracking import ACTOR, install_tracking


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory with the outbox and audit hooks installed."""
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    install_tracking(factory)
    return factory


class UnitOfWork:
    """Opens sessions for one signed-in actor over the vault's single connection."""

    def __init__(self, factory: sessionmaker[Session], actor: Actor) -> None:
        self._factory = factory
        self.actor = actor

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        try:
            with self._factory.begin() as session:
                session.info[ACTOR] = self.actor
                yield session
        except OperationalError as err:
            raise _storage_error(err) from err

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; any writes made in it are rolled back."""
        with self._factory() as session:
            session.info[ACTOR] = self.actor
            try:
                yield session
            finally:
                session.rollback()


def _storage_error(err: OperationalError) -> Exception:
    text = str(err.orig).lower() if err.orig else ""
    if "full" in text:
        return StorageError("The disk is full. Free some space; nothing you typed is lost.")
    if "readonly" in text or "read-only" in text:
        return StorageError("The data folder is read-only. Ask IT to check its permissions.")
    return err

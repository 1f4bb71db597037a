"""Constants and factories shared by the whole suite (importable as ``tests.support``).

Conftest modules are all top-level ``conftest`` modules under pytest, so shared values
live here instead of being imported from a conftest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from desktop_app.services.core.audit import AUDIT_KEYING
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from tools.throwaway_vault import CHEAP_KDF, throwaway_keying

# Argon2id at production cost takes ~0.4 s; tests that are not about the cost use OWASP's
# minimum, as the benchmarks and tools do for their throwaway vaults.
TEST_KDF = CHEAP_KDF
PASSPHRASE = "correct horse battery staple"
USER_NAME = "Test Nurse"
# The audit key of every connection a test opens outside a vault (a bare engine): the vault
# puts its own on its connection over this one (tests/conftest.py installs the listener).
TEST_AUDIT_KEYING = throwaway_keying()


def give_test_audit_key(_dbapi_connection: Any, record: Any) -> None:
    """A pool "connect" listener: the connection gets the suite's audit key."""
    record.info.setdefault(AUDIT_KEYING, TEST_AUDIT_KEYING)


def person_values(serial: int = 1, **overrides: Any) -> dict[str, Any]:
    """Column values of a synthetic person (999-range NHS number, invented details)."""
    values: dict[str, Any] = {
        "nhs_number": synthetic_nhs_number(serial),
        "given_name": "Edith",
        "family_name": "Testperson",
        "date_of_birth": dt.date(1938, 5, 17),
        "address_line1": "1 Example Street",
        "town": "Leicester",
        "postcode": "LE1 5WW",
        "team": "Leicester City South INT",
    }
    values.update(overrides)
    return values


def as_role(vault: Any, role: str) -> Any:
    """The vault's unit of work acting as the same user with another role."""
    from desktop_app.services.core.audit import Actor
    from desktop_app.services.core.uow import UnitOfWork

    actor = vault.uow.actor
    return UnitOfWork(vault.factory, Actor(actor.user_id, actor.device_id, role))


def add_provider(uow: Any) -> tuple[str, list[str]]:
    """A provider in Leicester City, active and insured for delegated healthcare tasks,
    with two care workers, made through the provider register's services: (provider id,
    worker ids). decide() refuses a provider without that cover (H-041)."""
    from tools.sample_case import add_insured_provider

    return add_insured_provider(uow)


def type_date(qtbot: Any, field: Any, text: str) -> None:
    """Type ``text`` into a date field with the keyboard, replacing what it showed (as a
    nurse does after tabbing into it: Tab selects the whole date)."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def run_now(fn: Any, done: Any, failed: Any = None, **_options: Any) -> None:
    """The task runner's ``run``, done at once on this thread: the answer to ``done``, an
    expected error to ``failed`` when given (else raised)."""
    from desktop_app.services.core.errors import ExpectedError

    try:
        result = fn()
    except ExpectedError as error:
        if failed is None:
            raise
        failed(error)
        return
    done(result)

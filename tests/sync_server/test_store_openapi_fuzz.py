"""schemathesis against the running store's OpenAPI: no request makes it answer 5xx.

A small run is in the normal suite; ``--slow`` runs many more examples per operation.
Requests carry a real device token and client version, so push and pull get past the door
and the generated bodies reach the validation and the database.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session, sessionmaker

from sync_server import admin, admin_codes
from tools.throwaway_store import CLIENT_VERSION, StoreProcess, enrol_with_code

FAST_EXAMPLES = 200
SLOW_EXAMPLES = 3000


@pytest.fixture(scope="module")
def store_api(store: StoreProcess) -> Any:
    """The schema as the running store publishes it."""
    return schemathesis.openapi.from_url(f"{store.base_url}/openapi.json")


@pytest.fixture(scope="module")
def device_headers(store: StoreProcess, store_sessions: sessionmaker[Session]) -> dict[str, str]:
    """A real enrolled laptop's headers, in a team of its own."""
    team = f"Fuzz INT {uuid.uuid4().hex[:8]}"
    with store_sessions.begin() as session:
        admin.create_team(session, team)
        user = admin.create_user(session, team, "Fuzz Nurse", "nurse")
        code = admin_codes.issue_enrolment_code(session, user.id)
    laptop = enrol_with_code(store, code)
    laptop.close()
    return {"Authorization": f"Bearer {laptop.token}", "X-Client-Version": CLIENT_VERSION}


def _fuzz(schema: Any, headers: dict[str, str], examples: int) -> None:
    # schemathesis's own pytest plugin (from_fixture) does not run on this pytest, so the
    # strategies go through Hypothesis directly: valid requests and deliberately broken ones.
    cases = st.one_of(schema.as_strategy(GenerationMode.POSITIVE),
                      schema.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=examples, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck), database=None)
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    run()


def test_no_server_error(store_api: Any, device_headers: dict[str, str]) -> None:
    _fuzz(store_api, device_headers, FAST_EXAMPLES)


@pytest.mark.slow
def test_no_server_error_thoroughly(store_api: Any, device_headers: dict[str, str]) -> None:
    _fuzz(store_api, device_headers, SLOW_EXAMPLES)

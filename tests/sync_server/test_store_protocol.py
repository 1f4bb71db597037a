"""The store's outward signs: health header, OpenAPI, the client version gate."""

from __future__ import annotations

import httpx
import pytest

from sync_server.api import TOO_OLD
from sync_server.config import MIN_CLIENT_VERSION_ENV, Settings, parse_version
from tests.sync_server.store import MIN_CLIENT_VERSION, EnrolFn
from tools.throwaway_store import CLIENT_VERSION, StoreProcess


def test_health_names_the_service_with_its_own_header(store: StoreProcess) -> None:
    response = httpx.get(f"{store.base_url}/api/v1/health")
    assert response.status_code == 200
    assert response.headers["X-Shared-Care-Store"] == "1"
    assert response.json() == {"service": "shared-care-store", "api": "v1", "version": "0.1.0",
                               "min_client_version": MIN_CLIENT_VERSION}


def test_every_answer_carries_the_header(store: StoreProcess) -> None:
    """Even refusals: a client tells our 404, 426 or 401 from a captive portal's page."""
    pull = f"{store.base_url}/api/v1/pull"
    for expected, response in (
            (404, httpx.get(f"{store.base_url}/nothing-here")),
            (426, httpx.get(pull)),
            (401, httpx.get(pull, headers={"X-Client-Version": CLIENT_VERSION}))):
        assert response.status_code == expected
        assert response.headers["X-Shared-Care-Store"] == "1"


def test_openapi_describes_the_protocol(store: StoreProcess) -> None:
    schema = httpx.get(f"{store.base_url}/openapi.json").json()
    assert {"/api/v1/health", "/api/v1/enrol", "/api/v1/push", "/api/v1/pull"} <= set(
        schema["paths"])
    push = schema["paths"]["/api/v1/push"]["post"]
    assert {"200", "401", "413", "422", "426"} <= set(push["responses"])
    assert "AnswerOut" in schema["components"]["schemas"]
    assert httpx.get(f"{store.base_url}/docs").status_code == 200


@pytest.mark.hazard("H-018")
@pytest.mark.parametrize("version", [None, "0.0.9", "0.1", "banana", ""])
def test_a_too_old_or_unnamed_client_gets_426(enrol: EnrolFn, team: str,
                                              version: str | None) -> None:
    laptop = enrol(team)
    headers = {"X-Client-Version": version} if version is not None else {}
    if version is None:
        del laptop.http.headers["X-Client-Version"]
    for response in (laptop.http.get("/pull", headers=headers),
                     laptop.http.post("/push", json={"changes": []}, headers=headers)):
        assert response.status_code == 426
        assert response.json() == {"detail": TOO_OLD}
        assert response.headers["X-Shared-Care-Store"] == "1"
        assert response.headers["X-Shared-Care-Minimum-Version"] == MIN_CLIENT_VERSION


@pytest.mark.parametrize("version", [CLIENT_VERSION, "0.1.1", "0.2", "1.0.0"])
def test_a_current_client_is_served(enrol: EnrolFn, team: str, version: str) -> None:
    laptop = enrol(team)
    response = laptop.http.get("/pull", headers={"X-Client-Version": version})
    assert response.status_code == 200


def test_the_minimum_is_permissive_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MIN_CLIENT_VERSION_ENV, raising=False)
    assert Settings.from_env("sqlite://").min_client_version is None
    monkeypatch.setenv(MIN_CLIENT_VERSION_ENV, "1.2")
    assert Settings.from_env("sqlite://").min_client_version == (1, 2)
    monkeypatch.setenv(MIN_CLIENT_VERSION_ENV, "latest")
    with pytest.raises(ValueError, match=MIN_CLIENT_VERSION_ENV):
        Settings.from_env("sqlite://")
    assert parse_version("1.10.0") > parse_version("1.9.9")  # type: ignore[operator]

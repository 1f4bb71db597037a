"""Enrolment with one-time codes, device tokens, revocation and roles, against the real store."""

from __future__ import annotations

import datetime as dt

import httpx
import psycopg
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from sync_server import admin, admin_codes
from sync_server.models import EnrolmentCode
from tests.sync_server.store import EnrolFn, change
from tools.throwaway_store import CLIENT_VERSION, StoreProcess, enrol_with_code

VERSION = {"X-Client-Version": CLIENT_VERSION}


def _code(sessions: sessionmaker[Session], team: str, role: str = "nurse") -> str:
    with sessions.begin() as session:
        user = admin.create_user(session, team, "Alex Example", role)
        return admin_codes.issue_enrolment_code(session, user.id)


def _enrol(store: StoreProcess, code: str) -> httpx.Response:
    return httpx.post(f"{store.base_url}/api/v1/enrol", headers=VERSION,
                      json={"code": code, "device_name": "Laptop 7"})


@pytest.mark.hazard("H-027")
def test_a_code_enrols_one_laptop_once(store: StoreProcess, store_sessions: sessionmaker[Session],
                                       team: str, pg: psycopg.Connection) -> None:
    code = _code(store_sessions, team)
    # Typed in lower case without dashes, as a person might read it out.
    first = _enrol(store, code.lower().replace("-", ""))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["team"]["name"] == team and body["user"]["role"] == "nurse"
    assert body["token"].startswith("scpd_") and len(body["token"]) > 40

    again = _enrol(store, code)
    assert again.status_code == 401
    assert again.json() == {"detail": "enrolment code unknown, already used, expired or withdrawn"}

    # Only hashes are stored: neither the code nor the token appears anywhere in the tables.
    dump = str(pg.execute("SELECT d.*, e.* FROM device d JOIN enrolment_code e "
                          "ON e.device_id = d.id WHERE d.id = %s", [body["device_id"]]).fetchall())
    assert body["token"] not in dump and code not in dump and code.replace("-", "") not in dump


@pytest.mark.hazard("H-027")
def test_unknown_and_expired_codes_are_refused(store: StoreProcess,
                                               store_sessions: sessionmaker[Session],
                                               team: str) -> None:
    code = _code(store_sessions, team)
    with store_sessions.begin() as session:
        session.execute(update(EnrolmentCode).values(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        ).where(EnrolmentCode.used_at.is_(None)))
    assert _enrol(store, code).status_code == 401
    assert _enrol(store, "AAAA-BBBB-CCCC-DDDD").status_code == 401


@pytest.mark.hazard("H-027")
def test_revoked_device_gets_401_on_its_next_request(enrol: EnrolFn, team: str,
                                                     store_sessions: sessionmaker[Session]) -> None:
    laptop = enrol(team)
    other = enrol(team)
    assert laptop.push([change()])[0]["status"] == "applied"
    with store_sessions.begin() as session:
        assert admin.revoke_device(session, laptop.device_id) is True
        assert admin.revoke_device(session, laptop.device_id) is False
        listed = {d.id: d for d in admin.list_devices(session, team)}
    assert listed[laptop.device_id].revoked_at is not None
    assert listed[other.device_id].revoked_at is None

    push = laptop.http.post("/push", json={"changes": [change()]})
    pull = laptop.http.get("/pull")
    assert (push.status_code, pull.status_code) == (401, 401)
    assert push.headers["WWW-Authenticate"] == "Bearer"
    # The rest of the team carries on.
    assert other.http.get("/pull").status_code == 200


def test_missing_or_garbage_tokens_get_401(store: StoreProcess) -> None:
    url = f"{store.base_url}/api/v1/pull"
    for headers in ({}, {"Authorization": "Bearer scpd_not-a-real-token"},
                    {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        response = httpx.get(url, headers={**VERSION, **headers})
        assert response.status_code == 401, headers
        assert response.headers["X-Shared-Care-Store"] == "1"


@pytest.mark.hazard("H-026")
def test_a_read_only_users_laptop_may_pull_but_not_push(store: StoreProcess, team: str,
                                                        store_sessions: sessionmaker[Session]
                                                        ) -> None:
    reader = enrol_with_code(store, _code(store_sessions, team, role="read_only"))
    try:
        assert reader.http.post("/push", json={"changes": [change()]}).status_code == 403
        assert reader.http.get("/pull").status_code == 200
    finally:
        reader.close()

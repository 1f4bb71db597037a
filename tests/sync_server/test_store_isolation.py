"""A device reads and writes only its own team's records."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_server import admin
from sync_server.push import KEY_REUSED, OTHER_TEAM
from tests.sync_server.store import EnrolFn, change


@pytest.mark.hazard("H-027")
def test_another_team_can_neither_read_nor_overwrite(
        enrol: EnrolFn, team: str, store_sessions: sessionmaker[Session]) -> None:
    other_team = f"Other INT {uuid.uuid4().hex[:8]}"
    with store_sessions.begin() as session:
        admin.create_team(session, other_team)
    ours, theirs = enrol(team), enrol(other_team)
    person = change(family_name="Ourteamperson")
    created = ours.push([person])[0]
    assert created["status"] == "applied"
    assert theirs.pull_all()[0] == []

    for base in (None, created["server_version"]):
        takeover = change(record_id=person["id"], base=base, family_name="Hijacked")
        # Refused, and nothing of the record comes back.
        assert theirs.push([takeover])[0] == {"idempotency_key": takeover["idempotency_key"],
                                              "status": "rejected", "reason": OTHER_TEAM}
    tombstone = change(record_id=person["id"], base=created["server_version"], tombstone=True)
    assert theirs.push([tombstone])[0]["reason"] == OTHER_TEAM

    # Replaying our exact change under our key reveals nothing of our original answer.
    assert theirs.push([person])[0] == {"idempotency_key": person["idempotency_key"],
                                        "status": "rejected", "reason": KEY_REUSED}

    stored, _ = ours.pull_all()
    assert [(c["server_version"], c["row"]["family_name"], c["tombstone"]) for c in stored] == [
        (created["server_version"], "Ourteamperson", False)]
    assert theirs.pull_all()[0] == []

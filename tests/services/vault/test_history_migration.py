"""Migration 0009 moves the existing data into a delegation's history without loss
(issue 16, item 6).

The data is made the way the app made it: real decisions, a review, a withdrawal at
review, a re-delegation and a closed shared care discussion, recorded through the services
at head. The vault is then taken back to 0008, where the history does not exist, and the
withdrawn case is made to look as the app before 0009 left it (the withdrawal overwrote the
decision's outcome, reasons and date). Upgrading again must rebuild each case's history,
change no existing row, queue the rebuilt events for the central store, and rebuild the
same events (the same ids) however many laptops do it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text

from desktop_app.services import registers
from desktop_app.services.core.migrate import alembic_config, current_revision, upgrade_to
from desktop_app.services.delegation.history import status_after
from desktop_app.services.registers.escalations import close_discussion
from desktop_app.services.vault import VaultSession
from tools import sample_case
from tools.sample_case import CaseSpec, build_case

TABLES = ("person", "delegation_case", "review", "support_plan", "support_plan_task",
          "funding_split", "shared_care_discussion", "competency_sign_off", "consent_record",
          "mdt_decision", "outbox_payload")


def _dump(engine: Engine, table: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        order = "seq" if table.startswith("outbox") else "id"
        result = conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
        return [dict(r._mapping) for r in result]


def _events(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(
            "SELECT * FROM case_event ORDER BY delegation_case_id, occurred_on, kind"))]


def _downgrade_to_0008(engine: Engine) -> None:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys = OFF")
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
        conn.commit()
        raw.execute("PRAGMA foreign_keys = ON")
    assert current_revision(engine) == "0008"


def _as_before_0009(engine: Engine, case_id: str, withdrawn_on: dt.date) -> None:
    """What the app before 0009 did to a case withdrawn at review: overwrote its outcome,
    reasons and decision date (and kept the review's answers in the case's answers)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE delegation_case SET outcome_code = 'WITHDRAWN', "
                          "outcome_reasons = :r, decided_on = :d WHERE id = :c"),
                     {"r": json.dumps(["Eye infection; new regime"]),
                      "d": withdrawn_on.isoformat(), "c": case_id})


@pytest.mark.hazard("H-043")
def test_0009_rebuilds_every_cases_history_from_the_vault_without_changing_a_row(
        vault: VaultSession, monkeypatch: pytest.MonkeyPatch) -> None:
    uow, engine = vault.uow, vault.engine
    today = dt.date(2027, 6, 30)
    # Zoë: eye drops delegated, reviewed (continue), then delegated again (the first closed).
    zoe = build_case(uow)
    [review] = registers.reviews_due(uow, today, within_days=400)
    registers.record_review(uow, review.review_id, dt.date(2027, 3, 1), "continue", True,
                            True, False, "", today)
    again = sample_case.delegate_again(
        uow, zoe.person_id, zoe.nhs_number,
        CaseSpec(provider_name="Sample Care Services", worker_names=(("Kwame", "Okafor"),)),
        decided_on=dt.date(2027, 4, 1))
    # Ola: eye drops delegated and withdrawn at the three-month review.
    ola = build_case(uow, CaseSpec(serial=8, given_name="Ola", family_name="Adeyemi"))
    [ola_review] = [r for r in registers.reviews_due(uow, today, within_days=400)
                    if r.case_id == ola.case_id]
    registers.record_review(uow, ola_review.review_id, dt.date(2027, 2, 20), "withdraw",
                            False, True, False, "Eye infection; new regime", today)
    # Priya: the MDT did not agree; the shared care discussion decided later.
    priya = build_case(uow, CaseSpec(serial=9, given_name="Priya", family_name="Shah",
                                     disagree=True))
    [open_discussion] = registers.escalations(uow, today)
    close_discussion(uow, open_discussion.discussion_id, "Health funds the extra minutes",
                     ["funding"], dt.date(2027, 1, 15), False, today=today)

    made_by_the_app = {(e["id"], e["delegation_case_id"], e["kind"], e["occurred_on"],
                        e["outcome_code"], e["status"]) for e in _events(engine)}


    _downgrade_to_0008(engine)
    decided = {c["id"]: c for c in _dump(engine, "delegation_case")}
    ola_decision = decided[ola.case_id]
    _as_before_0009(engine, ola.case_id, dt.date(2027, 2, 20))
    before = {table: _dump(engine, table) for table in TABLES}
    entries_before = _dump(engine, "outbox_entry")

    upgrade_to(engine, None)

    rebuilt = _events(engine)
    kinds = {(e["delegation_case_id"], e["kind"]) for e in rebuilt}
    assert kinds == {
        (zoe.case_id, "decided"), (zoe.case_id, "reviewed"), (zoe.case_id, "replaced"),
        (again.case_id, "decided"),
        (ola.case_id, "decided"), (ola.case_id, "withdrawn_at_review"),
        (priya.case_id, "decided"), (priya.case_id, "discussion_decided")}
    # What the app itself recorded and the rebuild agree on the very rows (the same ids:
    # a laptop upgrading after another recorded these makes no second copy), date, outcome
    # and status; the outcome a pre-0009 withdrawal overwrote is read back from the funding.
    again_made = {(e["id"], e["delegation_case_id"], e["kind"], e["occurred_on"],
                   e["outcome_code"], e["status"]) for e in rebuilt}
    assert again_made == made_by_the_app
    [ola_decided] = [e for e in rebuilt if (e["delegation_case_id"], e["kind"]) ==
                     (ola.case_id, "decided")]
    assert ola_decided["outcome_code"] == ola_decision["outcome_code"]
    assert json.loads(ola_decided["detail"])["outcome_inferred"] is True
    [ola_withdrawn] = [e for e in rebuilt if e["kind"] == "withdrawn_at_review"]
    assert json.loads(ola_withdrawn["reasons"]) == ["Eye infection; new regime"]
    # Each case's status is the one its history leaves it in, read in the timeline's own
    # order (day, then the time each row was made).
    for case_id, case in decided.items():
        history = sorted((e for e in rebuilt if e["delegation_case_id"] == case_id),
                         key=lambda e: (e["occurred_on"], e["created_at"]))
        if history:
            assert status_after(e["status"] for e in history) == case["status"], case_id
    # No existing row changed (the columns 0009 added are empty, but for the oversight
    # dates below); the rebuilt events are queued for the store, one each.
    after = {table: _dump(engine, table) for table in TABLES}
    for table, rows in before.items():
        kept = [{c: row[c] for c in rows[0]} for row in after[table][:len(rows)]] if rows else []
        assert kept == rows, table
    assert all(r["csu_routed_on"] is None for r in after["shared_care_discussion"])
    entries = _dump(engine, "outbox_entry")
    assert entries[:len(entries_before)] == entries_before
    queued = entries[len(entries_before):]
    assert sorted(e["entity_id"] for e in queued) == sorted(e["id"] for e in rebuilt)
    assert {e["entity_type"] for e in queued} == {"case_event"}

    # Another laptop holding the same caseload rebuilds the very same rows (same ids).
    _downgrade_to_0008(engine)
    upgrade_to(engine, None)
    assert sorted(e["id"] for e in _events(engine)) == sorted(e["id"] for e in rebuilt)
    # Oversight recorded at a decision holds from the start and counts as accepted.
    with engine.connect() as conn:
        oversight = conn.execute(text(
            "SELECT o.effective_from, o.accepted_on, c.started_on FROM clinical_oversight o "
            "JOIN delegation_case c ON c.id = o.delegation_case_id")).all()
    assert oversight and all(o[0] == o[1] == o[2] for o in oversight)


@pytest.mark.hazard("H-043")
def test_0009_dates_a_replacement_by_the_replacing_decision_and_keeps_one_days_order(
        vault: VaultSession) -> None:
    """Zoë's eye drops delegated, then delegated again the same day (a correction); the
    second delegation later withdrawn the way the app did before 0009 (its decision date
    overwritten with the review's). The rebuilt replacement is dated by the second
    decision (read back from its first plan), and on that one day the first case reads
    "decided" then "replaced", so its history leaves it closed, as it is."""
    uow, engine = vault.uow, vault.engine
    today = dt.date(2027, 6, 30)
    first = build_case(uow)
    second = sample_case.delegate_again(
        uow, first.person_id, first.nhs_number,
        CaseSpec(provider_name="Sample Care Services", worker_names=(("Kwame", "Okafor"),)))
    [review] = registers.reviews_due(uow, today, within_days=400)
    assert review.case_id == second.case_id
    registers.record_review(uow, review.review_id, dt.date(2027, 2, 20), "withdraw", False,
                            True, False, "Eye infection", today)
    _downgrade_to_0008(engine)
    _as_before_0009(engine, second.case_id, dt.date(2027, 2, 20))
    upgrade_to(engine, None)

    with engine.connect() as conn:
        history = [tuple(r) for r in conn.execute(text(
            "SELECT kind, occurred_on, status FROM case_event WHERE delegation_case_id = :c "
            "ORDER BY occurred_on, created_at"), {"c": first.case_id})]
    assert history == [("decided", "2026-11-30", "active"), ("replaced", "2026-11-30", "closed")]
    assert status_after(status for _kind, _on, status in history) == "closed"

"""a delegation's whole life: its append-only history, oversight transfers, interim settlements

``case_event``: every decision, review, ending, oversight transfer, discussion decision and
funding change of a case, never overwritten. ``interim_reconciliation``: who repays what of
the interim funding Health paid without prejudice. ``clinical_oversight``: from when it
holds, when the receiving service accepted it, the row it took over from.
``shared_care_discussion``: when a joint-funding dispute was routed to the CSU, its result.

The upgrade rebuilds each decided case's history from what the vault holds: its decision,
its done reviews, a withdrawal at review, its replacement by a later delegation and its
closed shared care discussion. Before this version a withdrawal overwrote the decision's
outcome, reasons and date: for such a case the decided outcome is read back from its
funding lines (marked ``outcome_inferred``) and the date from its first plan version. The
events' ids are derived from what they record, so two laptops holding the same caseload
rebuild the same rows, the rows the app itself writes for these facts from 0009 on (so a
laptop that upgrades after another recorded the decision makes no second one); each is
queued for the central store like any new row. Nothing in
the existing tables is changed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("decided", "reviewed", "withdrawn_at_review", "consent_withdrawn", "need_changed",
         "replaced", "oversight_transferred", "oversight_accepted", "discussion_decided",
         "funding_changed", "interim_reconciled", "csu_routed", "csu_result",
         "refresher_recorded")
STATUSES = ("draft", "in_progress", "decided", "active", "suspended", "withdrawn", "closed")
OUTCOMES = ("REFER_CHC", "SOCIAL_CARE_ONLY", "NOT_DELEGATED", "PERSON_DECLINED", "NO_PROVIDER",
            "DELEGATED_EXISTING_PACKAGE", "DELEGATED_HEALTH_FUNDED", "DELEGATED_JOINT_FUNDED",
            "ESCALATED_SHARED_CARE", "INTERIM_WITHOUT_PREJUDICE", "WITHDRAWN")
FUNDERS = ("icb", "leicester_city", "leicestershire_county", "rutland_county")
DELEGATED = {"DELEGATED_EXISTING_PACKAGE", "DELEGATED_HEALTH_FUNDED", "DELEGATED_JOINT_FUNDED",
             "INTERIM_WITHOUT_PREJUDICE"}
# The namespace of the events' derived ids: desktop_app.models.history.EVENT_ID_NAMESPACE
# (the app derives the same ids for the same facts; a test holds the two equal).
EVENT_IDS = uuid.UUID("6f1c2f0e-6d0a-4d36-9a57-0c3f5e0b9a09")
REBUILT_BY = "Recorded before the history was kept"


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _synced() -> list[sa.Column[object]]:
    """The columns every synced row has (new objects each call: a column has one table)."""
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("server_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "case_event",
        sa.Column("delegation_case_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("flow_version", sa.String(length=20), nullable=True),
        sa.Column("outcome_code", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=True),
        *_synced(),
        sa.CheckConstraint(f"kind IN ({_in(KINDS)})", name=op.f("ck_case_event_kind")),
        sa.CheckConstraint(f"status IN ({_in(STATUSES)})", name=op.f("ck_case_event_status")),
        sa.CheckConstraint(f"outcome_code IN ({_in(OUTCOMES)})",
                           name=op.f("ck_case_event_outcome_code")),
        sa.ForeignKeyConstraint(["delegation_case_id"], ["delegation_case.id"],
                                name=op.f("fk_case_event_delegation_case_id_delegation_case"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_case_event_person_id_person"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_event_delegation_case_id"),
                              ["delegation_case_id"])
        batch_op.create_index(batch_op.f("ix_case_event_person_id"), ["person_id"])
        batch_op.create_index(batch_op.f("ix_case_event_occurred_on"), ["occurred_on"])

    op.create_table(
        "interim_reconciliation",
        sa.Column("delegation_case_id", sa.String(length=36), nullable=False),
        sa.Column("discussion_id", sa.String(length=36), nullable=True),
        sa.Column("interim_funder", sa.String(length=32), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("interim_pence", sa.Integer(), nullable=False),
        sa.Column("repayments", sa.JSON(), nullable=False),
        sa.Column("reconciled_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        *_synced(),
        sa.CheckConstraint(f"interim_funder IN ({_in(FUNDERS)})",
                           name=op.f("ck_interim_reconciliation_interim_funder")),
        sa.CheckConstraint("period_to >= period_from",
                           name=op.f("ck_interim_reconciliation_period_in_order")),
        sa.CheckConstraint("interim_pence >= 0",
                           name=op.f("ck_interim_reconciliation_interim_pence")),
        sa.ForeignKeyConstraint(
            ["delegation_case_id"], ["delegation_case.id"],
            name=op.f("fk_interim_reconciliation_delegation_case_id_delegation_case"),
            ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interim_reconciliation")),
    )
    with op.batch_alter_table("interim_reconciliation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interim_reconciliation_delegation_case_id"),
                              ["delegation_case_id"])

    with op.batch_alter_table("clinical_oversight", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("accepted_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("transferred_from_id", sa.String(length=36),
                                      nullable=True))
    with op.batch_alter_table("shared_care_discussion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("csu_routed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("csu_result", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("csu_result_on", sa.Date(), nullable=True))
    _rebuild_history(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    # The rows these tables held go with them, and so does what was queued of them.
    for table in ("case_event", "interim_reconciliation"):
        bind.execute(sa.text(
            "DELETE FROM outbox_payload WHERE seq IN (SELECT seq FROM outbox_entry WHERE "
            "entity_type = :t)"), {"t": table})
        bind.execute(sa.text("DELETE FROM outbox_entry WHERE entity_type = :t"), {"t": table})
    with op.batch_alter_table("shared_care_discussion", schema=None) as batch_op:
        batch_op.drop_column("csu_result_on")
        batch_op.drop_column("csu_result")
        batch_op.drop_column("csu_routed_on")
    with op.batch_alter_table("clinical_oversight", schema=None) as batch_op:
        batch_op.drop_column("transferred_from_id")
        batch_op.drop_column("accepted_on")
        batch_op.drop_column("effective_from")
    with op.batch_alter_table("interim_reconciliation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interim_reconciliation_delegation_case_id"))
    op.drop_table("interim_reconciliation")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_event_occurred_on"))
        batch_op.drop_index(batch_op.f("ix_case_event_person_id"))
        batch_op.drop_index(batch_op.f("ix_case_event_delegation_case_id"))
    op.drop_table("case_event")


# ---------------------------------------------------------------- the history rebuilt


def _day(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _rows(bind: sa.Connection, sql: str, **params: Any) -> list[sa.Row[Any]]:
    return list(bind.execute(sa.text(sql), params))


def _rebuild_history(bind: sa.Connection) -> None:
    """One event per fact the vault already holds (see the module docstring)."""
    # Oversight rows made at a decision hold from the case's start and were accepted then.
    bind.execute(sa.text(
        "UPDATE clinical_oversight SET effective_from = (SELECT coalesce(c.started_on, "
        "c.decided_on) FROM delegation_case c WHERE c.id = clinical_oversight.delegation_case_id)"
        ", accepted_on = (SELECT coalesce(c.started_on, c.decided_on) FROM delegation_case c "
        "WHERE c.id = clinical_oversight.delegation_case_id)"))
    cases = _rows(bind, "SELECT id, person_id, outcome_code, outcome_reasons, flow_version, "
                        "status, decided_on, started_on, replaced_by_case_id, created_at "
                        "FROM delegation_case WHERE deleted = 0 AND outcome_code IS NOT NULL "
                        "AND status NOT IN ('draft', 'in_progress')")
    decided_on = {c.id: _decision_day(bind, c) for c in cases}
    events: list[dict[str, Any]] = []
    for case in cases:
        events += _case_events(bind, case, decided_on)
    # Each its own time, in the order above (a case's decision first): events of one day
    # keep their order in the timeline, which sorts by day and then by this time.
    start = dt.datetime.now(dt.UTC)
    for number, event in enumerate(events):
        _insert_event(bind, event, start + dt.timedelta(microseconds=number))


def _event(case: sa.Row[Any], kind: str, source: str, on: dt.date, **values: Any
           ) -> dict[str, Any]:
    return {"id": str(uuid.uuid5(EVENT_IDS, f"{case.id}/{kind}/{source}")),
            "delegation_case_id": case.id, "person_id": case.person_id, "kind": kind,
            "occurred_on": on, "recorded_by_name": REBUILT_BY,
            "flow_version": values.get("flow_version"),
            "outcome_code": values.get("outcome_code"), "status": values.get("status"),
            "reasons": values.get("reasons", []),
            "detail": {"rebuilt_from_earlier_records": True, **values.get("detail", {})},
            "plan_version": values.get("plan_version")}


def _first_plan(bind: sa.Connection, case_id: str) -> sa.Row[Any]:
    return _rows(bind, "SELECT min(version_number) AS v, min(effective_from) AS d "
                       "FROM support_plan WHERE delegation_case_id = :c AND deleted = 0",
                 c=case_id)[0]


def _decision_day(bind: sa.Connection, case: sa.Row[Any]) -> dt.date:
    """The day the case was decided: a withdrawal before 0009 overwrote ``decided_on`` with
    its own day, so for such a case the day of its first plan version (made that day)."""
    if case.outcome_code == "WITHDRAWN":
        day = _day(_first_plan(bind, case.id).d) or _day(case.started_on)
    else:
        day = _day(case.decided_on)
    return day or _day(case.created_at) or dt.date.today()


def _case_events(bind: sa.Connection, case: sa.Row[Any], decided_on: dict[str, dt.date]
                 ) -> list[dict[str, Any]]:
    reasons = json.loads(case.outcome_reasons) if isinstance(case.outcome_reasons, str) else (
        case.outcome_reasons or [])
    first_plan = _first_plan(bind, case.id)
    withdrawn = case.outcome_code == "WITHDRAWN"
    outcome = _inferred_outcome(bind, case.id) if withdrawn else case.outcome_code
    on = decided_on[case.id]
    events = [_event(case, "decided", "decision", on, flow_version=case.flow_version,
                     outcome_code=outcome,
                     status="active" if outcome in DELEGATED else "decided",
                     reasons=[] if withdrawn else reasons, plan_version=first_plan.v,
                     detail={"outcome_inferred": True, "reasons_not_kept": True}
                     if withdrawn else {})]
    for review in _rows(bind, "SELECT id, done_on, outcome, next_review_on, notes FROM review "
                              "WHERE delegation_case_id = :c AND deleted = 0 AND done_on IS NOT "
                              "NULL ORDER BY done_on, created_at", c=case.id):
        detail = {"review_id": review.id, "review_outcome": review.outcome,
                  "next_review_on": str(review.next_review_on or "") or None}
        if review.outcome == "withdraw":
            events.append(_event(case, "withdrawn_at_review", review.id, _day(review.done_on)
                                 or on, flow_version=case.flow_version,
                                 outcome_code="WITHDRAWN", status="withdrawn",
                                 reasons=reasons, detail=detail))
        else:
            events.append(_event(case, "reviewed", review.id, _day(review.done_on) or on,
                                 reasons=[review.notes] if review.notes else [],
                                 detail=detail))
    if case.replaced_by_case_id:
        events.append(_event(case, "replaced", case.replaced_by_case_id,
                             decided_on.get(case.replaced_by_case_id) or on,
                             outcome_code="WITHDRAWN", status="closed",
                             detail={"replaced_by_case_id": case.replaced_by_case_id}))
    for d in _rows(bind, "SELECT id, closed_on, decision FROM shared_care_discussion WHERE "
                         "delegation_case_id = :c AND deleted = 0 AND closed_on IS NOT NULL",
                   c=case.id):
        events.append(_event(case, "discussion_decided", d.id, _day(d.closed_on) or on,
                             reasons=[d.decision] if d.decision else [],
                             detail={"discussion_id": d.id}))
    return events


def _inferred_outcome(bind: sa.Connection, case_id: str) -> str:
    """The delegated outcome a withdrawn case was decided under, read from its funding."""
    splits = _rows(bind, "SELECT funder, method, pence_per_week, interim_without_prejudice "
                         "FROM funding_split WHERE delegation_case_id = :c AND deleted = 0",
                   c=case_id)
    if any(s.interim_without_prejudice for s in splits):
        return "INTERIM_WITHOUT_PREJUDICE"
    if not splits or any(s.method == "existing_package" for s in splits):
        return "DELEGATED_EXISTING_PACKAGE"
    paying = {s.funder for s in splits if s.pence_per_week > 0}
    return "DELEGATED_JOINT_FUNDED" if len(paying) > 1 else "DELEGATED_HEALTH_FUNDED"


def _insert_event(bind: sa.Connection, event: dict[str, Any], now: dt.datetime) -> None:
    if bind.execute(sa.text("SELECT 1 FROM case_event WHERE id = :i"), {"i": event["id"]}).first():
        return
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    row = {**event, "version": 1, "server_version": None, "created_at": stamp,
           "updated_at": stamp, "updated_by": "", "device_id": "", "deleted": 0}
    bind.execute(sa.text(
        "INSERT INTO case_event (id, delegation_case_id, person_id, kind, occurred_on, "
        "recorded_by_name, flow_version, outcome_code, status, reasons, detail, plan_version, "
        "version, server_version, created_at, updated_at, updated_by, device_id, deleted) "
        "VALUES (:id, :delegation_case_id, :person_id, :kind, :occurred_on, :recorded_by_name,"
        " :flow_version, :outcome_code, :status, :reasons, :detail, :plan_version, :version, "
        ":server_version, :created_at, :updated_at, :updated_by, :device_id, :deleted)"),
        {**row, "occurred_on": event["occurred_on"].isoformat(),
         "reasons": json.dumps(event["reasons"]), "detail": json.dumps(event["detail"])})
    payload = {**event, "occurred_on": event["occurred_on"].isoformat(), "version": 1,
               "server_version": None, "created_at": now.isoformat(),
               "updated_at": now.isoformat(), "updated_by": "", "device_id": "",
               "deleted": False}
    seq = bind.execute(sa.text(
        "INSERT INTO outbox_entry (idempotency_key, entity_type, entity_id, operation, "
        "local_version, base_server_version, created_at, state, attempts) VALUES (:k, "
        "'case_event', :i, 'upsert', 1, NULL, :t, 'pending', 0) RETURNING seq"),
        {"k": str(uuid.uuid4()), "i": event["id"], "t": stamp}).scalar_one()
    bind.execute(sa.text("INSERT INTO outbox_payload (seq, payload, tombstone) "
                         "VALUES (:s, :p, 0)"), {"s": seq, "p": json.dumps(payload)})

"""the framework's principles as recorded facts: what matters, resources, signposting,
trusted assessment, Care Act eligibility, staff's problem reports to the IPCB

New tables (all synced): ``what_matters`` (one per person, its id derived from the
person's), ``signposting_service``, ``signposting``, ``partner_assessment``,
``assessment_reuse``, ``eligibility_screen``, ``framework_problem``.
``delegation_case`` gains the efficient use of resources recorded at S9 (``at_*``,
``calls_*``); ``support_plan`` gains its copy of what matters (``strengths``,
``self_care``, ``took_part``; ``person_words`` was there already).

Data kept: every existing row stays as it was; the new columns are empty (NULL, or an
empty list for ``took_part``) on rows made before this version. A person whose latest
support plan carries their own words gets a ``what_matters`` row with them, so the words
the plan printed are on the person record too. The row is not queued for the central
store: every laptop of the team derives the very same row (its id from the person's) from
the same synced plan, and queuing it from each would make a conflict per person; it
travels once someone changes it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# desktop_app.models.person_centred.WHAT_MATTERS_NAMESPACE (a test holds the two equal).
WHAT_MATTERS_NAMESPACE = uuid.UUID("2b7d7a52-1c3e-4f0e-8a4b-5e2f3c9d1a77")
AT_OUTCOMES = ("in_place", "to_try", "not_suitable", "declined")
CALLS_OUTCOMES = ("fits_existing_call", "call_times_changed", "extra_call_needed",
                  "fewer_calls")
OCCASIONS = ("visit", "review", "phone_call", "delegation")
FOR_WHOM = ("person", "carer")
ACTIONS = ("signposted", "referred")
ASSESSMENT_KINDS = ("care_act_needs", "chc_checklist", "mental_capacity", "clinical_risk",
                    "moving_and_handling", "other")
SUGGESTIONS = ("likely_eligible", "likely_not_eligible", "incomplete")
DECISIONS = ("eligible", "not_eligible")
PROBLEM_STATUSES = ("received", "discussed", "ruling_issued")
CARRIED_OVER_BY = "Carried over from the support plan"


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


def _check(table: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({_in(values)})", name=op.f(f"ck_{table}_{column}"))


def _person_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                   name=op.f(f"fk_{table}_person_id_person"),
                                   ondelete="RESTRICT")


def _index(table: str, *columns: str, unique: bool = False) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=unique)


def upgrade() -> None:
    op.create_table(
        "what_matters",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("own_words", sa.Text(), nullable=True),
        sa.Column("strengths", sa.Text(), nullable=True),
        sa.Column("self_care", sa.Text(), nullable=True),
        sa.Column("took_part", sa.JSON(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        *_synced(),
        _person_fk("what_matters"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_what_matters")),
    )
    _index("what_matters", "person_id", unique=True)

    op.create_table(
        "signposting_service",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("added_by_name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_synced(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signposting_service")),
    )

    op.create_table(
        "signposting",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("occasion", sa.String(length=16), nullable=False),
        sa.Column("review_id", sa.String(length=36), nullable=True),
        sa.Column("for_whom", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        *_synced(),
        _check("signposting", "occasion", OCCASIONS),
        _check("signposting", "for_whom", FOR_WHOM),
        _check("signposting", "action", ACTIONS),
        _person_fk("signposting"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signposting")),
    )
    _index("signposting", "person_id", "given_on")

    op.create_table(
        "partner_assessment",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("assessor", sa.String(length=200), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        *_synced(),
        _check("partner_assessment", "kind", ASSESSMENT_KINDS),
        _person_fk("partner_assessment"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_assessment")),
    )
    _index("partner_assessment", "person_id")

    op.create_table(
        "assessment_reuse",
        sa.Column("assessment_id", sa.String(length=36), nullable=False),
        sa.Column("delegation_case_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.Column("reused_on", sa.Date(), nullable=False),
        sa.Column("age_days", sa.Integer(), nullable=False),
        *_synced(),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["partner_assessment.id"],
            name=op.f("fk_assessment_reuse_assessment_id_partner_assessment"),
            ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["delegation_case_id"], ["delegation_case.id"],
            name=op.f("fk_assessment_reuse_delegation_case_id_delegation_case"),
            ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_reuse")),
    )
    _index("assessment_reuse", "assessment_id", "delegation_case_id")

    op.create_table(
        "eligibility_screen",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("screened_on", sa.Date(), nullable=False),
        sa.Column("needs_from_impairment", sa.Boolean(), nullable=True),
        sa.Column("unable", sa.JSON(), nullable=False),
        sa.Column("significant_impact", sa.Boolean(), nullable=True),
        sa.Column("suggestion", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_by_name", sa.String(length=200), nullable=False),
        *_synced(),
        _check("eligibility_screen", "suggestion", SUGGESTIONS),
        _check("eligibility_screen", "decision", DECISIONS),
        _person_fk("eligibility_screen"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eligibility_screen")),
    )
    _index("eligibility_screen", "person_id")

    op.create_table(
        "framework_problem",
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("about", sa.String(length=32), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("reported_by_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ruling", sa.Text(), nullable=True),
        sa.Column("status_on", sa.Date(), nullable=True),
        sa.Column("status_by_name", sa.String(length=200), nullable=True),
        *_synced(),
        _check("framework_problem", "status", PROBLEM_STATUSES),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_problem")),
    )
    _index("framework_problem", "reported_on")

    with op.batch_alter_table("delegation_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("at_considered", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("at_kind", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("at_outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("at_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("calls_reviewed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("calls_outcome", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("calls_note", sa.Text(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_delegation_case_at_outcome"),
                                         sa.text(f"at_outcome IN ({_in(AT_OUTCOMES)})"))
        batch_op.create_check_constraint(op.f("ck_delegation_case_calls_outcome"),
                                         sa.text(f"calls_outcome IN ({_in(CALLS_OUTCOMES)})"))

    with op.batch_alter_table("support_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("strengths", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("self_care", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("took_part", sa.JSON(), nullable=False,
                                      server_default="[]"))
    with op.batch_alter_table("support_plan", schema=None) as batch_op:
        # The default filled the rows there; the app writes the list itself from now on.
        batch_op.alter_column("took_part", server_default=None)
    _carry_own_words_over()


def _carry_own_words_over() -> None:
    """A person whose latest plan printed their own words gets a ``what_matters`` row with
    them (not queued: see the module); a person who has one already keeps it."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT p.person_id, p.person_words, p.effective_from FROM support_plan p "
        "WHERE p.deleted = 0 AND p.person_words IS NOT NULL AND trim(p.person_words) != '' "
        "AND p.version_number = (SELECT max(q.version_number) FROM support_plan q "
        "WHERE q.person_id = p.person_id AND q.deleted = 0)")).all()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    for person_id, words, effective_from in rows:
        row_id = str(uuid.uuid5(WHAT_MATTERS_NAMESPACE, person_id))
        if bind.execute(sa.text("SELECT 1 FROM what_matters WHERE id = :id"),
                        {"id": row_id}).first():
            continue
        bind.execute(sa.text(
            "INSERT INTO what_matters (id, person_id, own_words, strengths, self_care, "
            "took_part, recorded_on, recorded_by_name, version, server_version, created_at, "
            "updated_at, updated_by, device_id, deleted) VALUES (:id, :person, :words, NULL, "
            "NULL, '[]', :on, :by, 1, NULL, :now, :now, '', '', 0)"),
            {"id": row_id, "person": person_id, "words": words, "on": effective_from,
             "by": CARRIED_OVER_BY, "now": now})


def downgrade() -> None:
    with op.batch_alter_table("support_plan", schema=None) as batch_op:
        batch_op.drop_column("took_part")
        batch_op.drop_column("self_care")
        batch_op.drop_column("strengths")
    with op.batch_alter_table("delegation_case", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_delegation_case_calls_outcome"), type_="check")
        batch_op.drop_constraint(op.f("ck_delegation_case_at_outcome"), type_="check")
        for column in ("calls_note", "calls_outcome", "calls_reviewed", "at_reason",
                       "at_outcome", "at_kind", "at_considered"):
            batch_op.drop_column(column)
    for table in ("framework_problem", "eligibility_screen", "assessment_reuse",
                  "partner_assessment", "signposting", "signposting_service", "what_matters"):
        op.drop_table(table)

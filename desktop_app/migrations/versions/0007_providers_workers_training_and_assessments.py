"""care providers and workers kept over time; training events and assessments of competence

``care_provider``: the council areas it works in (existing providers: their commissioning
council), whether its insurance covers delegated healthcare tasks (existing providers: yes
where the cover was confirmed) and until when, a contact name, and deactivation.
``care_worker``: when they started and left. ``training_event``: level 1 (a task type) or
level 2 (one person's task) training with its backfill cost. ``competence_assessment``:
competent (the sign-off it made) or not yet (the support planned, by when, who supports the
worker meanwhile). ``competency_sign_off``: the standard assessed against, the training it
followed and the sign-off it supersedes (a new status, ``superseded``, for the old one).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('current', 'suspended', 'withdrawn')"
NEW_STATUSES = "status IN ('current', 'suspended', 'withdrawn', 'superseded')"


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
        "training_event",
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("task_code", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("trainer_name", sa.String(length=200), nullable=False),
        sa.Column("materials", sa.String(length=200), nullable=False),
        sa.Column("backfill_minutes", sa.Integer(), nullable=False),
        sa.Column("backfill_pence_per_hour", sa.Integer(), nullable=False),
        sa.Column("backfill_payer", sa.String(length=16), nullable=True),
        *_synced(),
        sa.CheckConstraint("backfill_payer IN ('icb', 'council', 'provider')",
                           name=op.f("ck_training_event_backfill_payer")),
        sa.CheckConstraint("backfill_minutes >= 0 AND backfill_pence_per_hour >= 0",
                           name=op.f("ck_training_event_backfill_not_negative")),
        sa.CheckConstraint("level = 1 OR person_id IS NOT NULL",
                           name=op.f("ck_training_event_personal_names_person")),
        sa.CheckConstraint("level IN (1, 2)", name=op.f("ck_training_event_level")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_training_event_person_id_person"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["worker_id"], ["care_worker.id"],
                                name=op.f("fk_training_event_worker_id_care_worker"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_event")),
    )
    with op.batch_alter_table("training_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_event_person_id"), ["person_id"])
        batch_op.create_index(batch_op.f("ix_training_event_worker_id"), ["worker_id"])

    with op.batch_alter_table("competency_sign_off", schema=None) as batch_op:
        batch_op.add_column(sa.Column("standard", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("supersedes_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("training_event_id", sa.String(length=36),
                                      nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_competency_sign_off_supersedes_id_competency_sign_off"),
            "competency_sign_off", ["supersedes_id"], ["id"], ondelete="RESTRICT")
        batch_op.create_foreign_key(
            batch_op.f("fk_competency_sign_off_training_event_id_training_event"),
            "training_event", ["training_event_id"], ["id"], ondelete="RESTRICT")
        batch_op.drop_constraint(batch_op.f("ck_competency_sign_off_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_competency_sign_off_status"),
                                         NEW_STATUSES)

    op.create_table(
        "competence_assessment",
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("task_code", sa.String(length=64), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessor_name", sa.String(length=200), nullable=False),
        sa.Column("standard", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("support_planned", sa.Text(), nullable=True),
        sa.Column("retrain_by", sa.Date(), nullable=True),
        sa.Column("supported_by", sa.String(length=200), nullable=True),
        sa.Column("training_event_id", sa.String(length=36), nullable=True),
        sa.Column("sign_off_id", sa.String(length=36), nullable=True),
        sa.Column("delegation_case_id", sa.String(length=36), nullable=True),
        *_synced(),
        sa.CheckConstraint("outcome = 'competent' OR (support_planned IS NOT NULL AND "
                           "retrain_by IS NOT NULL)",
                           name=op.f("ck_competence_assessment_not_yet_has_a_plan")),
        sa.CheckConstraint("outcome IN ('competent', 'not_yet')",
                           name=op.f("ck_competence_assessment_outcome")),
        sa.ForeignKeyConstraint(
            ["delegation_case_id"], ["delegation_case.id"],
            name=op.f("fk_competence_assessment_delegation_case_id_delegation_case"),
            ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"],
                                name=op.f("fk_competence_assessment_person_id_person"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["sign_off_id"], ["competency_sign_off.id"],
            name=op.f("fk_competence_assessment_sign_off_id_competency_sign_off"),
            ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["training_event_id"], ["training_event.id"],
            name=op.f("fk_competence_assessment_training_event_id_training_event"),
            ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["worker_id"], ["care_worker.id"],
                                name=op.f("fk_competence_assessment_worker_id_care_worker"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competence_assessment")),
    )
    with op.batch_alter_table("competence_assessment", schema=None) as batch_op:
        for column in ("delegation_case_id", "person_id", "retrain_by", "worker_id"):
            batch_op.create_index(batch_op.f(f"ix_competence_assessment_{column}"), [column])

    with op.batch_alter_table("care_provider", schema=None) as batch_op:
        batch_op.add_column(sa.Column("council_areas", sa.JSON(), nullable=False,
                                      server_default="[]"))
        batch_op.add_column(sa.Column("insurance_covers_delegated", sa.Boolean(),
                                      nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("insurance_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("contact_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column("deactivated_on", sa.Date(), nullable=True))
    # What the existing rows meant: the commissioning council is an area it works in, and a
    # confirmed cover was a cover of delegated healthcare tasks.
    op.execute("UPDATE care_provider SET council_areas = json_array(council)")
    op.execute("UPDATE care_provider SET insurance_covers_delegated = 1 "
               "WHERE insurance_confirmed_on IS NOT NULL")
    with op.batch_alter_table("care_provider", schema=None) as batch_op:
        # the defaults were for the rows already there; new rows get theirs from the app
        for column in ("council_areas", "insurance_covers_delegated", "active"):
            batch_op.alter_column(column, server_default=None)

    with op.batch_alter_table("care_worker", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("care_worker", schema=None) as batch_op:
        batch_op.drop_column("left_on")
        batch_op.drop_column("started_on")

    with op.batch_alter_table("care_provider", schema=None) as batch_op:
        for column in ("deactivated_on", "active", "contact_name", "insurance_until",
                       "insurance_covers_delegated", "council_areas"):
            batch_op.drop_column(column)

    with op.batch_alter_table("competence_assessment", schema=None) as batch_op:
        for column in ("worker_id", "retrain_by", "person_id", "delegation_case_id"):
            batch_op.drop_index(batch_op.f(f"ix_competence_assessment_{column}"))
    op.drop_table("competence_assessment")

    # A superseded sign-off had no status before: it was withdrawn, with the reason.
    op.execute("UPDATE competency_sign_off SET status = 'withdrawn', withdrawn_reason = "
               "'Replaced by a refresher or reassessment' WHERE status = 'superseded'")
    with op.batch_alter_table("competency_sign_off", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_competency_sign_off_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_competency_sign_off_status"),
                                         OLD_STATUSES)
        batch_op.drop_constraint(
            batch_op.f("fk_competency_sign_off_training_event_id_training_event"),
            type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_competency_sign_off_supersedes_id_competency_sign_off"),
            type_="foreignkey")
        batch_op.drop_column("training_event_id")
        batch_op.drop_column("supersedes_id")
        batch_op.drop_column("standard")

    with op.batch_alter_table("training_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_event_worker_id"))
        batch_op.drop_index(batch_op.f("ix_training_event_person_id"))
    op.drop_table("training_event")

"""Competence over time (framework §6 Training; committee minutes (v)), per worker and per
person: a sign-off does not carry to another person.

- ``record_training``: level 1 (a task type) or level 2 (one person's task), with the
  release for training costed as backfill: hours × an hourly rate in whole pence, and who
  pays (the ICB, the council or the provider); the funding report shows it on its own line.
- ``record_assessment``: *competent* makes a sign-off (on the day assessed, its refresher
  worked out from the catalogue's interval) that **supersedes** the worker's current one for
  that person and task: the old row is kept as ``superseded``, never overwritten; the new
  one names it and keeps its delegation. *Not yet* records the support or retraining
  planned, by when and who supports the worker meanwhile: the task stays with the nurse, a
  current sign-off is withdrawn with the reason, and the assessment is on the Reconsider
  list until a later assessment or sign-off. ``record_refresher``: the same for a worker
  who has a current sign-off (refused plainly with none). ``sign_off_chain``: them all.

Writes need ``MANAGE_COMPETENCY`` and run in one unit of work; typed text is cleaned, dates
are not in the future, and bad input is refused naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.competency import (
    AssessmentOutcome,
    BackfillPayer,
    CompetenceAssessment,
    CompetencySignOff,
    SignOffStatus,
    TrainingEvent,
    TrainingLevel,
)
from desktop_app.models.person import Person
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.catalogue import Catalogue, TaskTypeInfo, load_catalogue
from desktop_app.services.framework.refresher import refresher_from
from desktop_app.services.providers.case_notes import note_refresher

# As ``delegation.checks`` (a later part of services/, which this one cannot import).
LIMITS = {"trainer_name": 200, "assessor_name": 200, "materials": 200, "supported_by": 200,
          "standard": 1000, "support_planned": 2000}
MAX_BACKFILL_MINUTES = 100 * 60  # a week and a half of cover for one event
MAX_PENCE_PER_HOUR = 100_000  # £1,000 an hour
RETRAIN_WITHIN_DAYS = 366
_HOURS = re.compile(r"^(\d{1,3})(?:\.(\d{1,2}))?$")


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def backfill_pence(minutes: int, pence_per_hour: int) -> int:
    """The cover's cost: minutes × the hourly rate ÷ 60, rounded once to the penny (half up)."""
    return int(Fraction(minutes * pence_per_hour, 60) + Fraction(1, 2))


def parse_hours(text: str, field: str) -> int:
    """Whole minutes from typed hours ("7.5" → 450; blank → 0), never through a float."""
    typed = (text or "").strip()
    if not typed:
        return 0
    match = _HOURS.fullmatch(typed)
    if not match:
        raise ValidationError("Enter the hours as a number, such as 7.5.", field=field)
    hundredths = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    return int(Fraction(hundredths * 60, 100) + Fraction(1, 2))


def _shipped_catalogue() -> Catalogue:
    """The newest catalogue (shipped or received from the IPCB; cached by ``catalogue``)."""
    return load_catalogue()


@dataclass(frozen=True)
class TrainingInput:
    """Training a worker was given, as typed (before checking). Level 2 names the person."""

    worker_id: str
    task_code: str
    level: int
    trained_on: dt.date
    trainer_name: str
    materials: str
    person_id: str | None = None
    backfill_minutes: int = 0
    backfill_pence_per_hour: int = 0
    backfill_payer: str | None = None


@dataclass(frozen=True)
class TrainingRow:
    """A training event as the screens show it (``person_name`` None at level 1)."""

    id: str
    worker_id: str
    worker_name: str
    provider_name: str
    person_id: str | None
    person_name: str | None
    task_code: str
    task_name: str
    level: int
    trained_on: dt.date
    trainer_name: str
    materials: str
    backfill_minutes: int
    backfill_pence_per_hour: int
    backfill_payer: BackfillPayer | None
    backfill_pence: int


@dataclass(frozen=True)
class AssessmentInput:
    """An assessment as typed; a training event named gives the trainer and level, and
    ``refreshes_sign_off_id`` is the sign-off refreshed (refused if replaced meanwhile)."""

    worker_id: str
    person_id: str
    task_code: str
    assessed_on: dt.date
    assessor_name: str
    standard: str
    outcome: str
    trainer_name: str | None = None
    training_level: int | None = None
    training_event_id: str | None = None
    support_planned: str | None = None
    retrain_by: dt.date | None = None
    supported_by: str | None = None
    refreshes_sign_off_id: str | None = None


@dataclass(frozen=True)
class SignOffRow:
    """One sign-off in a worker's history for one person and task."""

    id: str
    status: SignOffStatus
    training_level: int
    trainer_name: str
    assessor_name: str
    standard: str | None
    signed_off_on: dt.date
    refresher_due: dt.date
    withdrawn_reason: str | None
    supersedes_id: str | None
    training_event_id: str | None
    delegation_case_id: str | None


@dataclass(frozen=True)
class AssessmentRow:
    """An assessment recorded: its new sign-off and the one superseded, or one withdrawn."""

    id: str
    worker_id: str
    person_id: str
    task_code: str
    assessed_on: dt.date
    outcome: AssessmentOutcome
    support_planned: str | None
    retrain_by: dt.date | None
    supported_by: str | None
    sign_off: SignOffRow | None
    superseded_id: str | None
    withdrawn_id: str | None


def _clean(value: str | None) -> str | None:
    return " ".join((value or "").split()) or None


def _text(values: Mapping[str, str | None], field: str, missing: str | None) -> str | None:
    """The cleaned text of ``field`` (ValidationError if too long, or blank and needed)."""
    text = _clean(values[field])
    if text is None and missing is not None:
        raise ValidationError(missing, field=field)
    if text is not None and len(text) > LIMITS[field]:
        raise ValidationError(f"That is too long (at most {LIMITS[field]} characters).",
                              field=field)
    return text


def _not_future(day: dt.date, today: dt.date, field: str, what: str) -> None:
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise ValidationError(f"Give the date {what}.", field=field)
    if day > today:
        raise ValidationError(f"The date {what} cannot be after today.", field=field)


def _task(code: str, catalogue: Catalogue) -> TaskTypeInfo:
    task = next((t for t in catalogue.tasks if t.code == code), None)
    if task is None:
        raise ValidationError("Choose the task from the catalogue.", field="task_code")
    if not task.is_delegable:
        raise ValidationError(f"{task.name} is not a delegable task: only those need training "
                              "and a sign-off.", field="task_code")
    return task


def _whole(value: object, most: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= most


def _level(value: object, field: str) -> int:
    if value not in (TrainingLevel.GENERIC, TrainingLevel.PERSONAL):
        raise ValidationError("The training level is 1 (generic) or 2 (for one person).",
                              field=field)
    return 1 if value == TrainingLevel.GENERIC else 2


def _worker(session: Session, worker_id: str, on: dt.date) -> CareWorker:
    """The worker, who must still work for their provider."""
    worker = session.get(CareWorker, worker_id) if worker_id else None
    if worker is None or worker.deleted:
        raise ValidationError("Choose the care worker.", field="worker_id")
    if not worker.active or worker.left_on is not None:
        left = f" on {_day(worker.left_on)}" if worker.left_on else ""
        raise ValidationError(f"{worker.given_name} {worker.family_name} left their provider"
                              f"{left}: only a worker still with a provider can be trained "
                              "or assessed.", field="worker_id")
    if worker.started_on is not None and on < worker.started_on:
        raise ValidationError(f"{worker.given_name} {worker.family_name} started on "
                              f"{_day(worker.started_on)}, after that date.", field="worker_id")
    return worker


def _person(session: Session, person_id: str | None) -> Person:
    person = session.get(Person, person_id) if person_id else None
    if person is None or person.deleted:
        raise ValidationError("Choose the person.", field="person_id")
    return person


def _backfill(data: TrainingInput) -> tuple[int, int, str | None]:
    minutes, rate = data.backfill_minutes, data.backfill_pence_per_hour
    payer = data.backfill_payer or None
    for bad, field, message in (
            (not _whole(minutes, MAX_BACKFILL_MINUTES), "backfill_minutes",
             f"The hours released are from 0 to {MAX_BACKFILL_MINUTES // 60}."),
            (not _whole(rate, MAX_PENCE_PER_HOUR), "backfill_pence_per_hour",
             "The cover's hourly rate is from £0 to £1,000."),
            (payer is not None and payer not in BackfillPayer._value2member_map_,
             "backfill_payer", "Who pays for the cover: the ICB, the council or the provider."),
            (minutes and not rate, "backfill_pence_per_hour",
             "Give the hourly rate of the cover while the worker trains."),
            (rate and not minutes, "backfill_minutes",
             "Give the hours the worker was released for training."),
            (minutes and payer is None, "backfill_payer", "Choose who pays for the cover.")):
        if bad:
            raise ValidationError(message, field=field)
    return minutes, rate, payer


def _training_row(session: Session, event: TrainingEvent, catalogue: Catalogue) -> TrainingRow:
    worker = session.get(CareWorker, event.worker_id)
    provider = session.get(CareProvider, worker.provider_id) if worker else None
    person = session.get(Person, event.person_id) if event.person_id else None
    task = next((t for t in catalogue.tasks if t.code == event.task_code), None)
    return TrainingRow(
        event.id, event.worker_id,
        f"{worker.given_name} {worker.family_name}" if worker else "",
        provider.name if provider else "", event.person_id,
        f"{person.given_name} {person.family_name}" if person else None, event.task_code,
        task.name if task else event.task_code, event.level, event.trained_on,
        event.trainer_name, event.materials, event.backfill_minutes,
        event.backfill_pence_per_hour,
        BackfillPayer(event.backfill_payer) if event.backfill_payer else None,
        backfill_pence(event.backfill_minutes, event.backfill_pence_per_hour))


def record_training(uow: UnitOfWork, data: TrainingInput, today: dt.date | None = None, *,
                    catalogue: Catalogue | None = None) -> TrainingRow:
    """Record training a worker was given, with its backfill cost (see the module docstring)."""
    require(uow, Permission.MANAGE_COMPETENCY)
    today = today or dt.date.today()
    catalogue = catalogue or _shipped_catalogue()
    level = _level(data.level, "level")
    _task(data.task_code, catalogue)
    _not_future(data.trained_on, today, "trained_on", "of the training")
    texts = {"trainer_name": data.trainer_name, "materials": data.materials}
    trainer = _text(texts, "trainer_name", "Give the trainer's name.")
    materials = _text(texts, "materials", "Give the training materials and their version.")
    if level == TrainingLevel.PERSONAL and not data.person_id:
        raise ValidationError("Level 2 training is designed around one person: choose them.",
                              field="person_id")
    minutes, rate, payer = _backfill(data)
    with uow.begin() as session:
        _worker(session, data.worker_id, data.trained_on)
        # Level 1 is for the task type, whoever it is for; level 2 for this person only.
        person_id = _person(session, data.person_id).id if level == 2 else None
        event = TrainingEvent(worker_id=data.worker_id, person_id=person_id,
                              task_code=data.task_code, level=level,
                              trained_on=data.trained_on, trainer_name=trainer,
                              materials=materials, backfill_minutes=minutes,
                              backfill_pence_per_hour=rate, backfill_payer=payer)
        session.add(event)
        session.flush()
        return _training_row(session, event, catalogue)


def training_events(uow: UnitOfWork, worker_id: str | None = None, *,
                    catalogue: Catalogue | None = None) -> list[TrainingRow]:
    """Training recorded (one worker's, or everyone's), newest first."""
    catalogue = catalogue or _shipped_catalogue()
    query = select(TrainingEvent).where(~TrainingEvent.deleted)
    if worker_id is not None:
        query = query.where(TrainingEvent.worker_id == worker_id)
    with uow.read() as session:
        return [_training_row(session, e, catalogue) for e in session.scalars(
            query.order_by(TrainingEvent.trained_on.desc(), TrainingEvent.created_at.desc()))]


def _sign_off_row(s: CompetencySignOff) -> SignOffRow:
    return SignOffRow(s.id, SignOffStatus(s.status), s.training_level, s.trainer_name,
                      s.assessor_name, s.standard, s.signed_off_on, s.refresher_due,
                      s.withdrawn_reason, s.supersedes_id, s.training_event_id,
                      s.delegation_case_id)


def _current(session: Session, data: AssessmentInput) -> CompetencySignOff | None:
    """The worker's current sign-off for this person and task (the newest)."""
    return session.scalars(
        select(CompetencySignOff)
        .where(CompetencySignOff.worker_id == data.worker_id,
               CompetencySignOff.person_id == data.person_id,
               CompetencySignOff.task_code == data.task_code, ~CompetencySignOff.deleted,
               CompetencySignOff.status == SignOffStatus.CURRENT.value)
        .order_by(CompetencySignOff.signed_off_on.desc(),
                  CompetencySignOff.created_at.desc())).first()


def _training(session: Session, data: AssessmentInput) -> TrainingEvent | None:
    """The training event named, which must be this worker's for this task (and person)."""
    if not data.training_event_id:
        return None
    event = session.get(TrainingEvent, data.training_event_id)
    if (event is None or event.deleted or event.worker_id != data.worker_id
            or event.task_code != data.task_code
            or (event.person_id is not None and event.person_id != data.person_id)):
        raise ValidationError("That training was not this worker's training for this task and "
                              "person.", field="training_event_id")
    if event.trained_on > data.assessed_on:
        raise ValidationError(f"The training was on {_day(event.trained_on)}, after the "
                              "assessment.", field="assessed_on")
    return event


def _checked(data: AssessmentInput, today: dt.date) -> dict[str, str | None]:
    """The cleaned texts of an assessment (ValidationError naming the first bad field)."""
    try:
        AssessmentOutcome(data.outcome)
    except ValueError:
        raise ValidationError("Choose the outcome: competent or not yet competent.",
                              field="outcome") from None
    _not_future(data.assessed_on, today, "assessed_on", "of the assessment")
    typed = {"assessor_name": data.assessor_name, "standard": data.standard,
             "trainer_name": data.trainer_name, "support_planned": data.support_planned,
             "supported_by": data.supported_by}
    texts = {"assessor_name": _text(typed, "assessor_name", "Give the assessor's name."),
             "standard": _text(typed, "standard", "Give the standard the worker was assessed "
                                                  "against (the competency framework)."),
             "trainer_name": _text(typed, "trainer_name", None)}
    if data.outcome == AssessmentOutcome.NOT_YET:
        texts["support_planned"] = _text(typed, "support_planned",
                                         "Say what support or retraining is planned.")
        if data.retrain_by is None:
            raise ValidationError("Give the date the retraining should be done by.",
                                  field="retrain_by")
        if not data.assessed_on < data.retrain_by <= data.assessed_on + dt.timedelta(
                days=RETRAIN_WITHIN_DAYS):
            raise ValidationError("The date to retrain by is after the assessment and within "
                                  "a year of it.", field="retrain_by")
        texts["supported_by"] = _text(typed, "supported_by", "Say who supports the worker "
                                                             "meanwhile.")
    return texts


def _check_current(current: CompetencySignOff | None, data: AssessmentInput,
                   worker: CareWorker, refresher: bool) -> None:
    if refresher and current is None:
        raise ValidationError(f"{worker.given_name} {worker.family_name} has no current "
                              "sign-off for this person and task to refresh: record an "
                              "assessment instead.")
    if data.refreshes_sign_off_id and (current is None
                                       or current.id != data.refreshes_sign_off_id):
        raise ValidationError("That sign-off was replaced or withdrawn meanwhile (on this "
                              "laptop or by a sync). Refresh the register and try again.")
    if current is not None and data.assessed_on < current.signed_off_on:
        raise ValidationError(f"The current sign-off is of {_day(current.signed_off_on)}: an "
                              "assessment cannot be dated before it.", field="assessed_on")


def record_assessment(uow: UnitOfWork, data: AssessmentInput, today: dt.date | None = None,
                      *, catalogue: Catalogue | None = None,
                      refresher: bool = False) -> AssessmentRow:
    """Record an assessment of competence (see the module docstring), in one transaction."""
    require(uow, Permission.MANAGE_COMPETENCY)
    today = today or dt.date.today()
    task = _task(data.task_code, catalogue or _shipped_catalogue())
    texts = _checked(data, today)
    if data.training_level is not None:
        _level(data.training_level, "training_level")
    with uow.begin() as session:
        worker = _worker(session, data.worker_id, data.assessed_on)
        _person(session, data.person_id)
        event = _training(session, data)
        current = _current(session, data)
        _check_current(current, data, worker, refresher)
        assessment = CompetenceAssessment(
            worker_id=data.worker_id, person_id=data.person_id, task_code=data.task_code,
            assessed_on=data.assessed_on, assessor_name=texts["assessor_name"],
            standard=texts["standard"], outcome=data.outcome,
            training_event_id=event.id if event else None,
            delegation_case_id=current.delegation_case_id if current else None)
        made = None
        if data.outcome == AssessmentOutcome.COMPETENT:
            made = _sign_off(session, data, texts, task, event, current, today)
            assessment.sign_off_id = made.id
        else:
            assessment.support_planned = texts["support_planned"]
            assessment.retrain_by = data.retrain_by
            assessment.supported_by = texts["supported_by"]
            if current is not None:  # it can no longer be relied on: the nurse keeps the task
                current.status = SignOffStatus.WITHDRAWN.value
                current.withdrawn_reason = (f"Reassessed on {_day(data.assessed_on)}: not yet "
                                            "competent; retraining planned.")
        session.add(assessment)
        if refresher and current is not None:
            note_refresher(session, current.delegation_case_id, worker, data.assessed_on, made)
        session.flush()
        replaced = current.id if current is not None else None
        return AssessmentRow(
            assessment.id, data.worker_id, data.person_id, data.task_code, data.assessed_on,
            AssessmentOutcome(data.outcome), assessment.support_planned, assessment.retrain_by,
            assessment.supported_by, _sign_off_row(made) if made else None,
            replaced if made else None, None if made else replaced)


def _sign_off(session: Session, data: AssessmentInput, texts: dict[str, str | None],
              task: TaskTypeInfo, event: TrainingEvent | None,
              current: CompetencySignOff | None, today: dt.date) -> CompetencySignOff:
    """The new sign-off of a competent assessment, superseding ``current`` (kept)."""
    trainer = event.trainer_name if event else texts["trainer_name"]
    if not trainer:
        raise ValidationError("Give the trainer's name (or choose the training recorded).",
                              field="trainer_name")
    level = (event.level if event else data.training_level
             or (current.training_level if current else None) or task.training_level or 1)
    due = refresher_from(data.assessed_on, task.refresher_months)
    if due <= today:
        raise ValidationError(f"An assessment of {_day(data.assessed_on)} needed its refresher "
                              f"by {_day(due)}: record the latest assessment.",
                              field="assessed_on")
    made = CompetencySignOff(
        worker_id=data.worker_id, person_id=data.person_id, task_code=data.task_code,
        training_level=level, trainer_name=trainer, assessor_name=texts["assessor_name"],
        signed_off_on=data.assessed_on, refresher_due=due,
        status=SignOffStatus.CURRENT.value, standard=texts["standard"],
        training_event_id=event.id if event else None,
        supersedes_id=current.id if current else None,
        delegation_case_id=current.delegation_case_id if current else None)
    if current is not None:
        current.status = SignOffStatus.SUPERSEDED.value
    session.add(made)
    session.flush()
    return made


def record_refresher(uow: UnitOfWork, data: AssessmentInput, today: dt.date | None = None,
                     *, catalogue: Catalogue | None = None) -> AssessmentRow:
    """A refresher or reassessment of a worker with a current sign-off for this person and
    task (refused plainly when there is none): competent supersedes it, not yet withdraws it."""
    return record_assessment(uow, data, today, catalogue=catalogue, refresher=True)


def sign_off_chain(uow: UnitOfWork, worker_id: str, person_id: str,
                     task_code: str) -> list[SignOffRow]:
    """Every sign-off of the worker for this person and task, newest first."""
    with uow.read() as session:
        return [_sign_off_row(s) for s in session.scalars(
            select(CompetencySignOff)
            .where(CompetencySignOff.worker_id == worker_id,
                   CompetencySignOff.person_id == person_id,
                   CompetencySignOff.task_code == task_code, ~CompetencySignOff.deleted)
            .order_by(CompetencySignOff.signed_off_on.desc(),
                      CompetencySignOff.created_at.desc()))]

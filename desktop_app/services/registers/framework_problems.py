"""Practical problems with the framework, reported by staff to the IPCB (framework Part A
section 5.0: the Integrated Personalised Care Board will "receive reported issues from
staff having practical problems with the use of the Framework", "discuss and agree on how
reported issues should be dealt with" and "oversee dissemination, promotion of rulings
made").

- ``report_problem``: anyone but the read-only role reports one: which step of the flow or
  which rule it is about, and what happened, in 20 to 4,000 characters. The IPCB reads it,
  so it must be anonymous: it is refused, naming the kind of detail and quoting the words
  to change, when it names anyone on the caseload or gives an NHS number, a caseload date
  of birth, a postcode, an address or a caseload phone number (``anonymity``); reported
  with a person in view (``ProblemInput.person_id``: from their wizard, or from the status
  bar while their record is on screen), also a single word of that person's names or
  their contacts' written as a name. Nothing refused is stored, so nothing refused is ever
  synced.
- ``problems``: the list, newest first, for team leads and governance (``VIEW_REPORTS``).
  A reporter who is neither does not see the list: the IPCB's answer reaches them through
  their team lead.
- ``set_problem_status``: the team lead records what the IPCB did: discussed, then ruling
  issued (with the ruling, checked for identifying details too). The status only moves
  forward (received, discussed, ruling issued).
- ``for_meeting``: what the joint meeting pack lists: problems not yet ruled on, and
  rulings issued in the last four weeks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.person_centred import FrameworkProblem, ProblemStatus
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import check_version
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.flow import StepId, current_flow
from desktop_app.services.framework.person_centred import PROBLEM_AREAS, PROBLEM_STATUS_LABELS
from desktop_app.services.registers.anonymity import identifying_findings, refuse_identifying

MIN_LENGTH = 20
MAX_LENGTH = 4000
RECENT_RULING_DAYS = 28  # the meeting pack lists rulings issued in the last four weeks
_ORDER = (ProblemStatus.RECEIVED, ProblemStatus.DISCUSSED, ProblemStatus.RULING_ISSUED)
_IPCB_READS = "The IPCB reads this text"
_RULING_READ = "The ruling is read by every team"


@dataclass(frozen=True)
class ProblemInput:
    """A problem as reported: ``about`` is a flow step id (``S4``) or a ``PROBLEM_AREAS``
    key; ``person_id`` is the person in view when it was reported (their wizard, or their
    record on screen): a single word of their names is refused in the text too."""

    about: str
    what_happened: str
    person_id: str | None = None


@dataclass(frozen=True)
class ProblemRow:
    """A reported problem, with its words for the list, the form and the meeting pack."""

    problem_id: str
    reported_on: dt.date
    about: str
    about_label: str
    what_happened: str
    reported_by_name: str
    status: ProblemStatus
    status_label: str
    ruling: str | None
    status_on: dt.date | None
    status_by_name: str | None
    version: int

    @property
    def next_statuses(self) -> tuple[ProblemStatus, ...]:
        """The statuses it may move to (forward only)."""
        return _ORDER[_ORDER.index(self.status) + 1:]


@lru_cache(maxsize=1)
def problem_topics() -> tuple[tuple[str, str], ...]:
    """What a problem can be about, as (key, words): each step of the current flow, then
    the rules around it (``PROBLEM_AREAS``), in the order the report form offers them."""
    steps = current_flow().steps
    return (*((step.value, f"Step {step.value}: {steps[step.value].title}")
              for step in StepId if step.value in steps),
            *PROBLEM_AREAS.items())


def about_label(about: str) -> str:
    """The words for what a problem is about (a step or rule this version does not know
    is shown as recorded)."""
    return dict(problem_topics()).get(about, about)


def _text(value: str | None, field: str, what: str, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationError(f"Say {what}.", field=field)
        return None
    if len(text) < MIN_LENGTH:
        raise ValidationError(
            f"Say a little more about {what} (at least {MIN_LENGTH} characters), so the IPCB "
            "can understand it.", field=field)
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            f"Keep it under {MAX_LENGTH:,} characters (it has {len(text):,}): the IPCB "
            "reads each report in its meeting.", field=field)
    return text


def report_problem(uow: UnitOfWork, data: ProblemInput, reported_by: str,
                   today: dt.date | None = None) -> str:
    """Record a practical problem with the framework for the IPCB; returns its id.
    ValidationError (naming ``about`` or ``what_happened``) when it is not said, too short
    or too long, or identifies someone; nothing is stored then."""
    require(uow, Permission.REPORT_PROBLEM)
    about = (data.about or "").strip()
    if about not in dict(problem_topics()):
        raise ValidationError("Choose the step or the rule the problem is about.",
                              field="about")
    text = _text(data.what_happened, "what_happened", "what happened", True)
    assert text is not None
    with uow.begin() as session:
        refuse_identifying(identifying_findings(session, text, data.person_id or None),
                           "what_happened", _IPCB_READS)
        problem = FrameworkProblem(
            reported_on=today or dt.date.today(), about=about, what_happened=text,
            reported_by_name=reported_by.strip(), status=ProblemStatus.RECEIVED.value)
        session.add(problem)
        session.flush()
        return problem.id


def _row(problem: FrameworkProblem) -> ProblemRow:
    status = ProblemStatus(problem.status)
    return ProblemRow(problem.id, problem.reported_on, problem.about,
                      about_label(problem.about), problem.what_happened,
                      problem.reported_by_name, status, PROBLEM_STATUS_LABELS[status],
                      problem.ruling, problem.status_on, problem.status_by_name,
                      problem.version)


def problems_in(session: Session) -> tuple[ProblemRow, ...]:
    """Every reported problem, newest first (in a session the caller opened)."""
    stmt = (select(FrameworkProblem).where(~FrameworkProblem.deleted)
            .order_by(FrameworkProblem.reported_on.desc(), FrameworkProblem.created_at.desc(),
                      FrameworkProblem.id))
    return tuple(_row(problem) for problem in session.scalars(stmt))


def problems(uow: UnitOfWork) -> tuple[ProblemRow, ...]:
    """Every reported problem, newest first (team leads and governance)."""
    require(uow, Permission.VIEW_REPORTS)
    with uow.read() as session:
        return problems_in(session)


def set_problem_status(uow: UnitOfWork, problem_id: str, status: ProblemStatus | str,
                       ruling: str | None, by: str, expected_version: int,
                       today: dt.date | None = None) -> ProblemRow:
    """Record what the IPCB did with a problem (team lead): ``discussed`` or
    ``ruling_issued`` (which needs the ruling). The status only moves forward; the ruling
    is refused if it identifies someone; an edit opened at an older version is refused."""
    require(uow, Permission.TRACK_PROBLEMS)
    try:
        wanted = ProblemStatus(status)
    except ValueError:
        raise ValidationError("Choose what the IPCB did.", field="status") from None
    text = _text(ruling, "ruling", "the ruling", wanted is ProblemStatus.RULING_ISSUED)
    with uow.begin() as session:
        problem = session.get(FrameworkProblem, problem_id)
        if problem is None or problem.deleted:
            raise NotFound("That reported problem is no longer there.")
        check_version(problem, expected_version,
                      "Someone recorded the IPCB's answer to this problem since you opened "
                      "it. Close the form and open it again to see it.")
        current = ProblemStatus(problem.status)
        if _ORDER.index(wanted) <= _ORDER.index(current):
            raise ValidationError(
                f"This problem is already at '{PROBLEM_STATUS_LABELS[current]}': its status "
                "only moves forward (received, discussed, ruling issued).", field="status")
        if text is not None:
            refuse_identifying(identifying_findings(session, text), "ruling", _RULING_READ)
            problem.ruling = text
        problem.status = wanted.value
        problem.status_on = today or dt.date.today()
        problem.status_by_name = by.strip()
        session.flush()
        return _row(problem)


def for_meeting(rows: Iterable[ProblemRow], as_of: dt.date) -> tuple[ProblemRow, ...]:
    """The problems a meeting on ``as_of`` goes through: reported by then and not yet
    ruled on (by then), or ruled on in the four weeks before it (oldest first)."""
    since = as_of - dt.timedelta(days=RECENT_RULING_DAYS)
    kept = [row for row in rows if row.reported_on <= as_of and (
        row.status is not ProblemStatus.RULING_ISSUED
        or row.status_on is None or row.status_on > since)]
    return tuple(sorted(kept, key=lambda row: (row.reported_on, row.problem_id)))

"""What the competency register adds to a delegation's history: a refresher recorded.

A refresher (or reassessment) of a worker named on a delegation is one event of that case
(``case_event``, kind ``refresher_recorded``), so the person record's timeline shows when
competence was renewed, or found not yet current. The case's status does not change here:
``delegation.history`` (above this package) owns the events that change it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEvent, CaseEventKind
from desktop_app.models.provider import CareWorker
from desktop_app.services.core.audit import actor_name
from desktop_app.services.core.tracking import ACTOR


def note_refresher(session: Session, case_id: str | None, worker: CareWorker, on: dt.date,
                   made: CompetencySignOff | None) -> None:
    """Append the refresher to the case's history (nothing when no case is named)."""
    case = session.get(DelegationCase, case_id) if case_id else None
    if case is None or case.deleted:
        return
    who = f"{worker.given_name} {worker.family_name}"
    reasons = ([f"{who}: competent; next refresher due {made.refresher_due:%d/%m/%Y}"]
               if made is not None else
               [f"{who}: not yet competent; the sign-off is withdrawn and retraining planned"])
    session.add(CaseEvent(
        delegation_case_id=case.id, person_id=case.person_id,
        kind=CaseEventKind.REFRESHER_RECORDED.value, occurred_on=on,
        recorded_by_name=actor_name(session, session.info[ACTOR]), reasons=reasons,
        detail={"worker_id": worker.id, "sign_off_id": made.id if made else None,
                "refresher_due": made.refresher_due.isoformat() if made else None}))

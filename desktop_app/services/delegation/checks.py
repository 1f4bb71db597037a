"""The checks ``decide`` makes before anything is written: the code's own guards.

The flow is replaceable data, and a page can be bypassed by any caller; these hold whatever
either says. An outcome the chosen task can never have is refused (hazard H-002); every
worker named on S7 has a complete, current sign-off (H-005, H-006) whose refresher is not
due; consent was given by someone who may give it (H-007; MCA 2005); the named workers are
workers of the provider that accepted who had not left it on the decision day (H-006,
H-041); a task is delegated only to a provider on the register that is active and whose
insurance covers delegated healthcare tasks on the decision day, whatever S7's own
"insurance confirmed" answer says (H-041); clinical oversight names whom to call (H-022);
and the day the care starts, from which the review clock runs, is a plausible date (H-010).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from desktop_app.models.delegation import OutcomeCode
from desktop_app.models.person import Contact
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.delegation.answers import Answers, answer_date, chosen_task
from desktop_app.services.framework.catalogue import Catalogue, TaskTypeInfo
from desktop_app.services.framework.insurance import cover_on
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.framework.refresher import refresher_from

# Outcomes a registered-nurse-only task may have: Health keeps it (or CHC takes it on).
RN_TASK_OUTCOMES = frozenset({OutcomeCode.NOT_DELEGATED.value, OutcomeCode.REFER_CHC.value})
MAX_START_AHEAD = dt.timedelta(days=366)


def check_outcome_safe(outcome: str, answers: Answers, catalogue: Catalogue) -> None:
    """Refuse an outcome the chosen task can never have, whatever the flow file says.

    The flow is replaceable data; this is the code's own guard (hazard H-002): a task the
    catalogue lists as registered-nurse only never leaves the nurse, and only a delegable
    (D) task is ever delegated to a care worker.
    """
    code = answers.get("S1", {}).get("task_code")
    task = chosen_task(code, catalogue)
    if task is not None and task.is_registered_nurse_only and outcome not in RN_TASK_OUTCOMES:
        raise ValidationError(
            f"{task.name} is registered-nurse only: it stays with the nursing team and "
            f"cannot be recorded as \"{describe(outcome).title}\".", field="S1.task_code")
    if describe(outcome).delegated and (task is None or not task.is_delegable):
        raise ValidationError("Only a task the catalogue lists as delegable can be delegated "
                              "to a care worker; go back to step S1.", field="S1.task_code")


def uk_day(day: dt.date) -> str:
    """A day as the app shows it in messages: 05/01/2027."""
    return day.strftime("%d/%m/%Y")


def _sign_off_problem(item: Any, task: TaskTypeInfo, today: dt.date) -> str | None:
    if not isinstance(item, Mapping):
        return "a sign-off is incomplete"
    name = str(item.get("worker_name") or "A named worker")
    missing = [what for key, what in (("trainer_name", "the trainer"),
                                      ("assessor_name", "the assessor"),
                                      ("signed_off_on", "the date signed off competent"))
               if not str(item.get(key) or "").strip()]
    if missing:
        return f"{name}: enter {', '.join(missing)}"
    if item.get("training_level") not in (None, 1, 2, "1", "2"):
        return f"{name}: the training level is 1 (generic) or 2 (enhanced)"
    try:
        signed = dt.date.fromisoformat(str(item["signed_off_on"]))
    except ValueError:
        return f"{name}: the date signed off competent is not a date"
    if signed > today:
        return (f"{name}: the date signed off competent ({uk_day(signed)}) is in the future; "
                "record sign-off once the worker has been assessed")
    due = refresher_due(signed, task, item.get("refresher_due"))
    if due <= today:
        return (f"{name}: the sign-off of {uk_day(signed)} needed its refresher by {uk_day(due)}; "
                "the worker must be reassessed and signed off again before the task is "
                "delegated")
    return None


def refresher_due(signed: dt.date, task: TaskTypeInfo, given: Any = None) -> dt.date:
    """Sign-off date plus the task's refresher interval (12 months unless the catalogue
    says otherwise); an earlier date given by the assessor stands, a later one never."""
    due = refresher_from(signed, task.refresher_months)
    try:
        earlier = dt.date.fromisoformat(str(given)) if given else None
    except ValueError:
        earlier = None
    return min(due, earlier) if earlier else due


def check_sign_offs(answers: Answers, catalogue: Catalogue, today: dt.date) -> None:
    """Every worker named on S7 has a complete, current sign-off for this person and task
    (hazards H-005, H-006): none in the future, none whose refresher has fallen due, none
    for a worker not named."""
    task = chosen_task(answers.get("S1", {}).get("task_code"), catalogue)
    if task is None:
        raise ValidationError("Choose the task on step S1.", field="S1.task_code")
    named = [str(w) for w in answers.get("S7", {}).get("worker_ids") or ()]
    items = list(answers.get("S8", {}).get("sign_offs") or ())
    by_worker = {str(i.get("worker_id")): i for i in items if isinstance(i, Mapping)}
    problems = [f"{by_worker.get(w, {}).get('worker_name') or 'A named worker'}: "
                "no sign-off is recorded" for w in named if w not in by_worker]
    problems += ["a sign-off is for a worker not named on step S7"
                 for w in by_worker if w not in named]
    problems += [p for item in items if (p := _sign_off_problem(item, task, today))]
    if problems:
        raise ValidationError("Training and competence (S8): " + "; ".join(problems) + ".",
                              field="S8.sign_offs")


# Who may decide for someone else (MCA 2005), the contact kind each needs, and the four parts
# of a best-interests decision: the S6 page uses the same.
FOR_SOMEONE_ELSE = ("lpa", "deputy", "best_interests")
CONTACT_KINDS = {"lpa": "lpa_health_welfare", "deputy": "deputy"}
BEST_INTERESTS = ("bi_consulted", "bi_wishes_feelings", "bi_options", "bi_least_restrictive")


def check_consent(session: Session, person_id: str, s6: Mapping[str, Any]) -> None:
    """Consent given by someone who may give it, for this person (hazard H-007; MCA 2005):
    the person unless assessed as lacking capacity; otherwise a registered health and
    welfare attorney or a deputy among *this person's* contacts, or a complete best-interests
    decision. The S6 page says the same; this holds for any caller."""
    kind = s6.get("given_by_kind") or "person"
    lacks = s6.get("capacity_outcome") == "lacks_capacity"
    if kind == "person" and lacks:
        raise ValidationError("The capacity assessment found the person lacks capacity for "
                              "this decision, so the consent cannot be their own.",
                              field="S6.given_by_kind")
    if kind in FOR_SOMEONE_ELSE and not lacks:
        raise ValidationError("An attorney, a deputy or a best-interests decision can decide "
                              "only when an assessment found the person lacks capacity.",
                              field="S6.capacity_outcome")
    if kind in CONTACT_KINDS:
        contact = session.get(Contact, str(s6.get("contact_id") or ""))
        if (contact is None or contact.deleted or contact.person_id != person_id
                or not contact.can_decide_health_welfare
                or contact.kind != CONTACT_KINDS[kind]):
            raise ValidationError("Consent by an attorney or deputy needs that attorney or "
                                  "deputy chosen from this person's contacts, registered to "
                                  "decide about health and welfare.", field="S6.contact_id")
    if kind == "best_interests" and not all(str(s6.get(k) or "").strip()
                                            for k in BEST_INTERESTS):
        raise ValidationError("A best-interests decision needs who was consulted, the "
                              "person's wishes and feelings, the options and the least "
                              "restrictive choice.", field="S6.bi_consulted")


def check_provider(session: Session, s7: Mapping[str, Any], today: dt.date) -> None:
    """A task is delegated only to a provider on the register that is active and whose
    insurance covers delegated healthcare tasks on the decision day (hazard H-041).

    The register's cover decides (``framework.insurance.cover_on``: confirmed, covering
    delegated healthcare activities, and not ended before ``today``); S7's own "insurance
    confirmed" answer is what the nurse was told, not enough on its own."""
    provider = session.get(CareProvider, str(s7.get("provider_id") or ""))
    if provider is None or provider.deleted:
        raise ValidationError("The provider that accepted the task is no longer on this "
                              "laptop; go back to step S7 and choose one from the provider "
                              "register.", field="S7.provider_id")
    if not provider.active:
        since = f" since {uk_day(provider.deactivated_on)}" if provider.deactivated_on else ""
        raise ValidationError(f"{provider.name} is deactivated on the provider register{since}, "
                              "so it cannot take on a new delegation. Go back to step S7 and "
                              "choose an active provider.", field="S7.provider_id")
    cover = cover_on(today, provider.insurance_confirmed_on,
                     provider.insurance_covers_delegated, provider.insurance_until)
    if not cover.insured:
        raise ValidationError(f"{provider.name}: {cover.words} on the provider register. A "
                              "task is delegated only to a provider insured for delegated "
                              "healthcare tasks on the day of the decision: record the "
                              "provider's cover on the register, or go back to step S7.",
                              field="S7.insurance_confirmed")


def _worker_problem(session: Session, worker_id: str, provider_id: str,
                    today: dt.date) -> str | None:
    worker = session.get(CareWorker, worker_id)
    if worker is None or worker.deleted:
        return "A named care worker is no longer on the provider register on this laptop"
    name = f"{worker.given_name} {worker.family_name}"
    if worker.provider_id != provider_id:
        employer = session.get(CareProvider, worker.provider_id)
        accepted = session.get(CareProvider, provider_id)
        return (f"{name} works for {employer.name if employer else 'another provider'}, not "
                f"for {accepted.name if accepted else 'the provider that accepted the task'}")
    provider = session.get(CareProvider, provider_id)
    where = provider.name if provider else "the provider"
    if worker.left_on is not None and worker.left_on <= today:
        return f"{name} left {where} on {uk_day(worker.left_on)}"
    if not worker.active:
        return f"{name} no longer works for {where}"
    return None


def check_workers(session: Session, s7: Mapping[str, Any], today: dt.date) -> None:
    """The named workers are workers of the provider that accepted who had not left it on
    the decision day (hazards H-006, H-041); the message names each one who is not."""
    provider_id = str(s7.get("provider_id") or "")
    problems = [p for worker_id in s7.get("worker_ids") or ()
                if (p := _worker_problem(session, str(worker_id), provider_id, today))]
    if problems:
        raise ValidationError("Named care workers (S7): " + "; ".join(problems) + ". Only "
                              "current workers of the provider that accepted can be named; "
                              "go back to step S7.", field="S7.worker_ids")


def check_oversight(answers: Answers) -> None:
    """Clinical oversight names its service and organisation and the numbers a care worker
    calls in and out of hours (hazard H-022); the S8 page asks the same."""
    s8 = answers.get("S8", {})
    missing = [what for key, what in (
        ("oversight_service", "the oversight service"),
        ("oversight_organisation", "the organisation"),
        ("oversight_phone_in_hours", "the phone number in hours"),
        ("oversight_phone_out_of_hours", "the phone number out of hours"))
        if not str(s8.get(key) or "").strip()]
    if missing:
        raise ValidationError("Clinical oversight (S8): enter " + ", ".join(missing) + ".",
                              field="S8.oversight_phone_in_hours")


def care_starts_on(answers: Answers, today: dt.date) -> dt.date:
    """The day the delegated care starts, from which the review clock runs (hazard H-010):
    the date given on S10, else the extra care's start on S9F, else the decision day."""
    s10, s9f = answers.get("S10", {}), answers.get("S9F", {})
    typed = s10.get("care_starts_on") or s9f.get("start_date") or (
        (s9f.get("inputs") or {}).get("start_date"))
    try:
        starts = dt.date.fromisoformat(str(typed)) if typed else today
        met = answer_date(s10.get("met_on"))
    except ValueError:
        raise ValidationError("The date the care starts is not a date.",
                              field="S10.care_starts_on") from None
    if met is not None and met > today:
        raise ValidationError("The MDT meeting date has not come yet; please check it.",
                              field="S10.met_on")
    if met is not None and starts < met:
        raise ValidationError(f"The care cannot start ({uk_day(starts)}) before the MDT agreed it "
                              f"({uk_day(met)}).", field="S10.care_starts_on")
    if starts > today + MAX_START_AHEAD:
        raise ValidationError("The care starts more than a year ahead; please check the date.",
                              field="S10.care_starts_on")
    return starts

"""The round trip: the facts an export says, read back two ways, to be compared.

``read_back`` parses exported resources with ``fhir.resources`` and reads from the models
what a receiving system would (the NHS number, the plan versions and their tasks, who
consented, who oversees, who recorded what and when); ``facts_of`` works the same facts out
straight from the rows, by rules written here again and not by calling the mapping, so a
mistake in the mapping shows as a difference rather than agreeing with itself
(tests/services/test_fhir_export.py). Import is not supported: this reads only what the
app itself exports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scp_common.fhir import systems as s
from scp_common.fhir.build import model_of
from scp_common.fhir.records import Directory, PersonRecords, Row

Target = tuple[str, str]


@dataclass(frozen=True, order=True)
class ActivityFacts:
    """One delegated task on a plan version."""

    case_id: str | None
    task_code: str | None
    task_version: str | None
    task_name: str | None
    what: str | None
    not_delegated: str | None
    frequency: str | None
    performers: tuple[str, ...]  # care worker ids
    status: str


@dataclass(frozen=True, order=True)
class ReviewFacts:
    """One review of a delegation, on the newest version carrying its task."""

    case_id: str
    kind: str
    due_on: dt.date | None
    done_on: dt.date | None
    next_review_on: dt.date | None
    status: str


@dataclass(frozen=True, order=True)
class PlanFacts:
    """One support plan version."""

    version: int
    plan_id: str
    status: str
    start: dt.date | None
    end: dt.date | None
    replaces: str | None
    author: str | None
    activities: tuple[ActivityFacts, ...]
    reviews: tuple[ReviewFacts, ...]


@dataclass(frozen=True, order=True)
class ConsentFacts:
    """One consent decision: what, when, who decided and in what capacity."""

    consent_id: str
    case_id: str | None
    decision: str  # the app's: given, refused, withdrawn
    status: str  # FHIR's: active (in force), rejected, inactive (withdrawn, or no longer so)
    recorded_on: dt.date | None
    decider_kind: str
    decider_name: str | None
    registration_reference: str | None
    scope: str
    task_code: str | None


@dataclass(frozen=True, order=True)
class OversightFacts:
    """The clinical oversight contact of a running delegation."""

    oversight_id: str
    service_kind: str | None
    organisation: str | None
    clinician: str | None
    phone_in_hours: str | None
    phone_out_of_hours: str | None


@dataclass(frozen=True, order=True)
class ProvenanceFacts:
    """Who last recorded a resource's rows, when, and on which device."""

    target: Target
    user_id: str | None
    recorded: dt.datetime | None
    device_id: str | None


@dataclass(frozen=True)
class PersonFacts:
    """What one person's export says, as plain values."""

    nhs_number: str | None
    given_name: str | None
    family_name: str | None
    preferred_name: str | None
    birth_date: dt.date | None
    address_lines: tuple[str, ...]
    town: str | None
    postcode: str | None
    phone: str | None
    gp_code: str | None
    gp_name: str | None
    plans: tuple[PlanFacts, ...]
    consents: tuple[ConsentFacts, ...]
    oversights: tuple[OversightFacts, ...]
    provenance: tuple[ProvenanceFacts, ...]


# The resource types whose Provenance the round trip compares (their rows are plain to
# name from the records: the person's, a plan version's, a consent's, a worker's or an
# oversight's).
PROVENANCE_TYPES = ("Patient", "CarePlan", "Consent", "PractitionerRole")


# ============================================================== read back from FHIR


def read_back(resources: Iterable[Mapping[str, Any]]) -> PersonFacts:
    """Parse one person's exported resources with ``fhir.resources`` and read the facts."""
    models = [model_of(str(r["resourceType"])).model_validate(r) for r in resources]
    by_type: dict[str, list[Any]] = {}
    for model in models:
        by_type.setdefault(model.get_resource_type(), []).append(model)
    [patient] = by_type["Patient"]
    official = _name(patient, "official")
    usual = _name(patient, "usual")
    address = patient.address[0] if patient.address else None
    gp = patient.generalPractitioner[0] if patient.generalPractitioner else None
    phone = next((t.value for t in patient.telecom or [] if t.system == "phone"), None)
    return PersonFacts(
        nhs_number=next(i.value for i in patient.identifier if i.system == s.NHS_NUMBER),
        given_name=official.given[0] if official and official.given else None,
        family_name=official.family if official else None,
        preferred_name=usual.given[0] if usual and usual.given else None,
        birth_date=patient.birthDate,
        address_lines=tuple(address.line or ()) if address else (),
        town=address.city if address else None,
        postcode=address.postalCode if address else None,
        phone=phone,
        gp_code=gp.identifier.value if gp is not None and gp.identifier else None,
        gp_name=gp.display if gp is not None else None,
        plans=tuple(sorted(_read_plan(p) for p in by_type.get("CarePlan", []))),
        consents=tuple(sorted(_read_consent(c) for c in by_type.get("Consent", []))),
        oversights=tuple(sorted(_read_oversight(r) for r in by_type.get("PractitionerRole", [])
                                if _coded(r.code, s.OVERSIGHT_SERVICE) is not None)),
        provenance=tuple(sorted(_read_provenance(by_type.get("Provenance", [])))))


def _name(patient: Any, use: str) -> Any:
    return next((n for n in patient.name or [] if n.use == use), None)


def _ext(element: Any, url: str) -> Any:
    return next((e for e in getattr(element, "extension", None) or [] if e.url == url), None)


def _coded(concepts: Any, system: str) -> Any:
    for item in concepts if isinstance(concepts, list) else [concepts] if concepts else []:
        for coding in item.coding or []:
            if coding.system == system:
                return coding
    return None


def _id_of(reference: Any) -> str | None:
    if reference is None:
        return None
    if reference.reference:
        return str(reference.reference).rsplit("/", 1)[-1]
    return reference.identifier.value if reference.identifier else None


def _case_of(element: Any) -> str | None:
    found = _ext(element, s.EXT_DELEGATION_CASE)
    return found.valueIdentifier.value if found is not None else None


def _read_plan(plan: Any) -> PlanFacts:
    activities, reviews = [], []
    for activity in plan.activity or []:
        detail = activity.detail
        task = _coded(detail.code, s.TASK_CATALOGUE)
        if task is not None:
            not_delegated = _ext(detail, s.EXT_NOT_DELEGATED)
            activities.append(ActivityFacts(
                _case_of(detail), task.code, task.version, detail.code.text,
                detail.description, not_delegated.valueString if not_delegated else None,
                detail.scheduledString, tuple(_id_of(p) or "" for p in detail.performer or []),
                detail.status))
            continue
        kind = _coded(detail.code, s.REVIEW_KIND)
        following = _ext(detail, s.EXT_NEXT_REVIEW)
        done = activity.progress[0].time if activity.progress else None
        reviews.append(ReviewFacts(
            str(_case_of(detail)), kind.code if kind else "",
            detail.scheduledPeriod.start if detail.scheduledPeriod else None,
            done.date() if isinstance(done, dt.datetime) else done,
            following.valueDate if following else None, detail.status))
    version = _ext(plan, s.EXT_PLAN_VERSION)
    return PlanFacts(
        int(version.valuePositiveInt), plan.id, plan.status,
        plan.period.start if plan.period else None, plan.period.end if plan.period else None,
        _id_of(plan.replaces[0]) if plan.replaces else None,
        plan.author.display if plan.author else None,
        tuple(sorted(activities)), tuple(sorted(reviews)))


# The section of the Mental Capacity Act 2005 each decider acts under (Consent.policy).
_SECTION_KIND = {"1": "person", "9": "lpa", "16": "deputy", "4": "best_interests"}


def _read_consent(consent: Any) -> ConsentFacts:
    """Who decided, read from the standard elements (the policy's section of the Mental
    Capacity Act, the performer) and checked against the app's own extension."""
    section = str(consent.policy[0].uri).rsplit("/", 1)[-1] if consent.policy else ""
    kind = _SECTION_KIND.get(section, "")
    own = _ext(consent, s.EXT_DECIDED_BY)
    if own is not None and own.valueCode != kind:
        raise ValueError("the Consent's policy and its decided-by extension disagree")
    performer = consent.performer[0] if consent.performer else None
    registration = None
    for contained in consent.contained or []:
        if contained.get_resource_type() == "RelatedPerson" and contained.identifier:
            registration = contained.identifier[0].value
    task = _coded(consent.provision.code or [], s.TASK_CATALOGUE) if consent.provision else None
    permits = consent.provision is not None and consent.provision.type == "permit"
    decision = ("refused" if consent.status == "rejected" else "given" if permits
                else "withdrawn")
    return ConsentFacts(
        consent.id, _case_of(consent), decision, consent.status, consent.dateTime, kind,
        performer.display if performer else None, registration,
        _coded(consent.scope, s.CONSENT_SCOPE).code, task.code if task else None)


def _read_oversight(role: Any) -> OversightFacts:
    phones = {(_ext(t, s.EXT_PHONE_HOURS).valueCode if _ext(t, s.EXT_PHONE_HOURS) else ""):
              t.value for t in role.telecom or []}
    kind = _coded(role.code, s.OVERSIGHT_SERVICE)
    return OversightFacts(
        role.id, kind.code if kind else None,
        role.organization.display if role.organization else None,
        role.practitioner.display if role.practitioner else None,
        phones.get("in-hours"), phones.get("out-of-hours"))


def _read_provenance(provenances: Sequence[Any]) -> list[ProvenanceFacts]:
    out = []
    for provenance in provenances:
        agents = {a.type.coding[0].code: a.who for a in provenance.agent}
        user, device = agents.get("author"), agents.get("composer")
        for target in provenance.target[:1]:  # the first is the resource; then its riders
            kind, ident = str(target.reference).split("/", 1)
            if kind in PROVENANCE_TYPES:
                out.append(ProvenanceFacts(
                    (kind, ident), user.identifier.value if user else None, provenance.recorded,
                    device.identifier.value if device else None))
    return out


# ============================================================== the same facts from the rows


def facts_of(records: PersonRecords, directory: Directory) -> PersonFacts:
    """The facts an export of ``records`` should say, worked out from the rows alone."""
    p = records.person
    as_of = directory.as_of or dt.date.today()
    lines = tuple(v for v in (p.get("address_line1"), p.get("address_line2")) if v)
    code = p.get("gp_practice_code") or None
    return PersonFacts(
        nhs_number=p.get("nhs_number"), given_name=p.get("given_name") or None,
        family_name=p.get("family_name") or None, preferred_name=p.get("preferred_name") or None,
        birth_date=_day(p.get("date_of_birth")), address_lines=lines,
        town=p.get("town") or None, postcode=p.get("postcode") or None,
        phone=p.get("phone") or None, gp_code=code,
        gp_name=p.get("gp_practice_name") or None,
        plans=_plans_of(records, directory, as_of),
        consents=tuple(sorted(_consent_of(records, c) for c in records.consents)),
        oversights=_oversights_of(records, as_of),
        provenance=tuple(sorted(_provenance_of(records, directory))))


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _latest_consent(records: PersonRecords, case_id: str) -> Row | None:
    rows = sorted((c for c in records.consents if c.get("delegation_case_id") == case_id),
                  key=lambda c: (str(c.get("recorded_on")), str(c.get("created_at"))))
    return rows[-1] if rows else None


def _activity_status(records: PersonRecords, case: Row | None, as_of: dt.date) -> str:
    """Where a task's delegation is: never "in-progress" once it was withdrawn."""
    if case is None:
        return "unknown"
    consent = _latest_consent(records, str(case["id"]))
    withdrawn = (case.get("status") == "withdrawn" or case.get("outcome_code") == "WITHDRAWN"
                 or (consent is not None and consent.get("status") == "withdrawn"))
    if withdrawn:
        return "stopped"
    status = str(case.get("status"))
    if status == "active":
        starts = _day(case.get("started_on"))
        return "not-started" if starts is not None and starts > as_of else "in-progress"
    return {"suspended": "on-hold", "closed": "completed", "decided": "cancelled",
            "draft": "not-started", "in_progress": "not-started"}.get(status, "unknown")


def _plans_of(records: PersonRecords, directory: Directory, as_of: dt.date
              ) -> tuple[PlanFacts, ...]:
    versions = sorted(records.plans, key=lambda r: int(r["version_number"]))
    cases = {str(c["id"]): c for c in records.cases}
    newest_with: dict[str, str] = {}
    for plan in versions:
        for line in records.tasks:
            if line["plan_id"] == plan["id"] and line.get("delegation_case_id"):
                newest_with[str(line["delegation_case_id"])] = str(plan["id"])
    out = []
    for index, plan in enumerate(versions):
        lines = [t for t in records.tasks if t["plan_id"] == plan["id"]]
        activities = tuple(sorted(_activity_of(records, directory, t, cases, as_of)
                                  for t in lines))
        statuses = [a.status for a in activities]
        newest = index == len(versions) - 1
        if not newest:
            status = "revoked"
        elif {"in-progress", "not-started"} & set(statuses):
            status = "active"
        elif "on-hold" in statuses:
            status = "on-hold"
        else:
            status = "revoked" if "stopped" in statuses else "completed"
        end = (_day(versions[index + 1]["effective_from"]) if not newest
               else _day(plan["effective_from"]) if not lines else None)
        reviews = tuple(sorted(
            _review_of(r, cases.get(str(r["delegation_case_id"])))
            for r in records.reviews
            if newest_with.get(str(r["delegation_case_id"])) == plan["id"]))
        out.append(PlanFacts(
            int(plan["version_number"]), str(plan["id"]), status,
            _day(plan["effective_from"]), end,
            str(versions[index - 1]["id"]) if index else None,
            plan.get("created_by_name") or None, activities, reviews))
    return tuple(sorted(out))


def _activity_of(records: PersonRecords, directory: Directory, line: Row,
                 cases: Mapping[str, Row], as_of: dt.date) -> ActivityFacts:
    code, version = line.get("task_code"), line.get("task_catalogue_version")
    case_id = line.get("delegation_case_id") or None
    return ActivityFacts(
        case_id, code, version or None, directory.task_name(str(code), str(version)),
        line.get("what_is_delegated") or None, line.get("what_is_not_delegated") or None,
        line.get("frequency") or None, tuple(str(w) for w in line.get("worker_ids") or []),
        _activity_status(records, cases.get(str(case_id)), as_of))


def _review_of(review: Row, case: Row | None) -> ReviewFacts:
    done = _day(review.get("done_on"))
    running = case is not None and case.get("status") in ("active", "suspended")
    return ReviewFacts(
        str(review["delegation_case_id"]), str(review.get("kind") or ""),
        _day(review.get("due_on")), done, _day(review.get("next_review_on")),
        "completed" if done else "scheduled" if running else "cancelled")


def _consent_of(records: PersonRecords, row: Row) -> ConsentFacts:
    case = next((c for c in records.cases if c["id"] == row.get("delegation_case_id")), None)
    contact = next((c for c in records.contacts if c["id"] == row.get("contact_id")), None)
    kind = str(row.get("given_by_kind"))
    registration = (contact.get("registration_reference") or None
                    if contact is not None and kind in ("lpa", "deputy") else None)
    decision = str(row.get("status"))
    newest = _latest_consent(records, str(row.get("delegation_case_id")))
    ended = case is not None and (case.get("status") in ("withdrawn", "closed")
                                  or case.get("outcome_code") == "WITHDRAWN")
    if decision == "refused":
        status = "rejected"
    elif decision == "withdrawn" or ended or (newest is not None and newest["id"] != row["id"]):
        status = "inactive"
    else:
        status = "active"
    return ConsentFacts(
        str(row["id"]), row.get("delegation_case_id") or None, decision, status,
        _day(row.get("recorded_on")), kind, row.get("given_by_name") or None, registration,
        "treatment", case.get("task_code") if case is not None else None)


def _oversights_of(records: PersonRecords, as_of: dt.date) -> tuple[OversightFacts, ...]:
    out = set()
    for case in records.cases:
        if case.get("status") not in ("active", "suspended"):
            continue
        rows = [r for r in records.oversights if r.get("delegation_case_id") == case["id"]]
        current = [r for r in rows if _day(r.get("effective_from")) is None
                   or (_day(r.get("effective_from")) or as_of) <= as_of] or rows
        if not current:
            continue
        row = max(current, key=lambda r: (str(r.get("effective_from") or ""),
                                          str(r.get("created_at") or "")))
        out.add(OversightFacts(
            str(row["id"]), row.get("service_kind") or None,
            row.get("organisation_name") or "Clinical oversight",
            row.get("named_clinician") or None, row.get("phone_in_hours") or None,
            row.get("phone_out_of_hours") or None))
    return tuple(sorted(out))


def _provenance_of(records: PersonRecords, directory: Directory) -> list[ProvenanceFacts]:
    """The newest row behind each person's resource that the round trip compares."""
    def fact(target: Target, rows: Iterable[Row | None]) -> ProvenanceFacts:
        row = max((r for r in rows if r), key=lambda r: _moment(r.get("updated_at")))
        return ProvenanceFacts(target, row.get("updated_by") or None,
                               _moment(row.get("updated_at")), row.get("device_id") or None)

    cases = {str(c["id"]): c for c in records.cases}
    out = [fact(("Patient", str(records.person["id"])), [records.person])]
    for plan in records.plans:
        lines = [t for t in records.tasks if t["plan_id"] == plan["id"]]
        case_ids = {str(t.get("delegation_case_id")) for t in lines}
        carried = [r for r in records.reviews if _newest_plan_with(records, str(
            r["delegation_case_id"])) == plan["id"]]
        out.append(fact(("CarePlan", str(plan["id"])),
                        [plan, *lines, *[cases.get(c) for c in case_ids], *carried]))
    for consent in records.consents:
        contact = next((c for c in records.contacts if c["id"] == consent.get("contact_id")
                        and consent.get("given_by_kind") in ("lpa", "deputy")), None)
        out.append(fact(("Consent", str(consent["id"])), [consent, contact]))
    named = {str(w) for t in records.tasks for w in t.get("worker_ids") or []}
    for worker_id in sorted(named):
        if worker_id in directory.workers:
            out.append(fact(("PractitionerRole", worker_id), [directory.workers[worker_id]]))
    for oversight in _oversights_of(records, directory.as_of or dt.date.today()):
        row = next(r for r in records.oversights if r["id"] == oversight.oversight_id)
        out.append(fact(("PractitionerRole", oversight.oversight_id), [row]))
    return out


def _newest_plan_with(records: PersonRecords, case_id: str) -> str | None:
    plans = [p for p in records.plans if any(
        t["plan_id"] == p["id"] and t.get("delegation_case_id") == case_id
        for t in records.tasks)]
    return str(max(plans, key=lambda p: int(p["version_number"]))["id"]) if plans else None


def _moment(value: Any) -> dt.datetime:
    if not value:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

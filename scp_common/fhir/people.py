"""The person, the organisations around them, the care workers and the oversight contact:
Patient, Organization, Practitioner and PractitionerRole (docs/fhir.md, "Who").

Only what the purpose needs leaves the app: who the person is, how to reach them, their GP
practice; never the Equality Act monitoring (``eq_*``) or free-text communication needs.
"""

from __future__ import annotations

from typing import Any

from scp_common.fhir import systems as s
from scp_common.fhir.context import (
    Draft,
    Key,
    Resource,
    concept,
    iso_day,
    ref,
    text,
)
from scp_common.fhir.records import Row

ORG_TYPES = {"prov": "Healthcare Provider", "team": "Organizational team",
             "govt": "Government", "pay": "Payer", "other": "Other"}
OVERSIGHT_WORDS = {"community_health": "Community Health Services",
                   "gp_practice": "GP practice"}


def _profiled(resource_type: str, resource_id: str) -> Resource:
    return {"resourceType": resource_type, "id": resource_id,
            "meta": {"profile": [s.PROFILES[resource_type]]}}


def _org_type(code: str, words: str | None = None) -> list[dict[str, Any]]:
    return [concept(words, s.ORGANIZATION_TYPE, code, ORG_TYPES[code])]


def _phone(value: Any, use: str) -> dict[str, Any] | None:
    number = text(value)
    return {"system": "phone", "value": number, "use": use} if number else None


# ---------------------------------------------------------------- the person


def patient(draft: Draft) -> Key:
    """The Patient, with the GP practice and nurse team Organizations it names."""
    p = draft.person
    resource = _profiled("Patient", draft.person_id)
    resource.update({
        "identifier": [{
            "extension": [{"url": s.NHS_NUMBER_VERIFICATION, "valueCodeableConcept": concept(
                None, s.NHS_NUMBER_VERIFICATION_CODES, *s.NHS_NUMBER_NOT_TRACED)}],
            "system": s.NHS_NUMBER, "value": p.get("nhs_number")}],
        "active": True,
        "name": [{"use": "official", "family": text(p.get("family_name")),
                  "given": [text(p.get("given_name"))]}],
        "telecom": [_phone(p.get("phone"), "home")],
        "birthDate": iso_day(p.get("date_of_birth")),
        "address": [{"use": "home",
                     "line": [text(p.get("address_line1")), text(p.get("address_line2"))],
                     "city": text(p.get("town")), "postalCode": text(p.get("postcode"))}],
    })
    preferred = text(p.get("preferred_name"))
    if preferred:
        resource["name"].append({"use": "usual", "given": [preferred]})
    key = draft.add(resource, [p])  # first in the export; the practice is added after it
    gp = gp_practice(draft)
    if gp is not None:
        resource["generalPractitioner"] = [gp]
    for rider in (gp_key(draft), nurse_team(draft)):
        if rider is not None:
            draft.ride(key, rider)
    return key


def gp_key(draft: Draft) -> Key | None:
    """The GP practice's Organization, made on first call (None: no practice recorded).

    Known by its ODS code when recorded (the same id in every export); a practice recorded
    by name alone is an Organization with that name."""
    code, name = text(draft.person.get("gp_practice_code")), text(
        draft.person.get("gp_practice_name"))
    if code is None and name is None:
        return None
    org_id = s.stable_id("ods", code) if code else s.stable_id("gp-practice-name", str(name))
    resource = _profiled("Organization", org_id)
    resource.update({
        "identifier": [{"system": s.ODS_CODE, "value": code}] if code else None,
        "type": _org_type("prov", "GP practice"), "name": name})
    return draft.add(resource, person_scoped=False)


def gp_practice(draft: Draft) -> dict[str, Any] | None:
    """The Patient's generalPractitioner Reference (with the ODS code as identifier)."""
    key = gp_key(draft)
    if key is None:
        return None
    out = ref(*key)
    code = text(draft.person.get("gp_practice_code"))
    if code:
        out["identifier"] = {"system": s.ODS_CODE, "value": code}
    name = text(draft.person.get("gp_practice_name"))
    if name:
        out["display"] = name
    return out


def nurse_team(draft: Draft) -> Key | None:
    """The person's community nursing team (``person.team``) as an Organization."""
    team = text(draft.person.get("team"))
    if team is None:
        return None
    resource = _profiled("Organization", s.stable_id("nurse-team", team))
    resource.update({"type": _org_type("team", "Community nursing team"), "name": team})
    return draft.add(resource, person_scoped=False)


# ---------------------------------------------------------------- commissioners


def icb(draft: Draft) -> Key:
    """The ICB (NHS Leicester, Leicestershire and Rutland ICB, ODS QK1)."""
    code, name = s.ICB
    resource = _profiled("Organization", s.stable_id("ods", code))
    resource.update({"identifier": [{"system": s.ODS_CODE, "value": code}],
                     "type": _org_type("pay", "Integrated care board (NHS commissioner)"),
                     "name": name})
    return draft.add(resource, person_scoped=False)


def council(draft: Draft, council_code: str) -> Key | None:
    """One of the three councils by the app's code, known by its GSS code; None if the
    code is not one of them."""
    if council_code not in s.COUNCILS:
        return None
    gss, name = s.COUNCILS[council_code]
    resource = _profiled("Organization", s.stable_id("gss", gss))
    resource.update({"identifier": [{"system": s.GSS_CODE, "value": gss}],
                     "type": _org_type("govt", "Local authority (social care commissioner)"),
                     "name": name})
    return draft.add(resource, person_scoped=False)


# ---------------------------------------------------------------- providers and workers


def provider(draft: Draft, provider_id: str) -> Key | None:
    """A care provider as an Organization (None: not in the directory)."""
    row = draft.directory.providers.get(provider_id)
    if row is None:
        return None
    resource = _profiled("Organization", str(row["id"]))
    cqc = text(row.get("cqc_location_id"))
    resource.update({
        "identifier": [{"system": s.CQC_LOCATION, "value": cqc}] if cqc else None,
        "active": bool(row.get("active", True)),
        "type": _org_type("other", "Domiciliary care provider (social care)"),
        "name": text(row.get("name")),
        "telecom": [_phone(row.get("phone"), "work"),
                    {"system": "email", "value": text(row.get("email")), "use": "work"}
                    if text(row.get("email")) else None],
        "address": [{"text": text(row.get("address"))}] if text(row.get("address")) else None,
    })
    return draft.add(resource, [row], person_scoped=False)


def worker_reference(draft: Draft, worker_id: str) -> dict[str, Any]:
    """A task's performer: the worker's Practitioner (made with its PractitionerRole on
    first use), or an identifier-only Reference for a worker the directory lacks."""
    row = draft.directory.workers.get(worker_id)
    if row is None:
        return {"identifier": {"system": s.CARE_WORKER, "value": worker_id}}
    key = worker(draft, row)
    return ref(*key, worker_name(row))


def worker_name(row: Row) -> str:
    """A care worker's name, given then family."""
    return " ".join(n for n in (text(row.get("given_name")), text(row.get("family_name"))) if n)


def worker(draft: Draft, row: Row) -> Key:
    """A care worker's Practitioner and PractitionerRole (at their provider)."""
    worker_id = str(row["id"])
    person = _profiled("Practitioner", worker_id)
    person.update({
        "active": bool(row.get("active", True)),
        "name": [{"use": "official", "family": text(row.get("family_name")),
                  "given": [text(row.get("given_name"))]}],
        "telecom": [_phone(row.get("phone"), "work")]})
    key = draft.add(person, [row], person_scoped=False)
    role = _profiled("PractitionerRole", worker_id)
    employer = provider(draft, str(row.get("provider_id") or ""))
    role.update({
        "active": bool(row.get("active", True)) and not row.get("left_on"),
        "period": {"start": iso_day(row.get("started_on")), "end": iso_day(row.get("left_on"))},
        "practitioner": ref(*key, worker_name(row)),
        "organization": ref(*employer) if employer else None,
        "code": [concept(text(row.get("role_title")))]})
    draft.add(role, [row], person_scoped=False)
    return key


def worker_role(draft: Draft, worker_id: str) -> Key | None:
    """The PractitionerRole of a worker already made (None: not in the directory)."""
    key = ("PractitionerRole", worker_id)
    return key if key in draft.resources else None


# ---------------------------------------------------------------- clinical oversight


def current_oversight(draft: Draft, case_id: str) -> Row | None:
    """The oversight in effect for a delegation on the export's day: the newest row from
    then or before (a transfer from a later day is not in effect yet)."""
    rows = [r for r in draft.records.oversights if r.get("delegation_case_id") == case_id]
    in_effect = [r for r in rows if (iso_day(r.get("effective_from")) or "") <=
                 draft.as_of.isoformat()]
    chosen = sorted(in_effect or rows, key=lambda r: (iso_day(r.get("effective_from")) or "",
                                                      str(r.get("created_at") or "")))
    return chosen[-1] if chosen else None


def oversight(draft: Draft, row: Row) -> Key:
    """The oversight contact as a PractitionerRole (id: the row's): at its organisation,
    with the named clinician as Practitioner when there is one, and both phone numbers."""
    org_name = text(row.get("organisation_name")) or "Clinical oversight"
    kind = str(row.get("service_kind") or "")
    # Known by its kind of service and name: the same in every export that names it.
    org = _profiled("Organization", s.stable_id("oversight-organisation",
                                                f"{kind}:{org_name}"))
    org.update({"type": _org_type("prov", OVERSIGHT_WORDS.get(kind)), "name": org_name})
    org_key = draft.add(org, person_scoped=False)
    role = _profiled("PractitionerRole", str(row["id"]))
    role.update({
        "active": True,
        "period": {"start": iso_day(row.get("effective_from"))},
        "organization": ref(*org_key, org_name),
        "code": [concept("Clinical oversight of delegated healthcare tasks",
                         s.OVERSIGHT_SERVICE, kind or None, OVERSIGHT_WORDS.get(kind))],
        "telecom": [_hours_phone(row.get("phone_in_hours"), "in-hours", 1),
                    _hours_phone(row.get("phone_out_of_hours"), "out-of-hours", 2)]})
    clinician = text(row.get("named_clinician"))
    riders = [org_key]
    if clinician:
        practitioner = _profiled("Practitioner", s.stable_id("oversight-clinician",
                                                             str(row["id"])))
        practitioner["name"] = [{"text": clinician}]
        clinician_key = draft.add(practitioner)
        role["practitioner"] = ref(*clinician_key, clinician)
        riders.append(clinician_key)
    key = draft.add(role, [row])
    for rider in riders:
        draft.ride(key, rider)
    return key


def _hours_phone(value: Any, hours: str, rank: int) -> dict[str, Any] | None:
    phone = _phone(value, "work")
    if phone is None:
        return None
    return {"extension": [{"url": s.EXT_PHONE_HOURS, "valueCode": hours}], **phone,
            "rank": rank}


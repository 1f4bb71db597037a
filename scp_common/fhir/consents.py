"""Consent to a healthcare task being delegated to a care worker, and who decided: a Consent
per consent record (docs/fhir.md, "Consent").

Who decided is said three ways, so a system that reads only one of them still reads it
right: ``performer`` (the Patient; or, contained, the attorney or deputy as a RelatedPerson
with their registration reference, or the best-interests decision maker), ``policy`` (the
section of the Mental Capacity Act 2005 the decider acts under) and the ``decided-by``
extension (the app's own code). A withdrawn consent is "inactive" and denies from its day;
the consent it withdrew is "inactive" too, its provision ending that day.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scp_common.fhir import systems as s
from scp_common.fhir.context import Draft, Key, Resource, by_id, concept, iso_day, ref, text
from scp_common.fhir.records import Row

STATUS = {"given": "active", "refused": "rejected", "withdrawn": "inactive"}
DECIDER_WORDS = {"person": "the person themselves",
                 "lpa": "Lasting Power of Attorney for health and welfare",
                 "deputy": "Court of Protection deputy for health and welfare",
                 "best_interests": "best-interests decision (Mental Capacity Act 2005)"}
# The Mental Capacity Act 2005 section each decider acts under: s.1 (a person is assumed to
# have capacity), s.9 (lasting powers of attorney), s.16 (deputies), s.4 (best interests).
MCA_SECTION = {"person": "1", "lpa": "9", "deputy": "16", "best_interests": "4"}
_REGISTRATION = {"lpa": s.LPA_REGISTRATION, "deputy": s.DEPUTY_ORDER}
DECIDER_ID = "decider"


def latest_consent(consents: Sequence[Row], case_id: str) -> Row | None:
    """A delegation's newest consent record (by the day recorded, then when saved)."""
    rows = [c for c in consents if str(c.get("delegation_case_id")) == case_id]
    rows.sort(key=lambda c: (iso_day(c.get("recorded_on")) or "", str(c.get("created_at"))))
    return rows[-1] if rows else None


def consents(draft: Draft, team: Key | None) -> None:
    """A Consent per consent record, in the order they were recorded."""
    cases = by_id(draft.records.cases)
    rows = sorted(draft.records.consents, key=lambda c: (iso_day(c.get("recorded_on")) or "",
                                                         str(c.get("created_at"))))
    for row in rows:
        _consent(draft, row, cases.get(str(row.get("delegation_case_id"))), team)


def in_force(draft: Draft, row: Row, case: Row | None) -> tuple[str, str | None]:
    """The Consent's status, and the day a consent given stopped being in force.

    Given is "active" only while it is the delegation's newest consent record and the
    delegation has not ended; a consent given and later withdrawn, or whose delegation
    ended, is "inactive" (no longer to be followed), never still "active"."""
    status = str(row.get("status") or "")
    if status != "given":
        return STATUS.get(status, "proposed"), None
    case_id = text(row.get("delegation_case_id"))
    newest = latest_consent(draft.records.consents, case_id) if case_id else None
    if newest is not None and newest.get("id") != row.get("id"):
        return "inactive", iso_day(newest.get("recorded_on"))
    ended = case is not None and (case.get("status") in ("withdrawn", "closed")
                                  or case.get("outcome_code") == "WITHDRAWN")
    return ("inactive" if ended else "active"), None


def _consent(draft: Draft, row: Row, case: Row | None, team: Key | None) -> None:
    kind = str(row.get("given_by_kind") or "")
    status = str(row.get("status") or "")
    fhir_status, until = in_force(draft, row, case)
    performer, contained, contact = _decider(draft, row, kind)
    task = None
    if case is not None:
        code, version = str(case.get("task_code")), str(case.get("task_catalogue_version"))
        name = draft.directory.task_name(code, version) or code
        task = concept(name, s.TASK_CATALOGUE, code, name, version)
    case_id = text(row.get("delegation_case_id"))
    extensions = [{"url": s.EXT_DECIDED_BY, "valueCode": kind} if kind else None,
                  {"url": s.EXT_DELEGATION_CASE, "valueIdentifier": {
                      "system": s.DELEGATION_CASE, "value": case_id}} if case_id else None,
                  _capacity(row)]
    section = MCA_SECTION.get(kind)
    resource: Resource = {
        "resourceType": "Consent", "id": str(row["id"]),
        "meta": {"profile": [s.PROFILES["Consent"]]},
        "extension": extensions, "contained": contained,
        "status": fhir_status,
        "scope": concept("Treatment: a healthcare task delegated to a social care worker",
                         s.CONSENT_SCOPE, "treatment", "Treatment"),
        "category": [concept("Consent to a healthcare task being delegated to a care worker",
                             s.LOINC, "59284-0", "Patient Consent")],
        "patient": ref("Patient", draft.person_id),
        "dateTime": iso_day(row.get("recorded_on")),
        "performer": [performer],
        "organization": [ref(*team)] if team else None,
        "policy": [{"authority": s.MCA_AUTHORITY, "uri": f"{s.MCA}/section/{section}"}
                   if section else {"uri": s.MCA}],
        "provision": {"type": "permit" if status == "given" else "deny",
                      "period": {"start": iso_day(row.get("recorded_on")), "end": until},
                      "code": [task] if task else None}}
    draft.add(resource, [row, contact] if contact else [row])


def _decider(draft: Draft, row: Row, kind: str
             ) -> tuple[dict[str, Any], list[Resource], Row | None]:
    """(performer Reference, contained resources, the contact row) for who decided."""
    name = text(row.get("given_by_name"))
    if kind in _REGISTRATION:
        contact = next((c for c in draft.records.contacts
                        if str(c.get("id")) == str(row.get("contact_id"))), None)
        return ({"reference": f"#{DECIDER_ID}", "display": name},
                [_attorney(draft, kind, contact, name)], contact)
    if kind == "best_interests":
        maker: Resource = {"resourceType": "Practitioner", "id": DECIDER_ID,
                           "name": [{"text": name}] if name else None}
        return {"reference": f"#{DECIDER_ID}", "display": name}, [maker], None
    return ref("Patient", draft.person_id, name), [], None


def _attorney(draft: Draft, kind: str, contact: Row | None, name: str | None) -> Resource:
    """The attorney or deputy as a contained RelatedPerson (from their contact row)."""
    contact = contact or {}
    registration = text(contact.get("registration_reference"))
    legal = (concept(DECIDER_WORDS["lpa"], s.ROLE_CODE, "HPOWATT", "healthcare power of attorney")
             if kind == "lpa" else concept(DECIDER_WORDS["deputy"]))
    phone = text(contact.get("phone"))
    return {
        "resourceType": "RelatedPerson", "id": DECIDER_ID,
        "identifier": [{"system": _REGISTRATION[kind], "value": registration}]
        if registration else None,
        "active": True, "patient": ref("Patient", draft.person_id),
        "relationship": [legal, concept(text(contact.get("relationship")))],
        "name": [{"text": text(contact.get("name")) or name}],
        "telecom": [{"system": "phone", "value": phone}] if phone else None,
        "period": {"start": iso_day(contact.get("registered_on"))}}


def _capacity(row: Row) -> dict[str, Any] | None:
    """The capacity assessment recorded with the decision, as one complex extension."""
    parts = [("inDoubt", "valueBoolean", row.get("capacity_in_doubt")
              if isinstance(row.get("capacity_in_doubt"), bool) else None),
             ("decision", "valueString", text(row.get("capacity_decision"))),
             ("assessedOn", "valueDate", iso_day(row.get("capacity_assessed_on"))),
             ("assessor", "valueString", text(row.get("capacity_assessor"))),
             ("outcome", "valueCode", text(row.get("capacity_outcome")))]
    found = [{"url": url, kind: value} for url, kind, value in parts if value is not None]
    if not any(p["url"] != "inDoubt" or p["valueBoolean"] for p in found):
        return None  # nothing assessed and capacity not in doubt: nothing to say
    return {"url": s.EXT_CAPACITY, "extension": found}

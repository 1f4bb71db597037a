"""The URLs an export names: profiles, identifier and code systems, extensions; and its ids.

National systems are used where one exists (the NHS number, ODS codes, the UK Core
profiles and the NHS number verification status); ONS linked-data URIs name the councils by
their GSS code; CQC location pages name a care provider's location. What only this app
defines (its task catalogue, its users and devices, the extensions saying what FHIR R4 has
no element for) lives under ``LOCAL``: one base, so the partners can register and swap it
in one place before the export is relied on between organisations (docs/fhir.md).
"""

from __future__ import annotations

import uuid

# --- national systems -------------------------------------------------------------------
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
# The ONS's linked-data namespace for GSS statistical geography codes (E06000016 ...).
GSS_CODE = "http://statistics.data.gov.uk/id/statistical-geography"
# A CQC location id: system + "/" + value is the location's page on the CQC's website.
CQC_LOCATION = "https://www.cqc.org.uk/location"

UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/"
NHS_NUMBER_VERIFICATION = UK_CORE + "Extension-UKCore-NHSNumberVerificationStatus"
NHS_NUMBER_VERIFICATION_CODES = (
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland")
# The app checks the number's modulus 11 but never traces it on PDS: "02", not "01".
NHS_NUMBER_NOT_TRACED = ("02", "Number present but not traced")

# UK Core profiles that are active (clinically and technically assured); CarePlan, CareTeam
# and Provenance have UK Core profiles only in draft, so those resources claim none.
PROFILES = {
    "Patient": UK_CORE + "UKCore-Patient",
    "Organization": UK_CORE + "UKCore-Organization",
    "Practitioner": UK_CORE + "UKCore-Practitioner",
    "PractitionerRole": UK_CORE + "UKCore-PractitionerRole",
    "Consent": UK_CORE + "UKCore-Consent",
}

ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
# The Mental Capacity Act 2005 on legislation.gov.uk: the basis each kind of decider acts on.
MCA = "https://www.legislation.gov.uk/ukpga/2005/9"
MCA_AUTHORITY = "https://www.legislation.gov.uk"

# --- this app's own ---------------------------------------------------------------------
LOCAL = "https://shared-care-planner.example.nhs.uk/fhir"
TASK_CATALOGUE = LOCAL + "/CodeSystem/task-catalogue"
REVIEW_KIND = LOCAL + "/CodeSystem/review-kind"
OVERSIGHT_SERVICE = LOCAL + "/CodeSystem/oversight-service"
CARE_TEAM_ROLE = LOCAL + "/CodeSystem/care-team-role"
APP_USER = LOCAL + "/Id/app-user"
CARE_WORKER = LOCAL + "/Id/care-worker"
DEVICE = LOCAL + "/Id/device"
EXPORTER = LOCAL + "/Id/exporting-system"
DELEGATION_CASE = LOCAL + "/Id/delegation-case"
LPA_REGISTRATION = LOCAL + "/Id/opg-lpa-registration"
DEPUTY_ORDER = LOCAL + "/Id/court-of-protection-order"

_EXTENSION = LOCAL + "/StructureDefinition/"
EXT_NOT_DELEGATED = _EXTENSION + "not-delegated"
EXT_DELEGATION_CASE = _EXTENSION + "delegation-case"
EXT_PLAN_VERSION = _EXTENSION + "support-plan-version"
EXT_NEXT_REVIEW = _EXTENSION + "next-review-due"
EXT_DECIDED_BY = _EXTENSION + "consent-decided-by"
EXT_CAPACITY = _EXTENSION + "capacity-assessment"
EXT_PHONE_HOURS = _EXTENSION + "oversight-phone-hours"

# The three LLR councils by the app's funder/council code: (GSS code, name).
COUNCILS = {
    "leicester_city": ("E06000016", "Leicester City Council"),
    "leicestershire_county": ("E10000018", "Leicestershire County Council"),
    "rutland_county": ("E06000017", "Rutland County Council"),
}
ICB = ("QK1", "NHS Leicester, Leicestershire and Rutland Integrated Care Board")

# Every derived id is a uuid5 in this namespace: the same key gives the same id in every
# export, on every laptop and on the store.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, LOCAL)


def stable_id(kind: str, key: str) -> str:
    """The id of a resource that has no row of its own (an ODS-coded practice, a council,
    the person's care team, a Provenance): the same for the same ``kind`` and ``key``."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))

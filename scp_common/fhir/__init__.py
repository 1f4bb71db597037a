"""FHIR R4 export of the shared care record (issue 22): one mapping for both sides.

The laptop (one person, a Bundle the user saves) and the central store (a team, Bulk Data
NDJSON) hold the same synced rows, the laptop in its vault and the store as JSON: both hand
the rows of one person, as they travel on the wire (attribute names, ISO dates and times),
to :func:`scp_common.fhir.build.person_resources`, so what a GP system reads is the same
wherever it was exported from. docs/fhir.md maps every field.
"""

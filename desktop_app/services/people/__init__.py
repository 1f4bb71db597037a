"""People and what is known of them: the person's details, their contacts, the
person record screen's view of them, and the caseload search.

The package's own names are the person's details (``person``); ``contacts``, ``record`` and
``caseload`` are imported as modules.
"""

from desktop_app.services.people.person import (
    EQUALITY_FIELDS,
    PersonInput,
    PersonView,
    create_person,
    find_by_nhs_number,
    open_person,
    remove_person,
    update_person,
    validate,
)

__all__ = [
    "EQUALITY_FIELDS",
    "PersonInput",
    "PersonView",
    "create_person",
    "find_by_nhs_number",
    "open_person",
    "remove_person",
    "update_person",
    "validate",
]

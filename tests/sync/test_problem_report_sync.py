"""A practical problem with the framework reported on one laptop reaches the real central
store and the other laptops of the team, and so does the IPCB's answer recorded on another
(issue 18 point 6); a report naming the person is refused on the laptop, so it is never
queued and never reaches the store.

Real vaults enrolled by the real client against the session's PostgreSQL-backed store
(tests/sync_server/fixtures.py). All data is synthetic.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from desktop_app.models.person_centred import FrameworkProblem
from desktop_app.services import registers
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.registers import ProblemInput
from tests.sync.laptops import LaptopFn, VaultLaptop, assert_agree, server_records

TODAY = dt.date(2027, 2, 10)
FINE = ("At S9 the call frequency review has no answer for a task done at a call the "
        "person pays for privately.")


def _queued_problems(laptop: VaultLaptop) -> list[str]:
    return [entry.entity_id for entry in laptop.outbox()
            if entry.entity_type == "framework_problem"]


def _store_problems(pg: psycopg.Connection, team_id: str) -> dict[str, dict[str, object]]:
    return {record_id: row for (entity, record_id), (_version, row, _tomb)
            in server_records(pg, team_id).items() if entity == "framework_problem"}


@pytest.mark.hazard("H-037")
def test_a_report_reaches_the_store_and_the_team_and_one_naming_the_person_never_leaves(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse, lead = laptops(team), laptops(team)
    nurse.add_person(1)  # Edith Testperson, on this laptop's caseload
    with pytest.raises(ValidationError, match="it gives a name"):
        registers.report_problem(nurse.uow, ProblemInput(
            "S9", "Edith Testperson pays for a private call, so S9 had no answer for her."),
            "Nadia Nurse", TODAY)
    assert _queued_problems(nurse) == []  # refused before anything was written or queued
    problem_id = registers.report_problem(nurse.uow, ProblemInput("S9", FINE), "Nadia Nurse",
                                          TODAY)
    assert _queued_problems(nurse) == [problem_id]

    nurse.sync()
    assert nurse.enrolment is not None
    team_id = nurse.enrolment.team_id
    stored = _store_problems(pg, team_id)
    assert list(stored) == [problem_id]  # the refused report is not there
    assert (stored[problem_id]["what_happened"], stored[problem_id]["about"],
            stored[problem_id]["status"]) == (FINE, "S9", "received")

    lead.sync()
    [row] = registers.problems(lead.uow)
    assert (row.problem_id, row.what_happened, row.reported_by_name, row.reported_on) == (
        problem_id, FINE, "Nadia Nurse", TODAY)

    # The team lead records the IPCB's ruling on their laptop; it reaches the nurse's.
    ruling = "Ask at the MDT whether the private call can carry the task; S9 will say so."
    registers.set_problem_status(lead.uow, problem_id, "ruling_issued", ruling, "Lee Lead",
                                 row.version, TODAY)
    lead.sync()
    nurse.sync()
    held = nurse.get(FrameworkProblem, problem_id)
    assert held is not None
    assert (held["status"], held["ruling"], held["status_by_name"]) == (
        "ruling_issued", ruling, "Lee Lead")
    assert_agree(pg, team_id, [nurse, lead])

"""Staff's practical problems with the framework, reported to the IPCB (framework §5.0;
issue 18 point 6): reporting one, anonymised against the whole caseload; the list for team
leads and governance; the IPCB's answer, forward only; the joint meeting pack's part.

The caseload is synthetic (999-range NHS numbers): Edith Testperson (born 17/05/1938, 1
Example Street, LE1 5WW, next of kin Frank Example), Zoë O'Brien ("Zo"), and three people
whose family names are ordinary words: Grace Green, Tom Hall and April May.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.models.outbox import OutboxEntry
from desktop_app.models.person import Contact, Person
from desktop_app.models.person_centred import FrameworkProblem, ProblemStatus
from desktop_app.services import registers
from desktop_app.services.core.errors import NotFound, PermissionDenied, ValidationError
from desktop_app.services.framework.identifiers import format_nhs_number, synthetic_nhs_number
from desktop_app.services.pdf.meeting_pack import render_meeting_pack
from desktop_app.services.registers import ProblemInput
from desktop_app.services.registers.framework_problems import MAX_LENGTH, for_meeting
from desktop_app.services.reports import load_meeting_pack
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tests.support import as_role, person_values

TODAY = dt.date(2027, 2, 10)
FINE = ("At S4 the wizard asked for a stability date that the district nurse team does not "
        "record anywhere; we did not know what to put.")


def _people(vault: VaultSession) -> dict[str, str]:
    made = {"edith": Person(**person_values(1)),
            "zoe": Person(**person_values(2, given_name="Zoë", family_name="O'Brien",
                                          preferred_name="Zo", date_of_birth=dt.date(1941, 2, 3),
                                          address_line1="Flat 4, Rosemary Court",
                                          postcode="LE2 1AB")),
            "grace": Person(**person_values(3, given_name="Grace", family_name="Green")),
            "tom": Person(**person_values(4, given_name="Tom", family_name="Hall")),
            "april": Person(**person_values(5, given_name="April", family_name="May"))}
    with vault.uow.begin() as s:
        s.add_all(made.values())
        s.flush()
        s.add(Contact(person_id=made["edith"].id, kind="next_of_kin", name="Frank Example"))
        return {key: person.id for key, person in made.items()}


@pytest.fixture
def caseload(vault: VaultSession) -> dict[str, str]:
    return _people(vault)


def _report(vault: VaultSession, text: str, about: str = "S4", person_id: str | None = None,
            uow: Any = None) -> str:
    return registers.report_problem(uow or vault.uow, ProblemInput(about, text, person_id),
                                    "Test Nurse", TODAY)


def _stored(vault: VaultSession) -> int:
    with vault.uow.read() as s:
        return int(s.scalar(select(func.count()).select_from(FrameworkProblem)) or 0)


def test_a_report_is_listed_newest_first_with_its_words(vault: VaultSession,
                                                        caseload: dict[str, str]) -> None:
    first = registers.report_problem(vault.uow, ProblemInput("S4", FINE), " Test Nurse ",
                                     TODAY - dt.timedelta(days=3))
    second = _report(vault, "The funding split rule for a shared task was unclear to the "
                            "council's brokerage team.", about="funding")
    rows = registers.problems(vault.uow)
    assert [r.problem_id for r in rows] == [second, first]
    newest, oldest = rows
    assert (newest.about, newest.about_label) == ("funding", "Funding and its split")
    assert oldest.about_label == "Step S4: Stable and safe"
    assert (oldest.reported_on, oldest.what_happened, oldest.reported_by_name) == (
        TODAY - dt.timedelta(days=3), FINE, "Test Nurse")
    assert (oldest.status, oldest.status_label, oldest.ruling) == (
        ProblemStatus.RECEIVED, "Received", None)
    assert oldest.next_statuses == (ProblemStatus.DISCUSSED, ProblemStatus.RULING_ISSUED)
    # A synced row: it is queued for the central store with the rest of the laptop's work.
    with vault.uow.read() as s:
        queued = s.scalars(select(OutboxEntry.entity_id)
                           .where(OutboxEntry.entity_type == "framework_problem")).all()
    assert set(queued) == {first, second}


def test_every_step_and_rule_can_be_chosen() -> None:
    topics = dict(registers.problem_topics())
    assert list(topics)[:3] == ["S1", "S2", "S3"] and "S9F" in topics and "S11" in topics
    assert topics["S6"] == "Step S6: Consent"
    assert topics["other"] == "Something else"
    assert registers.about_label("S99") == "S99"  # unknown here: shown as recorded


@pytest.mark.parametrize(("about", "text", "field", "words"), [
    ("", FINE, "about", "Choose the step or the rule"),
    ("S42", FINE, "about", "Choose the step or the rule"),
    ("S4", "   ", "what_happened", "Say what happened"),
    ("S4", "It was odd.", "what_happened", "at least 20 characters"),
    ("S4", "x" * (MAX_LENGTH + 1), "what_happened", "under 4,000 characters"),
])
def test_what_and_about_are_needed_in_plain_words(vault: VaultSession, about: str, text: str,
                                                  field: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _report(vault, text, about=about)
    assert refused.value.field == field and words in refused.value.message
    assert _stored(vault) == 0


NHS_ELSEWHERE = format_nhs_number(synthetic_nhs_number(4242))  # nobody on this caseload


@pytest.mark.hazard("H-037")
@pytest.mark.parametrize(("text", "kinds"), [
    ("Edith Testperson could not consent at S6 because", 'a name ("Edith Testperson")'),
    ("testperson, edith could not consent at S6 because", 'a name ("testperson, edith")'),
    ("Mrs Testperson's daughter refused the S6 question", 'a name ("Mrs Testperson\'s")'),
    ("ZOE O’BRIEN said the S6 wording was confusing for her", 'a name ("ZOE O’BRIEN")'),
    ("Zo O'Brien said the S6 wording was confusing for her", 'a name ("Zo O\'Brien")'),
    ("The daughter, Frank Example, said the S6 page was hard", 'a name ("Frank Example")'),
    ("Ms Hall said the S6 page was hard to follow for her", 'a name ("Ms Hall")'),
    (f"The NHS number {NHS_ELSEWHERE} was refused by S1 twice",
     f'an NHS number ("{NHS_ELSEWHERE}")'),
    (f"The NHS number {NHS_ELSEWHERE.replace(' ', '')} was refused",
     f'an NHS number ("{NHS_ELSEWHERE.replace(" ", "")}")'),
    ("Born 17/05/1938, so the S4 age question did not fit", 'a date of birth ("17/05/1938")'),
    ("Born 17.5.38, so the S4 age question did not fit", 'a date of birth ("17.5.38")'),
    ("Born 1938-05-17, so the S4 age question did not fit", 'a date of birth ("1938-05-17")'),
    ("Born on 17th May 1938, so the S4 age question did not fit",
     'a date of birth ("17th May 1938")'),
    ("Born May 17, 1938, so the S4 age question did not fit",
     'a date of birth ("May 17, 1938")'),
    ("Lives at le15ww where the S7 provider does not go", 'a postcode ("le15ww")'),
    ("Lives at NG7 2UH where the S7 provider does not go", 'a postcode ("NG7 2UH")'),
    ("Lives at 1 example street where the S7 provider does not go",
     'an address ("1 example street")'),
    ("Lives at 12 Acacia Avenue where the S7 provider does not go",
     'an address ("12 Acacia Avenue")'),
    (f"Edith Testperson ({NHS_ELSEWHERE}) at LE1 5WW: S7 refused",
     f'a name ("Edith Testperson"), an NHS number ("{NHS_ELSEWHERE}") and a postcode '
     '("LE1 5WW")'),
])
def test_a_report_that_identifies_anyone_on_the_caseload_is_refused(
        vault: VaultSession, caseload: dict[str, str], text: str, kinds: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _report(vault, text)
    assert refused.value.field == "what_happened"
    assert f"it gives {kinds}. Write 'the person'" in refused.value.message
    assert "The IPCB reads this text" in refused.value.message
    assert _stored(vault) == 0  # nothing kept, so nothing is ever queued for the store


@pytest.mark.hazard("H-037")
def test_common_words_that_are_family_names_alone_are_not_refused(
        vault: VaultSession, caseload: dict[str, str]) -> None:
    text = ("Green and amber flags at S4 confused us. Hall staff asked twice; in May we gave "
            "B12 1mg at the 2pm call on 03/02/2027 and the S1 2nd question was unclear. I "
            "miss Green, a simpler screen. The person's daughter agreed. Grace period? None.")
    problem_id = _report(vault, text)
    assert [r.what_happened for r in registers.problems(vault.uow)
            if r.problem_id == problem_id] == [text]


@pytest.mark.hazard("H-037")
def test_reported_from_a_persons_record_their_own_names_are_refused_alone(
        vault: VaultSession, caseload: dict[str, str]) -> None:
    text = "Edith wanted her daughter to decide at S6 but the wizard did not allow it"
    _report(vault, text)  # a first name alone says nothing, with no person in view
    with pytest.raises(ValidationError) as refused:
        _report(vault, text, person_id=caseload["edith"])
    assert refused.value.field == "what_happened"
    assert 'it gives a name ("Edith")' in refused.value.message
    # ... and their contact's name, or their date of birth written another way.
    with pytest.raises(ValidationError, match="it gives a name"):
        _report(vault, "Frank said the S6 page was hard for the family to follow",
                person_id=caseload["edith"])
    with pytest.raises(ValidationError, match="a date of birth"):
        _report(vault, "Born 17 May 1938: the age question at S4 did not fit",
                person_id=caseload["edith"])
    assert _stored(vault) == 1


@pytest.mark.hazard("H-026")
def test_who_may_report_see_and_answer(vault: VaultSession, caseload: dict[str, str]) -> None:
    for role in ("nurse", "social_care_practitioner"):
        _report(vault, FINE, uow=as_role(vault, role))
        with pytest.raises(PermissionDenied):
            registers.problems(as_role(vault, role))
    governance = as_role(vault, "read_only")
    with pytest.raises(PermissionDenied, match="cannot report problems with the framework"):
        _report(vault, FINE, uow=governance)
    rows = registers.problems(governance)  # governance reads the list ...
    assert len(rows) == 2
    for role in ("read_only", "nurse"):  # ... but only a team lead records the IPCB's answer
        with pytest.raises(PermissionDenied):
            registers.set_problem_status(as_role(vault, role), rows[0].problem_id, "discussed",
                                         None, "Someone", rows[0].version, TODAY)
    assert registers.problems(vault.uow)[0].status is ProblemStatus.RECEIVED


def test_the_ipcbs_answer_moves_forward_only(vault: VaultSession,
                                             caseload: dict[str, str]) -> None:
    problem_id = _report(vault, FINE)
    [row] = registers.problems(vault.uow)
    discussed = registers.set_problem_status(vault.uow, problem_id, ProblemStatus.DISCUSSED,
                                             "", " Team Lead ", row.version, TODAY)
    assert (discussed.status, discussed.status_on, discussed.status_by_name,
            discussed.ruling) == (ProblemStatus.DISCUSSED, TODAY, "Team Lead", None)
    assert discussed.version > row.version
    with pytest.raises(ValidationError) as refused:  # back to received: never
        registers.set_problem_status(vault.uow, problem_id, "received", None, "Team Lead",
                                     discussed.version, TODAY)
    assert refused.value.field == "status" and "only moves forward" in refused.value.message
    with pytest.raises(ValidationError, match="Say the ruling") as refused:
        registers.set_problem_status(vault.uow, problem_id, "ruling_issued", " ", "Team Lead",
                                     discussed.version, TODAY)
    assert refused.value.field == "ruling"
    with pytest.raises(ValidationError, match="since you opened it"):  # an older version
        registers.set_problem_status(vault.uow, problem_id, "ruling_issued",
                                     "Leave the stability date blank when none is recorded.",
                                     "Team Lead", row.version, TODAY)
    ruling = "Leave the stability date blank when none is recorded; S4 will say so."
    ruled = registers.set_problem_status(vault.uow, problem_id, "ruling_issued", ruling,
                                         "Team Lead", discussed.version, TODAY)
    assert (ruled.status_label, ruled.ruling, ruled.next_statuses) == ("Ruling issued",
                                                                       ruling, ())
    with pytest.raises(ValidationError, match="already at 'Ruling issued'"):
        registers.set_problem_status(vault.uow, problem_id, "ruling_issued", ruling,
                                     "Team Lead", ruled.version, TODAY)
    with pytest.raises(ValidationError) as refused:
        registers.set_problem_status(vault.uow, problem_id, "archived", ruling, "Team Lead",
                                     ruled.version, TODAY)
    assert refused.value.field == "status"
    with pytest.raises(NotFound):
        registers.set_problem_status(vault.uow, "no-such-id", "discussed", None, "Team Lead",
                                     0, TODAY)


@pytest.mark.hazard("H-037")
def test_a_ruling_that_identifies_someone_is_refused(vault: VaultSession,
                                                     caseload: dict[str, str]) -> None:
    problem_id = _report(vault, FINE)
    [row] = registers.problems(vault.uow)
    with pytest.raises(ValidationError) as refused:
        registers.set_problem_status(vault.uow, problem_id, "ruling_issued",
                                     "Grace Green's case shows S4 needs no stability date.",
                                     "Team Lead", row.version, TODAY)
    assert refused.value.field == "ruling" and "it gives a name" in refused.value.message
    assert registers.problems(vault.uow)[0] == row  # nothing changed


def test_the_meeting_lists_open_problems_and_recent_rulings(vault: VaultSession,
                                                            caseload: dict[str, str]) -> None:
    ids = {}
    for key, days_ago in (("open", 40), ("discussed", 20), ("ruled_lately", 50),
                          ("ruled_long_ago", 90), ("after", -1)):
        ids[key] = registers.report_problem(
            vault.uow, ProblemInput("S9", f"{key}: the call frequency question at S9 is "
                                          "unclear"), "Test Nurse",
            TODAY - dt.timedelta(days=days_ago))
    for key, status, on in (("discussed", "discussed", TODAY - dt.timedelta(days=10)),
                            ("ruled_lately", "ruling_issued", TODAY - dt.timedelta(days=27)),
                            ("ruled_long_ago", "ruling_issued", TODAY - dt.timedelta(days=29))):
        row = next(r for r in registers.problems(vault.uow) if r.problem_id == ids[key])
        registers.set_problem_status(vault.uow, ids[key], status,
                                     f"Ruling for {key}: ask at the existing call.",
                                     "Team Lead", row.version, on)
    listed = for_meeting(registers.problems(vault.uow), TODAY)
    # Oldest first; reported after the meeting day or ruled on over four weeks ago: out.
    assert [r.problem_id for r in listed] == [ids["ruled_lately"], ids["open"],
                                              ids["discussed"]]

    pack = load_meeting_pack(vault.uow, TODAY, produced_at=dt.datetime(2027, 2, 10,
                                                                       tzinfo=dt.UTC))
    assert pack.problems == listed
    text = flat(" ".join(page_texts(render_meeting_pack(pack))))
    assert "4. Problems reported to the IPCB" in text
    assert "Problems reported to the IPCB 3" in text  # the summary's count
    assert "open: the call frequency question at S9 is unclear" in text
    assert "Ruling for ruled_lately: ask at the existing call." in text
    assert "Ruling for ruled_long_ago" not in text and "after: the call" not in text
    assert "Step S9: Does it fit the plan? · reported" in text
    assert text.count("The IPCB's answer") == 2  # room to write, for the two not ruled on


def test_a_pack_with_no_problems_says_none(vault: VaultSession) -> None:
    pack = load_meeting_pack(vault.uow, TODAY)
    assert pack.problems == ()
    text = flat(" ".join(page_texts(render_meeting_pack(pack))))
    assert "4. Problems reported to the IPCB" in text
    assert "No reported problem is waiting for the IPCB, and no ruling was issued" in text

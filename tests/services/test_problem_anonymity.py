"""A problem report to the IPCB is anonymous (issue 18 point 6, hazard H-037): the names,
numbers and dates people really write are refused, quoting the words to change, and the
ordinary words of a report are not, even from the wizard of a person whose name is also a
word ("Grace Best", "Joan Case").

The caseload is synthetic (999-range NHS numbers): Edith Testperson (born 17/05/1938,
phone 0116 496 0123, her daughter Mary Jane Smith on 07700 900123), Mary Elizabeth
Hartley, John Lloyd Webber, Siobhán O'Brien-Murphy, Tom Hall, Grace Best (her GP "Dr A
Patel, Charnwood Medical Centre") and Joan Case.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from desktop_app.models.person import Contact, Person
from desktop_app.models.person_centred import FrameworkProblem
from desktop_app.services import registers
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.registers import ProblemInput
from desktop_app.services.registers.anonymity import Finding, identifying_findings
from desktop_app.services.vault import VaultSession
from tests.support import person_values

TODAY = dt.date(2027, 2, 10)
NHS = synthetic_nhs_number(4243)  # nobody on this caseload


def _born(serial: int, given: str, family: str, **more: object) -> Person:
    return Person(**person_values(serial, given_name=given, family_name=family,
                                  date_of_birth=dt.date(1940, 1, serial), **more))


@pytest.fixture
def caseload(vault: VaultSession) -> dict[str, str]:
    made = {"edith": Person(**person_values(1, phone="0116 496 0123")),
            "mary": _born(2, "Mary Elizabeth", "Hartley"),
            "john": _born(3, "John", "Lloyd Webber"),
            "siobhan": _born(4, "Siobhán", "O'Brien-Murphy"),
            "tom": _born(5, "Tom", "Hall"),
            "grace": _born(6, "Grace", "Best"),
            "joan": _born(7, "Joan", "Case")}
    with vault.uow.begin() as s:
        s.add_all(made.values())
        s.flush()
        s.add_all([Contact(person_id=made["edith"].id, kind="next_of_kin",
                           name="Mary Jane Smith", phone="07700 900123"),
                   Contact(person_id=made["grace"].id, kind="other",
                           name="Dr A Patel, Charnwood Medical Centre")])
        return {key: person.id for key, person in made.items()}


def _report(vault: VaultSession, text: str, person_id: str | None = None) -> str:
    return registers.report_problem(vault.uow, ProblemInput("S6", text, person_id),
                                    "Test Nurse", TODAY)


def _stored(vault: VaultSession) -> int:
    with vault.uow.read() as s:
        return int(s.scalar(select(func.count()).select_from(FrameworkProblem)) or 0)


AFTER = " could not consent at S6 and the wizard stopped."


@pytest.mark.hazard("H-037")
@pytest.mark.parametrize(("text", "gives"), [
    # Any word of the given names with the family name; middle names and initials between.
    ("Mary Hartley" + AFTER, 'a name ("Mary Hartley")'),
    ("Edith M. Testperson" + AFTER, 'a name ("Edith M. Testperson")'),
    ("Edith Mary Testperson" + AFTER, 'a name ("Edith Mary Testperson")'),
    ("E. Testperson" + AFTER, 'a name ("E. Testperson")'),
    # Each part of a double-barrelled family name, written with or without - ' and spaces.
    ("Mr Webber" + AFTER, 'a name ("Mr Webber")'),
    ("John Webber" + AFTER, 'a name ("John Webber")'),
    ("Mrs O'Brien Murphy" + AFTER, 'a name ("Mrs O\'Brien Murphy")'),
    ("Siobhan OBrien-Murphy" + AFTER, 'a name ("Siobhan OBrien-Murphy")'),
    ("Siobhan O'Brien" + AFTER, 'a name ("Siobhan O\'Brien")'),
    # A contact's name the same way.
    ("Mary Smith (her daughter)" + AFTER, 'a name ("Mary Smith")'),
    # NHS numbers with other separators.
    (f"NHS no {NHS[:3]}.{NHS[3:6]}.{NHS[6:]}" + AFTER,
     f'an NHS number ("{NHS[:3]}.{NHS[3:6]}.{NHS[6:]}")'),
    (f"NHS no {NHS[:3]}/{NHS[3:6]}/{NHS[6:]}" + AFTER,
     f'an NHS number ("{NHS[:3]}/{NHS[3:6]}/{NHS[6:]}")'),
    (f"NHS no {NHS[:3]}  {NHS[3:6]}  {NHS[6:]}" + AFTER,
     f'an NHS number ("{NHS[:3]} {NHS[3:6]} {NHS[6:]}")'),
    # Dates of birth as eight digits, and with a two-digit year in words.
    ("Born 17051938, she" + AFTER, 'a date of birth ("17051938")'),
    ("Born 17 May 38, she" + AFTER, 'a date of birth ("17 May 38")'),
    # A person's or a contact's phone number, however it is spaced.
    ("Rang 0116 496 0123 but she" + AFTER, 'a phone number ("0116 496 0123")'),
    ("Her daughter on 07700900123 said she" + AFTER, 'a phone number ("07700900123")'),
    ("Rang +44 116 4960123 but she" + AFTER, 'a phone number ("+44 116 4960123")'),
    # Several at once: each kind, each quoted.
    (f"Mary Hartley ({NHS}, 0116 496 0123)" + AFTER,
     f'a name ("Mary Hartley"), an NHS number ("{NHS}") and a phone number '
     '("0116 496 0123")'),
])
def test_identifying_texts_are_refused_quoting_the_words_to_change(
        vault: VaultSession, caseload: dict[str, str], text: str, gives: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _report(vault, text)
    assert refused.value.field == "what_happened"
    assert f"it gives {gives}. Write 'the person'" in refused.value.message
    assert _stored(vault) == 0  # nothing kept, so nothing synced


@pytest.mark.hazard("H-037")
@pytest.mark.parametrize("text", [
    "Filling in S4 1hr took too long for one task and the page froze.",
    "S10 2hr later the page still had not saved the plan for the person.",
    "At S1 3rd visit, S2 4th visit: the page asked the same question again.",
    "Tom. The Hall staff could not find the S4 page on the laptop at all.",
    "I miss being able to go back to S4 from S9 without losing what I typed.",
])
def test_ordinary_words_and_times_are_not_taken_for_identifiers(
        vault: VaultSession, caseload: dict[str, str], text: str) -> None:
    assert _report(vault, text)
    assert _stored(vault) == 1


@pytest.mark.hazard("H-037")
@pytest.mark.parametrize(("who", "text"), [
    ("grace", "The best interests meeting at S6 could not record the attorney."),
    ("grace", "Best interests: the S6 page had nowhere to record the meeting."),
    ("joan", "In this case the wizard would not let us go back to S4 to fix it."),
    ("grace", "The medical notes were not available at S4 when we visited."),
    ("grace", "Charnwood Medical Centre had no notes for the S4 stability date."),
    ("edith", "Her daughter asked whether the S6 page could be printed for her."),
])
def test_from_a_persons_wizard_their_names_as_ordinary_words_pass(
        vault: VaultSession, caseload: dict[str, str], who: str, text: str) -> None:
    assert _report(vault, text, caseload[who])
    assert _stored(vault) == 1


@pytest.mark.hazard("H-037")
@pytest.mark.parametrize(("who", "text", "gives"), [
    ("grace", "Grace wanted her daughter to decide at S6 but it was not allowed.",
     'a name ("Grace")'),
    ("grace", "Patel said the notes at S4 were missing at the visit.", 'a name ("Patel")'),
    ("edith", "Mary said the S6 page was hard for the family to follow.", 'a name ("Mary")'),
    ("john", "Webber asked us to stop at S6 because the list was too long.",
     'a name ("Webber")'),
    ("siobhan", "OBrien-Murphy family could not agree at S6 who decides.",
     'a name ("OBrien-Murphy")'),
])
def test_from_a_persons_wizard_a_name_word_written_as_a_name_is_refused(
        vault: VaultSession, caseload: dict[str, str], who: str, text: str,
        gives: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _report(vault, text, caseload[who])
    assert f"it gives {gives}." in refused.value.message
    assert _report(vault, text) and _stored(vault) == 1  # with nobody in view: a word


def test_findings_are_in_order_each_once_and_a_name_inside_a_longer_one_is_not_repeated(
        vault: VaultSession, caseload: dict[str, str]) -> None:
    text = "Postcode LE1 5WW. Edith Testperson, then Edith Testperson again, born 17/05/1938."
    with vault.uow.read() as s:
        found = identifying_findings(s, text, caseload["edith"])
    assert found == [Finding("a name", "Edith Testperson"),
                     Finding("a date of birth", "17/05/1938"),
                     Finding("a postcode", "LE1 5WW")]


@pytest.mark.hazard("H-037")
def test_a_ruling_is_refused_quoting_the_name(vault: VaultSession,
                                              caseload: dict[str, str]) -> None:
    problem_id = _report(vault, "The S6 page has nowhere to record an attorney applied for.")
    [row] = registers.problems(vault.uow)
    with pytest.raises(ValidationError) as refused:
        registers.set_problem_status(vault.uow, problem_id, "ruling_issued",
                                     "As with Mrs Hartley, record the attorney as applied for.",
                                     "Team Lead", row.version, TODAY)
    assert refused.value.field == "ruling"
    assert 'it gives a name ("Mrs Hartley")' in refused.value.message

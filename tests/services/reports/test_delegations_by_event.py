"""The Delegations and Equality reports count by the date of each event in a delegation's
history: a decision in its month under the outcome decided then, a withdrawal in the month
it happened as a figure of its own. A delegation decided in November and withdrawn in
February counts as delegated in November and withdrawn in February.

Made through the services on a real vault (``tools/sample_case``: eye drops for Zoë,
jointly funded, decided on 30 November 2026, care from 1 December, team City South), so
the history is the one the app writes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desktop_app.models.person import Contact
from desktop_app.models.review import Review, ReviewOutcome
from desktop_app.services import registers
from desktop_app.services.delegation.ending import end_for_change_of_need, withdraw_consent
from desktop_app.services.reports import ReportQuery, ReportSection, delegations_report
from desktop_app.services.reports.equality import GROUPS, _events, _select
from desktop_app.services.vault import VaultSession
from tools.sample_case import BuiltCase, CaseSpec, build_case, delegate_again

D = dt.date
TEAM = "City South"
NOV_TO_FEB = ReportQuery(D(2026, 11, 1), D(2027, 2, 28), TEAM)
NOVEMBER = ReportQuery(D(2026, 11, 1), D(2026, 11, 30), TEAM)
FEBRUARY = ReportQuery(D(2027, 2, 1), D(2027, 2, 28), TEAM)
JOINT = "Delegated, jointly funded"
ENDED_ON = D(2027, 2, 15)


@pytest.fixture
def case(vault: VaultSession) -> BuiltCase:
    return build_case(vault.uow)


def rows(section: ReportSection) -> dict[str, list[str]]:
    return {row[0].text: [cell.text for cell in row[1:]] for row in section.rows}


def report(vault: VaultSession, query: ReportQuery) -> dict[str, dict[str, list[str]]]:
    found = delegations_report(vault.uow, query, today=D(2027, 3, 1))
    return {section.title: rows(section) for section in found.sections}


@pytest.mark.hazard("H-043")
def test_delegated_in_november_and_withdrawn_in_february_counts_in_both_months(
        vault: VaultSession, case: BuiltCase) -> None:
    end_for_change_of_need(vault.uow, case.case_id, ENDED_ON, "Needs a nurse now", ENDED_ON)
    whole = report(vault, NOV_TO_FEB)
    assert whole["By outcome"][JOINT] == ["1", "0", "0", "0", "1"]
    assert whole["By outcome"]["Total"] == ["1", "0", "0", "0", "1"]
    assert whole["By task category"]["Specialised medication administration"] == [
        "1", "0", "0", "0", "1"]
    assert whole["Withdrawals"] == {
        "Withdrawn at a review": ["0", "0", "0", "0", "0"],
        "Consent withdrawn": ["0", "0", "0", "0", "0"],
        "The person's need changed": ["0", "0", "0", "1", "1"],
        "Total": ["0", "0", "0", "1", "1"]}
    # November alone: the decision, under the outcome decided then, and no withdrawal.
    november = report(vault, NOVEMBER)
    assert november["By outcome"][JOINT] == ["1", "1"]
    assert november["Withdrawals"]["Total"] == ["0", "0"]
    # February alone: the withdrawal, and no decision.
    february = report(vault, FEBRUARY)
    assert february["By outcome"]["Total"] == ["0", "0"]
    assert february["Withdrawals"]["The person's need changed"] == ["1", "1"]


@pytest.mark.hazard("H-043")
def test_each_kind_of_withdrawal_is_counted_and_a_redelegation_is_not(
        vault: VaultSession, case: BuiltCase) -> None:
    """Zoë's eye drops are delegated again on 20 January (the first case is replaced: not a
    withdrawal, and the new decision counts); the new case's consent is withdrawn by her
    attorney on 15 February. A second person's delegation is withdrawn at a review."""
    again = delegate_again(vault.uow, case.person_id, case.nhs_number, CaseSpec(
        provider_name="Sample Care Services", worker_names=(("Kwame", "Okafor"),),
        attorney_name="Second Attorney"), decided_on=D(2027, 1, 20))
    with vault.uow.read() as s:
        attorney = s.scalar(select(Contact.id).where(Contact.name == "Second Attorney"))
    withdraw_consent(vault.uow, again.case_id, ENDED_ON, "lpa", None, attorney, "verbal",
                     "She no longer wants the carers to do it", ENDED_ON)
    other = build_case(vault.uow, CaseSpec(serial=8, given_name="Second"))
    with vault.uow.read() as s:
        [review_id] = s.scalars(select(Review.id).where(
            Review.delegation_case_id == other.case_id, ~Review.deleted)).all()
    registers.record_review(vault.uow, review_id, D(2027, 2, 20), ReviewOutcome.WITHDRAW,
                            stable=False, competence_current=True, serious_incident=False,
                            notes="Eyes worse: the nurse takes the drops back",
                            today=D(2027, 2, 20))

    whole = report(vault, NOV_TO_FEB)
    assert whole["By outcome"][JOINT] == ["2", "0", "1", "0", "3"]
    assert whole["Withdrawals"] == {
        "Withdrawn at a review": ["0", "0", "0", "1", "1"],
        "Consent withdrawn": ["0", "0", "0", "1", "1"],
        "The person's need changed": ["0", "0", "0", "0", "0"],
        "Total": ["0", "0", "0", "2", "2"]}  # the January replacement is not among them


def _grouped(vault: VaultSession, query: ReportQuery) -> dict[str, int]:
    """The equality report's counts by outcome group for the age table, before suppression
    (a handful of people would all be hidden)."""
    counts = dict.fromkeys(GROUPS, 0)
    with vault.uow.read() as s:
        for row in s.execute(_select("age", _events(query))):
            counts[GROUPS[row.outcome]] += row.n
    return counts


@pytest.mark.hazard("H-043")
def test_equality_counts_decisions_by_decided_outcome_and_withdrawals_apart(
        vault: VaultSession, case: BuiltCase) -> None:
    end_for_change_of_need(vault.uow, case.case_id, ENDED_ON, "Needs a nurse now", ENDED_ON)
    assert _grouped(vault, NOV_TO_FEB) == {"Delegated": 1, "Escalated to shared care": 0,
                                           "Not delegated": 0, "Withdrawn": 1}
    assert _grouped(vault, NOVEMBER) == {"Delegated": 1, "Escalated to shared care": 0,
                                         "Not delegated": 0, "Withdrawn": 0}
    assert _grouped(vault, FEBRUARY) == {"Delegated": 0, "Escalated to shared care": 0,
                                         "Not delegated": 0, "Withdrawn": 1}

"""What each outcome of the delegation flow means, and what happens next, in plain English.

The last page of the wizard, the support plan and the registers all say the same thing
about an outcome; the words live here once.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.models.delegation import OutcomeCode


@dataclass(frozen=True)
class OutcomeText:
    """The title of an outcome and the next steps that follow from it."""

    title: str
    next_steps: tuple[str, ...]
    delegated: bool


OUTCOMES: dict[OutcomeCode, OutcomeText] = {
    OutcomeCode.REFER_CHC: OutcomeText(
        "Refer for NHS Continuing Healthcare",
        ("Complete the referral for a full CHC assessment.",
         "Nothing is delegated while the assessment is pending; Health keeps the task."),
        False),
    OutcomeCode.SOCIAL_CARE_ONLY: OutcomeText(
        "A social care need: nothing to delegate",
        ("The task is part of the person's social care and support plan.",
         "Tell the social care practitioner so the support plan covers it."),
        False),
    OutcomeCode.NOT_DELEGATED: OutcomeText(
        "Not delegated: Health keeps the task",
        ("The nursing team carries on doing the task.",
         "If a date to look again was set, it appears in Reviews due."),
        False),
    OutcomeCode.PERSON_DECLINED: OutcomeText(
        "The person declined",
        ("Health keeps the task. The person can change their mind at any time.",),
        False),
    OutcomeCode.NO_PROVIDER: OutcomeText(
        "No provider has accepted the task",
        ("Health keeps the task.",
         "Escalate to commissioning so a provider can be found."),
        False),
    OutcomeCode.DELEGATED_EXISTING_PACKAGE: OutcomeText(
        "Delegated within the existing package",
        ("The council keeps funding the calls; Health trains, signs off and oversees.",
         "Print the support plan for signature."),
        True),
    OutcomeCode.DELEGATED_HEALTH_FUNDED: OutcomeText(
        "Delegated, extra time funded by the NHS",
        ("The NHS (ICB) funds the extra time; it is free to the person.",
         "Print the support plan for signature."),
        True),
    OutcomeCode.DELEGATED_JOINT_FUNDED: OutcomeText(
        "Delegated, jointly funded",
        ("The NHS and the council share the cost of the extra time as agreed; the NHS "
         "share is free to the person.",
         "Print the support plan for signature."),
        True),
    OutcomeCode.ESCALATED_SHARED_CARE: OutcomeText(
        "Escalated to a shared care discussion",
        ("A shared care discussion is convened; its decision goes to the IPCB.",
         "Nothing is delegated meanwhile: the nursing team keeps doing the task, so care "
         "is not disrupted; the interim funder pays any gap without prejudice.",
         "The case appears on the two-weekly joint meeting list."),
        False),
    OutcomeCode.INTERIM_WITHOUT_PREJUDICE: OutcomeText(
        "Care goes ahead, funded without prejudice",
        ("Health commissions the extra care without prejudice until the funding decision.",
         "Costs are reconciled back to the start once the decision is made.",
         "The case appears on the two-weekly joint meeting list."),
        True),
    OutcomeCode.WITHDRAWN: OutcomeText(
        "Delegation withdrawn: the task returns to Health",
        ("The nursing team takes the task back.",
         "Reconsider funding; if needs have risen, complete a new CHC Checklist."),
        False),
}


def describe(code: str) -> OutcomeText:
    """The words for an outcome code (KeyError for an unknown code is a bug)."""
    return OUTCOMES[OutcomeCode(code)]

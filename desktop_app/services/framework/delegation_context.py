"""What the delegation wizard needs to know up front, as plain data (never ORM objects).

Built by ``desktop_app.services.delegation.wizard_context`` on the database thread and
handed to the UI; ``task_options`` turns a catalogue into the tasks offered, each with the
registered-nurse-only look-alikes the wizard warns about (steps S1 and S3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from desktop_app.services.framework.catalogue import Catalogue, LookAlike


@dataclass(frozen=True)
class LookAlikeOption:
    """The registered-nurse-only twin(s) of a task, by code and name, and how to tell."""

    twin_codes: tuple[str, ...]
    twin_names: tuple[str, ...]
    how_to_tell: str


@dataclass(frozen=True)
class TaskOption:
    """A catalogue task the nurse can choose (``look_alikes``: its RN-only twins)."""

    code: str
    name: str
    category: str
    typical_status: str
    training_level: int | None
    refresher_months: int | None
    oversight_default: str
    look_alikes: tuple[LookAlikeOption, ...] = ()
    description: str = ""  # the catalogue's words for what the task is (S4's example)


def _look_alike_option(pair: LookAlike, catalogue: Catalogue) -> LookAlikeOption:
    return LookAlikeOption(pair.twins, tuple(catalogue.get(code).name for code in pair.twins),
                           pair.how_to_tell)


def task_options(catalogue: Catalogue) -> tuple[TaskOption, ...]:
    """Every task of the catalogue as the wizard offers it, in catalogue order."""
    return tuple(
        TaskOption(t.code, t.name, t.category, t.typical_status, t.training_level,
                   t.refresher_months, t.oversight_default,
                   tuple(_look_alike_option(pair, catalogue)
                         for pair in catalogue.look_alikes_of(t.code)), t.description)
        for t in catalogue.tasks)


@dataclass(frozen=True)
class WorkerOption:
    """A named care worker of a provider."""

    id: str
    name: str


@dataclass(frozen=True)
class ProviderOption:
    """A care provider that may accept the task (active ones only are offered), with its
    insurance cover as of the day the wizard opened (an ended cover is no cover)."""

    id: str
    name: str
    council: str
    workers: tuple[WorkerOption, ...] = ()
    insured: bool = False
    insurance_words: str = ""


@dataclass(frozen=True)
class ContactOption:
    """Someone around the person; attorneys and deputies may decide for them."""

    id: str
    name: str
    kind: str  # next_of_kin, lpa_health_welfare, lpa_property_finance, deputy, other
    can_decide_health_welfare: bool


@dataclass(frozen=True)
class WhatMattersOnFile:
    """What matters to the person as the record holds it (the wizard's S6 starts from it)."""

    own_words: str = ""
    strengths: str = ""
    self_care: str = ""
    # ({"kind": Participant value, "name": ...}, ...) in the order given.
    took_part: tuple[dict[str, str], ...] = ()
    recorded_on: dt.date | None = None
    recorded_by: str = ""
    # The record's version: S6 says which version its words started from
    # (``what_matters_from``), so a decision never writes an older copy over newer words.
    version: int = 0


@dataclass(frozen=True)
class AssessmentOnFile:
    """A partner's assessment on the person's record, offered for reuse (newest first)."""

    id: str
    kind: str  # AssessmentKind value
    organisation: str
    assessor: str
    assessed_on: dt.date
    summary: str = ""


@dataclass(frozen=True)
class EligibilityOnFile:
    """The person's latest Care Act eligibility screen (shown on S1 and S5)."""

    screened_on: dt.date
    suggestion: str  # EligibilitySuggestionCode value
    decision: str  # EligibilityDecision value
    decision_reason: str
    decided_by: str
    outcomes_unable: tuple[str, ...] = ()  # Outcome values


@dataclass(frozen=True)
class WizardContext:
    """The person the wizard is about and the choices it offers."""

    person_id: str
    person_name: str
    nhs_number_display: str
    date_of_birth_display: str
    open_to_community_health: bool
    gp_practice_name: str
    team: str
    tasks: tuple[TaskOption, ...]
    providers: tuple[ProviderOption, ...]
    contacts: tuple[ContactOption, ...] = ()
    case_id: str | None = None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    current_step: str | None = None
    flow_version: str | None = None  # a resumed draft's: the flow it was started under
    what_matters: WhatMattersOnFile | None = None
    assessments: tuple[AssessmentOnFile, ...] = ()  # newest first
    eligibility: EligibilityOnFile | None = None
    today: dt.date | None = None  # the day the wizard opened (ages are counted from it)

    def task(self, code: str | None) -> TaskOption | None:
        """The task with this code, if offered."""
        return next((t for t in self.tasks if t.code == code), None)

    def latest_assessment(self, kind: str) -> AssessmentOnFile | None:
        """The newest partner assessment of this kind on file, if any."""
        return next((a for a in self.assessments if a.kind == kind), None)

    def provider(self, provider_id: str | None) -> ProviderOption | None:
        """The provider with this id, if offered."""
        return next((p for p in self.providers if p.id == provider_id), None)

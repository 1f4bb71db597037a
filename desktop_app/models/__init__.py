"""The domain model: one module per aggregate. Importing this registers every table."""

from desktop_app.models.audit import AuditAction, AuditEvent
from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.case_example import CaseExample
from desktop_app.models.competency import CompetenceAssessment, CompetencySignOff, TrainingEvent
from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.framework_release import FrameworkRelease, ReleaseKind
from desktop_app.models.history import CaseEvent, CaseEventKind, InterimReconciliation
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.meta import LocalMeta
from desktop_app.models.outbox import OutboxEntry, OutboxOperation, OutboxState
from desktop_app.models.oversight import ClinicalOversight
from desktop_app.models.person import Contact, Person
from desktop_app.models.person_centred import (
    AssessmentReuse,
    EligibilityScreen,
    FrameworkProblem,
    PartnerAssessment,
    Signposting,
    SignpostingService,
    WhatMatters,
)
from desktop_app.models.plan import FundingSplit, SupportPlan, SupportPlanTask
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review
from desktop_app.models.sync import HeldBackChange, SyncConflict, SyncState
from desktop_app.models.task_type import TaskType
from desktop_app.models.user import AppUser, Role

__all__ = [
    "AppUser", "AssessmentReuse", "AuditAction", "AuditEvent", "Base", "CareProvider", "CareWorker",
    "CaseEvent", "CaseEventKind", "CaseExample", "CaseStatus", "ClinicalOversight",
    "CompetenceAssessment", "CompetencySignOff", "ConsentRecord", "Contact", "DelegationCase",
    "EligibilityScreen", "FrameworkProblem", "FrameworkRelease", "FundingSplit", "HeldBackChange",
    "InterimReconciliation", "LocalMeta", "MdtDecision", "OutboxEntry", "OutboxOperation",
    "OutboxState", "OutcomeCode", "PartnerAssessment", "Person", "ReleaseKind", "Review", "Role",
    "SharedCareDiscussion", "Signposting", "SignpostingService", "SupportPlan", "SupportPlanTask",
    "SyncConflict", "SyncedMixin", "SyncState", "TaskType", "TrainingEvent", "WhatMatters",
]

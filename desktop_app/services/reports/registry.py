"""The list of reports the Reports screen offers, one way to run any of them, and the teams.

The screen needs no knowledge of each report: it lists ``REPORTS`` (kind and title), calls
``run_report`` on the database thread, and draws the sections it gets back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from desktop_app.models.person import Person
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.reports.base import check_allowed
from desktop_app.services.reports.competency import competency_report
from desktop_app.services.reports.delegations import delegations_report
from desktop_app.services.reports.equality import equality_report
from desktop_app.services.reports.escalations import escalations_report
from desktop_app.services.reports.funding import funding_report
from desktop_app.services.reports.model import Report, ReportKind, ReportQuery
from desktop_app.services.reports.person_centred import person_centred_report
from desktop_app.services.reports.reviews import reviews_report

ReportFunction = Callable[..., Report]


@dataclass(frozen=True)
class ReportSpec:
    """One report as the screen lists it."""

    kind: ReportKind
    title: str
    function: ReportFunction


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(ReportKind.DELEGATIONS, "Delegations", delegations_report),
    ReportSpec(ReportKind.FUNDING, "Funding", funding_report),
    ReportSpec(ReportKind.REVIEWS, "Reviews", reviews_report),
    ReportSpec(ReportKind.COMPETENCY, "Competency", competency_report),
    ReportSpec(ReportKind.ESCALATIONS, "Escalations", escalations_report),
    ReportSpec(ReportKind.EQUALITY, "Equality monitoring", equality_report),
    ReportSpec(ReportKind.PERSON_CENTRED, "Person-centred care", person_centred_report),
)


def run_report(uow: UnitOfWork, kind: ReportKind | str, query: ReportQuery, *,
               today: dt.date | None = None,
               produced_at: dt.datetime | None = None) -> Report:
    """Compute one report (PermissionDenied unless a team lead or governance)."""
    wanted = ReportKind(kind)
    spec = next(spec for spec in REPORTS if spec.kind is wanted)
    return spec.function(uow, query, today=today, produced_at=produced_at)


def report_teams(uow: UnitOfWork) -> list[str]:
    """Every team with someone on the caseload, alphabetically (for the team filter)."""
    check_allowed(uow)
    stmt = select(Person.team).where(~Person.deleted).distinct().order_by(Person.team)
    with uow.read() as session:
        return [team for team in session.scalars(stmt) if team]

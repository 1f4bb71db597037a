"""Apportioning the cost of a delegated healthcare task between the ICB and a council (§5).

When a care worker takes on a healthcare task and the support plan needs more commissioned
time, the MDT apportions that extra cost between the NHS (the ICB) and the council; the
committee minutes give the examples (a third call a day invoiced to the NHS; an equal
split). LLR's local rules are not published, so each ``ApportionmentMethod`` has its own
explicit input dataclass (``funding_methods``), and ``apportion`` turns a ``FundingBasis``
plus one of them into a ``FundingResult`` that other code stores as ``FundingSplit`` rows.
While funding is disputed, Health commissions the extra care "without prejudice until a
funding decision is made" (Part A, Escalation); ``funding_interim.reconcile`` settles that
interim back to its start.

Money is whole pence, rounded once, half-up, the lead commissioner paying the odd penny
(``funding_money``); the inputs' limits and checks are in ``funding_checks``. The NHS share
is never charged to the person; only the council's share can be means-tested. The pages
import the funding rules from here: ``METHOD_INPUTS`` and the parsing and formatting of
pounds are re-exported for them.

Pure computation: no Qt, no database.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from fractions import Fraction
from types import MappingProxyType
from typing import TypeAlias

from desktop_app.models.plan import ApportionmentMethod, Funder
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding_checks import (
    MAX_RATE_PENCE_PER_HOUR,
    check_date,
    check_funder,
    check_pence,
)
from desktop_app.services.framework.funding_methods import METHOD_INPUTS, MethodInputs
from desktop_app.services.framework.funding_money import (
    format_pounds,
    parse_percent,
    parse_pounds,
    split_pence,
)

__all__ = [
    "COUNCILS",
    "FUNDER_NAMES",
    "METHOD_INPUTS",
    "RULES_VERSION",
    "FunderShare",
    "FundingBasis",
    "FundingResult",
    "JsonScalar",
    "NhsShare",
    "apportion",
    "format_pounds",
    "parse_percent",
    "parse_pounds",
]

COUNCILS = (Funder.LEICESTER_CITY, Funder.LEICESTERSHIRE_COUNTY, Funder.RUTLAND_COUNTY)
FUNDER_NAMES = {
    Funder.ICB: "LLR ICB",
    Funder.LEICESTER_CITY: "Leicester City Council",
    Funder.LEICESTERSHIRE_COUNTY: "Leicestershire County Council",
    Funder.RUTLAND_COUNTY: "Rutland County Council",
}
# Stored with every result's inputs, so a later change of rules can tell old rows apart.
RULES_VERSION = 1

JsonScalar: TypeAlias = str | int | None


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, kw_only=True)
class FundingBasis:
    """What every method needs: which council, the commissioned care rate, who leads, from when.

    ``lead_commissioner`` is the ICB or this council: the one holding the contract with the
    provider, which also pays any odd penny of rounding.
    """

    council: Funder
    rate_pence_per_hour: int
    lead_commissioner: Funder
    start_date: dt.date

    def __post_init__(self) -> None:
        council = check_funder(self.council, "council", "Choose the council for this person.")
        if council not in COUNCILS:
            raise ValidationError("The council must be Leicester City, Leicestershire County "
                                  "or Rutland County.", field="council")
        lead = check_funder(self.lead_commissioner, "lead_commissioner",
                            "Choose the lead commissioner.")
        if lead not in (Funder.ICB, council):
            raise ValidationError(f"The lead commissioner must be the ICB or "
                                  f"{FUNDER_NAMES[council]}.", field="lead_commissioner")
        # Store the enum itself, so a plain string typed in code is never echoed back.
        object.__setattr__(self, "council", council)
        object.__setattr__(self, "lead_commissioner", lead)
        check_pence(self.rate_pence_per_hour, "rate_pence_per_hour", "The hourly care rate",
                    1, MAX_RATE_PENCE_PER_HOUR)
        check_date(self.start_date, "start_date", "the start date")


# ---------------------------------------------------------------- results


class NhsShare(enum.StrEnum):
    """How much of the *extra* time the NHS pays: it decides the flow's outcome at S9F
    (all: extra time health-funded; part: jointly funded; none: within the package)."""

    ALL = "all"
    PART = "part"
    NONE = "none"


def _nhs_share(icb_extra: Fraction, council_extra: Fraction) -> NhsShare:
    if icb_extra <= 0:
        return NhsShare.NONE
    return NhsShare.ALL if council_extra <= 0 else NhsShare.PART


@dataclass(frozen=True)
class FunderShare:
    """One funder's whole pence per week; the ICB's is always free to the person."""

    funder: Funder
    pence_per_week: int
    free_to_person: bool

    def __post_init__(self) -> None:
        # Mirrors the database check: a bug here must never reach a stored row.
        if self.funder is Funder.ICB and not self.free_to_person:
            raise ValueError("the NHS share is never charged to the person")
        if self.pence_per_week < 0:
            raise ValueError("a weekly share cannot be negative")


@dataclass(frozen=True)
class FundingResult:
    """A worked-out split: one share for the ICB, then one for the council (always both).

    ``inputs`` echoes everything the split was worked out from (read-only; use
    ``json_inputs()`` for the dict to store in ``FundingSplit.inputs``). ``nhs_share`` says
    how much of the extra time the NHS pays, judged on the exact (unrounded) extra shares,
    never on a total that includes the council's existing calls.
    """

    method: ApportionmentMethod
    inputs: Mapping[str, JsonScalar] = field(hash=False)
    shares: tuple[FunderShare, ...]
    total_pence_per_week: int
    lead_commissioner: Funder
    council: Funder
    start_date: dt.date
    nhs_share: NhsShare = NhsShare.PART

    def share(self, funder: Funder) -> FunderShare:
        """This funder's share; KeyError for a funder not party to this plan."""
        for share in self.shares:
            if share.funder == funder:
                return share
        raise KeyError(f"{funder} has no share in this funding split")

    def json_inputs(self) -> dict[str, JsonScalar]:
        """A fresh, JSON-safe copy of ``inputs``."""
        return dict(self.inputs)

    @staticmethod
    def formatted(pence: int) -> str:
        """``format_pounds``, at hand for a page showing a result."""
        return format_pounds(pence)


def _json(value: object) -> JsonScalar:
    if isinstance(value, Funder):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, int | str):
        return value
    raise TypeError(f"cannot echo {type(value).__name__} as JSON")


def _echo(basis: FundingBasis, inputs: MethodInputs) -> dict[str, JsonScalar]:
    echoed: dict[str, JsonScalar] = {"rules_version": RULES_VERSION,
                                     "method": inputs.method.value}
    for part in (basis, inputs):
        echoed.update({f.name: _json(getattr(part, f.name)) for f in fields(part)})
    return echoed


def apportion(basis: FundingBasis, inputs: MethodInputs) -> FundingResult:
    """Work out each funder's weekly pence for one method; the shares add up to the total."""
    if not isinstance(inputs, MethodInputs) or type(inputs) is MethodInputs:
        raise TypeError("inputs must be one method's inputs, such as SplitByMinutes")
    icb_exact, council_exact = inputs.exact_shares(basis.rate_pence_per_hour)
    icb, council = split_pence(icb_exact, council_exact, basis.lead_commissioner)
    share = _nhs_share(*inputs.extra_exact_shares(basis.rate_pence_per_hour))
    return FundingResult(
        method=inputs.method,
        inputs=MappingProxyType(_echo(basis, inputs)),
        shares=(FunderShare(Funder.ICB, icb, free_to_person=True),
                FunderShare(basis.council, council, free_to_person=False)),
        total_pence_per_week=icb + council,
        lead_commissioner=basis.lead_commissioner,
        council=basis.council,
        start_date=basis.start_date,
        nhs_share=share,
    )

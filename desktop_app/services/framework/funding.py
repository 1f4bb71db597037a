"""Apportioning the cost of a delegated healthcare task between the ICB and a council (§5).

When a care worker takes on a healthcare task and the support plan needs more commissioned
time, the MDT apportions that extra cost between the NHS (the ICB) and the council; the
committee minutes give the examples (a third call a day invoiced to the NHS; an equal
split). LLR's local rules are not published, so each ``ApportionmentMethod`` has its own
explicit input dataclass, and ``apportion`` turns a ``FundingBasis`` plus one of them into
a ``FundingResult`` that other code stores as ``FundingSplit`` rows. While funding is
disputed, Health commissions the extra care "without prejudice until a funding decision is
made" (Part A, Escalation); ``reconcile`` settles that interim back to its start.

Money is whole pence (``int``), rates are pence per hour, percentages are basis points.
Exact values are ``Fraction`` and are rounded once, half-up: no float touches money. The
NHS share is never charged to the person; only the council's share can be means-tested.

Rounding rule (the lead commissioner pays the odd penny): the total is rounded half-up and
so is each share; if the rounded shares then differ from the rounded total by a penny, the
lead commissioner carries it. When both shares round down, the lead gets the leftover
penny; when both round up (an odd amount split 50/50), the other funder's share drops the
surplus penny. So the lead's share is never below its own rounding and the other's never
above, and the shares always add up exactly to the total.

Pure computation: no Qt, no database.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from fractions import Fraction
from types import MappingProxyType
from typing import ClassVar, TypeAlias

from desktop_app.models.plan import ApportionmentMethod, Funder
from desktop_app.services.core.errors import ValidationError

COUNCILS = (Funder.LEICESTER_CITY, Funder.LEICESTERSHIRE_COUNTY, Funder.RUTLAND_COUNTY)
FUNDER_NAMES = {
    Funder.ICB: "LLR ICB",
    Funder.LEICESTER_CITY: "Leicester City Council",
    Funder.LEICESTERSHIRE_COUNTY: "Leicestershire County Council",
    Funder.RUTLAND_COUNTY: "Rutland County Council",
}
MAX_RATE_PENCE_PER_HOUR = 20_000  # £200 an hour: far above any commissioned care rate
MAX_MINUTES_PER_CALL = 600
MAX_CALLS_PER_WEEK = 7 * 8
MAX_MINUTES_PER_WEEK = MAX_MINUTES_PER_CALL * MAX_CALLS_PER_WEEK
# The dearest week the limits above allow (£112,000), so a typed amount can't exceed it.
MAX_WEEKLY_PENCE = MAX_MINUTES_PER_WEEK * MAX_RATE_PENCE_PER_HOUR // 60
WHOLE_BASIS_POINTS = 10_000  # 100.00 %
# Stored with every result's inputs, so a later change of rules can tell old rows apart.
RULES_VERSION = 1

JsonScalar: TypeAlias = str | int | None
_HALF = Fraction(1, 2)


# ---------------------------------------------------------------- money arithmetic


def _round_half_up(value: Fraction) -> int:
    """Nearest whole penny, halves up (not Python's round-half-even, which invoices don't use)."""
    return math.floor(value + _HALF)


def _split(icb_exact: Fraction, council_exact: Fraction, lead: Funder) -> tuple[int, int]:
    """(ICB, council) whole pence adding up to the rounded total; the lead pays the odd penny.

    ``max`` picks the lead's own rounding, or one penny more when both shares rounded down.
    """
    total = _round_half_up(icb_exact + council_exact)
    lead_exact, other_exact = (
        (icb_exact, council_exact) if lead is Funder.ICB else (council_exact, icb_exact))
    lead_pence = max(_round_half_up(lead_exact), total - _round_half_up(other_exact))
    other_pence = total - lead_pence
    return (lead_pence, other_pence) if lead is Funder.ICB else (other_pence, lead_pence)


def _minutes_cost(minutes: int, rate_pence_per_hour: int) -> Fraction:
    return Fraction(minutes * rate_pence_per_hour, 60)


def _pro_rata(weekly_pence: int, days: int) -> int:
    # Rounded once at the end: a daily rate rounded first would drift by up to half a penny
    # a day, about £1.83 a year per line.
    return _round_half_up(Fraction(weekly_pence * days, 7))


# ---------------------------------------------------------------- input checks


def _whole(value: object, field_name: str, what: str, low: int, high: int) -> int:
    # bool is an int, and a float would carry binary rounding error into money: refuse both.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{what} must be a whole number from {low:,} to {high:,}.", field=field_name)
    return value


def _pence(value: object, field_name: str, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{what} must be from {format_pounds(low)} to {format_pounds(high)}.",
            field=field_name)
    return value


def _date(value: object, field_name: str, what: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(f"Enter {what} as a date.", field=field_name)
    return value


def _funder(value: object, field_name: str, message: str) -> Funder:
    if isinstance(value, str) and value in Funder.__members__.values():
        return Funder(value)
    raise ValidationError(message, field=field_name)


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
        council = _funder(self.council, "council", "Choose the council for this person.")
        if council not in COUNCILS:
            raise ValidationError("The council must be Leicester City, Leicestershire County "
                                  "or Rutland County.", field="council")
        lead = _funder(self.lead_commissioner, "lead_commissioner",
                       "Choose the lead commissioner.")
        if lead not in (Funder.ICB, council):
            raise ValidationError(f"The lead commissioner must be the ICB or "
                                  f"{FUNDER_NAMES[council]}.", field="lead_commissioner")
        # Store the enum itself, so a plain string typed in code is never echoed back.
        object.__setattr__(self, "council", council)
        object.__setattr__(self, "lead_commissioner", lead)
        _pence(self.rate_pence_per_hour, "rate_pence_per_hour", "The hourly care rate",
               1, MAX_RATE_PENCE_PER_HOUR)
        _date(self.start_date, "start_date", "the start date")


@dataclass(frozen=True, kw_only=True)
class MethodInputs:
    """Base of one method's inputs: each subclass says how the weekly cost divides, exactly."""

    method: ClassVar[ApportionmentMethod]

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        """(ICB, council) weekly cost in exact pence, before rounding."""
        raise NotImplementedError

    def extra_exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        """(ICB, council) shares of the *extra* time only: what decides the outcome.

        The same as ``exact_shares`` unless the method also shows the council's existing
        calls, which are not extra time and never make a split joint.
        """
        return self.exact_shares(rate_pence_per_hour)


def _existing_council(value: object) -> int:
    return _pence(value, "existing_council_pence_per_week",
                  "The weekly cost of the council's existing calls", 0, MAX_WEEKLY_PENCE)


@dataclass(frozen=True, kw_only=True)
class HealthOnlyCall(MethodInputs):
    """A call just for the health task, invoiced to the ICB (the minutes' "third call" example).

    ICB: ``minutes_per_call`` × ``calls_per_week`` × rate. The council's existing social care
    calls stay the council's: give their weekly cost to show the plan's total, it is not split.
    """

    method: ClassVar[ApportionmentMethod] = ApportionmentMethod.HEALTH_ONLY_CALL
    minutes_per_call: int
    calls_per_week: int
    existing_council_pence_per_week: int = 0

    def __post_init__(self) -> None:
        _whole(self.minutes_per_call, "minutes_per_call", "Minutes per call",
               1, MAX_MINUTES_PER_CALL)
        _whole(self.calls_per_week, "calls_per_week", "Calls per week", 1, MAX_CALLS_PER_WEEK)
        _existing_council(self.existing_council_pence_per_week)

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        minutes = self.minutes_per_call * self.calls_per_week
        return (_minutes_cost(minutes, rate_pence_per_hour),
                Fraction(self.existing_council_pence_per_week))

    def extra_exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        return self.exact_shares(rate_pence_per_hour)[0], Fraction(0)


@dataclass(frozen=True, kw_only=True)
class ExtraMinutes(MethodInputs):
    """Extra minutes on calls already commissioned, for the health task, funded by the ICB.

    ICB: ``extra_minutes_per_call`` × ``calls_per_week`` × rate. As for a health-only call,
    the existing calls' weekly cost may be given for the plan total; it stays the council's.
    """

    method: ClassVar[ApportionmentMethod] = ApportionmentMethod.EXTRA_MINUTES
    extra_minutes_per_call: int
    calls_per_week: int
    existing_council_pence_per_week: int = 0

    def __post_init__(self) -> None:
        _whole(self.extra_minutes_per_call, "extra_minutes_per_call", "Extra minutes per call",
               1, MAX_MINUTES_PER_CALL)
        _whole(self.calls_per_week, "calls_per_week", "Calls per week", 1, MAX_CALLS_PER_WEEK)
        _existing_council(self.existing_council_pence_per_week)

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        minutes = self.extra_minutes_per_call * self.calls_per_week
        return (_minutes_cost(minutes, rate_pence_per_hour),
                Fraction(self.existing_council_pence_per_week))

    def extra_exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        return self.exact_shares(rate_pence_per_hour)[0], Fraction(0)


@dataclass(frozen=True, kw_only=True)
class SplitByMinutes(MethodInputs):
    """A package's weekly minutes split: health-task minutes to the ICB, the rest the council's."""

    method: ClassVar[ApportionmentMethod] = ApportionmentMethod.SPLIT_BY_MINUTES
    health_minutes_per_week: int
    social_care_minutes_per_week: int

    def __post_init__(self) -> None:
        _whole(self.health_minutes_per_week, "health_minutes_per_week",
               "Health task minutes per week", 1, MAX_MINUTES_PER_WEEK)
        _whole(self.social_care_minutes_per_week, "social_care_minutes_per_week",
               "Social care minutes per week", 0, MAX_MINUTES_PER_WEEK)

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        return (_minutes_cost(self.health_minutes_per_week, rate_pence_per_hour),
                _minutes_cost(self.social_care_minutes_per_week, rate_pence_per_hour))


@dataclass(frozen=True, kw_only=True)
class _ExtraCost(MethodInputs):
    """The extra weekly cost to share: ``minutes_per_week`` × rate, or ``weekly_pence`` as is.

    Give exactly one of the two.
    """

    minutes_per_week: int | None = None
    weekly_pence: int | None = None

    def __post_init__(self) -> None:
        if (self.minutes_per_week is None) == (self.weekly_pence is None):
            raise ValidationError("Give the extra cost either as minutes per week or as a "
                                  "weekly amount: one of the two.", field="minutes_per_week")
        if self.minutes_per_week is not None:
            _whole(self.minutes_per_week, "minutes_per_week", "Extra minutes per week",
                   1, MAX_MINUTES_PER_WEEK)
        else:
            _pence(self.weekly_pence, "weekly_pence", "The extra weekly cost",
                   1, MAX_WEEKLY_PENCE)

    def extra_cost(self, rate_pence_per_hour: int) -> Fraction:
        """The weekly extra cost in exact pence."""
        if self.minutes_per_week is not None:
            return _minutes_cost(self.minutes_per_week, rate_pence_per_hour)
        return Fraction(self.weekly_pence or 0)


@dataclass(frozen=True, kw_only=True)
class EqualSplit(_ExtraCost):
    """The extra cost shared 50/50 (the minutes' "apportioned in an equal way")."""

    method: ClassVar[ApportionmentMethod] = ApportionmentMethod.EQUAL_SPLIT

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        half = self.extra_cost(rate_pence_per_hour) / 2
        return half, half


@dataclass(frozen=True, kw_only=True)
class FixedPercentage(_ExtraCost):
    """The ICB pays the percentage the MDT agreed, in basis points (62.50 % is 6250).

    The council pays the rest of the extra cost.
    """

    method: ClassVar[ApportionmentMethod] = ApportionmentMethod.FIXED_PERCENTAGE
    icb_basis_points: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _whole(self.icb_basis_points, "icb_basis_points",
               "The ICB percentage in basis points (100 % is 10,000)", 0, WHOLE_BASIS_POINTS)

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        cost = self.extra_cost(rate_pence_per_hour)
        icb = cost * Fraction(self.icb_basis_points, WHOLE_BASIS_POINTS)
        return icb, cost - icb


@dataclass(frozen=True, kw_only=True)
class ExistingPackage(MethodInputs):
    """Delegated within the calls already commissioned: no extra cost, the ICB pays nothing.

    Health still trains and oversees. The council's weekly cost may be given for the total.
    """

    method: ClassVar[ApportionmentMethod] = ApportionmentMethod.EXISTING_PACKAGE
    existing_council_pence_per_week: int = 0

    def __post_init__(self) -> None:
        _existing_council(self.existing_council_pence_per_week)

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        return Fraction(0), Fraction(self.existing_council_pence_per_week)

    def extra_exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        return Fraction(0), Fraction(0)


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


def _methods() -> dict[str, type[MethodInputs]]:
    return {cls.method.value: cls for cls in (HealthOnlyCall, ExtraMinutes, SplitByMinutes,
                                              EqualSplit, FixedPercentage, ExistingPackage)}


# Each method's inputs class, by the method's stored value.
METHOD_INPUTS: dict[str, type[MethodInputs]] = _methods()


def apportion(basis: FundingBasis, inputs: MethodInputs) -> FundingResult:
    """Work out each funder's weekly pence for one method; the shares add up to the total."""
    if not isinstance(inputs, MethodInputs) or type(inputs) is MethodInputs:
        raise TypeError("inputs must be one method's inputs, such as SplitByMinutes")
    icb_exact, council_exact = inputs.exact_shares(basis.rate_pence_per_hour)
    icb, council = _split(icb_exact, council_exact, basis.lead_commissioner)
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


# ---------------------------------------------------------------- periods


def _weekly_amount(value: object) -> int:
    # No upper limit: this prices results (a total may exceed any one typed amount).
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("The weekly amount must be whole pence, not negative.",
                              field="weekly_pence")
    return value


def period_pence(weekly_pence: int, start: dt.date, end: dt.date) -> int:
    """The cost of ``weekly_pence`` from ``start`` up to, not including, ``end``.

    Daily pro-rata, weekly × days / 7, rounded half-up once. ``end`` is the first day not
    counted, so 1 April to the next 1 April is exactly one year and 364 days is 52 weeks.
    """
    weekly = _weekly_amount(weekly_pence)
    first = _date(start, "start", "the start of the period")
    after = _date(end, "end", "the end of the period")
    if after < first:
        raise ValidationError("The end of the period is before its start.", field="end")
    return _pro_rata(weekly, (after - first).days)


def annual_pence(weekly_pence: int, *, leap_year: bool = False) -> int:
    """A year of ``weekly_pence``: 365 days (366 if ``leap_year``), i.e. 52 weeks + 1 or 2 days.

    For a particular year (say a financial year) use ``period_pence``, which counts its days.
    """
    weekly = _weekly_amount(weekly_pence)
    return _pro_rata(weekly, 366 if leap_year else 365)


# ---------------------------------------------------------------- without-prejudice interim


@dataclass(frozen=True, kw_only=True)
class InterimArrangement:
    """What one funder pays "without prejudice" from ``from_date`` while funding is disputed.

    Health pays by default (Part A: care must not be disrupted). ``dispute_reference`` is the
    shared care discussion's or MLCSU's reference, at most 64 characters.
    """

    interim_funder: Funder = Funder.ICB
    from_date: dt.date
    dispute_reference: str
    weekly_pence: int

    def __post_init__(self) -> None:
        funder = _funder(self.interim_funder, "interim_funder",
                         "Choose who pays while the funding is disputed.")
        object.__setattr__(self, "interim_funder", funder)
        _date(self.from_date, "from_date", "the date the interim funding started")
        reference = self.dispute_reference
        if not isinstance(reference, str) or not reference.strip() or len(reference) > 64:
            raise ValidationError("Enter the dispute reference (up to 64 characters).",
                                  field="dispute_reference")
        _pence(self.weekly_pence, "weekly_pence", "The interim weekly amount",
               0, 2 * MAX_WEEKLY_PENCE)


@dataclass(frozen=True)
class ReconciliationLine:
    """One funder's interim account: paid, fair share of it under the decision, and balance.

    ``balance_pence`` is paid minus fair share: above zero the funder is owed that much back,
    below zero it owes that much.
    """

    funder: Funder
    paid_pence: int
    fair_share_pence: int
    balance_pence: int

    @property
    def owes_pence(self) -> int:
        """What this funder must pay the other (0 if none)."""
        return max(0, -self.balance_pence)

    @property
    def is_owed_pence(self) -> int:
        """What this funder must be paid back (0 if none)."""
        return max(0, self.balance_pence)


@dataclass(frozen=True)
class Reconciliation:
    """The interim settled back to its start: one line for the ICB, one for the council.

    ``days`` counts ``from_date`` up to, not including, ``decided_on`` (from then on the
    decided split is paid directly). The balances add up to zero.
    """

    dispute_reference: str
    from_date: dt.date
    decided_on: dt.date
    days: int
    interim_total_pence: int
    lines: tuple[ReconciliationLine, ...]

    def line(self, funder: Funder) -> ReconciliationLine:
        """This funder's line; KeyError for a funder not party to the plan."""
        for line in self.lines:
            if line.funder == funder:
                return line
        raise KeyError(f"{funder} has no line in this reconciliation")


def _fair_shares(paid: int, decided: FundingResult) -> tuple[int, int]:
    """(ICB, council) parts of what was paid, in the decided weekly shares' proportions.

    A decided split with no weekly cost (an existing package) gives the ICB nothing, so the
    whole interim cost falls to the council.
    """
    total = decided.total_pence_per_week
    icb = Fraction(0) if total == 0 else Fraction(
        paid * decided.share(Funder.ICB).pence_per_week, total)
    return _split(icb, paid - icb, decided.lead_commissioner)


def reconcile(interim: InterimArrangement, decided: FundingResult,
              decided_on: dt.date) -> Reconciliation:
    """Settle a without-prejudice interim against the split decided on ``decided_on``.

    What the interim funder actually paid is shared in the decided proportions (rather than
    re-priced at the decided weekly amounts), so the balances always add up to zero.
    """
    decided_day = _date(decided_on, "decided_on", "the date funding was decided")
    if decided_day < interim.from_date:
        raise ValidationError("The funding decision date is before the interim funding "
                              "started.", field="decided_on")
    if interim.interim_funder not in (Funder.ICB, decided.council):
        raise ValidationError(f"The interim funder must be the ICB or "
                              f"{FUNDER_NAMES[decided.council]}.", field="interim_funder")
    paid = period_pence(interim.weekly_pence, interim.from_date, decided_day)
    lines = []
    for funder, fair in zip((Funder.ICB, decided.council), _fair_shares(paid, decided),
                            strict=True):
        paid_here = paid if funder is interim.interim_funder else 0
        lines.append(ReconciliationLine(funder, paid_here, fair, paid_here - fair))
    return Reconciliation(interim.dispute_reference, interim.from_date, decided_day,
                          (decided_day - interim.from_date).days, paid, tuple(lines))


# ---------------------------------------------------------------- typing and showing money

_POUNDS = re.compile(r"£?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?")
_PERCENT = re.compile(r"(\d{1,3})(?:\.(\d{1,2}))?\s*%?")


def parse_pounds(text: str, field_name: str) -> int:
    """Whole pence from what a person typed ("£1,234.5" → 123450), never through a float."""
    match = _POUNDS.fullmatch((text or "").strip().replace(" ", ""))
    if not match:
        raise ValidationError("Enter an amount in pounds, such as 25.50.", field=field_name)
    pounds, pence = match.group(1).replace(",", ""), (match.group(2) or "0").ljust(2, "0")
    return int(pounds) * 100 + int(pence)


def parse_percent(text: str, field_name: str) -> int:
    """Basis points from a typed percentage with up to two decimals ("62.5" → 6250)."""
    match = _PERCENT.fullmatch((text or "").strip())
    basis_points = -1
    if match:
        basis_points = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if not 0 <= basis_points <= WHOLE_BASIS_POINTS:
        raise ValidationError("Enter a percentage from 0 to 100, with up to two decimal "
                              "places.", field=field_name)
    return basis_points


def format_pounds(pence: int) -> str:
    """``123456`` → ``"£1,234.56"``. Amounts here are never negative; a negative is a bug."""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError("money is whole pence (int)")
    if pence < 0:
        raise ValueError("format_pounds does not show negative amounts")
    return f"£{pence // 100:,}.{pence % 100:02d}"

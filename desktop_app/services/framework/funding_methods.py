"""The apportionment methods' inputs: one frozen dataclass per ``ApportionmentMethod``.

LLR's local rules are not published, so each method has its own explicit inputs, and each
says exactly how the weekly cost divides between the ICB and the council (the committee
minutes give the examples: a third call a day invoiced to the NHS; an equal split).
``METHOD_INPUTS`` finds a method's inputs class by the method's stored value;
``funding.apportion`` turns one of them into a result.

Pure computation: no Qt, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar

from desktop_app.models.plan import ApportionmentMethod
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding_checks import (
    MAX_CALLS_PER_WEEK,
    MAX_MINUTES_PER_CALL,
    MAX_MINUTES_PER_WEEK,
    MAX_WEEKLY_PENCE,
    check_pence,
    check_whole,
)
from desktop_app.services.framework.funding_money import WHOLE_BASIS_POINTS, minutes_cost


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
    return check_pence(value, "existing_council_pence_per_week",
                       "The weekly cost of the council's existing calls",
                       0, MAX_WEEKLY_PENCE)


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
        check_whole(self.minutes_per_call, "minutes_per_call", "Minutes per call",
                    1, MAX_MINUTES_PER_CALL)
        check_whole(self.calls_per_week, "calls_per_week", "Calls per week",
                    1, MAX_CALLS_PER_WEEK)
        _existing_council(self.existing_council_pence_per_week)

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        minutes = self.minutes_per_call * self.calls_per_week
        return (minutes_cost(minutes, rate_pence_per_hour),
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
        check_whole(self.extra_minutes_per_call, "extra_minutes_per_call",
                    "Extra minutes per call", 1, MAX_MINUTES_PER_CALL)
        check_whole(self.calls_per_week, "calls_per_week", "Calls per week",
                    1, MAX_CALLS_PER_WEEK)
        _existing_council(self.existing_council_pence_per_week)

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        minutes = self.extra_minutes_per_call * self.calls_per_week
        return (minutes_cost(minutes, rate_pence_per_hour),
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
        check_whole(self.health_minutes_per_week, "health_minutes_per_week",
                    "Health task minutes per week", 1, MAX_MINUTES_PER_WEEK)
        check_whole(self.social_care_minutes_per_week, "social_care_minutes_per_week",
                    "Social care minutes per week", 0, MAX_MINUTES_PER_WEEK)

    def exact_shares(self, rate_pence_per_hour: int) -> tuple[Fraction, Fraction]:
        return (minutes_cost(self.health_minutes_per_week, rate_pence_per_hour),
                minutes_cost(self.social_care_minutes_per_week, rate_pence_per_hour))


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
            check_whole(self.minutes_per_week, "minutes_per_week", "Extra minutes per week",
                        1, MAX_MINUTES_PER_WEEK)
        else:
            check_pence(self.weekly_pence, "weekly_pence", "The extra weekly cost",
                        1, MAX_WEEKLY_PENCE)

    def extra_cost(self, rate_pence_per_hour: int) -> Fraction:
        """The weekly extra cost in exact pence."""
        if self.minutes_per_week is not None:
            return minutes_cost(self.minutes_per_week, rate_pence_per_hour)
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
        check_whole(self.icb_basis_points, "icb_basis_points",
                    "The ICB percentage in basis points (100 % is 10,000)",
                    0, WHOLE_BASIS_POINTS)

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


def _methods() -> dict[str, type[MethodInputs]]:
    return {cls.method.value: cls for cls in (HealthOnlyCall, ExtraMinutes, SplitByMinutes,
                                              EqualSplit, FixedPercentage, ExistingPackage)}


# Each method's inputs class, by the method's stored value.
METHOD_INPUTS: dict[str, type[MethodInputs]] = _methods()

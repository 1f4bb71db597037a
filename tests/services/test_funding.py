"""Apportioning the extra cost between the ICB and a council (``services.funding``, §5).

Worked examples are done by hand in the comments, in pence (a rate of 2400 p/h is 40 p a
minute); the code is never used to produce its own expected values. Property tests check
that shares are never negative, add up exactly to the rounded total, and that the lead
commissioner pays the odd penny.

How these tests were seen to fail (each mutation applied to funding.py, the tests run,
the file restored from a copy):

* ``round()`` (half-even) instead of half-up: the 13,282.5 example and the rounding
  property fail.
* the lead keeping only its own rounding (no leftover penny): the leftover-penny tests fail;
  the lead absorbing the difference both ways: the odd-penny 50/50 tests fail.
* a daily rate rounded before multiplying: the year, leap-year and drift tests fail.
* the ICB share marked chargeable (and its guard removed): the free-to-person tests fail.
* (ICB, council) swapped when the council leads: the penny tests and monotonic properties.
* the percentage applied to the council's share: the fixed-percentage examples fail.
* reconciliation re-priced at the decided weekly amounts: the sum-to-zero property fails.
* the calls-per-week limit lifted, or the lead-commissioner check removed: their
  bad-input cases fail.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.models.plan import ApportionmentMethod, Funder
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding import (
    COUNCILS,
    FunderShare,
    FundingBasis,
    FundingResult,
    apportion,
)
from desktop_app.services.framework.funding_checks import (
    MAX_CALLS_PER_WEEK,
    MAX_MINUTES_PER_CALL,
    MAX_MINUTES_PER_WEEK,
    MAX_RATE_PENCE_PER_HOUR,
    MAX_WEEKLY_PENCE,
)
from desktop_app.services.framework.funding_interim import (
    InterimArrangement,
    annual_pence,
    period_pence,
    reconcile,
)
from desktop_app.services.framework.funding_methods import (
    EqualSplit,
    ExistingPackage,
    ExtraMinutes,
    FixedPercentage,
    HealthOnlyCall,
    MethodInputs,
    SplitByMinutes,
)
from desktop_app.services.framework.funding_money import (
    format_pounds,
    parse_percent,
    parse_pounds,
)

COUNTY = Funder.LEICESTERSHIRE_COUNTY
START = dt.date(2026, 3, 2)


def basis(**overrides: Any) -> FundingBasis:
    """Leicestershire, £24.00 an hour (40 p a minute), the ICB leading, unless overridden."""
    values: dict[str, Any] = {"council": COUNTY, "rate_pence_per_hour": 2400,
                              "lead_commissioner": Funder.ICB, "start_date": START}
    return FundingBasis(**(values | overrides))


def pence(result: FundingResult) -> tuple[int, int]:
    """(ICB, council) weekly pence."""
    return (result.share(Funder.ICB).pence_per_week,
            result.share(result.council).pence_per_week)


def half_up(value: Fraction) -> int:
    """The test's own half-up rounding, for non-negative values."""
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


# ---------------------------------------------------------------- each method, by hand


def test_health_only_call_is_the_minutes_third_call_invoiced_to_the_icb() -> None:
    # Two 30-minute social care calls a day stay the council's: 2 × 30 × 7 × 40 = 16,800.
    # The third call: 30 min × 7 calls × 40 p = 8,400 p (£84.00), all to the ICB.
    result = apportion(basis(), HealthOnlyCall(minutes_per_call=30, calls_per_week=7,
                                               existing_council_pence_per_week=16_800))
    assert result.method is ApportionmentMethod.HEALTH_ONLY_CALL
    assert pence(result) == (8_400, 16_800)
    assert result.total_pence_per_week == 25_200


def test_health_only_call_rounds_half_a_penny_up() -> None:
    # 45 min × 7 = 315 min at 2530 p/h: 315 × 2530 / 60 = 796,950 / 60 = 13,282.5 → 13,283.
    # (Round-half-even would give 13,282.)
    result = apportion(basis(rate_pence_per_hour=2530),
                       HealthOnlyCall(minutes_per_call=45, calls_per_week=7))
    assert pence(result) == (13_283, 0)


def test_extra_minutes_on_existing_calls_go_to_the_icb() -> None:
    # 15 extra min × 14 calls = 210 min at 2310 p/h: 210 × 2310 / 60 = 8,085 p.
    result = apportion(basis(rate_pence_per_hour=2310),
                       ExtraMinutes(extra_minutes_per_call=15, calls_per_week=14))
    assert pence(result) == (8_085, 0)
    assert result.method is ApportionmentMethod.EXTRA_MINUTES


def test_split_by_minutes_prices_each_part_at_the_rate() -> None:
    # Health 105 min × 40 p = 4,200; social care 420 min × 40 p = 16,800; total 21,000.
    result = apportion(basis(), SplitByMinutes(health_minutes_per_week=105,
                                               social_care_minutes_per_week=420))
    assert pence(result) == (4_200, 16_800)
    assert result.total_pence_per_week == 21_000


@pytest.mark.parametrize(("lead", "expected"), [(Funder.ICB, (1_780, 4_321)),
                                                 (COUNTY, (1_779, 4_322))])
@pytest.mark.hazard("H-011")
def test_a_leftover_penny_goes_to_the_lead_commissioner(
        lead: Funder, expected: tuple[int, int]) -> None:
    # At 2542 p/h: health 42 × 2542 / 60 = 1,779.4; social care 102 × 2542 / 60 = 4,321.4.
    # Total 6,100.8 → 6,101, but the shares round to 1,779 + 4,321 = 6,100: a penny is left
    # over, and the lead commissioner pays it.
    result = apportion(basis(rate_pence_per_hour=2542, lead_commissioner=lead),
                       SplitByMinutes(health_minutes_per_week=42,
                                      social_care_minutes_per_week=102))
    assert pence(result) == expected
    assert result.total_pence_per_week == 6_101


def test_equal_split_of_minutes() -> None:
    # 210 min × 40 p = 8,400; half each = 4,200.
    result = apportion(basis(), EqualSplit(minutes_per_week=210))
    assert pence(result) == (4_200, 4_200)
    assert result.method is ApportionmentMethod.EQUAL_SPLIT


@pytest.mark.parametrize(("lead", "expected"), [(Funder.ICB, (501, 500)),
                                                 (COUNTY, (500, 501))])
def test_equal_split_of_an_odd_amount_puts_the_odd_penny_on_the_lead(
        lead: Funder, expected: tuple[int, int]) -> None:
    # £10.01 / 2 = 500.5 each; both round up to 501, one penny too many: the other funder's
    # share drops to 500, so the lead pays the odd penny.
    result = apportion(basis(lead_commissioner=lead), EqualSplit(weekly_pence=1_001))
    assert pence(result) == expected


def test_fixed_percentage_of_a_weekly_amount() -> None:
    # 62.50 % of £100.00 = 6,250; the council pays the other 3,750.
    result = apportion(basis(), FixedPercentage(weekly_pence=10_000, icb_basis_points=6_250))
    assert pence(result) == (6_250, 3_750)
    assert result.method is ApportionmentMethod.FIXED_PERCENTAGE


def test_fixed_percentage_of_minutes_with_two_decimal_places() -> None:
    # 210 min at 2550 p/h = 8,925. ICB 33.33 %: 8,925 × 0.3333 = 2,974.7025 → 2,975;
    # council 5,950.2975 → 5,950; 2,975 + 5,950 = 8,925, nothing left over.
    result = apportion(basis(rate_pence_per_hour=2550),
                       FixedPercentage(minutes_per_week=210, icb_basis_points=3_333))
    assert pence(result) == (2_975, 5_950)


def test_existing_package_costs_the_icb_nothing() -> None:
    result = apportion(basis(), ExistingPackage(existing_council_pence_per_week=16_800))
    assert pence(result) == (0, 16_800)
    assert result.share(Funder.ICB).free_to_person
    assert pence(apportion(basis(), ExistingPackage())) == (0, 0)


# ---------------------------------------------------------------- the result


ONE_OF_EACH: list[MethodInputs] = [
    HealthOnlyCall(minutes_per_call=30, calls_per_week=7, existing_council_pence_per_week=99),
    ExtraMinutes(extra_minutes_per_call=10, calls_per_week=21),
    SplitByMinutes(health_minutes_per_week=70, social_care_minutes_per_week=140),
    EqualSplit(weekly_pence=5_000),
    FixedPercentage(minutes_per_week=60, icb_basis_points=2_500),
    ExistingPackage(existing_council_pence_per_week=1_234),
]


@pytest.mark.hazard("H-011")
@pytest.mark.parametrize("inputs", ONE_OF_EACH, ids=lambda i: i.method.value)
@pytest.mark.parametrize("council", COUNCILS)
def test_icb_share_is_free_to_the_person_and_the_councils_is_not(
        inputs: MethodInputs, council: Funder) -> None:
    result = apportion(basis(council=council), inputs)
    assert [s.funder for s in result.shares] == [Funder.ICB, council]
    assert [s.free_to_person for s in result.shares] == [True, False]
    assert sum(s.pence_per_week for s in result.shares) == result.total_pence_per_week


@pytest.mark.hazard("H-011")
def test_a_share_charging_the_person_for_the_nhs_part_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="never charged"):
        FunderShare(Funder.ICB, 100, free_to_person=False)


def test_inputs_are_echoed_json_safe_for_the_funding_split_row() -> None:
    result = apportion(basis(lead_commissioner=COUNTY), ONE_OF_EACH[2])
    stored = json.loads(json.dumps(result.json_inputs()))
    assert stored == {"rules_version": 1, "method": "split_by_minutes",
                      "council": "leicestershire_county", "rate_pence_per_hour": 2400,
                      "lead_commissioner": "leicestershire_county",
                      "start_date": "2026-03-02", "health_minutes_per_week": 70,
                      "social_care_minutes_per_week": 140}
    assert result.start_date == START and result.lead_commissioner is COUNTY
    with pytest.raises(TypeError):
        result.inputs["method"] = "equal_split"  # type: ignore[index]


def test_a_string_council_is_stored_as_the_enum() -> None:
    result = apportion(basis(council="rutland_county", lead_commissioner="icb"),
                       ONE_OF_EACH[3])
    assert result.council is Funder.RUTLAND_COUNTY and result.lead_commissioner is Funder.ICB


@pytest.mark.hazard("H-011")
def test_asking_for_another_councils_share_is_an_error() -> None:
    result = apportion(basis(), ONE_OF_EACH[0])
    with pytest.raises(KeyError):
        result.share(Funder.RUTLAND_COUNTY)


# ---------------------------------------------------------------- properties


@st.composite
def bases(draw: st.DrawFn) -> FundingBasis:
    council = draw(st.sampled_from(COUNCILS))
    return FundingBasis(council=council,
                        lead_commissioner=draw(st.sampled_from([Funder.ICB, council])),
                        rate_pence_per_hour=draw(st.integers(1, MAX_RATE_PENCE_PER_HOUR)),
                        start_date=START)


MINUTES = st.integers(1, MAX_MINUTES_PER_CALL)
CALLS = st.integers(1, MAX_CALLS_PER_WEEK)
WEEK_MINUTES = st.integers(1, MAX_MINUTES_PER_WEEK)
WEEKLY = st.integers(1, MAX_WEEKLY_PENCE)
EXISTING = st.integers(0, MAX_WEEKLY_PENCE)
BASIS_POINTS = st.integers(0, 10_000)
METHODS = st.one_of(
    st.builds(HealthOnlyCall, minutes_per_call=MINUTES, calls_per_week=CALLS,
              existing_council_pence_per_week=EXISTING),
    st.builds(ExtraMinutes, extra_minutes_per_call=MINUTES, calls_per_week=CALLS,
              existing_council_pence_per_week=EXISTING),
    st.builds(SplitByMinutes, health_minutes_per_week=WEEK_MINUTES,
              social_care_minutes_per_week=st.integers(0, MAX_MINUTES_PER_WEEK)),
    st.builds(EqualSplit, minutes_per_week=WEEK_MINUTES),
    st.builds(EqualSplit, weekly_pence=WEEKLY),
    st.builds(FixedPercentage, minutes_per_week=WEEK_MINUTES, icb_basis_points=BASIS_POINTS),
    st.builds(FixedPercentage, weekly_pence=WEEKLY, icb_basis_points=BASIS_POINTS),
    st.builds(ExistingPackage, existing_council_pence_per_week=EXISTING),
)


@pytest.mark.hazard("H-011")
@given(bases(), METHODS)
def test_shares_are_whole_non_negative_and_add_up_to_the_rounded_total(
        funding: FundingBasis, inputs: MethodInputs) -> None:
    result = apportion(funding, inputs)
    icb_exact, council_exact = inputs.exact_shares(funding.rate_pence_per_hour)
    icb, council = pence(result)
    assert all(type(p) is int and p >= 0 for p in (icb, council))
    assert icb + council == result.total_pence_per_week == half_up(icb_exact + council_exact)
    lead_is_icb = funding.lead_commissioner is Funder.ICB
    lead, lead_exact = (icb, icb_exact) if lead_is_icb else (council, council_exact)
    other, other_exact = (council, council_exact) if lead_is_icb else (icb, icb_exact)
    # The lead pays the odd penny: never below its own rounding, the other never above.
    assert half_up(lead_exact) <= lead <= half_up(lead_exact) + 1
    assert half_up(other_exact) - 1 <= other <= half_up(other_exact)


@given(bases(), st.integers(0, MAX_MINUTES_PER_WEEK), WEEK_MINUTES, WEEK_MINUTES)
def test_icb_share_grows_with_the_health_minutes(
        funding: FundingBasis, social: int, first: int, second: int) -> None:
    low, high = sorted((first, second))
    icb = [apportion(funding, SplitByMinutes(health_minutes_per_week=m,
                                             social_care_minutes_per_week=social))
           .share(Funder.ICB).pence_per_week for m in (low, high)]
    assert icb[0] <= icb[1]


@given(bases(), st.integers(1, 8), CALLS, st.integers(1, MAX_MINUTES_PER_CALL - 8))
def test_icb_share_grows_with_the_minutes_per_call(
        funding: FundingBasis, more: int, calls: int, minutes: int) -> None:
    icb = [apportion(funding, HealthOnlyCall(minutes_per_call=m, calls_per_week=calls))
           .share(Funder.ICB).pence_per_week for m in (minutes, minutes + more)]
    assert icb[0] < icb[1] or funding.rate_pence_per_hour * more * calls < 60


@given(bases(), WEEKLY, BASIS_POINTS, BASIS_POINTS)
def test_icb_share_grows_with_the_percentage(
        funding: FundingBasis, weekly: int, first: int, second: int) -> None:
    low, high = sorted((first, second))
    results = [apportion(funding, FixedPercentage(weekly_pence=weekly, icb_basis_points=bp))
               for bp in (low, high)]
    assert pence(results[0])[0] <= pence(results[1])[0]
    assert pence(results[0])[1] >= pence(results[1])[1]


# ---------------------------------------------------------------- periods


def test_a_year_is_rounded_once_not_day_by_day() -> None:
    # £10.00 a week for 365 days: 1000 × 365 / 7 = 52,142.857 → 52,143 (£521.43).
    # Rounding a daily rate first would give 143 × 365 = 52,195: 52 p of drift.
    assert annual_pence(1_000) == 52_143
    # 366 days: 1000 × 366 / 7 = 52,285.714 → 52,286.
    assert annual_pence(1_000, leap_year=True) == 52_286
    assert format_pounds(annual_pence(1_000)) == "£521.43"


def test_a_financial_year_with_a_leap_day_is_366_days() -> None:
    # 1 April 2023 to 1 April 2024 contains 29 February 2024.
    assert period_pence(1_000, dt.date(2023, 4, 1), dt.date(2024, 4, 1)) == 52_286
    assert period_pence(1_000, dt.date(2024, 4, 1), dt.date(2025, 4, 1)) == 52_143
    assert period_pence(1_000, dt.date(2024, 4, 1), dt.date(2024, 4, 1)) == 0


@given(st.integers(0, 2 * MAX_WEEKLY_PENCE), st.dates(dt.date(2020, 1, 1), dt.date(2040, 1, 1)),
       st.integers(0, 60))
def test_whole_weeks_are_exact_and_a_year_has_no_drift(
        weekly: int, start: dt.date, weeks: int) -> None:
    week = dt.timedelta(weeks=1)
    assert period_pence(weekly, start, start + weeks * week) == weeks * weekly
    for extra_days, leap in ((1, False), (2, True)):
        year_end = start + 52 * week + dt.timedelta(days=extra_days)
        # 52 weekly payments plus the odd day(s) priced alone equal the whole year.
        tail = period_pence(weekly, start + 52 * week, year_end)
        assert 52 * weekly + tail == period_pence(weekly, start, year_end)
        assert annual_pence(weekly, leap_year=leap) == 52 * weekly + tail


# ---------------------------------------------------------------- without prejudice


def interim(**overrides: Any) -> InterimArrangement:
    values: dict[str, Any] = {"from_date": dt.date(2024, 1, 1),
                              "dispute_reference": "SCD-2024-017", "weekly_pence": 35_000}
    return InterimArrangement(**(values | overrides))


@pytest.mark.hazard("H-012")
def test_reconciling_45_days_of_icb_interim_against_a_60_40_split() -> None:
    # The ICB paid £350.00 a week from 1 January 2024; decided 15 February: 31 + 14 = 45
    # days. Paid 35,000 × 45 / 7 = 225,000 (£2,250.00). Decided: ICB 60 % (21,000 a week),
    # council 40 % (14,000). Fair shares: 135,000 and 90,000, so the council owes £900.00.
    decided = apportion(basis(), FixedPercentage(weekly_pence=35_000, icb_basis_points=6_000))
    account = reconcile(interim(), decided, dt.date(2024, 2, 15))
    assert account.days == 45 and account.interim_total_pence == 225_000
    assert account.dispute_reference == "SCD-2024-017"
    icb, council = account.line(Funder.ICB), account.line(COUNTY)
    assert (icb.paid_pence, icb.fair_share_pence, icb.balance_pence) == (225_000, 135_000,
                                                                         90_000)
    assert (council.paid_pence, council.fair_share_pence, council.owes_pence) == (0, 90_000,
                                                                                  90_000)
    assert icb.is_owed_pence == 90_000 and icb.owes_pence == 0


def test_reconciling_with_rounding_sums_to_zero() -> None:
    # £333.33 a week for 10 days: 33,333 × 10 / 7 = 47,618.57 → 47,619. Decided 50/50,
    # weekly 16,667 (ICB, lead) and 16,666. Council's part: 47,619 × 16,666 / 33,333
    # = 23,808.79 → 23,809; the ICB, leading, has the rest: 23,810.
    decided = apportion(basis(), EqualSplit(weekly_pence=33_333))
    account = reconcile(interim(weekly_pence=33_333), decided, dt.date(2024, 1, 11))
    assert [line.fair_share_pence for line in account.lines] == [23_810, 23_809]
    assert [line.balance_pence for line in account.lines] == [23_809, -23_809]


def test_an_existing_package_decision_puts_the_whole_interim_on_the_council() -> None:
    decided = apportion(basis(), ExistingPackage())
    account = reconcile(interim(weekly_pence=7_000), decided, dt.date(2024, 1, 8))
    assert account.line(COUNTY).owes_pence == 7_000
    assert account.line(Funder.ICB).is_owed_pence == 7_000


def test_a_decision_on_the_first_day_leaves_nothing_to_settle() -> None:
    decided = apportion(basis(), EqualSplit(weekly_pence=35_000))
    account = reconcile(interim(), decided, dt.date(2024, 1, 1))
    assert account.days == 0
    assert all(line.balance_pence == 0 for line in account.lines)


@given(bases(), METHODS, st.sampled_from([True, False]), st.integers(0, MAX_WEEKLY_PENCE),
       st.integers(0, 800))
@pytest.mark.hazard("H-012")
def test_reconciliation_always_sums_to_zero(funding: FundingBasis, inputs: MethodInputs,
                                            icb_paid: bool, weekly: int, days: int) -> None:
    decided = apportion(funding, inputs)
    payer = Funder.ICB if icb_paid else funding.council
    arrangement = interim(interim_funder=payer, weekly_pence=weekly)
    account = reconcile(arrangement, decided, dt.date(2024, 1, 1) + dt.timedelta(days=days))
    assert sum(line.balance_pence for line in account.lines) == 0
    assert sum(line.fair_share_pence for line in account.lines) == account.interim_total_pence
    assert account.line(payer).paid_pence == account.interim_total_pence
    assert all(line.fair_share_pence >= 0 for line in account.lines)


# ---------------------------------------------------------------- refusing bad input


def _interim_split() -> FundingResult:
    return apportion(basis(), EqualSplit(weekly_pence=100))


BAD_INPUT: list[tuple[str, Callable[[], object], str]] = [
    ("unknown council", lambda: basis(council="leicester"), "council"),
    ("the ICB as council", lambda: basis(council=Funder.ICB), "council"),
    ("another council leads", lambda: basis(lead_commissioner=Funder.RUTLAND_COUNTY),
     "lead_commissioner"),
    ("lead not a funder", lambda: basis(lead_commissioner="nhs"), "lead_commissioner"),
    ("rate zero", lambda: basis(rate_pence_per_hour=0), "rate_pence_per_hour"),
    ("rate over £200", lambda: basis(rate_pence_per_hour=20_001), "rate_pence_per_hour"),
    ("rate as float", lambda: basis(rate_pence_per_hour=2550.0), "rate_pence_per_hour"),
    ("rate as bool", lambda: basis(rate_pence_per_hour=True), "rate_pence_per_hour"),
    ("start not a date", lambda: basis(start_date="2026-03-02"), "start_date"),
    ("start a datetime", lambda: basis(start_date=dt.datetime(2026, 3, 2)), "start_date"),
    ("601 minutes a call", lambda: HealthOnlyCall(minutes_per_call=601, calls_per_week=7),
     "minutes_per_call"),
    ("zero minutes a call", lambda: HealthOnlyCall(minutes_per_call=0, calls_per_week=7),
     "minutes_per_call"),
    ("57 calls a week", lambda: HealthOnlyCall(minutes_per_call=30, calls_per_week=57),
     "calls_per_week"),
    ("negative existing", lambda: HealthOnlyCall(
        minutes_per_call=30, calls_per_week=7, existing_council_pence_per_week=-1),
     "existing_council_pence_per_week"),
    ("601 extra minutes", lambda: ExtraMinutes(extra_minutes_per_call=601, calls_per_week=7),
     "extra_minutes_per_call"),
    ("extra calls negative", lambda: ExtraMinutes(extra_minutes_per_call=5, calls_per_week=-7),
     "calls_per_week"),
    ("no health minutes", lambda: SplitByMinutes(health_minutes_per_week=0,
                                                 social_care_minutes_per_week=60),
     "health_minutes_per_week"),
    ("negative social minutes", lambda: SplitByMinutes(health_minutes_per_week=60,
                                                       social_care_minutes_per_week=-1),
     "social_care_minutes_per_week"),
    ("neither cost", lambda: EqualSplit(), "minutes_per_week"),
    ("both costs", lambda: EqualSplit(minutes_per_week=60, weekly_pence=100),
     "minutes_per_week"),
    ("too many minutes", lambda: EqualSplit(minutes_per_week=MAX_MINUTES_PER_WEEK + 1),
     "minutes_per_week"),
    ("negative amount", lambda: EqualSplit(weekly_pence=-100), "weekly_pence"),
    ("amount too big", lambda: EqualSplit(weekly_pence=MAX_WEEKLY_PENCE + 1), "weekly_pence"),
    ("over 100 %", lambda: FixedPercentage(weekly_pence=100, icb_basis_points=10_001),
     "icb_basis_points"),
    ("negative %", lambda: FixedPercentage(weekly_pence=100, icb_basis_points=-1),
     "icb_basis_points"),
    ("existing negative", lambda: ExistingPackage(existing_council_pence_per_week=-5),
     "existing_council_pence_per_week"),
    ("no dispute reference", lambda: interim(dispute_reference="  "), "dispute_reference"),
    ("long dispute reference", lambda: interim(dispute_reference="x" * 65),
     "dispute_reference"),
    ("interim funder unknown", lambda: interim(interim_funder="nhs"), "interim_funder"),
    ("interim from not a date", lambda: interim(from_date=None), "from_date"),
    ("interim negative", lambda: interim(weekly_pence=-1), "weekly_pence"),
    ("decided before interim", lambda: reconcile(interim(), _interim_split(),
                                                 dt.date(2023, 12, 31)), "decided_on"),
    ("interim paid by another council", lambda: reconcile(
        interim(interim_funder=Funder.RUTLAND_COUNTY), _interim_split(), dt.date(2024, 2, 1)),
     "interim_funder"),
    ("period ends before start", lambda: period_pence(100, dt.date(2024, 2, 1),
                                                      dt.date(2024, 1, 31)), "end"),
    ("period start missing", lambda: period_pence(100, None, START), "start"),  # type: ignore
    ("negative weekly", lambda: period_pence(-1, START, START), "weekly_pence"),
    ("annual float", lambda: annual_pence(10.5), "weekly_pence"),  # type: ignore[arg-type]
    ("typed pounds", lambda: parse_pounds("25.505", "rate"), "rate"),
    ("typed percent", lambda: parse_percent("100.01", "icb_percent"), "icb_percent"),
]


@pytest.mark.parametrize(("make", "field"), [case[1:] for case in BAD_INPUT],
                         ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_refused_naming_the_field(make: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    assert caught.value.field == field
    # Plain English for a team lead: no code names in the message.
    assert caught.value.message and "_" not in caught.value.message


def test_the_limits_themselves_are_allowed() -> None:
    top = basis(rate_pence_per_hour=MAX_RATE_PENCE_PER_HOUR)
    call = HealthOnlyCall(minutes_per_call=MAX_MINUTES_PER_CALL,
                          calls_per_week=MAX_CALLS_PER_WEEK)
    # 600 × 56 = 33,600 min × 20,000 / 60 = 11,200,000 (£112,000.00), the largest week.
    assert apportion(top, call).total_pence_per_week == MAX_WEEKLY_PENCE == 11_200_000
    assert pence(apportion(basis(), FixedPercentage(weekly_pence=1, icb_basis_points=10_000)))\
        == (1, 0)


def test_apportion_refuses_the_bare_base_class() -> None:
    with pytest.raises(TypeError):
        apportion(basis(), MethodInputs())


# ---------------------------------------------------------------- showing and typing money


@pytest.mark.parametrize(("amount", "shown"), [
    (0, "£0.00"), (5, "£0.05"), (100, "£1.00"), (123_456, "£1,234.56"),
    (100_000_000, "£1,000,000.00")])
def test_format_pounds(amount: int, shown: str) -> None:
    assert format_pounds(amount) == shown
    assert FundingResult.formatted(amount) == shown


def test_format_pounds_refuses_negative_and_float() -> None:
    with pytest.raises(ValueError):
        format_pounds(-1)
    with pytest.raises(TypeError):
        format_pounds(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("typed", "expected"), [
    ("25.50", 2_550), ("£25.5", 2_550), ("25", 2_500), (" £1,234.56 ", 123_456),
    ("0.07", 7), ("19.99", 1_999)])
@pytest.mark.hazard("H-011")
def test_parse_pounds_never_goes_through_a_float(typed: str, expected: int) -> None:
    # 19.99 * 100 as a float is 1998.9999999999998: int() of it would lose a penny.
    assert parse_pounds(typed, "rate") == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("62.5", 6_250), ("33.33 %", 3_333), ("100", 10_000), ("0", 0), ("7.05%", 705)])
def test_parse_percent_gives_basis_points(typed: str, expected: int) -> None:
    assert parse_percent(typed, "icb_percent") == expected

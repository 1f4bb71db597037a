"""Costs over a period, and the without-prejudice interim settled back to its start.

While funding is disputed, Health commissions the extra care "without prejudice until a
funding decision is made" (Part A, Escalation): an ``InterimArrangement``. Once the split
is decided, ``reconcile`` shares what the interim funder paid in the decided proportions,
counting the days with ``period_pence`` (daily pro-rata, rounded once).

Pure computation: no Qt, no database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from desktop_app.models.plan import Funder
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding import FUNDER_NAMES, FundingResult
from desktop_app.services.framework.funding_checks import (
    MAX_WEEKLY_PENCE,
    check_date,
    check_funder,
    check_pence,
)
from desktop_app.services.framework.funding_money import pro_rata, split_pence

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
    first = check_date(start, "start", "the start of the period")
    after = check_date(end, "end", "the end of the period")
    if after < first:
        raise ValidationError("The end of the period is before its start.", field="end")
    return pro_rata(weekly, (after - first).days)


def annual_pence(weekly_pence: int, *, leap_year: bool = False) -> int:
    """A year of ``weekly_pence``: 365 days (366 if ``leap_year``), i.e. 52 weeks + 1 or 2 days.

    For a particular year (say a financial year) use ``period_pence``, which counts its days.
    """
    weekly = _weekly_amount(weekly_pence)
    return pro_rata(weekly, 366 if leap_year else 365)


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
        funder = check_funder(self.interim_funder, "interim_funder",
                              "Choose who pays while the funding is disputed.")
        object.__setattr__(self, "interim_funder", funder)
        check_date(self.from_date, "from_date", "the date the interim funding started")
        reference = self.dispute_reference
        if not isinstance(reference, str) or not reference.strip() or len(reference) > 64:
            raise ValidationError("Enter the dispute reference (up to 64 characters).",
                                  field="dispute_reference")
        check_pence(self.weekly_pence, "weekly_pence", "The interim weekly amount",
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
    return split_pence(icb, paid - icb, decided.lead_commissioner)


def reconcile(interim: InterimArrangement, decided: FundingResult,
              decided_on: dt.date) -> Reconciliation:
    """Settle a without-prejudice interim against the split decided on ``decided_on``.

    What the interim funder actually paid is shared in the decided proportions (rather than
    re-priced at the decided weekly amounts), so the balances always add up to zero.
    """
    decided_day = check_date(decided_on, "decided_on", "the date funding was decided")
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

"""A period's statement: fees from the SOW's pricing, service credits, the amount due.

Money is `Decimal`, never a float, rounded half up to the currency's minor unit (USD 0.01,
JPY 1, BHD 0.001). Intermediate products are exact `Fraction`s, so the only rounding is the
one DESIGN.md prescribes, once per figure, however large the counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from domain.currencies import minor_units
from domain.sla import IntervalCounts, SlaResult, evaluate
from domain.sow import Pricing, ServiceCredit, SowTerms
from domain.values import PricingUnit, SlaMetric

QUANTITY_PLACES: Final = 6
"""Decimal places of a shown minutes or hours quantity (rates have at most 6 as well).

Only the shown quantity is rounded: fees come from the exact one, so 50 seconds at a
per-minute rate is billed as 5/6 of a minute, not as 0.833333 of one.
"""

_SECONDS_PER_UNIT: Final = {PricingUnit.PER_MINUTE: 60, PricingUnit.PER_HOUR: 3600}


def round_half_up(value: Fraction, places: int) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero (`ROUND_HALF_UP`).

    Built from its digits, so no `decimal` context precision can round it a second time.
    """
    scaled = value * 10**places
    units = math.floor(abs(scaled) + Fraction(1, 2))
    sign = 1 if scaled < 0 and units else 0
    return Decimal((sign, tuple(int(digit) for digit in str(units)), -places))


def round_money(amount: Fraction | Decimal | int, currency: str) -> Decimal:
    """`amount` rounded half up to `currency`'s minor unit: 2.5 JPY -> 3, 0.0375 BHD -> 0.038."""
    return round_half_up(Fraction(amount), minor_units(currency))


def billed_quantity(unit: PricingUnit, counts: IntervalCounts) -> Fraction:
    """What `unit` prices, exactly: answered contacts, handle minutes or staffed hours."""
    if unit is PricingUnit.PER_CALL:
        return Fraction(counts.answered)
    if unit is PricingUnit.PER_MINUTE:
        return Fraction(counts.handle_seconds, _SECONDS_PER_UNIT[unit])
    return Fraction(counts.staffed_seconds, _SECONDS_PER_UNIT[unit])


def shown_quantity(unit: PricingUnit, counts: IntervalCounts) -> Decimal:
    """The quantity as a statement shows it: a whole number of calls, or minutes or hours to
    `QUANTITY_PLACES` decimals."""
    quantity = billed_quantity(unit, counts)
    return round_half_up(quantity, 0 if unit is PricingUnit.PER_CALL else QUANTITY_PLACES)


def fees(pricing: Pricing, counts: IntervalCounts) -> Decimal:
    """The period's fees over its queue rows' `counts`: rate * quantity, rounded half up."""
    return round_money(
        Fraction(pricing.rate) * billed_quantity(pricing.unit, counts), pricing.currency
    )


def consecutive_misses(missed: Iterable[bool]) -> int:
    """How many periods in a row, counting back from the last of `missed` (oldest first),
    the metric was missed. An unmeasured period counts as not missed: it ends the run."""
    run = 0
    for was_missed in missed:
        run = run + 1 if was_missed else 0
    return run


def credit_percent(credit: ServiceCredit, misses: int) -> Decimal:
    """`min(percentOfFees * misses, capPercent)`: each miss in a row costs more, up to the cap.

    The terms' floats are read as the decimals they were written as (see
    `domain.sla.target_value`), so 3 * 0.1 % is 0.3 %, not 0.30000000000000004 %.
    """
    if misses < 1:
        raise ValueError("a service credit is owed from the first miss on")
    return min(Decimal(repr(credit.percent_of_fees)) * misses, Decimal(repr(credit.cap_percent)))


@dataclass(frozen=True, slots=True)
class Credit:
    """The credit owed for one missed metric: `consecutive_misses` includes this period."""

    metric: SlaMetric
    consecutive_misses: int
    percent: Decimal
    amount: Decimal


def service_credits(
    period_fees: Decimal,
    currency: str,
    entries: Sequence[ServiceCredit],
    results: Iterable[SlaResult],
    misses_before: Mapping[SlaMetric, int],
) -> tuple[Credit, ...]:
    """A credit per entry of `serviceCredits` whose metric was measured and missed, in the
    entries' order: `period_fees * credit_percent / 100`, rounded half up.

    `misses_before[metric]` is the number of periods immediately before this one, in a row,
    in which the metric was missed (`consecutive_misses` of their results; absent: 0).
    """
    missed = {result.metric for result in results if result.missed}
    owed: list[Credit] = []
    for entry in entries:
        if entry.metric not in missed:
            continue
        misses = misses_before.get(entry.metric, 0) + 1
        percent = credit_percent(entry, misses)
        amount = round_money(Fraction(period_fees) * Fraction(percent) / 100, currency)
        owed.append(Credit(entry.metric, misses, percent, amount))
    return tuple(owed)


@dataclass(frozen=True, slots=True)
class Statement:
    """The figures of one period's statement, in `currency`.

    `total_credits` is the plain sum of the credits and may exceed `fees` when several
    metrics are missed; `amount_due` is never below zero.
    """

    currency: str
    unit: PricingUnit
    quantity: Decimal
    fees: Decimal
    credits: tuple[Credit, ...]
    total_credits: Decimal
    amount_due: Decimal


def settle(
    pricing: Pricing, quantity: Decimal, period_fees: Decimal, credits: Sequence[Credit]
) -> Statement:
    """The statement of fees already computed and the credits owed against them."""
    total = sum((Fraction(credit.amount) for credit in credits), Fraction(0))
    due = max(Fraction(period_fees) - total, Fraction(0))
    return Statement(
        currency=pricing.currency,
        unit=pricing.unit,
        quantity=quantity,
        fees=period_fees,
        credits=tuple(credits),
        total_credits=round_money(total, pricing.currency),
        amount_due=round_money(due, pricing.currency),
    )


def statement(
    terms: SowTerms, counts: IntervalCounts, misses_before: Mapping[SlaMetric, int]
) -> Statement:
    """The statement of a period from its queue rows' `counts`, judged by `terms` (those in
    effect at the period's end); `misses_before` as for `service_credits`."""
    pricing = terms.pricing
    period_fees = fees(pricing, counts)
    results = evaluate(counts, terms.sla_targets)
    credits = service_credits(
        period_fees, pricing.currency, terms.service_credits, results, misses_before
    )
    return settle(pricing, shown_quantity(pricing.unit, counts), period_fees, credits)

"""A period's statement: fees from the SOW's pricing, service credits, the amount due.

Money is `Decimal`, never a float, rounded half up to the currency's minor unit (USD 0.01,
JPY 1, BHD 0.001). Intermediate products are exact `Fraction`s, so the only rounding is the
one DESIGN.md prescribes, once per figure, however large the counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Final

from domain import lifecycle
from domain.changes import Change
from domain.currencies import minor_units
from domain.errors import BadUserInput, PeriodClosed
from domain.events import EventType, NewEvent
from domain.party import Actor
from domain.sla import (
    ZERO_COUNTS,
    IntervalCounts,
    Period,
    Scorecard,
    SlaResult,
    check_period,
    describe,
    evaluate,
    require_measured,
    round_half_up,
    terms_version_at,
)
from domain.sow import Pricing, ServiceCredit, Sow, SowTerms
from domain.values import PricingUnit, SlaMetric

QUANTITY_PLACES: Final = 6
"""Decimal places of a shown minutes or hours quantity (rates have at most 6 as well).

Only the shown quantity is rounded: fees come from the exact one, so 50 seconds at a
per-minute rate is billed as 5/6 of a minute, not as 0.833333 of one.
"""

_SECONDS_PER_UNIT: Final = {PricingUnit.PER_MINUTE: 60, PricingUnit.PER_HOUR: 3600}


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


def judge(
    terms: SowTerms, counts: IntervalCounts, misses_before: Mapping[SlaMetric, int]
) -> tuple[tuple[SlaResult, ...], Statement]:
    """A period's results and statement from its queue rows' `counts`, judged by `terms`
    (those in effect at the period's end); `misses_before` as for `service_credits`."""
    pricing = terms.pricing
    period_fees = fees(pricing, counts)
    results = evaluate(counts, terms.sla_targets)
    credits = service_credits(
        period_fees, pricing.currency, terms.service_credits, results, misses_before
    )
    return results, settle(pricing, shown_quantity(pricing.unit, counts), period_fees, credits)


def statement(
    terms: SowTerms, counts: IntervalCounts, misses_before: Mapping[SlaMetric, int]
) -> Statement:
    """The statement alone of `judge`."""
    return judge(terms, counts, misses_before)[1]


def misses_through(
    misses_before: Mapping[SlaMetric, int], results: Iterable[SlaResult]
) -> dict[SlaMetric, int]:
    """Each metric's run of consecutive misses up to and including the period of `results`
    (`consecutive_misses`, one period further)."""
    return {
        result.metric: misses_before.get(result.metric, 0) + 1 if result.missed else 0
        for result in results
    }


# ---------------------------------------------------------------------------------------------
# A SOW's periods: provisional figures, closing


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """Everything a period's scorecard and statement show, with each metric's run of misses
    through it (what the next period's credits escalate from); `closed_at` once frozen."""

    scorecard: Scorecard
    statement: Statement
    misses: Mapping[SlaMetric, int]
    closed_at: datetime | None = None

    @property
    def period(self) -> Period:
        return self.scorecard.period


@dataclass(frozen=True, slots=True)
class SlaPeriod:
    """The stored record of one SOW period that has interval rows or was closed.

    While open, `counts` are the running sums of its queue rows, kept by every recording;
    closing recounts them from the rows and freezes `closed`. `revision` moves with every
    change, so a close decided on sums that a recording has changed since is decided again.
    """

    id: str
    sow_id: str
    client_id: str
    period: Period
    starts: datetime
    ends: datetime
    revision: int
    counts: IntervalCounts
    closed: PeriodFigures | None = None
    closed_by: Actor | None = None

    @staticmethod
    def open(id: str, sow: Sow, period: Period) -> SlaPeriod:
        """A period of `sow` with nothing recorded yet, its bounds in the SOW's time zone."""
        starts, ends = period.bounds(sow.terms.service_hours.time_zone)
        return SlaPeriod(id, sow.id, sow.client_id, period, starts, ends, 0, ZERO_COUNTS)


def _start(stored: Sequence[SlaPeriod], first: Period) -> tuple[Period, Mapping[SlaMetric, int]]:
    """Where the run of misses that reaches `first` has to be computed from, and the runs
    known there: just after the last period closed before `first` (its frozen runs), or
    else from the first period with rows (nothing before it was measured)."""
    closed = [record for record in stored if record.closed and record.period < first]
    if closed:
        last = max(closed, key=lambda record: record.period)
        assert last.closed is not None
        return last.period.next(), last.closed.misses
    earliest = min((record.period for record in stored), default=first)
    return min(earliest, first), {}


def _open_periods(
    sow: Sow, stored: Sequence[SlaPeriod], first: Period, last: Period
) -> Iterator[tuple[Period, SlaPeriod | None, int]]:
    """Each period from `_start` to `last` that is not closed, with its record (None: no
    rows) and the number of the terms version that judges it."""
    records = {record.period: record for record in stored}
    start, _ = _start(stored, first)
    zone = sow.terms.service_hours.time_zone
    for period in start.through(last):
        record = records.get(period)
        if record is not None and record.closed is not None:
            continue
        ends = record.ends if record is not None else period.bounds(zone)[1]
        yield period, record, terms_version_at(sow, ends)


def versions_needed(
    sow: Sow, stored: Sequence[SlaPeriod], first: Period, last: Period
) -> frozenset[int]:
    """The terms versions `ledger` needs for `first`..`last`, other than the SOW's current."""
    needed = {number for _, _, number in _open_periods(sow, stored, first, last)}
    return frozenset(needed - {sow.version})


def ledger(
    sow: Sow,
    stored: Sequence[SlaPeriod],
    versions: Mapping[int, SowTerms],
    first: Period,
    last: Period,
) -> list[PeriodFigures]:
    """The figures of each period `first`..`last` of `sow`: frozen for closed periods,
    computed for the others from their running sums (no record: no rows), each judged by
    the terms in effect at its end (`versions`: those of `versions_needed`).

    Consecutive misses run from the last period closed before `first`, whose frozen runs
    are taken as they were closed: a closed statement never changes, nor what follows
    from it.
    """
    records = {record.period: record for record in stored}
    computed = {
        period: (record, number)
        for period, record, number in _open_periods(sow, stored, first, last)
    }
    start, runs = _start(stored, first)
    figures: list[PeriodFigures] = []
    for period in start.through(last):
        if period in computed:
            record, number = computed[period]
            counts = ZERO_COUNTS if record is None else record.counts
            terms = sow.terms if number == sow.version else versions[number]
            results, owed = judge(terms, counts, runs)
            scorecard = Scorecard(period, False, number, counts, results)
            found = PeriodFigures(scorecard, owed, misses_through(runs, results))
        else:
            frozen = records[period].closed
            assert frozen is not None
            found = frozen
        runs = found.misses
        if period >= first:
            figures.append(found)
    return figures


def check_closable(sow: Sow, period: Period, now: datetime) -> None:
    """A period is closed once it has ended, within the term of a SOW that was signed."""
    require_measured(sow)
    check_period(sow, period)
    ends = period.bounds(sow.terms.service_hours.time_zone)[1]
    if now < ends:
        raise BadUserInput(
            f"period: {period} has not ended yet (it ends {ends:%Y-%m-%d %H:%M} UTC)",
            field="period",
        )


@dataclass(frozen=True, slots=True)
class Closing:
    """What closing a period is decided on: the SOW, the period's record, every record of
    the SOW up to it (the run of misses), the terms versions `versions_needed` names, and
    the period's queue rows counted again from the rows themselves."""

    sow: Sow
    record: SlaPeriod
    stored: Sequence[SlaPeriod]
    versions: Mapping[int, SowTerms]
    recount: IntervalCounts

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def revision(self) -> int:
        return self.record.revision


def close(closing: Closing, actor: Actor, now: datetime) -> Change[SlaPeriod]:
    """Freeze the period: its figures over the recount (the rows being what the running sums
    stand for), SLA_PERIOD_CLOSED, and SLA_BREACHED for each metric measured and missed, on
    the SOW (its client and compliance see them)."""
    sow, record = closing.sow, closing.record
    if record.closed is not None:
        raise PeriodClosed(str(record.period), "period")
    if now < record.ends:
        raise BadUserInput(f"period: {record.period} has not ended yet", field="period")
    recounted = dataclasses.replace(record, counts=closing.recount)
    others = [item for item in closing.stored if item.id != record.id]
    period = record.period
    (figures,) = ledger(sow, [*others, recounted], closing.versions, period, period)
    frozen = dataclasses.replace(
        figures,
        scorecard=dataclasses.replace(figures.scorecard, closed=True),
        closed_at=now,
    )
    after = dataclasses.replace(
        recounted, closed=frozen, closed_by=actor, revision=record.revision + 1
    )
    return Change(record, after, (), _closing_events(sow, frozen, actor, now))


def _closing_events(
    sow: Sow, figures: PeriodFigures, actor: Actor, now: datetime
) -> tuple[NewEvent, ...]:
    owed, version, period = figures.statement, figures.scorecard.terms_version, figures.period
    summary = (
        f"{period} closed, judged by terms version {version}: fees {owed.fees} "
        f"{owed.currency}, credits {owed.total_credits}, amount due {owed.amount_due}"
    )
    events = [
        lifecycle.event(
            sow, EventType.SLA_PERIOD_CLOSED, actor, now, reason=summary, version=version
        )
    ]
    credits = {credit.metric: credit for credit in owed.credits}
    for result in figures.scorecard.results:
        if not result.missed:
            continue
        reason = f"{period}: {describe(result)}"
        credit = credits.get(result.metric)
        if credit is not None:
            reason += (
                f"; service credit {credit.amount} {owed.currency} ({credit.percent} % of "
                f"fees, {credit.consecutive_misses} consecutive miss"
                f"{'es' if credit.consecutive_misses > 1 else ''})"
            )
        events.append(
            lifecycle.event(sow, EventType.SLA_BREACHED, actor, now, reason=reason, version=version)
        )
    return tuple(events)

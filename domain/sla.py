"""Performance against the contract: interval counts, their metrics, periods, renewal advice.

Pure arithmetic over the interval rows the contact-center platform exports (DESIGN.md,
"Performance against the contract"). Metrics are exact `Fraction`s compared exactly with
their targets, so a service level of exactly 80 % meets a floor of 80 whatever the counts
that produced it. Fees and service credits are in `domain.statement`; the checks that need
the database (the agent's CSA, a closed period) belong to the caller.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final, Self
from zoneinfo import ZoneInfo

from domain.csa import Csa, CsaStatus
from domain.errors import BadUserInput, PeriodClosed
from domain.ids import parse_global_id
from domain.policy import MIN_ANSWERED_FOR_RENEWAL
from domain.sow import Sow, SowStatus, SowTerms
from domain.values import (
    PERCENT_METRICS,
    Channel,
    SlaMetric,
    SlaTarget,
    TargetDirection,
    direction_of,
)
from domain.versioning import SignatureParty


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalCounts:
    """The counts of one interval row, or the sums over a set of rows (`+`, `total`).

    Unvalidated on purpose: the row checks (`count_problems`) must be able to see and name
    a negative count, and a sum of valid rows is valid.
    """

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_within_threshold: int = 0
    wait_seconds_answered: int = 0
    handle_seconds: int = 0
    staffed_seconds: int = 0
    first_contact_resolutions: int = 0
    csat_responses: int = 0
    csat_satisfied: int = 0

    def __add__(self, other: IntervalCounts) -> IntervalCounts:
        return IntervalCounts(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in _COUNT_NAMES  # a field added later is summed too
            }
        )

    def __sub__(self, other: IntervalCounts) -> IntervalCounts:
        """What `other`'s counts must gain to become these: a correction's change to a sum."""
        return IntervalCounts(
            **{name: getattr(self, name) - getattr(other, name) for name in _COUNT_NAMES}
        )

    @classmethod
    def total(cls, counts: Iterable[IntervalCounts]) -> IntervalCounts:
        """The sums over `counts`: the counts of those rows taken together."""
        return sum(counts, ZERO_COUNTS)


_COUNT_NAMES: Final = tuple(field.name for field in dataclasses.fields(IntervalCounts))

ZERO_COUNTS: Final = IntervalCounts()
"""The counts of no rows: the neutral element of `+`."""


def graphql_name(name: str) -> str:
    """The `SlaIntervalInput` name of a count attribute: `csat_responses` -> `csatResponses`."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


COUNT_FIELDS: Final = tuple((name, graphql_name(name)) for name in _COUNT_NAMES)
"""Each count's attribute and `SlaIntervalInput` name, worked out once: rows come by the
ten thousand."""


# ---------------------------------------------------------------------------------------------
# Row validation


INTERVAL_MINUTES: Final = frozenset({15, 30, 60})


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalRow:
    """One exported row: the queue's (`agent_id` None) or one agent's, for one interval."""

    channel: Channel
    interval_start: datetime
    interval_minutes: int
    threshold_seconds: int
    counts: IntervalCounts
    agent_id: str | None = None

    @property
    def interval_end(self) -> datetime:
        """When the interval ends, in UTC (where adding minutes never meets a clock change)."""
        return self.interval_start.astimezone(UTC) + timedelta(minutes=self.interval_minutes)

    @property
    def key(self) -> RowKey:
        """What identifies the row within its SOW: recording the same key again corrects it."""
        return (self.channel, self.interval_start.astimezone(UTC), self.agent_id)

    def same_values(self, other: IntervalRow) -> bool:
        """Whether recording `other` over this row would change nothing."""
        return (
            self.interval_minutes == other.interval_minutes
            and self.threshold_seconds == other.threshold_seconds
            and self.counts == other.counts
        )


type RowKey = tuple[Channel, datetime, str | None]


def row_of(data: Mapping[str, Any]) -> IntervalRow:
    """A row from the fields of one `SlaIntervalInput`, by GraphQL name (values typed)."""
    return IntervalRow(
        channel=Channel(data["channel"]),
        interval_start=data["intervalStart"],
        interval_minutes=data["intervalMinutes"],
        threshold_seconds=data["thresholdSeconds"],
        counts=IntervalCounts(**{name: data[key] for name, key in COUNT_FIELDS}),
        agent_id=_agent_id(data.get("agentId")),
    )


def _agent_id(value: str | None) -> str | None:
    """An agent's raw id from its global id; anything else as it is, for `_row_context_problems`
    to judge (raw ids are accepted until 0.3.0)."""
    parsed = None if value is None else parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "Agent" else value


INPUT_FIELDS: Final = (
    "channel",
    "intervalStart",
    "intervalMinutes",
    "agentId",
    *(graphql_name(name) for name in _COUNT_NAMES[:4]),
    "thresholdSeconds",
    *(graphql_name(name) for name in _COUNT_NAMES[4:]),
)
"""The `SlaIntervalInput` field names in DESIGN.md's order: the CSV columns as well."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row is refused; `field` is its `SlaIntervalInput` name, e.g. `csatSatisfied`."""

    field: str
    message: str


def count_problems(counts: IntervalCounts) -> tuple[RowProblem, ...]:
    """Negative counts, then counts that exceed the count they are part of.

    `answered + abandoned > offered` is blamed on `offered`: it is the one total both parts
    are checked against. The other relations blame the part that exceeds its whole. The
    relations are only checked once no count is negative, since a negative part would make
    them say nothing useful.
    """
    negative = tuple(
        RowProblem(graphql_name(name), f"{graphql_name(name)} must not be negative")
        for name in _COUNT_NAMES
        if getattr(counts, name) < 0
    )
    if negative:
        return negative
    problems: list[RowProblem] = []
    if counts.answered + counts.abandoned > counts.offered:
        problems.append(RowProblem("offered", "answered + abandoned exceeds offered"))
    if counts.answered_within_threshold > counts.answered:
        problems.append(
            RowProblem("answeredWithinThreshold", "answeredWithinThreshold exceeds answered")
        )
    if counts.first_contact_resolutions > counts.answered:
        problems.append(
            RowProblem("firstContactResolutions", "firstContactResolutions exceeds answered")
        )
    if counts.csat_satisfied > counts.csat_responses:
        problems.append(RowProblem("csatSatisfied", "csatSatisfied exceeds csatResponses"))
    return tuple(problems)


def interval_problems(interval_start: datetime, interval_minutes: int) -> tuple[RowProblem, ...]:
    """An interval length other than 15, 30 or 60 minutes, or a start not aligned to it in UTC."""
    if interval_minutes not in INTERVAL_MINUTES:
        return (RowProblem("intervalMinutes", "intervalMinutes must be 15, 30 or 60"),)
    if interval_start.tzinfo is None:
        return (RowProblem("intervalStart", "intervalStart must carry a UTC offset"),)
    start = interval_start.astimezone(UTC)
    aligned = start.second == 0 and start.microsecond == 0 and start.minute % interval_minutes == 0
    if not aligned:
        return (
            RowProblem(
                "intervalStart",
                f"intervalStart must be aligned to {interval_minutes} minutes (UTC)",
            ),
        )
    return ()


def service_threshold(terms: SowTerms) -> int | None:
    """The seconds `SERVICE_LEVEL` counts answers within, or None without such a target."""
    for target in terms.sla_targets:
        if target.metric is SlaMetric.SERVICE_LEVEL:
            return target.threshold_seconds
    return None


def row_problems(row: IntervalRow, terms: SowTerms, now: datetime) -> tuple[RowProblem, ...]:
    """Everything wrong with `row` that the SOW's terms alone can tell, at instant `now`.

    Beyond the counts and the interval's shape: the channel must be in the SOW's `scope`;
    `thresholdSeconds` must be the SOW's `SERVICE_LEVEL` threshold (any threshold when the
    SOW has no such target: nothing to differ from); the interval must have ended at `now`;
    and its start, as a date in the SOW's time zone, must lie in `goLiveDate..endDate`, both
    included. The start decides, as it decides the row's period: in a zone offset by half
    an hour, a 60-minute interval aligned in UTC straddles local midnight.

    Empty when the row is acceptable, as far as these checks go (the agent's CSA and closed
    periods are the caller's).
    """
    problems: list[RowProblem] = []
    if row.channel not in terms.scope:
        problems.append(RowProblem("channel", f"{row.channel} is not in the SOW's scope"))
    shape = interval_problems(row.interval_start, row.interval_minutes)
    problems.extend(shape)
    if not shape:
        day = local_day(row.interval_start, terms.service_hours.time_zone)
        if not terms.go_live_date <= day <= terms.end_date:
            problems.append(
                RowProblem(
                    "intervalStart",
                    f"the interval is on {day.isoformat()}, outside the SOW's "
                    f"{terms.go_live_date.isoformat()}..{terms.end_date.isoformat()}",
                )
            )
        elif row.interval_end > now:
            problems.append(RowProblem("intervalStart", "the interval has not ended yet"))
    if row.threshold_seconds < 0:
        problems.append(RowProblem("thresholdSeconds", "thresholdSeconds must not be negative"))
    else:
        threshold = service_threshold(terms)
        if threshold is not None and row.threshold_seconds != threshold:
            problems.append(
                RowProblem(
                    "thresholdSeconds",
                    f"thresholdSeconds must be the SOW's SERVICE_LEVEL threshold, {threshold}",
                )
            )
    problems.extend(count_problems(row.counts))
    return tuple(problems)


# ---------------------------------------------------------------------------------------------
# Metrics


@dataclass(frozen=True, slots=True)
class _Formula:
    numerator: Callable[[IntervalCounts], int]
    denominator: Callable[[IntervalCounts], int]
    scale: int


_PERCENT = 100
_FORMULAS: Final[dict[SlaMetric, _Formula]] = {
    SlaMetric.SERVICE_LEVEL: _Formula(
        lambda c: c.answered_within_threshold, lambda c: c.offered, _PERCENT
    ),
    # Abandoned contacts never waited to be answered: they count in neither sum.
    SlaMetric.AVERAGE_WAIT_TIME: _Formula(
        lambda c: c.wait_seconds_answered, lambda c: c.answered, 1
    ),
    SlaMetric.ABANDONMENT_RATE: _Formula(lambda c: c.abandoned, lambda c: c.offered, _PERCENT),
    SlaMetric.AVERAGE_HANDLE_TIME: _Formula(lambda c: c.handle_seconds, lambda c: c.answered, 1),
    SlaMetric.FIRST_CALL_RESOLUTION: _Formula(
        lambda c: c.first_contact_resolutions, lambda c: c.answered, _PERCENT
    ),
    SlaMetric.CUSTOMER_SATISFACTION: _Formula(
        lambda c: c.csat_satisfied, lambda c: c.csat_responses, _PERCENT
    ),
}

SOW_METRICS: Final = tuple(SlaMetric)
"""The metrics of a SOW scorecard (queue rows), in the order results are listed."""

AGENT_METRICS: Final = (
    SlaMetric.AVERAGE_HANDLE_TIME,
    SlaMetric.FIRST_CALL_RESOLUTION,
    SlaMetric.CUSTOMER_SATISFACTION,
)
"""The metrics one agent answers for: queue waits and abandonments are nobody's own."""


def measure(metric: SlaMetric, counts: IntervalCounts) -> Fraction | None:
    """The exact value of `metric` over `counts` (percent or seconds); None when its
    denominator is 0, i.e. the metric is not measured."""
    formula = _FORMULAS[metric]
    denominator = formula.denominator(counts)
    if denominator == 0:
        return None
    return Fraction(formula.numerator(counts) * formula.scale, denominator)


def target_value(target: float) -> Fraction:
    """A target as the decimal it was written as: 72.3 is 723/10, not the float's binary value.

    Terms hold targets as floats; comparing a ratio with the float itself would make an
    actual of exactly 72.3 exceed a ceiling of 72.3. The shortest repr of a float is the
    decimal it was parsed from (for up to 15 significant digits).
    """
    return Fraction(repr(target))


def is_met(metric: SlaMetric, actual: Fraction, target: Fraction) -> bool:
    """A floor is met at or above its target, a ceiling at or below it."""
    if direction_of(metric) is TargetDirection.FLOOR:
        return actual >= target
    return actual <= target


@dataclass(frozen=True, slots=True)
class SlaResult:
    """One metric of a scorecard: `target` None when the terms set none, `actual` None when
    not measured, and `met` None unless both are known."""

    metric: SlaMetric
    target: Fraction | None
    actual: Fraction | None
    met: bool | None

    @property
    def missed(self) -> bool:
        """Measured against a target and not met (an unmeasured metric is never missed)."""
        return self.met is False


def evaluate(
    counts: IntervalCounts,
    targets: Sequence[SlaTarget],
    metrics: Iterable[SlaMetric] = SOW_METRICS,
) -> tuple[SlaResult, ...]:
    """The results of `metrics` over `counts` against `targets` (a SOW's `slaTargets` or a
    CSA's `performanceExpectations`), one per metric in the order of `metrics`; a target for
    a metric not in `metrics` is ignored."""
    by_metric = {target.metric: target_value(target.target) for target in targets}
    results: list[SlaResult] = []
    for metric in metrics:
        target = by_metric.get(metric)
        actual = measure(metric, counts)
        met = None if target is None or actual is None else is_met(metric, actual, target)
        results.append(SlaResult(metric, target, actual, met))
    return tuple(results)


def agent_scorecard(
    counts: IntervalCounts, expectations: Sequence[SlaTarget]
) -> tuple[SlaResult, ...]:
    """An agent's results: only `AGENT_METRICS`, over that agent's rows."""
    return evaluate(counts, expectations, AGENT_METRICS)


# ---------------------------------------------------------------------------------------------
# Periods


_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Before 1900 there were no contact centers; the upper bound leaves room for the month after.
_FIRST_YEAR = 1900
_LAST_YEAR = 9998


def local_day(instant: datetime, time_zone: str) -> date:
    """The calendar date at `instant` (timezone-aware) in `time_zone`."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(ZoneInfo(time_zone)).date()


def local_midnight(day: date, time_zone: str) -> datetime:
    """The UTC instant `day` starts in `time_zone`.

    Where a clock change skips midnight, `fold=0` reads the missing time with the offset
    before the change, which is the instant the day actually starts.
    """
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(time_zone))
    return start.astimezone(UTC)


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A calendar month in a SOW's time zone, named `"YYYY-MM"`."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (_FIRST_YEAR <= self.year <= _LAST_YEAR and 1 <= self.month <= 12):
            raise ValueError(f"no period {self.year}-{self.month}")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Self:
        """`"2026-11"` as a period, or `BadUserInput` naming `field`."""
        match = _PERIOD.match(text)
        if match is None or not _FIRST_YEAR <= int(match[1]) <= _LAST_YEAR:
            raise BadUserInput(
                f"{field}: must be a month YYYY-MM from {_FIRST_YEAR} to {_LAST_YEAR}, "
                "e.g. 2026-11",
                field=field,
            )
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, instant: datetime, time_zone: str) -> Self:
        """The period `instant` (e.g. a row's `intervalStart`) falls in, in `time_zone`."""
        return cls.containing(local_day(instant, time_zone))

    @classmethod
    def containing(cls, day: date) -> Self:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Period:
        if self.month == 12:
            return Period(self.year + 1, 1)
        return Period(self.year, self.month + 1)

    def previous(self) -> Period:
        if self.month == 1:
            return Period(self.year - 1, 12)
        return Period(self.year, self.month - 1)

    def bounds(self, time_zone: str) -> tuple[datetime, datetime]:
        """The UTC instants the period starts (included) and ends (excluded) in `time_zone`."""
        return (
            local_midnight(self.first_day, time_zone),
            local_midnight(self.next().first_day, time_zone),
        )

    def through(self, last: Period) -> Iterator[Period]:
        """This period and each following one up to `last` included (none if `last` is earlier)."""
        period = self
        while period <= last:
            yield period
            period = period.next()


# ---------------------------------------------------------------------------------------------
# Renewal


class RenewalRecommendation(StrEnum):
    RENEW = "RENEW"
    REVIEW = "REVIEW"
    DO_NOT_RENEW = "DO_NOT_RENEW"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


REVIEW_TOLERANCE: Final = Fraction(1, 10)
"""How far past its target, relative to the target, a missed expectation still means REVIEW."""


def far_missed(result: SlaResult, tolerance: Fraction = REVIEW_TOLERANCE) -> bool:
    """Missed by more than `tolerance` of its target, relative to the target itself.

    A floor is missed by more than 10 % when `actual < target * 0.9`, a ceiling when
    `actual > target * 1.1`; a miss by exactly 10 % is not "more than". Percentages are no
    exception: against an FCR floor of 70, 63 is within and 62.9 beyond (relative, not ten
    percentage points). A ceiling of 0 is thus far missed by any actual above 0.
    """
    if result.met is not False or result.target is None or result.actual is None:
        return False
    allowed = result.target * tolerance
    if direction_of(result.metric) is TargetDirection.FLOOR:
        return result.target - result.actual > allowed
    return result.actual - result.target > allowed


def recommend(
    results: Iterable[SlaResult],
    answered: int,
    minimum_answered: int = MIN_ANSWERED_FOR_RENEWAL,
) -> RenewalRecommendation:
    """What the agent's results (`agent_scorecard` against the CSA's expectations) advise.

    `INSUFFICIENT_DATA` below `minimum_answered` answered contacts; else `RENEW` when no
    measured expectation is missed (an expectation not measured, e.g. CSAT without
    responses or a queue metric, neither helps nor hurts); `REVIEW` when the misses are all
    within `REVIEW_TOLERANCE` (see `far_missed`); `DO_NOT_RENEW` otherwise.
    """
    if answered < minimum_answered:
        return RenewalRecommendation.INSUFFICIENT_DATA
    missed = [result for result in results if result.missed]
    if not missed:
        return RenewalRecommendation.RENEW
    if any(far_missed(result) for result in missed):
        return RenewalRecommendation.DO_NOT_RENEW
    return RenewalRecommendation.REVIEW


def renewal_advice(
    recommendation: RenewalRecommendation, answered: int, results: Iterable[SlaResult]
) -> str:
    """The `reason` of a RENEWAL_DUE event: the recommendation first (a program reads it up
    to the colon), then what it rests on."""
    missed = [describe(result) for result in results if result.missed]
    basis = f"{answered} answered contacts"
    return f"{recommendation}: {basis}" + (f"; missed {'; '.join(missed)}" if missed else "")


def round_half_up(value: Fraction, places: int) -> Decimal:
    """`value` rounded to `places` decimals, halves away from zero (`ROUND_HALF_UP`).

    Built from its digits, so no `decimal` context precision can round it a second time.
    """
    scaled = value * 10**places
    units = math.floor(abs(scaled) + Fraction(1, 2))
    sign = 1 if scaled < 0 and units else 0
    return Decimal((sign, tuple(int(digit) for digit in str(units)), -places))


def shown(value: Fraction) -> str:
    """A measured value as people read it: two decimals, halves up (76.25, 16.08)."""
    return str(round_half_up(value, 2))


def describe(result: SlaResult) -> str:
    """`SERVICE_LEVEL 76.25 % against a floor of 80 %`: a result's metric, actual and target."""
    unit = "%" if result.metric in PERCENT_METRICS else "s"
    actual = "not measured" if result.actual is None else f"{shown(result.actual)} {unit}"
    if result.target is None:
        return f"{result.metric} {actual}"
    kind = "floor" if direction_of(result.metric) is TargetDirection.FLOOR else "ceiling"
    target = result.target.numerator if result.target.denominator == 1 else float(result.target)
    return f"{result.metric} {actual} against a {kind} of {target} {unit}"


# ---------------------------------------------------------------------------------------------
# Which terms judge a period


def in_force(sow: Sow) -> tuple[tuple[datetime, int], ...]:
    """Each version both parties signed, with the moment its last signature made it binding,
    in that order: the version submitted and signed, then each accepted amendment."""
    parties: dict[int, dict[SignatureParty, datetime]] = {}
    for signature in sow.signatures:
        parties.setdefault(signature.version, {})[signature.party] = signature.at
    binding = [
        (max(signed.values()), number)
        for number, signed in parties.items()
        if {SignatureParty.CLIENT, SignatureParty.OPERATOR} <= signed.keys()
    ]
    return tuple(sorted(binding))


def terms_version_at(sow: Sow, instant: datetime) -> int:
    """The number of the terms in effect at `instant`: the last version made binding before
    it. A period that ended before any signature (interval data may reach back to go-live)
    is judged by the first version signed; a SOW never signed, by its current terms."""
    binding = in_force(sow)
    if not binding:
        return sow.version
    chosen = binding[0][1]
    for since, number in binding:
        if since < instant:
            chosen = number
    return chosen


def period_terms(sow: Sow, period: Period, versions: Mapping[int, SowTerms]) -> SowTerms:
    """The terms that judge `period` (`versions`: at least those `terms_version_at` names
    other than the current one)."""
    number = terms_version_at(sow, period.bounds(sow.terms.service_hours.time_zone)[1])
    return sow.terms if number == sow.version else versions[number]


def sow_periods(terms: SowTerms) -> tuple[Period, Period]:
    """The first and last period of a SOW's term: the months of go-live and end date."""
    return Period.containing(terms.go_live_date), Period.containing(terms.end_date)


def check_period(sow: Sow, period: Period, field: str = "period") -> None:
    """`period` must lie within the SOW's term."""
    first, last = sow_periods(sow.terms)
    if not first <= period <= last:
        raise BadUserInput(
            f"{field}: {period} is outside the SOW's term, {first} to {last}", field=field
        )


# ---------------------------------------------------------------------------------------------
# Scorecards


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A SOW's results for one period over its queue rows, judged by terms version
    `terms_version`; provisional until `closed`."""

    period: Period
    closed: bool
    terms_version: int
    counts: IntervalCounts
    results: tuple[SlaResult, ...]


# ---------------------------------------------------------------------------------------------
# Recording a batch


MAX_BATCH_ROWS: Final = 10_000
"""Rows per `recordSlaIntervals` call: one transaction stays short, a month of quarter-hour
queue rows on three channels fits."""

# A SOW's service has started once it was signed; no period of an unsigned SOW is measured.
MEASURED_SOW_STATUSES: Final = frozenset(
    {SowStatus.SIGNED, SowStatus.ACTIVE, SowStatus.EXPIRED, SowStatus.TERMINATED}
)
# CSAs under which the agent worked: both parties signed.
WORKED_CSA_STATUSES: Final = frozenset(
    {CsaStatus.EXECUTED, CsaStatus.ACTIVE, CsaStatus.EXPIRED, CsaStatus.TERMINATED}
)
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def require_measured(sow: Sow, field: str = "sowId") -> None:
    if sow.status not in MEASURED_SOW_STATUSES:
        raise BadUserInput(
            f"{field}: the SOW is {sow.status}; performance is measured once it is signed",
            field=field,
        )


def agent_term(csa: Csa, now: datetime) -> tuple[date, date]:
    """The days of the CSA's term the agent has worked so far, in its hours-of-service zone:
    from its effective date to today, its expiration date or (terminated) the day it ended,
    whichever comes first. Empty (last before first) before it starts."""
    zone = csa.terms.hours_of_service.time_zone
    last = min(csa.terms.expiration_date, local_day(now, zone))
    if csa.status is CsaStatus.TERMINATED:
        last = min(last, local_day(csa.updated_at, zone))
    return csa.terms.effective_date, last


def agent_bounds(csa: Csa, now: datetime) -> tuple[datetime, datetime]:
    """`agent_term` as UTC instants, start included, end excluded (equal when empty)."""
    zone = csa.terms.hours_of_service.time_zone
    first, last = agent_term(csa, now)
    start = local_midnight(first, zone)
    return start, max(start, local_midnight(last + timedelta(days=1), zone))


def covers(csa: Csa, row: IntervalRow) -> bool:
    """Whether the agent's row falls within a CSA of theirs that both parties signed: its
    start on a day of the term (in the CSA's zone), and before a termination."""
    if csa.agent_id != row.agent_id or csa.status not in WORKED_CSA_STATUSES:
        return False
    day = local_day(row.interval_start, csa.terms.hours_of_service.time_zone)
    if not csa.terms.effective_date <= day <= csa.terms.expiration_date:
        return False
    return csa.status is not CsaStatus.TERMINATED or row.interval_start < csa.updated_at


def check_batch_size(rows: int, field: str = "intervals") -> None:
    if rows > MAX_BATCH_ROWS:
        raise BadUserInput(
            f"{field}: at most {MAX_BATCH_ROWS:,} rows per call, not {rows:,}; "
            "send them in several batches",
            field=field,
        )


def is_object_id(text: str) -> bool:
    """Whether `text` can name a stored document (an agent): 24 lower-case hex digits."""
    return _OBJECT_ID.match(text) is not None


def versions_for(sow: Sow, rows: Iterable[IntervalRow]) -> frozenset[int]:
    """The terms versions, other than the current one, that judge the periods of `rows` (of
    those whose interval can be placed in a period at all)."""
    zone = sow.terms.service_hours.time_zone
    periods = {
        Period.of(row.interval_start, zone)
        for row in rows
        if not interval_problems(row.interval_start, row.interval_minutes)
    }
    numbers = {terms_version_at(sow, period.bounds(zone)[1]) for period in periods}
    return frozenset(numbers - {sow.version})


def agents_of(rows: Iterable[IntervalRow]) -> list[str]:
    """The well-formed agent ids of `rows`, whose CSAs the batch is checked against."""
    return sorted({row.agent_id for row in rows if row.agent_id and is_object_id(row.agent_id)})


def check_batch(
    sow: Sow,
    rows: Sequence[IntervalRow],
    terms_of: Callable[[Period], SowTerms],
    csas: Sequence[Csa],
    now: datetime,
    field: str = "intervals",
) -> tuple[Period, ...]:
    """The period of each row, once every row is acceptable; else `BadUserInput` for the
    first row with a problem, naming its index and field (`intervals[3].answered`).

    Each row is checked against the terms of its own period (`terms_of`: those in effect at
    the period's end), so corrections of a month keep the rules that month is judged by.
    Rows of a terminated SOW must have ended by its termination, agents' rows must fall
    within a CSA of theirs under this SOW (`covers`), and a key may come once per batch.
    """
    check_batch_size(len(rows), field)
    require_measured(sow)
    zone = sow.terms.service_hours.time_zone
    periods: list[Period] = []
    seen: dict[RowKey, int] = {}
    for index, row in enumerate(rows):
        at = f"{field}[{index}]"
        timed = not interval_problems(row.interval_start, row.interval_minutes)
        period = Period.of(row.interval_start, zone) if timed else None
        terms = sow.terms if period is None else terms_of(period)
        problems = row_problems(row, terms, now) + _row_context_problems(sow, row, csas, timed)
        if problems:
            first = problems[0]
            raise BadUserInput(f"{at}.{first.field}: {first.message}", field=f"{at}.{first.field}")
        assert period is not None
        earlier = seen.setdefault(row.key, index)
        if earlier != index:
            raise BadUserInput(
                f"{at}.intervalStart: repeats the key (channel, intervalStart, agentId) of "
                f"{field}[{earlier}]",
                field=f"{at}.intervalStart",
            )
        periods.append(period)
    return tuple(periods)


def _row_context_problems(
    sow: Sow, row: IntervalRow, csas: Sequence[Csa], timed: bool
) -> tuple[RowProblem, ...]:
    if row.agent_id is not None and not is_object_id(row.agent_id):
        return (RowProblem("agentId", "agentId: not an agent id"),)
    if not timed:
        return ()
    if sow.status is SowStatus.TERMINATED and row.interval_end > sow.updated_at:
        return (
            RowProblem(
                "intervalStart",
                f"the interval ends after the SOW was terminated ({sow.updated_at:%Y-%m-%d})",
            ),
        )
    if row.agent_id is not None and not any(covers(csa, row) for csa in csas):
        return (
            RowProblem(
                "agentId",
                "no CSA of this agent under this SOW, signed by both parties, covers the "
                "interval's date",
            ),
        )
    return ()


def check_open(
    periods: Sequence[Period], closed: Iterable[Period], field: str = "intervals"
) -> None:
    """`PeriodClosed` (CONFLICT) for the first row of a closed period: a frozen statement
    takes no more rows."""
    frozen = set(closed)
    for index, period in enumerate(periods):
        if period in frozen:
            raise PeriodClosed(str(period), f"{field}[{index}].intervalStart")


@dataclass(frozen=True, slots=True)
class Merge:
    """What recording a batch over the stored rows does: rows to insert, rows to replace
    (by stored id), how many are unchanged, and how each period's queue sums move."""

    inserts: tuple[IntervalRow, ...]
    updates: tuple[tuple[str, IntervalRow], ...]
    unchanged: int
    queue_deltas: Mapping[Period, IntervalCounts]
    touched: frozenset[Period]


def merge(
    rows: Sequence[IntervalRow],
    periods: Sequence[Period],
    stored: Mapping[RowKey, tuple[str, IntervalRow]],
) -> Merge:
    """Each row against the stored row of its key (`stored`: id and row by key): new, a
    correction, or identical. Only queue rows move a period's sums (agents' rows are
    summed over their CSA's term instead); `touched` names the periods with any change."""
    inserts: list[IntervalRow] = []
    updates: list[tuple[str, IntervalRow]] = []
    unchanged = 0
    deltas: dict[Period, IntervalCounts] = {}
    touched: set[Period] = set()
    for row, period in zip(rows, periods, strict=True):
        found = stored.get(row.key)
        if found is not None and found[1].same_values(row):
            unchanged += 1
            continue
        touched.add(period)
        if found is None:
            inserts.append(row)
            before = ZERO_COUNTS
        else:
            updates.append((found[0], row))
            before = found[1].counts
        if row.agent_id is None:
            deltas[period] = deltas.get(period, ZERO_COUNTS) + (row.counts - before)
    return Merge(tuple(inserts), tuple(updates), unchanged, deltas, frozenset(touched))


# ---------------------------------------------------------------------------------------------
# Agent performance


@dataclass(frozen=True, slots=True)
class AgentPerformance:
    """An agent's scorecard over the days `first`..`last` of a CSA's term."""

    first: date
    last: date
    counts: IntervalCounts
    results: tuple[SlaResult, ...]
    recommendation: RenewalRecommendation


def performance(
    csa: Csa, counts: IntervalCounts, now: datetime, minimum_answered: int
) -> AgentPerformance:
    """The agent's results over their rows of the term so far (`counts`), against the CSA's
    `performanceExpectations`, and what they advise for renewal."""
    first, last = agent_term(csa, now)
    results = agent_scorecard(counts, csa.terms.performance_expectations)
    advice = recommend(results, counts.answered, minimum_answered)
    return AgentPerformance(first, max(first, last), counts, results, advice)

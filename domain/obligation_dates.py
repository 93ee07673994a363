"""When an obligation is due: business days in a SOW's time zone, and recurring periods.

Business days are Monday to Friday in the SOW's time zone, minus the SOW's holidays (local
dates) and minus any date the zone's clocks skipped altogether (Pacific/Apia jumped over
Friday 2011-12-30): no work can be delivered on a day that never happened there.

"Due N business days after day D" is the end of the Nth business day after D, D itself not
counted; N = 0 is the end of D. The end of a day is 23:59:59 local, its last whole second,
converted to UTC: see `end_of_day` for days that DST shortens, repeats or skips.

- A request is counted from its effective day: the local date it was made on, or the next
  business day when that date is not one (`effective_request_day`). A Saturday request with
  N = 3 is due Thursday; a Friday one with N = 3 and a Monday holiday is due Thursday too.
  N = 0 is the end of the effective day.
- A recurring period's occurrence is due N business days after the period's last day, as
  DESIGN words it. The effective-day shift is for requests only: a month ending on a Sunday
  with N = 3 is due Wednesday, not Thursday; and N = 0 is the end of the last day itself.

Periods (`Period`): months and quarters are calendar ones in the SOW's time zone; annual
periods run from one anniversary of the go-live date to the day before the next. A go-live
on February 29 has its anniversary on February 28 in years without one (as PostgreSQL's
`date + interval '1 year'`, Java's `plusYears` and dateutil's `relativedelta` do), so the
period and its name stay in the go-live's month, and leap years get February 29 back: a
2024-02-29 go-live has periods "2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28",
"2028-02-29", each ending the day before the next begins.
"""

from __future__ import annotations

import calendar
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

END_OF_DAY = time(23, 59, 59)
# Counting is day by day; a bound keeps a mistyped count from looping for seconds. Terms
# allow far fewer (`domain.obligation.MAX_DUE_BUSINESS_DAYS`).
MAX_BUSINESS_DAYS = 1000

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_SATURDAY = 5


class Recurrence(StrEnum):
    """How often a RECURRING obligation falls due: once per period of this length."""

    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    ANNUALLY = "ANNUALLY"


def end_of_day(day: date, time_zone: ZoneInfo) -> datetime:
    """The last whole second `time_zone`'s clocks show `day`, as a UTC instant.

    Normally 23:59:59 local. When clocks go back over it (America/Santiago turns Saturday
    24:00 into 23:00), the second 23:59:59: the day lasts until then. When clocks jump over
    it (America/Nuuk turns Saturday 23:00 into Sunday 00:00), the second before the jump. A
    day the zone skipped has no second of its own: it ends when the day before it does.
    """
    wall = datetime.combine(day, END_OF_DAY)
    # fold=1 picks the later reading of a repeated wall time and changes nothing otherwise.
    instant = wall.replace(tzinfo=time_zone, fold=1).astimezone(UTC)
    if instant.astimezone(time_zone).replace(tzinfo=None) == wall:
        return instant
    # In a gap the two folds read the wall time with the offsets either side of the jump,
    # so the jump lies between the two instants they give.
    readings = [wall.replace(tzinfo=time_zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
    return _first_instant_of_new_offset(min(readings), max(readings), time_zone) - _ONE_SECOND


def _first_instant_of_new_offset(
    before: datetime, after: datetime, time_zone: ZoneInfo
) -> datetime:
    # zoneinfo does not expose its transitions; bisecting whole seconds takes ~17 steps a day.
    offset = before.astimezone(time_zone).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, time_zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


def _exists(day: date, time_zone: ZoneInfo) -> bool:
    return end_of_day(day, time_zone).astimezone(time_zone).date() == day


def is_business_day(day: date, time_zone: ZoneInfo, holidays: AbstractSet[date]) -> bool:
    """Whether local date `day` is a business day: Monday to Friday, no holiday, not skipped."""
    return day.weekday() < _SATURDAY and day not in holidays and _exists(day, time_zone)


def business_day_on_or_after(day: date, time_zone: ZoneInfo, holidays: AbstractSet[date]) -> date:
    """`day` if it is a business day, else the next one."""
    while not is_business_day(day, time_zone, holidays):
        day += _ONE_DAY
    return day


def business_days_after(
    day: date, count: int, time_zone: ZoneInfo, holidays: AbstractSet[date]
) -> date:
    """The `count`th business day after `day`, `day` not counted; `day` itself for 0.

    Raises ValueError for a count below 0 or above `MAX_BUSINESS_DAYS`.
    """
    if not 0 <= count <= MAX_BUSINESS_DAYS:
        raise ValueError(f"business days must be 0 to {MAX_BUSINESS_DAYS}, not {count}")
    for _ in range(count):
        day = business_day_on_or_after(day + _ONE_DAY, time_zone, holidays)
    return day


def effective_request_day(
    requested_at: datetime, time_zone: ZoneInfo, holidays: AbstractSet[date]
) -> date:
    """The business day a request made at `requested_at` (timezone-aware) counts from.

    The local date of the request, or the next business day when that date is not one.
    """
    return business_day_on_or_after(_local_date(requested_at, time_zone), time_zone, holidays)


def due_at(
    requested_at: datetime,
    business_days: int,
    time_zone: ZoneInfo,
    holidays: AbstractSet[date],
) -> datetime:
    """The deadline (UTC) of a request made at `requested_at` (timezone-aware).

    The end of the `business_days`th business day after the request's effective day
    (`effective_request_day`); for 0, the end of the effective day itself.
    """
    start = effective_request_day(requested_at, time_zone, holidays)
    return end_of_day(business_days_after(start, business_days, time_zone, holidays), time_zone)


@dataclass(frozen=True)
class Period:
    """One period of a recurring obligation: local dates `first_day` to `last_day`, both in."""

    recurrence: Recurrence
    first_day: date
    last_day: date

    @property
    def name(self) -> str:
        """The occurrence's `period`: "2026-11", "2026-Q4", or an annual one's first day."""
        first = self.first_day
        match self.recurrence:
            case Recurrence.MONTHLY:
                return f"{first.year:04d}-{first.month:02d}"
            case Recurrence.QUARTERLY:
                return f"{first.year:04d}-Q{(first.month - 1) // 3 + 1}"
            case Recurrence.ANNUALLY:
                return first.isoformat()


def anniversary(go_live: date, year: int) -> date:
    """The go-live date's anniversary in `year`: February 28 for February 29 in common years."""
    if go_live.month == 2 and go_live.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return go_live.replace(year=year)


def period_containing(recurrence: Recurrence, day: date, *, go_live: date) -> Period:
    """The period of `recurrence` that local date `day` falls in.

    `go_live` anchors annual periods and is ignored by the calendar ones. A day before the
    go-live falls in an annual period of an earlier anniversary.
    """
    match recurrence:
        case Recurrence.MONTHLY:
            first = day.replace(day=1)
            return Period(recurrence, first, _last_of_month(day.year, day.month))
        case Recurrence.QUARTERLY:
            first_month = (day.month - 1) // 3 * 3 + 1
            first = date(day.year, first_month, 1)
            return Period(recurrence, first, _last_of_month(day.year, first_month + 2))
        case Recurrence.ANNUALLY:
            year = day.year if day >= anniversary(go_live, day.year) else day.year - 1
            first = anniversary(go_live, year)
            return Period(recurrence, first, anniversary(go_live, year + 1) - _ONE_DAY)


def ended_periods(
    recurrence: Recurrence, go_live: date, now: datetime, time_zone: ZoneInfo
) -> list[Period]:
    """The periods from the one holding `go_live` on that have ended by `now`, oldest first.

    A period has ended once `now` (timezone-aware) shows a later local date than its last
    day, the rule contract dates follow (see `domain.schedule`). The period holding the
    go-live is included even though the SOW was live for part of it only. A SOW activated
    late catches up with this list; the names identify occurrences already created.
    """
    today = _local_date(now, time_zone)
    periods: list[Period] = []
    period = period_containing(recurrence, go_live, go_live=go_live)
    while period.last_day < today:
        periods.append(period)
        period = period_containing(recurrence, period.last_day + _ONE_DAY, go_live=go_live)
    return periods


def period_due_at(
    period: Period, business_days: int, time_zone: ZoneInfo, holidays: AbstractSet[date]
) -> datetime:
    """The deadline (UTC) of `period`'s occurrence: `business_days` after its last day.

    Counted from the last day even when it is a weekend or holiday (no request to shift);
    0 is the end of the last day itself.
    """
    due_day = business_days_after(period.last_day, business_days, time_zone, holidays)
    return end_of_day(due_day, time_zone)


def _last_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _local_date(instant: datetime, time_zone: ZoneInfo) -> date:
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(time_zone).date()

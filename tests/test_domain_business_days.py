"""Obligation deadlines and periods: pure date arithmetic, no server."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.obligation_dates import (
    MAX_BUSINESS_DAYS,
    Period,
    Recurrence,
    anniversary,
    business_days_after,
    due_at,
    effective_request_day,
    end_of_day,
    ended_periods,
    is_business_day,
    period_containing,
    period_due_at,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NONE: frozenset[date] = frozenset()


def local(
    tz: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=tz, fold=fold)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- due_at: DESIGN's examples ---------------------------------------------------------------


def test_friday_evening_request_with_a_monday_holiday_is_due_thursday() -> None:
    # Friday 2026-01-16, Monday 2026-01-19 is Martin Luther King Jr. Day.
    due = due_at(local(NEW_YORK, 2026, 1, 16, 19, 30), 3, NEW_YORK, frozenset({date(2026, 1, 19)}))
    assert due == local(NEW_YORK, 2026, 1, 22, 23, 59, 59)
    assert due == utc(2026, 1, 23, 4, 59, 59)
    assert due.tzinfo is UTC


def test_saturday_request_counts_from_monday() -> None:
    due = due_at(local(NEW_YORK, 2026, 1, 17, 10), 3, NEW_YORK, NONE)
    assert due.astimezone(NEW_YORK) == local(NEW_YORK, 2026, 1, 22, 23, 59, 59)  # Thursday


def test_holiday_request_counts_from_the_next_business_day() -> None:
    holidays = frozenset({date(2026, 1, 19)})
    assert effective_request_day(local(NEW_YORK, 2026, 1, 19, 9), NEW_YORK, holidays) == date(
        2026, 1, 20
    )
    due = due_at(local(NEW_YORK, 2026, 1, 19, 9), 2, NEW_YORK, holidays)
    assert due.astimezone(NEW_YORK).date() == date(2026, 1, 22)


def test_the_request_day_is_the_local_one() -> None:
    # Friday 22:00 in New York is already Saturday in UTC: still a Friday request.
    requested = utc(2026, 1, 17, 3)
    assert effective_request_day(requested, NEW_YORK, NONE) == date(2026, 1, 16)
    assert due_at(requested, 1, NEW_YORK, NONE) == local(NEW_YORK, 2026, 1, 19, 23, 59, 59)
    # The same instant is Saturday noon in Tokyo: counted from Monday.
    assert due_at(requested, 1, TOKYO, NONE) == local(TOKYO, 2026, 1, 20, 23, 59, 59)


# --- N = 0 -------------------------------------------------------------------------------------


def test_zero_days_is_the_end_of_the_request_day() -> None:
    due = due_at(local(BERLIN, 2026, 6, 9, 8), 0, BERLIN, NONE)  # Tuesday
    assert due == local(BERLIN, 2026, 6, 9, 23, 59, 59)


def test_zero_days_on_a_weekend_is_the_end_of_the_next_business_day() -> None:
    due = due_at(local(BERLIN, 2026, 6, 13, 8), 0, BERLIN, NONE)  # Saturday
    assert due == local(BERLIN, 2026, 6, 15, 23, 59, 59)


def test_business_days_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="business days"):
        due_at(local(BERLIN, 2026, 6, 9, 8), -1, BERLIN, NONE)
    with pytest.raises(ValueError, match="business days"):
        due_at(local(BERLIN, 2026, 6, 9, 8), MAX_BUSINESS_DAYS + 1, BERLIN, NONE)


def test_a_naive_request_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 6, 9, 8), 1, BERLIN, NONE)


# --- DST ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "friday", "monday_end_utc"),
    [
        # Spring forward on Sunday 2026-03-08: Friday is EST (-5), Monday EDT (-4).
        (NEW_YORK, date(2026, 3, 6), utc(2026, 3, 10, 3, 59, 59)),
        # Fall back on Sunday 2026-11-01: Friday is EDT, Monday EST.
        (NEW_YORK, date(2026, 10, 30), utc(2026, 11, 3, 4, 59, 59)),
        # Spring forward on Sunday 2026-03-29: CET (+1) to CEST (+2).
        (BERLIN, date(2026, 3, 27), utc(2026, 3, 30, 21, 59, 59)),
        # Fall back on Sunday 2026-10-25: CEST to CET.
        (BERLIN, date(2026, 10, 23), utc(2026, 10, 26, 22, 59, 59)),
    ],
)
def test_deadline_across_a_dst_weekend(
    tz: ZoneInfo, friday: date, monday_end_utc: datetime
) -> None:
    requested = datetime.combine(friday, time(22), tzinfo=tz)
    due = due_at(requested, 1, tz, NONE)
    assert due == monday_end_utc
    assert due.astimezone(tz).time() == time(23, 59, 59)


def test_request_in_the_repeated_hour_counts_by_its_local_date() -> None:
    # 01:30 occurs twice on Sunday 2026-11-01 in New York; either is Sunday, so Monday counts.
    for fold in (0, 1):
        requested = local(NEW_YORK, 2026, 11, 1, 1, 30, fold=fold)
        assert due_at(requested, 0, NEW_YORK, NONE) == utc(2026, 11, 3, 4, 59, 59)


def test_a_week_spanning_dst_counts_days_not_hours() -> None:
    # Wednesday 2026-03-04 + 5 business days is Wednesday 2026-03-11, 23:59:59 EDT.
    due = due_at(local(NEW_YORK, 2026, 3, 4, 12), 5, NEW_YORK, NONE)
    assert due == utc(2026, 3, 12, 3, 59, 59)


# --- days that DST lengthens, shortens or skips ---------------------------------------------


def test_a_day_that_repeats_its_last_hour_ends_at_the_second_2359() -> None:
    # America/Santiago turns Saturday 2026-04-04 24:00 (-03) back into 23:00 (-04).
    santiago = ZoneInfo("America/Santiago")
    assert end_of_day(date(2026, 4, 4), santiago) == utc(2026, 4, 5, 3, 59, 59)


def test_a_day_whose_last_hour_is_skipped_ends_before_the_jump() -> None:
    # America/Nuuk turns Saturday 2026-03-28 23:00 (-02) into Sunday 00:00 (-01).
    nuuk = ZoneInfo("America/Nuuk")
    end = end_of_day(date(2026, 3, 28), nuuk)
    assert end == utc(2026, 3, 29, 0, 59, 59)
    assert end.astimezone(nuuk).replace(tzinfo=None) == datetime(2026, 3, 28, 22, 59, 59)


def test_a_business_day_shortened_by_dst_is_due_before_the_jump() -> None:
    # Asia/Dhaka turned Friday 2009-06-19 23:00 (+06) into Saturday 00:00 (+07).
    dhaka = ZoneInfo("Asia/Dhaka")
    due = due_at(local(dhaka, 2009, 6, 18, 10), 1, dhaka, NONE)
    assert due == utc(2009, 6, 19, 16, 59, 59)


def test_a_skipped_day_is_not_a_business_day() -> None:
    # Pacific/Apia went from Thursday 2011-12-29 24:00 (-10) to Saturday 2011-12-31 (+14).
    apia = ZoneInfo("Pacific/Apia")
    assert not is_business_day(date(2011, 12, 30), apia, NONE)
    assert is_business_day(date(2011, 12, 30), NEW_YORK, NONE)
    assert end_of_day(date(2011, 12, 30), apia) == end_of_day(date(2011, 12, 29), apia)
    due = due_at(local(apia, 2011, 12, 29, 10), 1, apia, NONE)
    assert due == local(apia, 2012, 1, 2, 23, 59, 59)  # Monday


# --- year end ----------------------------------------------------------------------------------


def test_year_end_with_a_new_year_holiday() -> None:
    # Thursday 2026-12-31; Friday 2027-01-01 is a holiday, then a weekend.
    holidays = frozenset({date(2026, 12, 25), date(2027, 1, 1)})
    due = due_at(local(BERLIN, 2026, 12, 31, 16), 1, BERLIN, holidays)
    assert due == local(BERLIN, 2027, 1, 4, 23, 59, 59)
    assert due == utc(2027, 1, 4, 22, 59, 59)


def test_new_year_in_tokyo_while_still_december_in_utc() -> None:
    holidays = frozenset({date(2027, 1, 1)})
    requested = utc(2026, 12, 31, 16)  # 2027-01-01 01:00 in Tokyo: a holiday
    assert due_at(requested, 0, TOKYO, holidays) == local(TOKYO, 2027, 1, 4, 23, 59, 59)
    assert due_at(requested, 0, NEW_YORK, holidays) == local(NEW_YORK, 2026, 12, 31, 23, 59, 59)


# --- properties --------------------------------------------------------------------------------

ZONES = [
    NEW_YORK,
    BERLIN,
    TOKYO,
    ZoneInfo("UTC"),
    ZoneInfo("Australia/Lord_Howe"),  # half-hour DST
    ZoneInfo("Pacific/Chatham"),  # +12:45/+13:45
    ZoneInfo("America/St_Johns"),  # -03:30/-02:30
]
# Zones above never move clocks at 23:59:59, so every end of day reads 23:59:59 locally.

zones = st.sampled_from(ZONES)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC)
)
counts = st.integers(min_value=0, max_value=30)
# Offsets from the request's date, so that holidays land where they matter.
holiday_offsets = st.frozensets(st.integers(min_value=-3, max_value=60), max_size=15)


def near(instant: datetime, tz: ZoneInfo, offsets: frozenset[int]) -> frozenset[date]:
    day = instant.astimezone(tz).date()
    return frozenset(day + timedelta(days=offset) for offset in offsets)


def business_days_between(first: date, last: date, tz: ZoneInfo, holidays: frozenset[date]) -> int:
    """Business days in (first, last]."""
    days = (last - first).days
    return sum(is_business_day(first + timedelta(days=i), tz, holidays) for i in range(1, days + 1))


PROPERTY = settings(max_examples=60, deadline=None)


@PROPERTY
@given(zones, instants, counts, holiday_offsets)
def test_due_is_the_end_of_the_nth_business_day_after_the_effective_day(
    tz: ZoneInfo, requested: datetime, n: int, offsets: frozenset[int]
) -> None:
    holidays = near(requested, tz, offsets)
    start = effective_request_day(requested, tz, holidays)
    due = due_at(requested, n, tz, holidays)
    due_local = due.astimezone(tz)

    assert due.tzinfo is UTC
    assert due_local.time() == time(23, 59, 59)
    assert start >= requested.astimezone(tz).date()
    assert is_business_day(start, tz, holidays)
    assert is_business_day(due_local.date(), tz, holidays)
    # No business day between the request's date and its effective day.
    assert business_days_between(requested.astimezone(tz).date(), start, tz, holidays) <= 1
    # Exactly n business days in (start, due], the due day being the nth.
    assert business_days_between(start, due_local.date(), tz, holidays) == n
    assert due >= requested.replace(microsecond=0)


@PROPERTY
@given(zones, instants, counts, holiday_offsets, holiday_offsets)
def test_more_holidays_never_bring_a_deadline_forward(
    tz: ZoneInfo, requested: datetime, n: int, offsets: frozenset[int], more: frozenset[int]
) -> None:
    holidays = near(requested, tz, offsets)
    assert due_at(requested, n, tz, holidays | near(requested, tz, more)) >= due_at(
        requested, n, tz, holidays
    )


@PROPERTY
@given(zones, instants, counts, holiday_offsets)
def test_due_grows_with_the_number_of_days(
    tz: ZoneInfo, requested: datetime, n: int, offsets: frozenset[int]
) -> None:
    holidays = near(requested, tz, offsets)
    assert due_at(requested, n + 1, tz, holidays) > due_at(requested, n, tz, holidays)


# --- periods -----------------------------------------------------------------------------------

GO_LIVE = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("recurrence", "day", "first", "last", "name"),
    [
        (Recurrence.MONTHLY, date(2026, 11, 17), date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        (Recurrence.MONTHLY, date(2028, 2, 1), date(2028, 2, 1), date(2028, 2, 29), "2028-02"),
        (
            Recurrence.QUARTERLY,
            date(2026, 11, 17),
            date(2026, 10, 1),
            date(2026, 12, 31),
            "2026-Q4",
        ),
        (Recurrence.QUARTERLY, date(2026, 2, 28), date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        (
            Recurrence.ANNUALLY,
            date(2026, 3, 15),
            date(2026, 3, 15),
            date(2027, 3, 14),
            "2026-03-15",
        ),
        (
            Recurrence.ANNUALLY,
            date(2027, 3, 14),
            date(2026, 3, 15),
            date(2027, 3, 14),
            "2026-03-15",
        ),
        (Recurrence.ANNUALLY, date(2028, 1, 1), date(2027, 3, 15), date(2028, 3, 14), "2027-03-15"),
    ],
)
def test_period_containing(
    recurrence: Recurrence, day: date, first: date, last: date, name: str
) -> None:
    period = period_containing(recurrence, day, go_live=GO_LIVE)
    assert period == Period(recurrence, first, last)
    assert period.name == name


def test_february_29_go_live_has_its_anniversary_on_february_28_in_common_years() -> None:
    leap = date(2024, 2, 29)
    assert [anniversary(leap, year) for year in (2025, 2027, 2028)] == [
        date(2025, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]
    now = local(BERLIN, 2028, 3, 1, 12)
    periods = ended_periods(Recurrence.ANNUALLY, leap, now, BERLIN)
    assert [(p.name, p.last_day) for p in periods] == [
        ("2024-02-29", date(2025, 2, 27)),
        ("2025-02-28", date(2026, 2, 27)),
        ("2026-02-28", date(2027, 2, 27)),
        ("2027-02-28", date(2028, 2, 28)),
    ]
    assert period_containing(Recurrence.ANNUALLY, date(2028, 2, 29), go_live=leap).name == (
        "2028-02-29"
    )


def test_ended_periods_catch_up_from_the_go_live_period() -> None:
    now = local(NEW_YORK, 2026, 7, 1, 0, 0, 1)  # July has just begun in New York
    monthly = ended_periods(Recurrence.MONTHLY, GO_LIVE, now, NEW_YORK)
    assert [p.name for p in monthly] == ["2026-03", "2026-04", "2026-05", "2026-06"]
    quarterly = ended_periods(Recurrence.QUARTERLY, GO_LIVE, now, NEW_YORK)
    assert [p.name for p in quarterly] == ["2026-Q1", "2026-Q2"]
    # The same instant is still June 30 in Los Angeles: June has not ended there.
    los_angeles = ZoneInfo("America/Los_Angeles")
    assert ended_periods(Recurrence.MONTHLY, GO_LIVE, now, los_angeles)[-1].name == "2026-05"
    assert ended_periods(Recurrence.ANNUALLY, GO_LIVE, now, NEW_YORK) == []
    annual_now = local(NEW_YORK, 2027, 3, 15, 0, 0, 1)
    assert [p.name for p in ended_periods(Recurrence.ANNUALLY, GO_LIVE, annual_now, NEW_YORK)] == [
        "2026-03-15"
    ]


def test_no_period_has_ended_before_go_live() -> None:
    before = local(NEW_YORK, 2026, 1, 10, 12)
    assert ended_periods(Recurrence.MONTHLY, GO_LIVE, before, NEW_YORK) == []


def test_period_due_counts_from_the_last_day_without_a_weekend_shift() -> None:
    november = period_containing(Recurrence.MONTHLY, date(2025, 11, 5), go_live=GO_LIVE)
    assert november.last_day.weekday() == 6  # Sunday
    due = period_due_at(november, 3, NEW_YORK, NONE)
    assert due == local(NEW_YORK, 2025, 12, 3, 23, 59, 59)  # Wednesday
    assert period_due_at(november, 0, NEW_YORK, NONE) == local(NEW_YORK, 2025, 11, 30, 23, 59, 59)
    # Q4 2026 ends on Thursday 2026-12-31; New Year's Day is a holiday.
    q4 = period_containing(Recurrence.QUARTERLY, date(2026, 12, 1), go_live=GO_LIVE)
    holidays = frozenset({date(2027, 1, 1)})
    assert period_due_at(q4, 2, BERLIN, holidays) == local(BERLIN, 2027, 1, 5, 23, 59, 59)


recurrences = st.sampled_from(list(Recurrence))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@PROPERTY
@given(recurrences, days, days)
def test_periods_tile_the_calendar(recurrence: Recurrence, day: date, go_live: date) -> None:
    period = period_containing(recurrence, day, go_live=go_live)
    assert period.first_day <= day <= period.last_day
    following = period_containing(recurrence, period.last_day + timedelta(days=1), go_live=go_live)
    assert following.first_day == period.last_day + timedelta(days=1)
    assert following.name > period.name
    assert period_containing(recurrence, period.first_day, go_live=go_live) == period
    assert period_containing(recurrence, period.last_day, go_live=go_live) == period


@PROPERTY
@given(zones, counts, days)
def test_period_due_is_n_business_days_after_the_last_day(tz: ZoneInfo, n: int, day: date) -> None:
    period = period_containing(Recurrence.MONTHLY, day, go_live=day)
    due_day = period_due_at(period, n, tz, NONE).astimezone(tz).date()
    assert due_day == business_days_after(period.last_day, n, tz, NONE)
    assert business_days_between(period.last_day, due_day, tz, NONE) == n

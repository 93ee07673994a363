"""The pure arithmetic of performance against the contract (`domain.sla`, `domain.statement`).

No server: counts in, metrics, periods, fees and credits out, checked against DESIGN.md's
worked example to the cent and against properties that must hold for any rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.currencies import ISO_4217, minor_units
from domain.errors import BadUserInput
from domain.sla import (
    AGENT_METRICS,
    ZERO_COUNTS,
    IntervalCounts,
    IntervalRow,
    Period,
    RenewalRecommendation,
    SlaResult,
    agent_scorecard,
    count_problems,
    evaluate,
    far_missed,
    measure,
    recommend,
    row_problems,
)
from domain.sow import Pricing, ServiceCredit, SowTerms, parse_sow_terms
from domain.statement import (
    consecutive_misses,
    credit_percent,
    fees,
    round_money,
    service_credits,
    settle,
    shown_quantity,
    statement,
)
from domain.values import Channel, PricingUnit, SlaMetric, SlaTarget
from tests.terms import SOW_TERMS

# DESIGN.md's worked example.
TERMS: dict[str, Any] = {
    **SOW_TERMS,
    "languages": ["en-US"],
    "pricing": {"rate": "2.50", "unit": "PER_CALL", "currency": "USD"},
    "slaTargets": [
        {"metric": "SERVICE_LEVEL", "target": 80, "thresholdSeconds": 20},
        {"metric": "AVERAGE_WAIT_TIME", "target": 30},
        {"metric": "ABANDONMENT_RATE", "target": 5},
        {"metric": "AVERAGE_HANDLE_TIME", "target": 360},
        {"metric": "FIRST_CALL_RESOLUTION", "target": 70},
        {"metric": "CUSTOMER_SATISFACTION", "target": 85},
    ],
    "serviceCredits": [
        {"metric": "SERVICE_LEVEL", "percentOfFees": 5, "capPercent": 15},
        {"metric": "ABANDONMENT_RATE", "percentOfFees": 3, "capPercent": 9},
    ],
}
WORKED = parse_sow_terms(TERMS)
ROW_1 = IntervalCounts(
    offered=100,
    answered=90,
    abandoned=10,
    answered_within_threshold=70,
    wait_seconds_answered=1800,
    handle_seconds=30600,
    first_contact_resolutions=63,
    csat_responses=20,
    csat_satisfied=18,
)
ROW_2 = IntervalCounts(
    offered=60,
    answered=58,
    abandoned=2,
    answered_within_threshold=52,
    wait_seconds_answered=580,
    handle_seconds=20300,
    first_contact_resolutions=44,
    csat_responses=10,
    csat_satisfied=8,
)
NOVEMBER = IntervalCounts.total([ROW_1, ROW_2])
NOW = datetime(2026, 12, 15, tzinfo=UTC)


def terms_with(**changes: Any) -> SowTerms:
    return parse_sow_terms({**TERMS, **changes})


def results_by_metric(results: tuple[SlaResult, ...]) -> dict[SlaMetric, SlaResult]:
    return {result.metric: result for result in results}


# --- the worked example --------------------------------------------------------------------


def test_the_worked_example_scorecard() -> None:
    results = results_by_metric(evaluate(NOVEMBER, WORKED.sla_targets))

    expected = {
        SlaMetric.SERVICE_LEVEL: (Fraction("76.25"), False),
        SlaMetric.AVERAGE_WAIT_TIME: (Fraction(2380, 148), True),
        SlaMetric.ABANDONMENT_RATE: (Fraction("7.5"), False),
        SlaMetric.AVERAGE_HANDLE_TIME: (Fraction(50900, 148), True),
        SlaMetric.FIRST_CALL_RESOLUTION: (Fraction(10700, 148), True),
        SlaMetric.CUSTOMER_SATISFACTION: (Fraction(2600, 30), True),
    }
    assert {m: (r.actual, r.met) for m, r in results.items()} == expected
    shown = {m: round(float(r.actual or 0), 2) for m, r in results.items()}
    assert shown == {
        SlaMetric.SERVICE_LEVEL: 76.25,
        SlaMetric.AVERAGE_WAIT_TIME: 16.08,
        SlaMetric.ABANDONMENT_RATE: 7.5,
        SlaMetric.AVERAGE_HANDLE_TIME: 343.92,
        SlaMetric.FIRST_CALL_RESOLUTION: 72.30,
        SlaMetric.CUSTOMER_SATISFACTION: 86.67,
    }
    assert results[SlaMetric.SERVICE_LEVEL].target == 80
    assert (NOVEMBER.offered, NOVEMBER.answered, NOVEMBER.abandoned) == (160, 148, 12)


def test_the_worked_example_statement_to_the_cent() -> None:
    november = statement(WORKED, NOVEMBER, {})

    assert (november.currency, november.unit) == ("USD", PricingUnit.PER_CALL)
    assert november.quantity == 148
    assert str(november.fees) == "370.00"
    assert [
        (c.metric, c.consecutive_misses, c.percent, str(c.amount)) for c in november.credits
    ] == [
        (SlaMetric.SERVICE_LEVEL, 1, Decimal(5), "18.50"),
        (SlaMetric.ABANDONMENT_RATE, 1, Decimal(3), "11.10"),
    ]
    assert str(november.total_credits) == "29.60"
    assert str(november.amount_due) == "340.40"


@pytest.mark.parametrize(
    ("months_missed_before", "service_level_percent", "abandonment_percent"),
    [(1, 10, 6), (2, 15, 9), (3, 15, 9)],
)
def test_a_repeated_miss_costs_more_up_to_the_cap(
    months_missed_before: int, service_level_percent: int, abandonment_percent: int
) -> None:
    before = {SlaMetric.SERVICE_LEVEL: months_missed_before, SlaMetric.ABANDONMENT_RATE: 0}
    december = statement(WORKED, NOVEMBER, before)

    service_level, abandonment = december.credits
    assert service_level.consecutive_misses == months_missed_before + 1
    assert service_level.percent == service_level_percent
    assert service_level.amount == Decimal(370) * service_level_percent / 100
    # Abandonment's run restarts: missed now, not the month before.
    assert (abandonment.consecutive_misses, abandonment.percent) == (1, Decimal(3))
    before[SlaMetric.ABANDONMENT_RATE] = months_missed_before
    assert statement(WORKED, NOVEMBER, before).credits[1].percent == abandonment_percent


def test_the_run_of_misses_counts_back_from_the_latest_period() -> None:
    assert consecutive_misses([]) == 0
    assert consecutive_misses([True, True, False]) == 0
    assert consecutive_misses([True, False, True, True]) == 2
    unmeasured = SlaResult(SlaMetric.CUSTOMER_SATISFACTION, Fraction(85), None, None)
    missed = SlaResult(SlaMetric.CUSTOMER_SATISFACTION, Fraction(85), Fraction(80), False)
    assert consecutive_misses(r.missed for r in (missed, unmeasured, missed)) == 1


def test_met_metrics_and_no_rows_owe_no_credit() -> None:
    good = IntervalCounts(offered=10, answered=10, answered_within_threshold=9, handle_seconds=60)
    assert statement(WORKED, good, {SlaMetric.SERVICE_LEVEL: 4}).credits == ()
    empty = statement(WORKED, ZERO_COUNTS, {})
    assert (str(empty.fees), empty.credits, str(empty.amount_due)) == ("0.00", (), "0.00")
    assert all(
        r.actual is None and r.met is None for r in evaluate(ZERO_COUNTS, WORKED.sla_targets)
    )


# --- metrics -------------------------------------------------------------------------------


def test_targets_compare_exactly_as_written() -> None:
    # 723/1000 answered within is exactly 72.3 %: the float 72.3 is slightly below it.
    counts = IntervalCounts(offered=1000, answered=1000, answered_within_threshold=723)
    at_floor = SlaTarget(metric=SlaMetric.SERVICE_LEVEL, target=72.3, threshold_seconds=20)
    assert evaluate(counts, [at_floor])[0].met is True
    abandoned = IntervalCounts(offered=1000, answered=277, abandoned=723)
    at_ceiling = SlaTarget(metric=SlaMetric.ABANDONMENT_RATE, target=72.3)
    ceiling = [SlaMetric.ABANDONMENT_RATE]
    assert evaluate(abandoned, [at_ceiling], ceiling)[0].met is True
    just_over = IntervalCounts(offered=10000, answered=2769, abandoned=7231)
    assert evaluate(just_over, [at_ceiling], ceiling)[0].met is False


def test_an_agent_scorecard_measures_only_the_agents_own_metrics() -> None:
    expectations = WORKED.sla_targets
    results = agent_scorecard(NOVEMBER, expectations)
    assert tuple(r.metric for r in results) == AGENT_METRICS
    assert all(r.met for r in results)


def test_a_metric_without_a_target_is_measured_but_not_judged() -> None:
    result = evaluate(NOVEMBER, [], [SlaMetric.SERVICE_LEVEL])[0]
    assert (result.target, result.actual, result.met) == (None, Fraction("76.25"), None)


# --- row validation ------------------------------------------------------------------------

START = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def row(**changes: Any) -> IntervalRow:
    fields: dict[str, Any] = {
        "channel": Channel.INBOUND_VOICE,
        "interval_start": START,
        "interval_minutes": 30,
        "threshold_seconds": 20,
        "counts": ROW_1,
    }
    return IntervalRow(**{**fields, **changes})


def fields_of(problems: tuple[Any, ...]) -> list[str]:
    return [problem.field for problem in problems]


def test_a_valid_row_has_no_problem() -> None:
    assert row_problems(row(), WORKED, NOW) == ()
    assert row_problems(row(agent_id="agent-1", interval_minutes=60), WORKED, NOW) == ()


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        (IntervalCounts(offered=-1), "offered"),
        (IntervalCounts(handle_seconds=-5), "handleSeconds"),
        (IntervalCounts(offered=10, answered=8, abandoned=3), "offered"),
        (
            IntervalCounts(offered=10, answered=8, answered_within_threshold=9),
            "answeredWithinThreshold",
        ),
        (
            IntervalCounts(offered=10, answered=8, first_contact_resolutions=9),
            "firstContactResolutions",
        ),
        (IntervalCounts(csat_responses=3, csat_satisfied=4), "csatSatisfied"),
    ],
)
def test_impossible_counts_are_named(counts: IntervalCounts, field: str) -> None:
    assert fields_of(count_problems(counts)) == [field]
    assert fields_of(row_problems(row(counts=counts), WORKED, NOW)) == [field]


def test_every_negative_count_is_named_at_once() -> None:
    counts = IntervalCounts(answered=-1, csat_satisfied=-2)
    assert fields_of(count_problems(counts)) == ["answered", "csatSatisfied"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"interval_minutes": 20}, "intervalMinutes"),
        ({"interval_start": START + timedelta(minutes=15)}, "intervalStart"),
        ({"interval_start": START + timedelta(seconds=1)}, "intervalStart"),
        ({"interval_start": START.replace(tzinfo=None)}, "intervalStart"),
        ({"channel": Channel.EMAIL}, "channel"),
        ({"threshold_seconds": 30}, "thresholdSeconds"),
        ({"threshold_seconds": -1}, "thresholdSeconds"),
        # The SOW's window, in New York: go-live is June 1 there, 04:00 UTC.
        ({"interval_start": datetime(2026, 6, 1, 3, 30, tzinfo=UTC)}, "intervalStart"),
        ({"interval_start": datetime(2027, 6, 1, 4, 0, tzinfo=UTC)}, "intervalStart"),
        # Not yet ended: 14:00 + 30 minutes is after 14:20.
        ({"interval_start": NOW.replace(hour=14)}, "intervalStart"),
    ],
)
def test_rows_the_sow_refuses_are_named(changes: dict[str, Any], field: str) -> None:
    now = NOW.replace(hour=14, minute=20)
    assert fields_of(row_problems(row(**changes), WORKED, now)) == [field]


def test_the_window_includes_go_live_and_end_dates_in_the_sow_time_zone() -> None:
    first = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 00:00 on June 1 in New York
    last = datetime(2027, 6, 1, 3, 30, tzinfo=UTC)  # 23:30 on May 31 in New York
    later = datetime(2027, 7, 1, tzinfo=UTC)
    assert row_problems(row(interval_start=first), WORKED, later) == ()
    assert row_problems(row(interval_start=last), WORKED, later) == ()


def test_any_threshold_goes_when_the_sow_sets_no_service_level() -> None:
    terms = terms_with(
        slaTargets=[{"metric": "AVERAGE_HANDLE_TIME", "target": 360}], serviceCredits=[]
    )
    assert row_problems(row(threshold_seconds=45), terms, NOW) == ()


# --- periods -------------------------------------------------------------------------------


def test_a_row_belongs_to_the_month_of_its_start_in_the_sow_time_zone() -> None:
    zone = WORKED.service_hours.time_zone
    assert str(Period.of(datetime(2026, 12, 1, 3, 0, tzinfo=UTC), zone)) == "2026-11"
    assert str(Period.of(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), zone)) == "2026-12"
    assert str(Period.of(datetime(2026, 12, 1, 3, 0, tzinfo=UTC), "UTC")) == "2026-12"


def test_the_bounds_of_a_period_follow_daylight_saving_time() -> None:
    # New York is on daylight time (UTC-4) at the start of November 2026, standard at its end.
    start, end = Period.parse("2026-11").bounds("America/New_York")
    assert (start, end) == (
        datetime(2026, 11, 1, 4, tzinfo=UTC),
        datetime(2026, 12, 1, 5, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-11", "2026-11-01", " 2026-11", "1899-12"]
)
def test_a_malformed_period_is_refused(text: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        Period.parse(text, field="from")
    assert refused.value.field == "from"


def test_periods_follow_each_other() -> None:
    december = Period.parse("2026-12")
    assert (str(december.next()), str(december.previous())) == ("2027-01", "2026-11")
    assert [str(p) for p in Period(2026, 11).through(Period(2027, 2))] == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert december.last_day == date(2026, 12, 31)


ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "America/Santiago", "Australia/Lord_Howe"]


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(ZONES),
)
def test_an_instant_lies_within_the_bounds_of_its_period(instant: datetime, zone: str) -> None:
    start, end = Period.of(instant, zone).bounds(zone)
    assert start <= instant < end


# --- money ---------------------------------------------------------------------------------


def test_money_rounds_half_up_to_the_currency_minor_unit() -> None:
    assert (minor_units("JPY"), minor_units("USD"), minor_units("BHD")) == (0, 2, 3)
    assert str(round_money(Fraction("0.125"), "USD")) == "0.13"  # not banker's 0.12
    assert str(round_money(Fraction("37.5"), "JPY")) == "38"
    assert str(round_money(Fraction("31.25"), "JPY")) == "31"
    assert str(round_money(Fraction("0.0375"), "BHD")) == "0.038"
    assert str(round_money(Fraction("-0.125"), "USD")) == "-0.13"
    assert str(round_money(Fraction(0), "BHD")) == "0.000"
    assert all(minor_units(code) in {0, 2, 3, 4} for code in ISO_4217)


def test_yen_fees_and_credits_are_whole_yen() -> None:
    terms = terms_with(pricing={"rate": "15", "unit": "PER_MINUTE", "currency": "JPY"})
    # 150 s is 2.5 minutes: 37.5 yen, billed 38; 5 % of 38 is 1.9, credited 2.
    counts = IntervalCounts(offered=4, answered=2, abandoned=2, handle_seconds=150)
    yen = statement(terms, counts, {})
    assert (str(yen.quantity), str(yen.fees)) == ("2.500000", "38")
    assert [str(c.amount) for c in yen.credits] == ["2", "1"]
    assert (str(yen.total_credits), str(yen.amount_due)) == ("3", "35")


def test_dinar_fees_and_credits_have_three_decimals() -> None:
    terms = terms_with(pricing={"rate": "0.0125", "unit": "PER_CALL", "currency": "BHD"})
    counts = IntervalCounts(offered=4, answered=3, abandoned=1)
    dinar = statement(terms, counts, {})
    # 3 * 0.0125 = 0.0375 -> 0.038; 5 % -> 0.0019 -> 0.002; 3 % -> 0.00114 -> 0.001.
    assert str(dinar.fees) == "0.038"
    assert [str(c.amount) for c in dinar.credits] == ["0.002", "0.001"]
    assert str(dinar.amount_due) == "0.035"


def test_hourly_fees_bill_staffed_hours_exactly() -> None:
    terms = terms_with(pricing={"rate": "18.50", "unit": "PER_HOUR", "currency": "USD"})
    counts = IntervalCounts(staffed_seconds=1000)  # 5/18 h: 5.1388... -> 5.14
    assert str(fees(terms.pricing, counts)) == "5.14"
    assert str(shown_quantity(PricingUnit.PER_HOUR, counts)) == "0.277778"


def test_the_amount_due_stops_at_zero() -> None:
    pricing = Pricing(rate=Decimal("1"), unit=PricingUnit.PER_CALL, currency="USD")
    entries = [
        ServiceCredit(metric=metric, percent_of_fees=60, cap_percent=60)
        for metric in (SlaMetric.SERVICE_LEVEL, SlaMetric.ABANDONMENT_RATE)
    ]
    missed = [SlaResult(e.metric, Fraction(1), Fraction(2), False) for e in entries]
    credits = service_credits(Decimal("10.00"), "USD", entries, missed, {})
    settled = settle(pricing, Decimal(10), Decimal("10.00"), credits)
    assert (str(settled.total_credits), str(settled.amount_due)) == ("12.00", "0.00")


# --- renewal -------------------------------------------------------------------------------

EXPECTATIONS = [
    SlaTarget(metric=SlaMetric.AVERAGE_HANDLE_TIME, target=360),
    SlaTarget(metric=SlaMetric.FIRST_CALL_RESOLUTION, target=70),
    SlaTarget(metric=SlaMetric.CUSTOMER_SATISFACTION, target=85),
    # Not an agent's metric: never measured per agent, so it never counts.
    SlaTarget(metric=SlaMetric.SERVICE_LEVEL, target=80, threshold_seconds=20),
]


def agent(
    answered: int = 100, handle: int = 300, fcr: int = 80, csat: tuple[int, int] = (9, 10)
) -> IntervalCounts:
    return IntervalCounts(
        offered=answered,
        answered=answered,
        handle_seconds=handle * answered,
        first_contact_resolutions=fcr * answered // 100,
        csat_satisfied=csat[0],
        csat_responses=csat[1],
    )


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (agent(answered=99), RenewalRecommendation.INSUFFICIENT_DATA),
        (agent(), RenewalRecommendation.RENEW),
        (agent(csat=(0, 0)), RenewalRecommendation.RENEW),  # CSAT unmeasured
        (agent(fcr=63), RenewalRecommendation.REVIEW),  # 10 % under the floor of 70, exactly
        (agent(handle=396), RenewalRecommendation.REVIEW),  # 10 % over the ceiling of 360
        (agent(answered=1000, fcr=62), RenewalRecommendation.DO_NOT_RENEW),
        (agent(handle=397), RenewalRecommendation.DO_NOT_RENEW),
        (agent(fcr=65, csat=(7, 10)), RenewalRecommendation.DO_NOT_RENEW),  # CSAT 70 < 76.5
    ],
)
def test_the_renewal_recommendation(
    counts: IntervalCounts, expected: RenewalRecommendation
) -> None:
    results = agent_scorecard(counts, EXPECTATIONS)
    assert recommend(results, counts.answered) is expected


def test_the_minimum_of_answered_contacts_is_a_parameter() -> None:
    results = agent_scorecard(agent(answered=20), EXPECTATIONS)
    assert recommend(results, 20) is RenewalRecommendation.INSUFFICIENT_DATA
    assert recommend(results, 20, minimum_answered=20) is RenewalRecommendation.RENEW


def test_how_far_a_miss_goes_is_relative_to_its_target() -> None:
    fcr_at = Fraction(629, 10)
    floor = SlaResult(SlaMetric.FIRST_CALL_RESOLUTION, Fraction(70), fcr_at, False)
    ceiling = SlaResult(SlaMetric.AVERAGE_HANDLE_TIME, Fraction(0), Fraction(1), False)
    met = SlaResult(SlaMetric.AVERAGE_HANDLE_TIME, Fraction(360), Fraction(1), True)
    assert far_missed(floor)
    assert far_missed(ceiling)
    assert not far_missed(met)


# --- properties ----------------------------------------------------------------------------


# Half Hypothesis's default number of examples: the file stays well under two seconds, and
# every run draws new ones.
quick = settings(max_examples=50)


@st.composite
def valid_counts(draw: st.DrawFn) -> IntervalCounts:
    small = st.integers(0, 500)
    offered = draw(small)
    answered = draw(st.integers(0, offered))
    satisfied, responses = sorted((draw(small), draw(small)))
    return IntervalCounts(
        offered=offered,
        answered=answered,
        abandoned=draw(st.integers(0, offered - answered)),
        answered_within_threshold=draw(st.integers(0, answered)),
        wait_seconds_answered=draw(st.integers(0, 100_000)),
        handle_seconds=draw(st.integers(0, 500_000)),
        staffed_seconds=draw(st.integers(0, 1_000_000)),
        first_contact_resolutions=draw(st.integers(0, answered)),
        csat_responses=responses,
        csat_satisfied=satisfied,
    )


# Each metric's (numerator, denominator, scale), written out again from DESIGN.md's table.
FORMULAS: dict[
    SlaMetric, tuple[Callable[[IntervalCounts], int], Callable[[IntervalCounts], int], int]
] = {
    SlaMetric.SERVICE_LEVEL: (lambda c: c.answered_within_threshold, lambda c: c.offered, 100),
    SlaMetric.AVERAGE_WAIT_TIME: (lambda c: c.wait_seconds_answered, lambda c: c.answered, 1),
    SlaMetric.ABANDONMENT_RATE: (lambda c: c.abandoned, lambda c: c.offered, 100),
    SlaMetric.AVERAGE_HANDLE_TIME: (lambda c: c.handle_seconds, lambda c: c.answered, 1),
    SlaMetric.FIRST_CALL_RESOLUTION: (
        lambda c: c.first_contact_resolutions,
        lambda c: c.answered,
        100,
    ),
    SlaMetric.CUSTOMER_SATISFACTION: (lambda c: c.csat_satisfied, lambda c: c.csat_responses, 100),
}


@quick
@given(st.lists(valid_counts(), max_size=4), st.lists(valid_counts(), max_size=4))
def test_metrics_of_two_disjoint_row_sets_are_those_of_their_summed_counts(
    first: list[IntervalCounts], second: list[IntervalCounts]
) -> None:
    a, b = IntervalCounts.total(first), IntervalCounts.total(second)
    union = IntervalCounts.total(first + second)
    assert union == a + b == b + a
    assert count_problems(union) == ()
    for metric, (numerator, denominator, scale) in FORMULAS.items():
        weight_a, weight_b = denominator(a), denominator(b)
        actual = measure(metric, union)
        if weight_a + weight_b == 0:
            assert actual is None
            continue
        rows = first + second
        assert actual == Fraction(
            scale * sum(numerator(r) for r in rows), sum(denominator(r) for r in rows)
        )
        # A ratio of sums: each measured part weighs by its denominator, never a mean of
        # means. An unmeasured part still adds its numerator (handle time past the interval
        # its contact was answered in), which no mean of the parts would see.
        weighted = sum(
            scale * numerator(part) if value is None else value * denominator(part)
            for part, value in ((a, measure(metric, a)), (b, measure(metric, b)))
        )
        assert actual == weighted / (weight_a + weight_b)


percents = st.decimals(min_value="0.01", max_value=100, places=2).map(float)
amounts = st.decimals(min_value=0, max_value=10**9, places=2)


@quick
@given(amounts, percents, percents, st.integers(1, 40))
def test_a_credit_never_exceeds_its_cap(fees_: Decimal, a: float, b: float, misses: int) -> None:
    entry = ServiceCredit(
        metric=SlaMetric.SERVICE_LEVEL, percent_of_fees=min(a, b), cap_percent=max(a, b)
    )
    missed = SlaResult(SlaMetric.SERVICE_LEVEL, Fraction(80), Fraction(79), False)
    (credit,) = service_credits(
        fees_, "USD", [entry], [missed], {SlaMetric.SERVICE_LEVEL: misses - 1}
    )
    cap = Decimal(repr(max(a, b)))
    assert credit.consecutive_misses == misses
    assert (
        credit.percent
        == min(Decimal(repr(min(a, b))) * misses, cap)
        == credit_percent(entry, misses)
    )
    assert credit.amount <= round_money(Fraction(fees_) * Fraction(cap) / 100, "USD") <= fees_


@quick
@given(
    amounts,
    st.lists(st.tuples(percents, percents, st.integers(0, 12)), min_size=1, max_size=6),
    st.sampled_from(["USD", "JPY", "BHD"]),
)
def test_the_amount_due_is_never_negative(
    fees_: Decimal, terms: list[tuple[float, float, int]], currency: str
) -> None:
    fees_ = round_money(Fraction(fees_), currency)
    metrics = list(SlaMetric)[: len(terms)]
    entries = [
        ServiceCredit(metric=metric, percent_of_fees=min(a, b), cap_percent=max(a, b))
        for metric, (a, b, _) in zip(metrics, terms, strict=True)
    ]
    missed = [SlaResult(metric, Fraction(1), None, None) for metric in metrics[::2]] + [
        SlaResult(metric, Fraction(1), Fraction(2), False) for metric in metrics
    ]
    before = {metric: n for metric, (_, _, n) in zip(metrics, terms, strict=True)}
    pricing = Pricing(rate=Decimal("1"), unit=PricingUnit.PER_CALL, currency=currency)
    settled = settle(
        pricing, Decimal(1), fees_, service_credits(fees_, currency, entries, missed, before)
    )
    assert len(settled.credits) == len(entries)
    assert settled.total_credits == sum((c.amount for c in settled.credits), Decimal(0))
    assert settled.amount_due >= 0
    assert settled.amount_due == max(fees_ - settled.total_credits, Decimal(0))


@quick
@given(st.lists(valid_counts(), max_size=4), st.integers(0, 5))
def test_a_statement_of_any_rows_owes_at_most_the_capped_credits(
    rows: list[IntervalCounts], misses_before: int
) -> None:
    counts = IntervalCounts.total(rows)
    figures = statement(WORKED, counts, dict.fromkeys(SlaMetric, misses_before))
    caps = {entry.metric: Fraction(repr(entry.cap_percent)) for entry in WORKED.service_credits}
    for credit in figures.credits:
        # Rounded one by one, the credits may together pass the rounded sum of the caps.
        capped = round_money(Fraction(figures.fees) * caps[credit.metric] / 100, "USD")
        assert credit.amount <= capped
    assert 0 <= figures.amount_due <= figures.fees

"""The pure rules of a SOW's periods: how recordings move running sums, which terms judge a
month, and how a ledger of months carries runs of misses across closed ones."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import sow as sows
from domain.commands import (
    AcceptSowAmendment,
    ProposeSowAmendment,
    SignSow,
    StartSowReview,
    SubmitSow,
)
from domain.party import SYSTEM, Role, Viewer
from domain.sla import (
    ZERO_COUNTS,
    IntervalCounts,
    IntervalRow,
    Period,
    RowKey,
    merge,
    terms_version_at,
)
from domain.sow import Sow
from domain.statement import Closing, SlaPeriod, close, ledger, versions_needed
from domain.values import Channel, SlaMetric
from tests.test_domain_sla import NOVEMBER, TERMS, valid_counts

ZONE = "America/New_York"
CLIENT = Viewer(subject="client", role=Role.CLIENT, client_id="65f0000000000000000000c1")
STAFF = Viewer(subject="staff", role=Role.COMPLIANCE)
SIGNED_AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
SOW_ID = "65f0000000000000000000b1"


def signed_sow(**changes: object) -> Sow:
    """The worked example's SOW, submitted and signed at `SIGNED_AT`."""
    terms = sows.parse_sow_terms({**TERMS, **changes})
    sow = sows.create(
        "65f0000000000000000000s1",
        "SOW-2026-0001",
        CLIENT.client_id or "",
        terms,
        CLIENT,
        SIGNED_AT,
    ).after
    sow = sows.submit(sow, SubmitSow(id=sow.id, expected_version=1), CLIENT, SIGNED_AT).after
    review = StartSowReview(id=sow.id, expected_version=1)
    sow = sows.start_review(sow, review, STAFF, SIGNED_AT).after
    return sows.sign(sow, SignSow(id=sow.id, expected_version=1), STAFF, SIGNED_AT).after


def amended(sow: Sow, at: datetime, **changes: object) -> Sow:
    """`sow` with an amendment proposed by compliance and accepted by the client at `at`."""
    proposed = sows.propose_amendment(sow, proposal(sow, changes), STAFF, at).after
    accept = AcceptSowAmendment(id=sow.id, expected_version=sow.version)
    return sows.accept_amendment(proposed, accept, CLIENT, at).after


def proposal(sow: Sow, changes: Mapping[str, object]) -> ProposeSowAmendment:
    return ProposeSowAmendment(
        id=sow.id, expected_version=sow.version, patch=changes, change_summary="change"
    )


# --- running sums ----------------------------------------------------------------------------

KEYS = [
    (channel, datetime(2026, 11, 30, 22, tzinfo=UTC) + timedelta(hours=hour), agent)
    for channel in (Channel.INBOUND_VOICE, Channel.CHAT)
    for hour in range(0, 10, 3)  # across the month's end in New York (05:00 UTC)
    for agent in (None, "65f0000000000000000000a1")
]


@st.composite
def batches(draw: st.DrawFn) -> list[list[IntervalRow]]:
    """Recordings of rows over a few keys: new rows, corrections, identical repeats."""
    recordings = []
    for _ in range(draw(st.integers(1, 5))):
        keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=len(KEYS)))
        recordings.append(
            [
                IntervalRow(
                    channel=channel,
                    interval_start=start,
                    interval_minutes=60,
                    threshold_seconds=20,
                    counts=draw(st.sampled_from([NOVEMBER, ZERO_COUNTS]) | valid_counts()),
                    agent_id=agent,
                )
                for channel, start, agent in keys
            ]
        )
    return recordings


@settings(max_examples=60)
@given(batches())
def test_running_sums_stay_the_sums_of_the_stored_queue_rows(
    recordings: list[list[IntervalRow]],
) -> None:
    stored: dict[RowKey, tuple[str, IntervalRow]] = {}
    sums: dict[Period, IntervalCounts] = {}
    for rows in recordings:
        periods = [Period.of(row.interval_start, ZONE) for row in rows]
        merged = merge(rows, periods, stored)
        for period, delta in merged.queue_deltas.items():
            sums[period] = sums.get(period, ZERO_COUNTS) + delta
        assert len(merged.inserts) + len(merged.updates) + merged.unchanged == len(rows)
        for row in merged.inserts:
            stored[row.key] = (f"id-{len(stored)}", row)
        for id, row in merged.updates:
            stored[row.key] = (id, row)
    expected: dict[Period, IntervalCounts] = {}
    for _, row in stored.values():
        if row.agent_id is None:
            period = Period.of(row.interval_start, ZONE)
            expected[period] = expected.get(period, ZERO_COUNTS) + row.counts
    assert {p: c for p, c in sums.items() if c != ZERO_COUNTS} == {
        p: c for p, c in expected.items() if c != ZERO_COUNTS
    }


def test_recording_the_same_rows_again_touches_no_period() -> None:
    rows = [
        IntervalRow(
            channel=channel,
            interval_start=start,
            interval_minutes=60,
            threshold_seconds=20,
            counts=NOVEMBER,
            agent_id=agent,
        )
        for channel, start, agent in KEYS
    ]
    periods = [Period.of(row.interval_start, ZONE) for row in rows]
    stored = {row.key: (str(n), row) for n, row in enumerate(rows)}
    merged = merge(rows, periods, stored)
    assert merged.unchanged == len(rows)
    assert not merged.touched
    assert not merged.queue_deltas


# --- terms in force ----------------------------------------------------------------------------


def test_a_month_is_judged_by_the_terms_binding_before_the_next_one_starts() -> None:
    sow = signed_sow()
    # Accepted at 04:59 UTC on December 1: still November in New York.
    late = amended(sow, datetime(2026, 12, 1, 4, 59, tzinfo=UTC), title="Amended")
    november_ends = Period(2026, 11).bounds(ZONE)[1]
    assert terms_version_at(late, november_ends) == 2
    later = amended(sow, datetime(2026, 12, 1, 5, 0, tzinfo=UTC), title="Amended")
    assert terms_version_at(later, november_ends) == 1
    # Before the first signature: the first version signed.
    assert terms_version_at(later, SIGNED_AT - timedelta(days=1)) == 1


def test_a_proposal_not_accepted_judges_nothing() -> None:
    sow = signed_sow()
    at = datetime(2026, 11, 10, tzinfo=UTC)
    proposed = sows.propose_amendment(sow, proposal(sow, {"title": "Later"}), STAFF, at).after
    assert terms_version_at(proposed, datetime(2027, 1, 1, tzinfo=UTC)) == 1
    assert versions_needed(proposed, [], Period(2026, 11), Period(2026, 11)) == frozenset()


# --- the ledger ----------------------------------------------------------------------------------


def record_of(sow: Sow, period: Period, counts: IntervalCounts) -> SlaPeriod:
    return dataclasses.replace(SlaPeriod.open(f"r{period}", sow, period), counts=counts)


def test_a_closed_months_runs_are_taken_as_frozen() -> None:
    sow = signed_sow()
    november, december = Period(2026, 11), Period(2026, 12)
    now = datetime(2027, 1, 10, tzinfo=UTC)
    stored = [record_of(sow, november, NOVEMBER), record_of(sow, december, NOVEMBER)]
    closed = close(Closing(sow, stored[0], stored, {}, NOVEMBER), SYSTEM, now).after
    assert closed.closed is not None
    assert closed.closed.misses[SlaMetric.SERVICE_LEVEL] == 1
    # As if November had been closed after a third miss in a row: December follows it.
    frozen = dataclasses.replace(
        closed,
        closed=dataclasses.replace(closed.closed, misses={SlaMetric.SERVICE_LEVEL: 3}),
    )
    (figures,) = ledger(sow, [frozen, stored[1]], {}, december, december)
    (service, _abandonment) = figures.statement.credits
    assert (service.consecutive_misses, str(service.percent), str(service.amount)) == (
        4,
        "15.0",
        "55.50",
    )


def test_closing_writes_the_period_closed_and_one_breach_per_missed_metric() -> None:
    sow = signed_sow()
    record = record_of(sow, Period(2026, 11), ZERO_COUNTS)
    change = close(
        Closing(sow, record, [record], {}, NOVEMBER), SYSTEM, datetime(2026, 12, 6, tzinfo=UTC)
    )
    types = [event.type.value for event in change.events]
    assert types == ["SLA_PERIOD_CLOSED", "SLA_BREACHED", "SLA_BREACHED"]
    assert {event.client_id for event in change.events} == {sow.client_id}
    assert change.after.counts == NOVEMBER  # the recount, not the running sums
    assert change.after.revision == record.revision + 1

"""Obligations in the domain, no server: the terms' rules, a request's deadline, fulfilment
on time or late, the overdue step, and which recurring occurrences a pass opens."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain import occurrence as rules
from domain import sow as sows
from domain.commands import (
    AcceptSowAmendment,
    FulfilObligation,
    ProposeSowAmendment,
    RequestObligation,
)
from domain.document import Document, DocumentKind
from domain.errors import BadUserInput, DomainError, InvalidTransition
from domain.events import EntityType, EventType
from domain.occurrence import Occurrence, OccurrenceStatus, Schedule
from domain.sow import Sow, SowStatus
from domain.versioning import content_hash
from tests.domain_builders import CLIENT, CLIENT_ID, STAFF, signed_sow
from tests.terms import OBLIGATIONS, SOW_TERMS

OCCURRENCE_ID = "65f0000000000000000000d1"
# SOW_TERMS: New York, go-live Monday 2026-06-01, end 2027-05-31.
GO_LIVE = datetime(2026, 6, 1, 12, tzinfo=UTC)
LABOR_DAY = "2026-09-07"


def terms_error(**changes: Any) -> BadUserInput:
    with pytest.raises(BadUserInput) as refused:
        sows.parse_sow_terms({**SOW_TERMS, **changes})
    return refused.value


def obligation(index: int, **changes: Any) -> dict[str, Any]:
    return {**OBLIGATIONS[index], **changes}


# ---------------------------------------------------------------------------------------------
# Terms


def test_terms_carry_obligations_and_holidays() -> None:
    terms = sows.parse_sow_terms({**SOW_TERMS, "obligations": OBLIGATIONS, "holidays": [LABOR_DAY]})
    assert [o.key for o in terms.obligations] == [o["key"] for o in OBLIGATIONS]
    assert terms.holidays == [date(2026, 9, 7)]
    assert terms.canonical()["obligations"][0]["sections"] == OBLIGATIONS[0]["sections"]
    assert terms.canonical()["holidays"] == [LABOR_DAY]


def test_terms_without_obligations_keep_their_earlier_form_and_hash() -> None:
    plain = sows.parse_sow_terms(SOW_TERMS)
    assert "obligations" not in plain.canonical()
    assert "holidays" not in plain.canonical()
    # Null (a patch clearing them) is none at all.
    cleared = sows.patch_sow_terms(plain, {"obligations": None, "holidays": None})
    assert content_hash(cleared.canonical()) == content_hash(plain.canonical())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"obligations": [OBLIGATIONS[2], OBLIGATIONS[2]]}, "terms.obligations[1].key"),
        ({"obligations": [obligation(1, recurrence=None)]}, "terms.obligations[0].recurrence"),
        ({"obligations": [obligation(2, recurrence="MONTHLY")]}, "terms.obligations[0].recurrence"),
        (
            {"obligations": [obligation(2, dueBusinessDays=61)]},
            "terms.obligations[0].dueBusinessDays",
        ),
        (
            {"obligations": [obligation(2, dueBusinessDays=-1)]},
            "terms.obligations[0].dueBusinessDays",
        ),
        ({"obligations": [obligation(2, key="two words")]}, "terms.obligations[0].key"),
        ({"obligations": [obligation(2, title=" ")]}, "terms.obligations[0].title"),
        ({"holidays": [LABOR_DAY, "2026-05-31"]}, "terms.holidays[1]"),
        ({"holidays": ["2027-06-01"]}, "terms.holidays[0]"),
        ({"holidays": [LABOR_DAY, LABOR_DAY]}, "terms.holidays"),
    ],
)
def test_bad_obligations_and_holidays_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    assert terms_error(**changes).field == field


def test_the_limits_are_inclusive() -> None:
    edges = [obligation(2, dueBusinessDays=0), obligation(3, dueBusinessDays=60)]
    holidays = ["2026-06-01", "2027-05-31"]
    terms = sows.parse_sow_terms({**SOW_TERMS, "obligations": edges, "holidays": holidays})
    assert [o.due_business_days for o in terms.obligations] == [0, 60]


# ---------------------------------------------------------------------------------------------
# Requests


def active_sow(**changes: Any) -> Sow:
    """An ACTIVE SOW with the obligations (and `changes`) in its terms since its signature."""
    sow = signed_sow()
    terms = sows.patch_sow_terms(sow.terms, {"obligations": OBLIGATIONS, **changes})
    with_terms = dataclasses.replace(sow, terms=terms)
    activated = sows.scheduled(with_terms, GO_LIVE)
    assert activated is not None
    return activated.after


def request(sow: Sow, at: datetime, key: str = "recordings", note: str | None = None) -> Occurrence:
    command = RequestObligation(sow_id=sow.id, key=key, note=note)
    touched, opened = rules.request(sow, command, CLIENT, at, OCCURRENCE_ID)
    assert touched.after.revision == sow.revision + 1
    (event,) = touched.events
    assert (event.type, event.entity_type, event.entity_id) == (
        EventType.OBLIGATION_REQUESTED,
        EntityType.SOW,
        sow.id,
    )
    assert (event.from_status, event.to_status, event.client_id) == (None, "OPEN", CLIENT_ID)
    assert opened.before is None
    found: Occurrence = opened.after
    return found


def test_a_friday_evening_request_with_a_monday_holiday_is_due_thursday_night() -> None:
    sow = active_sow(holidays=[LABOR_DAY])
    # Friday 2026-09-04, 19:00 in New York; 3 business days, Monday a holiday.
    found = request(sow, datetime(2026, 9, 4, 23, tzinfo=UTC), note=" calls of 2 Sept ")
    assert found.status is OccurrenceStatus.OPEN
    assert found.due_at == datetime(2026, 9, 11, 3, 59, 59, tzinfo=UTC)  # Thu 23:59:59 EDT
    assert (found.key, found.title, found.due_business_days) == (
        "recordings",
        "Audio recordings",
        3,
    )
    assert (found.period, found.requested_at, found.request_note) == (
        None,
        datetime(2026, 9, 4, 23, tzinfo=UTC),
        "calls of 2 Sept",
    )
    assert found.requested_by is not None
    assert found.requested_by.role is CLIENT.role


def test_a_saturday_request_counts_from_monday() -> None:
    found = request(active_sow(), datetime(2026, 9, 12, 15, tzinfo=UTC), key="transcripts")
    # Monday 14 counts as the request day: Tuesday 15, Wednesday 16.
    assert found.due_at == datetime(2026, 9, 17, 3, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("key", "field"), [("nothing", "key"), ("calibration", "key")], ids=["unknown", "recurring"]
)
def test_only_an_on_request_obligation_of_the_terms_is_requested(key: str, field: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        request(active_sow(), GO_LIVE, key=key)
    assert refused.value.field == field


@pytest.mark.parametrize("status", [s for s in SowStatus if s is not SowStatus.ACTIVE])
def test_only_an_active_sow_takes_requests(status: SowStatus) -> None:
    sow = dataclasses.replace(active_sow(), status=status)
    with pytest.raises(InvalidTransition):
        request(sow, GO_LIVE)


def test_a_request_is_the_clients_and_its_note_is_bounded() -> None:
    command = RequestObligation(sow_id="x", key="recordings")
    with pytest.raises(DomainError) as staff:
        rules.request(active_sow(), command, STAFF, GO_LIVE, OCCURRENCE_ID)
    assert staff.value.code == "FORBIDDEN"
    with pytest.raises(BadUserInput) as long:
        request(active_sow(), GO_LIVE, note="x" * 2001)
    assert long.value.field == "note"


# ---------------------------------------------------------------------------------------------
# Fulfilment and the deadline


def opened() -> Occurrence:
    return request(active_sow(), datetime(2026, 9, 4, 23, tzinfo=UTC))


def fulfil(found: Occurrence, at: datetime, evidence: Document | None = None) -> Occurrence:
    command = FulfilObligation(
        id=found.id, note="sent", evidence_document_id=None if evidence is None else evidence.id
    )
    change = rules.fulfil(found, command, STAFF, at, evidence)
    (event,) = change.events
    assert (event.type, event.from_status) == (EventType.OBLIGATION_FULFILLED, found.status.value)
    after: Occurrence = change.after
    assert event.to_status == after.status.value
    return after


def test_fulfilled_by_the_deadline_or_late_after_it() -> None:
    found = opened()
    on_time = fulfil(found, found.due_at)
    assert (on_time.status, on_time.fulfilled_at, on_time.note) == (
        OccurrenceStatus.FULFILLED,
        found.due_at,
        "sent",
    )
    # Late even when the scheduler has not yet marked it OVERDUE.
    assert fulfil(found, datetime(2026, 9, 11, 4, tzinfo=UTC)).status is (
        OccurrenceStatus.FULFILLED_LATE
    )


def test_overdue_exactly_after_the_last_second_then_fulfilled_late() -> None:
    found = opened()
    assert rules.overdue(found, found.due_at) is None
    change = rules.overdue(found, datetime(2026, 9, 11, 4, tzinfo=UTC))
    assert change is not None
    late = change.after
    assert late.status is OccurrenceStatus.OVERDUE
    ((event),) = change.events
    assert (event.type, event.from_status, event.to_status, event.actor.id) == (
        EventType.OBLIGATION_OVERDUE,
        "OPEN",
        "OVERDUE",
        "system",
    )
    assert rules.overdue(late, datetime(2026, 9, 20, tzinfo=UTC)) is None
    # Compliance fulfils it even before the deadline's clock says so: OVERDUE is late.
    assert fulfil(late, found.due_at).status is OccurrenceStatus.FULFILLED_LATE


def test_a_fulfilled_occurrence_is_not_fulfilled_again() -> None:
    done = fulfil(opened(), GO_LIVE)
    with pytest.raises(InvalidTransition):
        fulfil(done, GO_LIVE)
    assert rules.overdue(done, datetime(2027, 1, 1, tzinfo=UTC)) is None


def document(entity_id: str | None, entity_type: EntityType | None = EntityType.SOW) -> Document:
    return Document(
        id="65f0000000000000000000b1",
        kind=DocumentKind.SOW_SIGNED_COPY,
        title="Signed copy",
        file_name="copy.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        created_at=GO_LIVE,
        entity_type=entity_type,
        entity_id=entity_id,
    )


def test_evidence_is_a_document_of_the_occurrences_sow() -> None:
    found = opened()
    assert fulfil(found, GO_LIVE, document(found.sow_id)).evidence_document_id == (
        "65f0000000000000000000b1"
    )
    for wrong in (document("65f0000000000000000000f9"), document(None, None)):
        with pytest.raises(BadUserInput) as refused:
            fulfil(found, GO_LIVE, wrong)
        assert refused.value.field == "evidenceDocumentId"
    missing = FulfilObligation(id=found.id, evidence_document_id="65f0000000000000000000b2")
    with pytest.raises(BadUserInput):
        rules.fulfil(found, missing, STAFF, GO_LIVE, None)


# ---------------------------------------------------------------------------------------------
# Recurring occurrences


def schedule(sow: Sow, opened: set[tuple[str, str]] | None = None, **versions: Any) -> Schedule:
    ids = iter(f"65f00000000000000000{n:04x}" for n in range(1, 1000))
    numbers = {int(number.removeprefix("v")): terms for number, terms in versions.items()}
    return Schedule(sow, frozenset(opened or ()), numbers, lambda: next(ids))


def opened_at(plan: Schedule, now: datetime) -> dict[tuple[str, str], Occurrence]:
    changes = rules.recurring_due(plan, now)
    if not changes:
        return {}
    touched, *created = changes
    assert touched.after.id == plan.sow.id
    assert touched.after.revision == plan.sow.revision + 1
    found: dict[tuple[str, str], Occurrence] = {}
    for change in created:
        (event,) = change.events
        assert (event.type, event.to_status, event.actor.id) == (
            EventType.OBLIGATION_REQUESTED,
            "OPEN",
            "system",
        )
        occurrence: Occurrence = change.after
        assert occurrence.period is not None
        found[(occurrence.key, occurrence.period)] = occurrence
    return found


def test_each_ended_period_since_go_live_is_opened_once() -> None:
    sow = active_sow()
    now = datetime(2026, 9, 15, tzinfo=UTC)
    found = opened_at(schedule(sow), now)
    assert sorted(found) == [
        ("calibration", "2026-06"),
        ("calibration", "2026-07"),
        ("calibration", "2026-08"),
    ]
    # June ends Tuesday 30; five business days on: Tuesday July 7, 23:59:59 EDT.
    june = found[("calibration", "2026-06")]
    assert june.due_at == datetime(2026, 7, 8, 3, 59, 59, tzinfo=UTC)
    assert (june.status, june.terms_version, june.requested_at) == (OccurrenceStatus.OPEN, 1, None)
    # A second pass, or another process after the first, finds them opened.
    assert opened_at(schedule(sow, set(found)), now) == {}


def test_the_holidays_of_the_terms_push_a_periods_deadline() -> None:
    sow = active_sow(holidays=["2026-07-03"])
    june = opened_at(schedule(sow), datetime(2026, 7, 20, tzinfo=UTC))[("calibration", "2026-06")]
    assert june.due_at == datetime(2026, 7, 9, 3, 59, 59, tzinfo=UTC)


def test_annual_periods_start_on_go_live_and_quarters_are_calendar_ones() -> None:
    quarterly = obligation(1, key="review", recurrence="QUARTERLY")
    sow = active_sow(obligations=[OBLIGATIONS[0], quarterly], endDate="2028-05-31")
    found = opened_at(schedule(sow), datetime(2027, 6, 2, tzinfo=UTC))
    assert sorted(found) == [
        ("operations-plan", "2026-06-01"),
        ("review", "2026-Q2"),
        ("review", "2026-Q3"),
        ("review", "2026-Q4"),
        ("review", "2027-Q1"),
    ]
    plan = found[("operations-plan", "2026-06-01")]
    assert plan.sections == tuple(OBLIGATIONS[0]["sections"])
    # The year ends Monday 2027-05-31; ten business days on: Monday June 14.
    assert plan.due_at == datetime(2027, 6, 15, 3, 59, 59, tzinfo=UTC)


def test_nothing_opens_before_active_once_closed_nor_for_the_period_ending_with_the_sow() -> None:
    sow = active_sow()
    signed = dataclasses.replace(sow, status=SowStatus.SIGNED)
    assert rules.recurring_due(schedule(signed), datetime(2026, 9, 15, tzinfo=UTC)) == []
    for status in rules.LEFT_ACTIVE:
        closed = dataclasses.replace(sow, status=status, periods_closed=True)
        assert rules.recurring_due(schedule(closed), datetime(2026, 9, 15, tzinfo=UTC)) == []
    # Still ACTIVE after its end (the SOW job not yet run): May 2027 ends with the SOW.
    late = opened_at(schedule(sow), datetime(2027, 6, 5, tzinfo=UTC))
    assert ("calibration", "2027-04") in late
    assert ("calibration", "2027-05") not in late


def test_a_sow_that_left_active_gets_the_periods_ended_while_it_was_then_is_closed() -> None:
    sow = active_sow()
    june = {("calibration", "2026-06")}
    later = datetime(2027, 9, 15, tzinfo=UTC)
    # Expired: every month to April 2027 (May, and the first year, end with the SOW).
    expired = dataclasses.replace(sow, status=SowStatus.EXPIRED)
    months = [
        f"{day:%Y-%m}" for day in (date(2026, 7, 1) + timedelta(days=31 * n) for n in range(10))
    ]
    assert closed_with(schedule(expired, june), later) == months
    # Terminated as August began: July had ended, August had not.
    at = datetime(2026, 8, 1, 5, tzinfo=UTC)
    terminated = dataclasses.replace(sow, status=SowStatus.TERMINATED, updated_at=at)
    assert closed_with(schedule(terminated, june), later) == ["2026-07"]
    # Closed even with nothing left to open: it is not looked at again.
    assert closed_with(schedule(terminated, june | {("calibration", "2026-07")}), later) == []


def closed_with(plan: Schedule, now: datetime) -> list[str | None]:
    """The periods `plan`'s SOW, which has left ACTIVE, opens as it is closed."""
    closing, *created = rules.recurring_due(plan, now)
    closed = dataclasses.replace(plan.sow, periods_closed=True, revision=plan.sow.revision + 1)
    assert (closing.before, closing.after) == (plan.sow, closed)
    return sorted(change.after.period for change in created)


def amended(sow: Sow, at: datetime, **patch: Any) -> Sow:
    proposal = ProposeSowAmendment(
        id=sow.id, expected_version=sow.version, patch=patch, change_summary="Amended"
    )
    proposed = sows.propose_amendment(sow, proposal, STAFF, at).after
    accept = AcceptSowAmendment(id=sow.id, expected_version=sow.version)
    return sows.accept_amendment(proposed, accept, CLIENT, at).after


def test_an_amendment_applies_to_periods_ending_after_it_is_accepted() -> None:
    before = active_sow(obligations=[OBLIGATIONS[2]])
    renamed = obligation(1, title="Calibration with the client's QA team", dueBusinessDays=2)
    after = amended(before, datetime(2026, 8, 10, tzinfo=UTC), obligations=[renamed])
    now = datetime(2026, 10, 15, tzinfo=UTC)
    assert rules.versions_needed(after, now) == {1}
    found = opened_at(schedule(after, v1=before.terms), now)
    # June and July ended under version 1, which had no calibration.
    assert sorted(found) == [("calibration", "2026-08"), ("calibration", "2026-09")]
    august = found[("calibration", "2026-08")]
    assert (august.title, august.due_business_days, august.terms_version) == (
        "Calibration with the client's QA team",
        2,
        2,
    )


def test_a_dropped_obligation_opens_no_more_periods() -> None:
    before = active_sow()
    after = amended(before, datetime(2026, 8, 10, tzinfo=UTC), obligations=[OBLIGATIONS[2]])
    found = opened_at(schedule(after, v1=before.terms), datetime(2026, 10, 15, tzinfo=UTC))
    assert sorted(found) == [("calibration", "2026-06"), ("calibration", "2026-07")]
    assert rules.versions_needed(before, datetime(2026, 10, 15, tzinfo=UTC)) == frozenset()

"""Occurrences: each delivery an obligation calls for, tracked from its opening to its
fulfilment or its deadline.

An occurrence copies what it was opened with (key, title, sections, `dueBusinessDays`, the
terms version): an amendment changes the occurrences opened after it is accepted, never
those already open. A recurring period's occurrence follows the terms in force when the
period ended (as an SLA period is judged by them), so an obligation an amendment adds has no
occurrences for periods that ended before it; a SOW activated late still gets every period
since its go-live under the terms it was signed with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain import lifecycle
from domain import sow as sows
from domain.access import authorize
from domain.changes import Change
from domain.commands import FulfilObligation, RequestObligation
from domain.document import Document
from domain.errors import BadUserInput, InvalidTransition
from domain.events import EntityType, EventType, NewEvent
from domain.ids import global_id
from domain.instant import instant
from domain.machine import DateReached, Machine, Transition, moves
from domain.obligation import Obligation, ObligationKind, find
from domain.obligation_dates import Period, Recurrence, due_at, ended_periods, period_due_at
from domain.obligation_dates import end_of_day as local_end_of_day
from domain.party import SYSTEM, Actor, Viewer
from domain.sla import in_force, terms_version_at
from domain.sow import Sow, SowStatus, SowTerms

MAX_NOTE_LENGTH = 2000


class OccurrenceStatus(StrEnum):
    """OPEN until fulfilled or past its deadline; FULFILLED_LATE: delivered after it."""

    OPEN = "OPEN"
    OVERDUE = "OVERDUE"
    FULFILLED = "FULFILLED"
    FULFILLED_LATE = "FULFILLED_LATE"


MACHINE: Machine[OccurrenceStatus] = Machine(
    "Obligation occurrence",
    [
        *moves([None], OccurrenceStatus.OPEN, RequestObligation, EventType.OBLIGATION_REQUESTED),
        *moves(
            [None], OccurrenceStatus.OPEN, DateReached("period_end"), EventType.OBLIGATION_REQUESTED
        ),
        *moves(
            [OccurrenceStatus.OPEN],
            OccurrenceStatus.OVERDUE,
            DateReached("due_at"),
            EventType.OBLIGATION_OVERDUE,
        ),
        *moves(
            [OccurrenceStatus.OPEN],
            OccurrenceStatus.FULFILLED,
            FulfilObligation,
            EventType.OBLIGATION_FULFILLED,
        ),
        *moves(
            [OccurrenceStatus.OPEN, OccurrenceStatus.OVERDUE],
            OccurrenceStatus.FULFILLED_LATE,
            FulfilObligation,
            EventType.OBLIGATION_FULFILLED,
        ),
    ],
)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One delivery due under a SOW. `period` names a recurring one's period; a requested
    one has `requested_at` and `requested_by` instead. `client_id` is its scope key."""

    id: str
    sow_id: str
    client_id: str
    key: str
    title: str
    kind: ObligationKind
    sections: tuple[str, ...]
    due_business_days: int
    terms_version: int
    status: OccurrenceStatus
    due_at: datetime
    created_at: datetime
    revision: int
    period: str | None = None
    requested_at: datetime | None = None
    requested_by: Actor | None = None
    request_note: str | None = None
    fulfilled_at: datetime | None = None
    fulfilled_by: Actor | None = None
    note: str | None = None
    evidence_document_id: str | None = None


def _opened(
    id: str,
    sow: Sow,
    obligation: Obligation,
    terms_version: int,
    due: datetime,
    now: datetime,
    *,
    period: str | None = None,
    requested_by: Actor | None = None,
    request_note: str | None = None,
) -> Occurrence:
    return Occurrence(
        id=id,
        sow_id=sow.id,
        client_id=sow.client_id,
        key=obligation.key,
        title=obligation.title,
        kind=obligation.kind,
        sections=tuple(obligation.sections or ()),
        due_business_days=obligation.due_business_days,
        terms_version=terms_version,
        status=OccurrenceStatus.OPEN,
        due_at=due,
        created_at=now,
        revision=1,
        period=period,
        requested_at=None if requested_by is None else now,
        requested_by=requested_by,
        request_note=request_note,
    )


def event(
    occurrence: Occurrence,
    step: Transition[OccurrenceStatus],
    actor: Actor,
    at: datetime,
) -> NewEvent:
    """The event of `step` on the occurrence's SOW, seen by its client and compliance; the
    statuses are the occurrence's, `version` the terms version it was opened under."""
    when = occurrence.period or "on request"
    return NewEvent(
        type=step.event,
        entity_type=EntityType.SOW,
        entity_id=occurrence.sow_id,
        from_status=None if step.source is None else step.source.value,
        to_status=step.target.value,
        version=occurrence.terms_version,
        actor=actor,
        at=at,
        reason=(
            f"{occurrence.key} ({when}): {occurrence.title}; due {instant(occurrence.due_at)}; "
            f"occurrence {global_id('ObligationOccurrence', occurrence.id)}"
        ),
        client_id=occurrence.client_id,
    )


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    text = note.strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise BadUserInput(f"note: at most {MAX_NOTE_LENGTH} characters", field="note")
    return text or None


def _holidays(terms: SowTerms) -> frozenset[date]:
    return frozenset(terms.holidays)


def request(
    sow: Sow, command: RequestObligation, viewer: Viewer, now: datetime, id: str
) -> list[Change[Any]]:
    """The client's request of an ON_REQUEST obligation of an ACTIVE SOW: an OPEN
    occurrence due `dueBusinessDays` business days after the request's effective day, with
    OBLIGATION_REQUESTED. The SOW is written too (its revision only): a request decided on
    a SOW that a termination or amendment has moved since is decided again. The
    occurrence's change is the last."""
    authorize(viewer, RequestObligation)
    sows.MACHINE.step(
        sow.status, RequestObligation, "obligations are requested of an ACTIVE SOW only"
    )
    obligation = find(sow.terms.obligations, command.key)
    if obligation is None:
        raise BadUserInput(f"key: the SOW has no obligation {command.key}", field="key")
    if obligation.kind is not ObligationKind.ON_REQUEST:
        raise BadUserInput(
            f"key: {command.key} is RECURRING: its occurrences come with its periods",
            field="key",
        )
    terms = sow.terms
    zone = ZoneInfo(terms.service_hours.time_zone)
    due = due_at(now, obligation.due_business_days, zone, _holidays(terms))
    actor = Actor.of(viewer)
    occurrence = _opened(
        id,
        sow,
        obligation,
        sow.version,
        due,
        now,
        requested_by=actor,
        request_note=_note(command.note),
    )
    requested = event(occurrence, MACHINE.created(RequestObligation), actor, now)
    # The event goes with the SOW's change: its row in `domain.sow.MACHINE` names it.
    touched = dataclasses.replace(lifecycle.touch(sow), events=(requested,))
    return [touched, Change(None, occurrence)]


def check_evidence(occurrence: Occurrence, document: Document | None) -> None:
    """Evidence is a stored document of the occurrence's own SOW."""
    if (
        document is None
        or document.entity_type is not EntityType.SOW
        or document.entity_id != occurrence.sow_id
    ):
        raise BadUserInput(
            "evidenceDocumentId: no such document of this SOW", field="evidenceDocumentId"
        )


def fulfil(
    occurrence: Occurrence,
    command: FulfilObligation,
    viewer: Viewer,
    now: datetime,
    evidence: Document | None,
) -> Change[Occurrence]:
    """FULFILLED, or FULFILLED_LATE once its deadline has passed (OVERDUE or not yet marked
    so), with OBLIGATION_FULFILLED. `evidence`: the document `evidenceDocumentId` names."""
    authorize(viewer, FulfilObligation)
    late = occurrence.status is OccurrenceStatus.OVERDUE or now > occurrence.due_at
    target = OccurrenceStatus.FULFILLED_LATE if late else OccurrenceStatus.FULFILLED
    step = _step(occurrence.status, FulfilObligation, target)
    if command.evidence_document_id is not None:
        check_evidence(occurrence, evidence)
    actor = Actor.of(viewer)
    after = dataclasses.replace(
        occurrence,
        status=target,
        fulfilled_at=now,
        fulfilled_by=actor,
        note=_note(command.note),
        evidence_document_id=command.evidence_document_id,
        revision=occurrence.revision + 1,
    )
    return Change(occurrence, after, (), (event(occurrence, step, actor, now),))


def _step(
    status: OccurrenceStatus, trigger: type[FulfilObligation], target: OccurrenceStatus
) -> Transition[OccurrenceStatus]:
    for row in MACHINE.rows(trigger):
        if row.source == status and row.target == target:
            return row
    raise InvalidTransition(status, target, "the occurrence is fulfilled already")


def overdue(occurrence: Occurrence, now: datetime) -> Change[Occurrence] | None:
    """The scheduler's step once the deadline (its last second) has passed: OPEN -> OVERDUE
    with OBLIGATION_OVERDUE. None when nothing is due, so a second run changes nothing."""
    if occurrence.status is not OccurrenceStatus.OPEN or now <= occurrence.due_at:
        return None
    (step,) = MACHINE.dated(OccurrenceStatus.OPEN)
    after = dataclasses.replace(occurrence, status=step.target, revision=occurrence.revision + 1)
    return Change(occurrence, after, (), (event(occurrence, step, SYSTEM, now),))


# ---------------------------------------------------------------------------------------------
# Recurring occurrences


@dataclass(frozen=True, slots=True)
class Schedule:
    """What opening a SOW's recurring occurrences is decided on: the SOW, the (key, period)
    of every recurring occurrence it has, and the earlier terms versions in force when its
    periods ended (`versions_needed`). `new_id` names occurrences opened."""

    sow: Sow
    opened: frozenset[tuple[str, str]]
    versions: Mapping[int, SowTerms]
    new_id: Callable[[], str]

    @property
    def id(self) -> str:
        return self.sow.id

    @property
    def revision(self) -> int:
        return self.sow.revision


# A SOW that left ACTIVE is looked at until its periods are closed: a period can end at the
# instant the SOW expires (the month before an end date on the 1st), or before a termination
# the scheduler had not yet caught up with.
LEFT_ACTIVE = frozenset({SowStatus.EXPIRED, SowStatus.TERMINATED})


def _active_until(sow: Sow, now: datetime) -> datetime | None:
    """Until when the SOW's periods count: `now` while ACTIVE or expired (the end date
    bounds them), the termination for a TERMINATED one (nothing changes it after, so its
    `updated_at`); None once its periods are closed, or when it never was ACTIVE."""
    if sow.status is SowStatus.ACTIVE:
        return now
    if sow.status not in LEFT_ACTIVE or sow.periods_closed:
        return None
    return sow.updated_at if sow.status is SowStatus.TERMINATED else now


def _ended(sow: Sow, until: datetime) -> list[tuple[Period, datetime]]:
    """Every period of every recurrence that ended by `until` while the SOW was in its term,
    each with the instant it ended. A period ending on the end date ends with the SOW
    (EXPIRED at the start of that day): it gets no occurrence."""
    terms = sow.terms
    zone = ZoneInfo(terms.service_hours.time_zone)
    ended = [
        (period, local_end_of_day(period.last_day, zone) + timedelta(seconds=1))
        for recurrence in Recurrence
        for period in ended_periods(recurrence, terms.go_live_date, until, zone)
        if period.last_day < terms.end_date
    ]
    # In the order they ended: a catch-up opens them as they would have been, oldest first.
    return sorted(ended, key=lambda pair: pair[1])


def versions_needed(sow: Sow, now: datetime) -> frozenset[int]:
    """The terms versions other than the current one in force when a period ended."""
    until = _active_until(sow, now)
    if until is None or len(in_force(sow)) < 2:
        return frozenset()
    numbers = {terms_version_at(sow, ended) for _, ended in _ended(sow, until)}
    return frozenset(numbers - {sow.version})


def recurring_due(schedule: Schedule, now: datetime) -> list[Change[Any]]:
    """An OPEN occurrence, with OBLIGATION_REQUESTED, for each period of a RECURRING
    obligation that ended while the SOW was ACTIVE and has none yet; due `dueBusinessDays`
    after the period's last day. The SOW is written too (its revision only): two passes
    racing on the same SOW conflict there, and the loser finds the winner's occurrences.
    A SOW that has left ACTIVE gets its last periods, then is closed (`periods_closed`)."""
    sow = schedule.sow
    until = _active_until(sow, now)
    if until is None:
        return []
    zone = ZoneInfo(sow.terms.service_hours.time_zone)
    created = MACHINE.created(DateReached("period_end"))
    changes: list[Change[Any]] = []
    for period, ended in _ended(sow, until):
        number = terms_version_at(sow, ended)
        terms = schedule.versions.get(number, sow.terms) if number != sow.version else sow.terms
        for obligation in terms.obligations:
            if obligation.recurrence is not period.recurrence:
                continue
            if (obligation.key, period.name) in schedule.opened:
                continue
            due = period_due_at(period, obligation.due_business_days, zone, _holidays(terms))
            occurrence = _opened(
                schedule.new_id(), sow, obligation, number, due, now, period=period.name
            )
            changes.append(Change(None, occurrence, (), (event(occurrence, created, SYSTEM, now),)))
    if sow.status in LEFT_ACTIVE:
        closed = dataclasses.replace(sow, periods_closed=True, revision=sow.revision + 1)
        return [Change(sow, closed), *changes]
    return [lifecycle.touch(sow), *changes] if changes else []

"""A realistic data set, built by walking each document along its status machine.

Pure: every document, version and event comes from the same domain functions the API
calls, so seeded data obey every rule (signatures bind hashes, events match transitions).
Ids and SOW numbers come from the caller.
"""

from __future__ import annotations

import calendar
import dataclasses
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF

from domain import csa as csas
from domain import occurrence as occurrences
from domain import sow as sows
from domain.changes import Change
from domain.commands import (
    CountersignCsa,
    DeclineCsa,
    FulfilObligation,
    OnDocument,
    RequestObligation,
    RequestSowChanges,
    SendCsa,
    SignCsa,
    SignSow,
    StartSowReview,
    SubmitSow,
    TerminateCsa,
    TerminateSow,
    WithdrawCsa,
)
from domain.csa import Csa, CsaStatus, CsaTerminationReason, NewCsa
from domain.obligation_dates import Recurrence, end_of_day, ended_periods
from domain.occurrence import Occurrence, Schedule
from domain.party import Agent, AgentStatus, Client, Role, Viewer
from domain.policy import DESIGN_CSA_POLICY, RENEWAL_NOTICE_DAYS
from domain.sla import Period, local_midnight, service_threshold
from domain.sow import Sow, SowStatus, SowTerms
from domain.values import Channel

STAFF = Viewer(subject="seed-compliance", role=Role.COMPLIANCE)

# The share of SOWs in each status: most are in force, every status is present.
SOW_MIX = (
    (SowStatus.ACTIVE, 40),
    (SowStatus.SIGNED, 20),
    (SowStatus.DRAFT, 8),
    (SowStatus.SUBMITTED, 6),
    (SowStatus.UNDER_REVIEW, 6),
    (SowStatus.CHANGES_REQUESTED, 5),
    (SowStatus.EXPIRED, 10),
    (SowStatus.TERMINATED, 5),
)
PROGRAMS = ("Care", "Billing", "Tech Support", "Retention", "Sales", "Claims", "Onboarding")
CHANNELS = ("INBOUND_VOICE", "OUTBOUND_VOICE", "EMAIL", "CHAT", "SOCIAL")
ZONES = ("America/New_York", "America/Chicago", "Europe/London", "Asia/Manila", "UTC")


@dataclass(frozen=True, slots=True)
class Scale:
    clients: int
    agents: int
    sows: int
    csas: int

    @staticmethod
    def of(factor: float) -> Scale:
        """`1` is 100 clients, 1,000 agents, 500 SOWs and 5,000 CSAs."""
        return Scale(
            clients=max(2, round(100 * factor)),
            agents=max(10, round(1000 * factor)),
            sows=max(len(SOW_MIX), round(500 * factor)),
            csas=round(5000 * factor),
        )


# The demo: small enough to read through in GraphiQL, every status present.
DEMO = Scale(clients=2, agents=10, sows=16, csas=40)


def client_viewer(client: Client) -> Viewer:
    return Viewer(subject=f"seed-client-{client.id}", role=Role.CLIENT, client_id=client.id)


def clients(scale: Scale, new_id: Callable[[], str], now: datetime) -> list[Client]:
    return [Client(new_id(), f"Client {n:03d}", now) for n in range(scale.clients)]


def agents(scale: Scale, new_id: Callable[[], str], now: datetime) -> list[Agent]:
    ids = [new_id() for _ in range(scale.agents)]
    # The id in the address keeps emails unique when a database is seeded twice.
    return [
        Agent(id, f"Agent {n:04d}", f"agent{n:04d}.{id[-6:]}@example.com", AgentStatus.ACTIVE, now)
        for n, id in enumerate(ids)
    ]


def sow_statuses(count: int) -> Iterator[SowStatus]:
    """`count` statuses in the proportions of `SOW_MIX`, interleaved."""
    weighted = [status for status, weight in SOW_MIX for _ in range(weight)]
    random.Random(7).shuffle(weighted)
    # Every status first, so that even the smallest data set holds each one.
    head = [status for status, _ in SOW_MIX]
    return itertools.islice(itertools.chain(head, itertools.cycle(weighted)), count)


def sow_terms(n: int, status: SowStatus, today: date) -> dict[str, Any]:
    """Terms whose dates put a SOW of `status` where the scheduler would have it today."""
    if status is SowStatus.ACTIVE:
        # Live long enough that CSAs from go-live have run their three months.
        go_live = today - timedelta(days=100 + n % 150)
    elif status is SowStatus.EXPIRED:
        go_live = today - timedelta(days=400 + n % 90)
    else:
        go_live = today + timedelta(days=30 + n % 60)
    rng = random.Random(n)
    terms = {
        "title": f"{rng.choice(PROGRAMS)} program {n:04d}",
        "programName": f"{rng.choice(PROGRAMS)} {n:04d}",
        "scope": sorted(rng.sample(CHANNELS, rng.randint(1, 3))),
        "languages": ["en-US"] if n % 3 else ["en-US", "es-US"],
        "serviceHours": {
            "timeZone": ZONES[n % len(ZONES)],
            "days": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
            "opensAt": "08:00",
            "closesAt": "20:00",
        },
        "agentsRequired": 10 + n % 40,
        "goLiveDate": go_live.isoformat(),
        "endDate": (go_live + timedelta(days=364)).isoformat(),
        "billingTerm": "ANNUAL" if n % 4 == 0 else "MONTHLY",
        "pricing": {
            "rate": str(Decimal(18) + Decimal(n % 700) / 100),
            "unit": "PER_HOUR",
            "currency": "USD",
        },
        "paymentTermsDays": 30,
        "slaTargets": [
            {"metric": "SERVICE_LEVEL", "target": 80, "thresholdSeconds": 20},
            {"metric": "ABANDONMENT_RATE", "target": 5},
        ],
        "serviceCredits": [{"metric": "SERVICE_LEVEL", "percentOfFees": 2, "capPercent": 10}],
        "disputeResolution": "ARBITRATION",
    }
    if n == SLA_SAMPLE_SOW:
        # Every data set's first SOW is live: the one seed/sla_sample.csv is recorded into.
        # Its term covers the sample's month, whatever the day it is seeded, and its first
        # year ended a few days ago: its operations plan is due (`obligation_history`).
        assert status is SowStatus.ACTIVE
        start = _year_ended_before(today, min(go_live, SLA_SAMPLE_MONTH.first_day))
        end = max(
            start + timedelta(days=364),
            today + timedelta(days=180),
            SLA_SAMPLE_MONTH.next().first_day,
        )
        terms.update(
            scope=list(SLA_SAMPLE_CHANNELS),
            goLiveDate=start.isoformat(),
            endDate=end.isoformat(),
            obligations=OBLIGATIONS,
        )
    return terms


def _year_ended_before(today: date, latest: date) -> date:
    """A start on or before `latest` with an anniversary two days before `today`: an annual
    period (they start on go-live) ended then, so its obligation is due, on any seeding day."""
    anniversary = today - timedelta(days=2)
    years = 1
    while (start := _years_before(anniversary, years)) > latest:
        years += 1
    return start


def _years_before(day: date, years: int) -> date:
    # 29 February has no anniversary in most years: the 28th stands in.
    return day.replace(year=day.year - years, day=min(day.day, 28) if day.month == 2 else day.day)


# --- obligations --------------------------------------------------------------------------

OBLIGATIONS: list[dict[str, Any]] = [
    {
        "key": "operations-plan",
        "title": "Customer Service Operations Plan",
        "kind": "RECURRING",
        "recurrence": "ANNUALLY",
        "dueBusinessDays": 10,
        "sections": [
            "Supervisory staff and their responsibilities",
            "Training strategy",
            "Staff attraction and retention strategy",
            "Staffing",
        ],
    },
    {
        "key": "calibration",
        "title": "Monthly call-calibration session with the client",
        "kind": "RECURRING",
        "recurrence": "MONTHLY",
        "dueBusinessDays": 5,
    },
    {"key": "recordings", "title": "Audio recordings", "kind": "ON_REQUEST", "dueBusinessDays": 3},
    {
        "key": "transcripts",
        "title": "Transcripts of call notes",
        "kind": "ON_REQUEST",
        "dueBusinessDays": 2,
    },
]


def obligation_history(
    sow: Sow, client: Client, now: datetime, new_id: Callable[[], str]
) -> list[Change[Occurrence]]:
    """The occurrences of `sow`'s obligations as a year of service leaves them by `now`:
    each ended period's, opened when it ended (calibrations fulfilled on time but the last
    two; the operations plan due); a recording request fulfilled, one fulfilled late, and a
    transcripts request overdue. Every one past its deadline is OVERDUE, as the scheduler
    would have marked it. Only the occurrences' changes: the SOW itself stays as it is."""
    zone = ZoneInfo(sow.terms.service_hours.time_zone)
    ends = sorted(
        {
            end_of_day(period.last_day, zone) + timedelta(seconds=1)
            for recurrence in Recurrence
            for period in ended_periods(recurrence, sow.terms.go_live_date, now, zone)
        }
    )
    history: list[Change[Occurrence]] = []
    opened: dict[str, Occurrence] = {}

    def record(change: Change[Occurrence]) -> Occurrence:
        history.append(change)
        opened[change.after.id] = change.after
        return change.after

    for ended in ends:
        keys = frozenset((o.key, o.period) for o in opened.values() if o.period is not None)
        for change in occurrences.recurring_due(Schedule(sow, keys, {}, new_id), ended):
            if isinstance(change.after, Occurrence):
                record(change)

    by_client = client_viewer(client)

    def request(key: str, days_ago: int, note: str) -> Occurrence:
        command = RequestObligation(sow_id=sow.id, key=key, note=note)
        at = now - timedelta(days=days_ago)
        touched, created = occurrences.request(sow, command, by_client, at, new_id())
        # The request's event rides on the SOW's change; seeded, the SOW is not rewritten.
        return record(dataclasses.replace(created, events=touched.events))

    def overdue(found: Occurrence, by: datetime) -> Occurrence:
        """Marked OVERDUE as the scheduler would have: just after its deadline."""
        marked = found.due_at + timedelta(seconds=1)
        late = occurrences.overdue(found, marked) if marked <= by else None
        return found if late is None else record(late)

    def fulfil(found: Occurrence, at: datetime, note: str) -> None:
        command = FulfilObligation(id=found.id, note=note)
        record(occurrences.fulfil(overdue(found, at), command, STAFF, at, None))

    calibrations = sorted(
        (o for o in opened.values() if o.key == "calibration"), key=lambda o: o.created_at
    )
    for found in calibrations[:-2]:
        fulfil(found, found.created_at + timedelta(days=2), "Session held; minutes shared.")
    late = request("recordings", 30, "Calls of the escalation queue, first week")
    fulfil(late, now - timedelta(days=21), "Recordings uploaded to the shared folder.")
    on_time = request("recordings", 20, "Calls about the billing change")
    fulfil(on_time, now - timedelta(days=19), "Recordings uploaded to the shared folder.")
    request("transcripts", 12, "Notes of the calls escalated to supervisors")
    for found in list(opened.values()):
        overdue(found, now)
    return history


# --- performance against the contract ----------------------------------------------------

SLA_SAMPLE_SOW = 0
SLA_SAMPLE_MONTH = Period(2026, 10)
SLA_SAMPLE_CHANNELS = ("CHAT", "INBOUND_VOICE")
SLA_SAMPLE_FILE = Path(__file__).with_name("sla_sample.csv")


@dataclass(frozen=True, slots=True)
class Quality:
    """How a program performs, on average: answered within the threshold, abandoned."""

    service_level: float
    abandonment: float


# Against the seeds' targets (service level 80 %, abandonment 5 %).
MEETS = Quality(service_level=0.88, abandonment=0.03)
MISSES = Quality(service_level=0.72, abandonment=0.07)
# The sample file: service level just under its floor, abandonment within its ceiling.
NEAR_MISS = Quality(service_level=0.78, abandonment=0.04)


def _open_slots(
    terms: SowTerms, starts: datetime, ends: datetime, minutes: int
) -> Iterator[datetime]:
    """The UTC starts of the intervals of `minutes` within the SOW's service hours (local
    days and times) that lie wholly between `starts` and `ends`."""
    hours = terms.service_hours
    zone = ZoneInfo(hours.time_zone)
    days = {list(calendar.day_name).index(day.value.capitalize()) for day in hours.days}
    opens, closes = (time.fromisoformat(hours.opens_at), time.fromisoformat(hours.closes_at))
    day = starts.astimezone(zone).date()
    while local_midnight(day, hours.time_zone) < ends:
        if day.weekday() in days:
            slot = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
            last = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
            while slot + timedelta(minutes=minutes) <= last:
                if starts <= slot and slot + timedelta(minutes=minutes) <= ends:
                    yield slot
                slot += timedelta(minutes=minutes)
        day += timedelta(days=1)


def interval_rows(
    terms: SowTerms,
    channels: Sequence[str],
    starts: datetime,
    ends: datetime,
    minutes: int,
    quality: Quality,
    seed: int,
) -> list[dict[str, Any]]:
    """Queue rows (`SlaIntervalInput` fields) of every interval of the SOW's service hours
    between `starts` and `ends`, per channel, counts drawn around `quality`."""
    rng = random.Random(seed)
    threshold = service_threshold(terms) or 20
    rows = []
    for slot in _open_slots(terms, starts, ends, minutes):
        for channel in channels:
            offered = rng.randint(20, 60) * minutes // 15
            abandoned = round(offered * max(0.0, rng.gauss(quality.abandonment, 0.01)))
            answered = offered - abandoned
            within = round(answered * min(1.0, rng.gauss(quality.service_level, 0.03)))
            handle = answered * rng.randint(280, 380)
            responses = answered // 5
            rows.append(
                {
                    "channel": Channel(channel),
                    "intervalStart": slot,
                    "intervalMinutes": minutes,
                    "agentId": None,
                    "offered": offered,
                    "answered": answered,
                    "abandoned": abandoned,
                    "answeredWithinThreshold": within,
                    "thresholdSeconds": threshold,
                    "waitSecondsAnswered": answered * rng.randint(6, 28),
                    "handleSeconds": handle,
                    # Agents busy 80 % of their logged-in time.
                    "staffedSeconds": handle * 5 // 4,
                    "firstContactResolutions": round(answered * rng.uniform(0.66, 0.8)),
                    "csatResponses": responses,
                    "csatSatisfied": round(responses * rng.uniform(0.8, 0.92)),
                }
            )
    return rows


def sample_rows(terms: SowTerms) -> list[dict[str, Any]]:
    """seed/sla_sample.csv: `SLA_SAMPLE_MONTH` of quarter-hour queue rows of the sample
    SOW's service hours, on both its channels."""
    starts, ends = SLA_SAMPLE_MONTH.bounds(terms.service_hours.time_zone)
    return interval_rows(terms, SLA_SAMPLE_CHANNELS, starts, ends, 15, NEAR_MISS, seed=2026)


def performance_rows(sow: Sow, quality: Quality, now: datetime) -> list[dict[str, Any]]:
    """Hourly queue rows of `sow` from the start of the month three months back (or its
    go-live) to the last hour ended at `now`: closed months and a provisional one."""
    zone = sow.terms.service_hours.time_zone
    first = Period.of(now, zone).previous().previous().previous()
    starts = max(first.bounds(zone)[0], local_midnight(sow.terms.go_live_date, zone))
    channels = [channel.value for channel in sow.terms.scope]
    return interval_rows(sow.terms, channels, starts, now, 60, quality, seed=len(sow.id))


def sow_history(
    id: str, number: str, client: Client, status: SowStatus, n: int, now: datetime
) -> list[Change[Sow]]:
    """The changes that bring a new SOW to `status`, oldest first."""
    today = now.date()
    by_client = client_viewer(client)
    terms = sows.parse_sow_terms(sow_terms(n, status, today))
    history = [sows.create(id, number, client.id, terms, by_client, now)]

    def step[C: OnDocument[Sow]](
        rule: Callable[[Sow, C, Viewer, datetime], Change[Sow]], command: C, viewer: Viewer
    ) -> None:
        history.append(rule(history[-1].after, command, viewer, now))

    if status is SowStatus.DRAFT:
        return history
    step(sows.submit, SubmitSow(id=id, expected_version=1), by_client)
    if status is SowStatus.SUBMITTED:
        return history
    step(sows.start_review, StartSowReview(id=id, expected_version=1), STAFF)
    if status is SowStatus.UNDER_REVIEW:
        return history
    if status is SowStatus.CHANGES_REQUESTED:
        reason = "Please confirm the weekend coverage."
        step(
            sows.request_changes, RequestSowChanges(id=id, expected_version=1, reason=reason), STAFF
        )
        return history
    step(sows.sign, SignSow(id=id, expected_version=1), STAFF)
    if status is SowStatus.TERMINATED:
        reason = "The client closed the program."
        step(sows.terminate, TerminateSow(id=id, expected_version=1, reason=reason), STAFF)
    elif status in (SowStatus.ACTIVE, SowStatus.EXPIRED):
        due = sows.scheduled(history[-1].after, now)
        assert due is not None, (status, terms.go_live_date)
        history.append(due)
    return history


# The share of CSAs in each status; DECLINED and WITHDRAWN are rare in practice. An
# EXECUTED CSA of a live SOW then becomes what the scheduler has made of it by now: ACTIVE
# (some with their renewal notice given) or EXPIRED.
CSA_MIX = (
    (CsaStatus.DRAFT, 10),
    (CsaStatus.SENT, 10),
    (CsaStatus.AGENT_SIGNED, 10),
    (CsaStatus.EXECUTED, 30),
    (CsaStatus.DECLINED, 3),
    (CsaStatus.WITHDRAWN, 3),
    (CsaStatus.TERMINATED, 4),
)


def agent_viewer(agent_id: str) -> Viewer:
    return Viewer(subject=f"seed-agent-{agent_id}", role=Role.AGENT, agent_id=agent_id)


def csa_statuses(count: int) -> Iterator[CsaStatus]:
    """`count` statuses in the proportions of `CSA_MIX`, every status first."""
    weighted = [status for status, weight in CSA_MIX for _ in range(weight)]
    random.Random(11).shuffle(weighted)
    head = [status for status, _ in CSA_MIX]
    return itertools.islice(itertools.chain(head, itertools.cycle(weighted)), count)


def csa_start(sow: Sow, status: CsaStatus, n: int, today: date) -> date:
    """The effective date that puts a CSA of `status` where the scheduler would have it.

    For a live SOW, an executed CSA started at go-live (long expired), 20 days ago (active)
    or 75 days ago (active, its renewal notice due); any other starts in ten days.
    """
    if sow.status is not SowStatus.ACTIVE:
        return sow.terms.go_live_date
    if status is not CsaStatus.EXECUTED:
        return today + timedelta(days=10)
    return (sow.terms.go_live_date, today - timedelta(days=20), today - timedelta(days=75))[n % 3]


def csa_terms(sow: Sow, start: date, n: int) -> dict[str, Any]:
    """A three-month term from `start`, paid a little under the SOW's rate."""
    hours = sow.terms.service_hours
    return {
        "obligations": [f"Handle {sow.terms.program_name} contacts per the program script"],
        "performanceExpectations": [
            {"metric": "SERVICE_LEVEL", "target": 80, "thresholdSeconds": 20},
            {"metric": "CUSTOMER_SATISFACTION", "target": 85},
        ],
        "hoursOfService": {
            "timeZone": hours.time_zone,
            "days": [day.value for day in hours.days],
            "opensAt": hours.opens_at,
            "closesAt": hours.closes_at,
        },
        "payRate": {
            "amount": str(Decimal(14) + Decimal(n % 300) / 100),
            "currency": "USD",
            "unit": "PER_HOUR",
        },
        "effectiveDate": start.isoformat(),
        "expirationDate": (csas.add_months(start, 3) - timedelta(days=1)).isoformat(),
    }


def csa_history(
    sow: Sow, new: NewCsa, agent: Agent, status: CsaStatus, n: int, now: datetime
) -> list[Change[Csa]]:
    """The changes that bring a new CSA of `sow` for `agent` to `status`, oldest first."""
    terms = csas.parse_csa_terms(csa_terms(sow, csa_start(sow, status, n, now.date()), n))
    (produced,) = csas.produce(
        sow, [new], {agent.id: agent}, [], terms, STAFF, DESIGN_CSA_POLICY, now
    )
    history = [produced]
    by_agent = agent_viewer(agent.id)

    def step[C: OnDocument[Csa]](
        rule: Callable[[Csa, C, Viewer, datetime], Change[Csa]], command: C, viewer: Viewer
    ) -> None:
        history.append(rule(history[-1].after, command, viewer, now))

    id = new.id
    if status is CsaStatus.DRAFT:
        return history
    if status is CsaStatus.WITHDRAWN:
        reason = "The program needs fewer agents."
        step(csas.withdraw, WithdrawCsa(id=id, expected_version=1, reason=reason), STAFF)
        return history
    step(csas.send, SendCsa(id=id, expected_version=1), STAFF)
    if status is CsaStatus.SENT:
        return history
    if status is CsaStatus.DECLINED:
        reason = "I cannot work these hours."
        step(csas.decline, DeclineCsa(id=id, expected_version=1, reason=reason), by_agent)
        return history
    step(csas.sign, SignCsa(id=id, expected_version=1), by_agent)
    if status is CsaStatus.AGENT_SIGNED:
        return history
    step(csas.countersign, CountersignCsa(id=id, expected_version=1), STAFF)
    if status is CsaStatus.TERMINATED:
        breach, note = CsaTerminationReason.BREACH, "Repeated no-shows."
        terminated = TerminateCsa(id=id, expected_version=1, reason=breach, note=note)
        step(csas.terminate, terminated, STAFF)
    while due := csas.scheduled(history[-1].after, now, RENEWAL_NOTICE_DAYS):
        history.append(due)
    return history


def csa_histories(
    in_force: list[Sow],
    agents: list[Agent],
    numbers: list[str],
    new_id: Callable[[], str],
    now: datetime,
) -> Iterator[list[Change[Csa]]]:
    """One CSA per number, spread over the SOWs in force, one agent at most once per SOW.

    The first agent holds a CSA of every SOW in force: the busiest agent, whose pages of
    CSAs the benchmarks read.
    """
    others = agents[1:]
    statuses = csa_statuses(len(numbers))
    for n, (number, status) in enumerate(zip(numbers, statuses, strict=False)):
        sow_index, rank = n % len(in_force), n // len(in_force)
        if rank and rank > len(others):
            return
        agent = others[(sow_index + rank - 1) % len(others)] if rank else agents[0]
        sow = in_force[sow_index]
        yield csa_history(sow, NewCsa(new_id(), number, agent.id), agent, status, n, now)


def onboarding_checklist(agent: Agent, now: datetime) -> bytes:
    """A one-page PDF, the demo's administrative document (what compliance would upload)."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(now)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Onboarding checklist", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    name = agent.name.encode("latin-1", "replace").decode("latin-1")
    for line in (
        f"Agent: {name}",
        "[x] Identity checked",
        "[x] Home-office equipment checked",
        "[x] Confidentiality training completed",
    ):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

"""Client Service Agreements: one agent's contract under a SOW, its status machine and policy."""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import Field

from domain import lifecycle
from domain.access import authorize
from domain.changes import Change
from domain.commands import (
    CountersignCsa,
    DeclineCsa,
    ProduceCsas,
    RenewCsa,
    SendCsa,
    SignCsa,
    TerminateCsa,
    TerminateSow,
    UpdateCsaDraft,
    WithdrawCsa,
)
from domain.document import copy_due
from domain.errors import BadUserInput, Forbidden
from domain.events import EntityType, EventType
from domain.lifecycle import admitted, explained, require_reason, signed, transition
from domain.machine import DateReached, Machine, in_place, moves
from domain.party import SYSTEM, Actor, Agent, AgentStatus, Viewer
from domain.policy import CsaPolicy
from domain.schedule import local_date
from domain.sow import IN_FORCE, Sow, SowTerms
from domain.values import (
    CurrencyCode,
    LongText,
    Money,
    PricingUnit,
    ServiceHours,
    SlaTargets,
    Terms,
    parse_terms,
)
from domain.versioning import (
    Signature,
    SignatureParty,
    TermsVersion,
    check_expected_version,
)


class CsaStatus(StrEnum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    AGENT_SIGNED = "AGENT_SIGNED"
    EXECUTED = "EXECUTED"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"
    TERMINATED = "TERMINATED"


class CsaTerminationReason(StrEnum):
    BREACH = "BREACH"
    UNPROFESSIONAL_CONDUCT = "UNPROFESSIONAL_CONDUCT"
    CLIENT_AGREEMENT_TERMINATED = "CLIENT_AGREEMENT_TERMINATED"


class CsaFlag(StrEnum):
    """Timeline checks reported on a CSA, not refusals."""

    LATE_DELIVERY = "LATE_DELIVERY"
    EARLY_DELIVERY = "EARLY_DELIVERY"
    LATE_PRODUCTION = "LATE_PRODUCTION"


# Signed by both parties: what `Sow.staffing` counts as contracted, and what renews.
CONTRACTED = (CsaStatus.EXECUTED, CsaStatus.ACTIVE)
# Signed by the agent at least: what compliance terminates for cause.
TERMINABLE = (CsaStatus.AGENT_SIGNED, *CONTRACTED)
# Every status a CSA can still leave: the termination of its SOW ends it from any of them.
OPEN = (CsaStatus.DRAFT, CsaStatus.SENT, *TERMINABLE)

MACHINE: Machine[CsaStatus] = Machine(
    "CSA",
    [
        *moves([None], CsaStatus.DRAFT, ProduceCsas, EventType.CREATED),
        *moves([None], CsaStatus.DRAFT, RenewCsa, EventType.CREATED),
        *in_place([CsaStatus.DRAFT], UpdateCsaDraft, EventType.TERMS_UPDATED),
        *moves([CsaStatus.DRAFT], CsaStatus.SENT, SendCsa, EventType.SENT),
        *moves([CsaStatus.SENT], CsaStatus.AGENT_SIGNED, SignCsa, EventType.AGENT_SIGNED),
        *moves([CsaStatus.SENT], CsaStatus.DECLINED, DeclineCsa, EventType.DECLINED),
        *moves(
            [CsaStatus.AGENT_SIGNED], CsaStatus.EXECUTED, CountersignCsa, EventType.COUNTERSIGNED
        ),
        *moves(
            [CsaStatus.DRAFT, CsaStatus.SENT], CsaStatus.WITHDRAWN, WithdrawCsa, EventType.WITHDRAWN
        ),
        # The scheduler tries an ACTIVE CSA's rows in this order: expiry, then the notice.
        *moves(
            [CsaStatus.EXECUTED],
            CsaStatus.ACTIVE,
            DateReached("effective_date"),
            EventType.ACTIVATED,
        ),
        *moves(
            [CsaStatus.ACTIVE], CsaStatus.EXPIRED, DateReached("expiration_date"), EventType.EXPIRED
        ),
        *in_place(
            [CsaStatus.ACTIVE],
            DateReached("expiration_date", notice=True),
            EventType.RENEWAL_DUE,
        ),
        *in_place(CONTRACTED, RenewCsa, EventType.RENEWED),
        *moves(TERMINABLE, CsaStatus.TERMINATED, TerminateCsa, EventType.TERMINATED),
        *moves(OPEN, CsaStatus.TERMINATED, TerminateSow, EventType.TERMINATED),
    ],
)
ENDED = MACHINE.ended
# Delivery (SENT) is due between 1 and 3 days before the effective date.
MIN_DELIVERY_DAYS = 1
MAX_DELIVERY_DAYS = 3


class PayRate(Terms):
    amount: Money
    currency: CurrencyCode
    unit: PricingUnit


class CsaTerms(Terms):
    obligations: Annotated[list[Annotated[LongText, Field(min_length=1)]], Field(max_length=50)]
    performance_expectations: SlaTargets
    hours_of_service: ServiceHours
    pay_rate: PayRate
    # Their order and distance are checked by `check_term`, which names the field.
    effective_date: date
    expiration_date: date


@dataclass(frozen=True, slots=True)
class Csa:
    id: str
    number: str
    agent_id: str
    sow_id: str
    sow_version: int
    sow_go_live_date: date
    # The SOW's service-hours zone, in which its go-live date starts (None: UTC, as for
    # documents stored before it was recorded).
    sow_time_zone: str | None
    client_id: str
    program_name: str
    status: CsaStatus
    version: int
    latest_version: int
    revision: int
    terms: CsaTerms
    terms_hash: str
    signatures: tuple[Signature, ...]
    produced_at: datetime
    sent_at: datetime | None
    termination_reason: CsaTerminationReason | None
    renewal_of: str | None
    renewed_by: str | None
    # When the scheduler gave notice (RENEWAL_DUE) of the coming expiry: once per CSA.
    renewal_due_at: datetime | None
    created_at: datetime
    updated_at: datetime

    ENTITY_TYPE: ClassVar[EntityType] = EntityType.CSA

    @property
    def ended(self) -> bool:
        return self.status in ENDED


def parse_csa_terms(data: Mapping[str, Any], field: str = "terms") -> CsaTerms:
    return parse_terms(CsaTerms, data, field)


def patch_csa_terms(terms: CsaTerms, patch: Mapping[str, Any], field: str = "terms") -> CsaTerms:
    """Apply a patch (GraphQL names; absent fields unchanged) and validate the whole."""
    return parse_csa_terms({**terms.canonical(), **patch}, field)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 = Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_term(terms: CsaTerms, policy: CsaPolicy, field: str = "terms") -> None:
    """The term runs `min..max` months: a 3-month term from June 1 ends on August 31."""
    shortest = add_months(terms.effective_date, policy.min_term_months) - timedelta(days=1)
    longest = add_months(terms.effective_date, policy.max_term_months)
    if not shortest <= terms.expiration_date <= longest:
        raise BadUserInput(
            f"{field}.expirationDate: the term must run {policy.min_term_months} to "
            f"{policy.max_term_months} months from effectiveDate",
            field=f"{field}.expirationDate",
        )


def check_within_sow(terms: CsaTerms, go_live: date, end: date, field: str = "terms") -> None:
    """A CSA staffs its SOW: its term lies inside the SOW's, from goLiveDate to endDate."""
    if terms.effective_date < go_live:
        raise BadUserInput(
            f"{field}.effectiveDate: before the SOW's goLiveDate {go_live}",
            field=f"{field}.effectiveDate",
        )
    if terms.expiration_date > end:
        raise BadUserInput(
            f"{field}.expirationDate: after the SOW's endDate {end}",
            field=f"{field}.expirationDate",
        )


def check_staffed_within(terms: SowTerms, csas: Iterable[Csa], proposed: bool) -> None:
    """New terms of a SOW (an amendment's) keep each of its CSAs not ended inside them, as
    `check_within_sow` keeps a new CSA: a CSA is ended before its SOW's term shrinks past
    it. The refusal names `terms.goLiveDate` or `terms.endDate` when the terms are being
    `proposed`, the amendment's `id` when they are being accepted."""
    for csa in csas:
        if csa.ended:
            continue
        for name, outside in (
            ("goLiveDate", csa.terms.effective_date < terms.go_live_date),
            ("endDate", csa.terms.expiration_date > terms.end_date),
        ):
            if outside:
                raise BadUserInput(
                    f"the amended {name} leaves {csa.number} ({csa.terms.effective_date} to "
                    f"{csa.terms.expiration_date}) outside the SOW's term: end that CSA first",
                    field=f"terms.{name}" if proposed else "id",
                )


def overlaps(csa: Csa, terms: CsaTerms) -> bool:
    return (
        not csa.ended
        and csa.terms.effective_date <= terms.expiration_date
        and terms.effective_date <= csa.terms.expiration_date
    )


def _created(
    id: str,
    number: str,
    agent_id: str,
    sow: Sow,
    terms: CsaTerms,
    actor: Actor,
    now: datetime,
    change_summary: str,
    renewal_of: str | None = None,
) -> Change[Csa]:
    version = TermsVersion.of(1, terms.canonical(), actor, now, change_summary)
    trigger = ProduceCsas if renewal_of is None else RenewCsa
    csa = Csa(
        id=id,
        number=number,
        agent_id=agent_id,
        sow_id=sow.id,
        sow_version=sow.version,
        sow_go_live_date=sow.terms.go_live_date,
        sow_time_zone=sow.terms.service_hours.time_zone,
        client_id=sow.client_id,
        program_name=sow.terms.program_name,
        status=MACHINE.created(trigger).target,
        version=1,
        latest_version=1,
        revision=1,
        terms=terms,
        terms_hash=version.hash,
        signatures=(),
        produced_at=now,
        sent_at=None,
        termination_reason=None,
        renewal_of=renewal_of,
        renewed_by=None,
        renewal_due_at=None,
        created_at=now,
        updated_at=now,
    )
    return lifecycle.created(csa, version, actor)


@dataclass(frozen=True, slots=True)
class Staffing:
    """How many CSAs of a SOW are signed by both parties (`CONTRACTED`), and how many of
    those run: what a client may know of its SOW's CSAs."""

    contracted: int = 0
    active: int = 0


@dataclass(frozen=True, slots=True)
class NewCsa:
    """Identity allocated for one CSA before deciding: its id, number and agent."""

    id: str
    number: str
    agent_id: str


def produce(
    sow: Sow,
    new: Sequence[NewCsa],
    agents: Mapping[str, Agent],
    existing: Sequence[Csa],
    terms: CsaTerms,
    viewer: Viewer,
    policy: CsaPolicy,
    now: datetime,
) -> list[Change[Csa]]:
    """DRAFT CSAs for each agent from the SOW's effective version: all of them, or none.

    `agents` are the known agents among those asked for; `existing` the SOW's CSAs.
    """
    authorize(viewer, ProduceCsas)
    if sow.status not in IN_FORCE:
        raise BadUserInput(
            f"sowId: CSAs are produced for a SIGNED or ACTIVE SOW, not {sow.status}",
            field="sowId",
        )
    check_term(terms, policy)
    check_within_sow(terms, sow.terms.go_live_date, sow.terms.end_date)
    agent_ids = [item.agent_id for item in new]
    if not agent_ids:
        raise BadUserInput("agentIds: at least one agent", field="agentIds")
    if len(set(agent_ids)) != len(agent_ids):
        raise BadUserInput("agentIds: an agent is named twice", field="agentIds")
    for index, agent_id in enumerate(agent_ids):
        field = f"agentIds[{index}]"
        agent = agents.get(agent_id)
        if agent is None:
            raise BadUserInput(f"{field}: no such agent", field=field)
        if agent.status is not AgentStatus.ACTIVE:
            raise BadUserInput(f"{field}: the agent is not ACTIVE", field=field)
        if any(c.agent_id == agent_id and overlaps(c, terms) for c in existing):
            raise BadUserInput(
                f"{field}: the agent already has a CSA of this SOW for an overlapping period",
                field=field,
            )
    actor = Actor.of(viewer)
    return [
        _created(item.id, item.number, item.agent_id, sow, terms, actor, now, "produced")
        for item in new
    ]


def update_draft(
    csa: Csa, command: UpdateCsaDraft, viewer: Viewer, now: datetime, policy: CsaPolicy, sow: Sow
) -> Change[Csa]:
    """A new version of a draft's terms, inside the term of `sow`, the SOW it staffs as it
    is now (an amendment may have moved its dates since the draft was produced)."""
    admitted(csa, command, viewer)
    MACHINE.step(csa.status, UpdateCsaDraft, "terms change in place only in DRAFT")
    terms = patch_csa_terms(csa.terms, command.patch)
    check_term(terms, policy)
    check_within_sow(terms, sow.terms.go_live_date, sow.terms.end_date)
    return lifecycle.revised(csa, terms, viewer, command.change_summary, now)


def send(csa: Csa, command: SendCsa, viewer: Viewer, now: datetime) -> Change[Csa]:
    admitted(csa, command, viewer)
    step = MACHINE.step(csa.status, SendCsa)
    return transition(csa, step, Actor.of(viewer), now, sent_at=now)


def _own_agent(csa: Csa, command: SignCsa | DeclineCsa, viewer: Viewer) -> None:
    """Only the CSA's own agent answers it (another's CSA is outside an agent's scope too)."""
    authorize(viewer, type(command))
    if viewer.agent_id != csa.agent_id:
        raise Forbidden(f"only the CSA's own agent may use {type(command).__name__}")
    check_expected_version(command.expected_version, csa.version)


def sign(csa: Csa, command: SignCsa, viewer: Viewer, now: datetime) -> Change[Csa]:
    """The agent signs the exact version sent; `expectedVersion` names it."""
    _own_agent(csa, command, viewer)
    return signed(csa, MACHINE.step(csa.status, SignCsa), viewer, now)


def decline(csa: Csa, command: DeclineCsa, viewer: Viewer, now: datetime) -> Change[Csa]:
    _own_agent(csa, command, viewer)
    return explained(csa, MACHINE.step(csa.status, DeclineCsa), viewer, command.reason, now)


def countersign(csa: Csa, command: CountersignCsa, viewer: Viewer, now: datetime) -> Change[Csa]:
    """The operator signs: EXECUTED, and the executed copy is due to the agent and the
    operator's compliance mailbox (FINAL_COPY_DELIVERED once each is really sent)."""
    admitted(csa, command, viewer)
    executed = signed(csa, MACHINE.step(csa.status, CountersignCsa), viewer, now)
    copy = copy_due(
        EntityType.CSA, csa.id, csa.version, now, SignatureParty.AGENT, SignatureParty.OPERATOR
    )
    return dataclasses.replace(executed, copies=(copy,))


def withdraw(csa: Csa, command: WithdrawCsa, viewer: Viewer, now: datetime) -> Change[Csa]:
    admitted(csa, command, viewer)
    return explained(csa, MACHINE.step(csa.status, WithdrawCsa), viewer, command.reason, now)


def terminate(csa: Csa, command: TerminateCsa, viewer: Viewer, now: datetime) -> Change[Csa]:
    admitted(csa, command, viewer)
    step = MACHINE.step(csa.status, TerminateCsa)
    reason, note = command.reason, command.note
    text = reason.value if note is None else f"{reason.value}: {require_reason(note, 'note')}"
    return transition(csa, step, Actor.of(viewer), now, text, termination_reason=reason)


def cascade(csas: Sequence[Csa], viewer: Viewer, now: datetime) -> list[Change[Csa]]:
    """The SOW was terminated: every CSA under it not yet ended is terminated, one event each.

    DESIGN.md makes this the one way into TERMINATED from DRAFT or SENT: the agreement a
    draft was produced under is gone.
    """
    actor = Actor.of(viewer)
    reason = CsaTerminationReason.CLIENT_AGREEMENT_TERMINATED
    return [
        transition(
            csa,
            MACHINE.step(csa.status, TerminateSow),
            actor,
            now,
            reason=reason.value,
            termination_reason=reason,
        )
        for csa in csas
        if not csa.ended
    ]


def _same_term(terms: CsaTerms, start: date) -> date:
    """The expiration of a term from `start` as long as `terms`' in months and days, so that
    June 1 to August 31 renews as September 1 to November 30, not to December 1."""
    end = terms.expiration_date + timedelta(days=1)
    months = (end.year - terms.effective_date.year) * 12 + end.month - terms.effective_date.month
    if add_months(terms.effective_date, months) > end:
        months -= 1
    days = end - add_months(terms.effective_date, months)
    return add_months(start, months) + days - timedelta(days=1)


def renew(
    csa: Csa,
    sow: Sow,
    others: Sequence[Csa],
    new: NewCsa,
    command: RenewCsa,
    viewer: Viewer,
    policy: CsaPolicy,
    now: datetime,
) -> tuple[Change[Csa], Change[Csa]]:
    """A new DRAFT starting the day after `csa` expires, same length unless patched.

    `others` are the agent's other CSAs of the SOW: as in production, the agent holds one
    CSA of a SOW per period. Returns the renewed CSA's change (now linked) and the new
    CSA's creation.
    """
    admitted(csa, command, viewer)
    step = MACHINE.step(csa.status, RenewCsa, "only EXECUTED or ACTIVE renews")
    if csa.renewed_by is not None:
        raise BadUserInput("id: this CSA is already renewed", field="id")
    start = csa.terms.expiration_date + timedelta(days=1)
    shifted = {
        **csa.terms.canonical(),
        "effectiveDate": start.isoformat(),
        "expirationDate": _same_term(csa.terms, start).isoformat(),
    }
    terms = parse_csa_terms({**shifted, **(command.patch or {})})
    check_term(terms, policy)
    check_within_sow(terms, sow.terms.go_live_date, sow.terms.end_date)
    if any(other.id != csa.id and overlaps(other, terms) for other in others):
        raise BadUserInput(
            "id: the agent already has a CSA of this SOW for an overlapping period", field="id"
        )
    actor = Actor.of(viewer)
    created = _created(
        new.id, new.number, csa.agent_id, sow, terms, actor, now, f"renewal of {csa.number}"
    )
    created = dataclasses.replace(
        created, after=dataclasses.replace(created.after, renewal_of=csa.id)
    )
    linked = dataclasses.replace(csa, renewed_by=new.id, revision=csa.revision + 1, updated_at=now)
    event = lifecycle.event(csa, step.event, actor, now, reason=new.number)
    return Change(csa, linked, (), (event,)), created


def flags(csa: Csa, policy: CsaPolicy) -> list[CsaFlag]:
    """Timeline checks: delivery 1 to 3 days before effectiveDate; production lead time.

    Whole calendar days, each date local to the zone its contract date is in (the rule of
    `domain.schedule`): the day a CSA was sent in its hours' zone against its effectiveDate,
    the day it was produced in the SOW's zone against the SOW's go-live date.
    """
    found: list[CsaFlag] = []
    if csa.sent_at is not None:
        sent_on = local_date(csa.sent_at, csa.terms.hours_of_service.time_zone)
        notice = (csa.terms.effective_date - sent_on).days
        if notice < MIN_DELIVERY_DAYS:
            found.append(CsaFlag.LATE_DELIVERY)
        elif notice > MAX_DELIVERY_DAYS:
            found.append(CsaFlag.EARLY_DELIVERY)
    produced_on = local_date(csa.produced_at, csa.sow_time_zone)
    if (csa.sow_go_live_date - produced_on).days < policy.min_lead_days:
        found.append(CsaFlag.LATE_PRODUCTION)
    return found


def scheduled(
    csa: Csa, now: datetime, renewal_notice_days: int, advice: str | None = None
) -> Change[Csa] | None:
    """The scheduler's change for this CSA at instant `now`, if one is due.

    `effectiveDate` and `expirationDate` are local dates in `hoursOfService.timeZone` (see
    `domain.schedule`): EXECUTED -> ACTIVE once that zone's date reaches the effective date,
    ACTIVE -> EXPIRED once it reaches the expiration date; a CSA past both takes both steps.
    An ACTIVE CSA not renewed gets one RENEWAL_DUE from `renewal_notice_days` before its
    expiration date: `renewal_due_at` records it, so the notice is given once; `advice` (the
    agent's renewal recommendation) is its reason. None when nothing is due, so a second run
    changes nothing.
    """
    today = local_date(now, csa.terms.hours_of_service.time_zone)
    return _scheduled_on(csa, today, now, timedelta(days=renewal_notice_days), advice)


def _scheduled_on(
    csa: Csa, today: date, now: datetime, notice: timedelta, advice: str | None
) -> Change[Csa] | None:
    for step in MACHINE.dated(csa.status):
        assert isinstance(step.trigger, DateReached)
        due: date = getattr(csa.terms, step.trigger.field)
        if not step.trigger.notice:
            if today >= due:
                moved = transition(csa, step, SYSTEM, now)
                following = _scheduled_on(moved.after, today, now, notice, advice)
                return lifecycle.then(moved, following)
        # Once, and only while it can still be renewed.
        elif csa.renewed_by is None and csa.renewal_due_at is None and today >= due - notice:
            after = dataclasses.replace(
                csa, renewal_due_at=now, revision=csa.revision + 1, updated_at=now
            )
            notice_given = lifecycle.event(csa, step.event, SYSTEM, now, reason=advice)
            return Change(csa, after, (), (notice_given,))
    return None

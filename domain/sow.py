"""Statements of Work: terms, the status machine, amendments and who may do what."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, Field, model_validator

from domain import lifecycle
from domain.access import authorize
from domain.changes import Change
from domain.commands import (
    AcceptSowAmendment,
    CreateSow,
    ProposeSowAmendment,
    RejectSowAmendment,
    RequestObligation,
    RequestSowChanges,
    SignSow,
    StartSowReview,
    SubmitSow,
    TerminateSow,
    UpdateSow,
)
from domain.document import copy_due
from domain.errors import BadUserInput, Forbidden
from domain.events import EntityType, EventType
from domain.lifecycle import admitted, explained, require_reason, signed, transition
from domain.machine import DateReached, Machine, in_place, moves
from domain.obligation import Holidays, Obligations, check_obligations
from domain.party import SYSTEM, Actor, Viewer
from domain.schedule import local_date
from domain.values import (
    Channel,
    CurrencyCode,
    FieldError,
    LanguageTag,
    LongText,
    Money,
    Percent,
    PricingUnit,
    ServiceHours,
    ShortText,
    SlaMetric,
    SlaTargets,
    Terms,
    _unique,
    parse_terms,
    unique_metrics,
)
from domain.versioning import (
    Signature,
    SignatureParty,
    TermsVersion,
    VersionState,
    check_expected_version,
    content_hash,
    party_of,
)


class BillingTerm(StrEnum):
    MONTHLY = "MONTHLY"
    ANNUAL = "ANNUAL"


class DisputeResolution(StrEnum):
    MEDIATION = "MEDIATION"
    ARBITRATION = "ARBITRATION"
    COURTS = "COURTS"


class SowStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    UNDER_REVIEW = "UNDER_REVIEW"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    SIGNED = "SIGNED"
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"


# Terms change in place; submitting signs them.
EDITABLE = (SowStatus.DRAFT, SowStatus.CHANGES_REQUESTED)
# Signed by both parties and not ended: amended, terminated, staffed with CSAs.
IN_FORCE = frozenset({SowStatus.SIGNED, SowStatus.ACTIVE})

MACHINE: Machine[SowStatus] = Machine(
    "SOW",
    [
        *moves([None], SowStatus.DRAFT, CreateSow, EventType.CREATED),
        *in_place(EDITABLE, UpdateSow, EventType.TERMS_UPDATED),
        *moves(EDITABLE, SowStatus.SUBMITTED, SubmitSow, EventType.SUBMITTED),
        *moves(
            [SowStatus.SUBMITTED], SowStatus.UNDER_REVIEW, StartSowReview, EventType.REVIEW_STARTED
        ),
        *moves(
            [SowStatus.UNDER_REVIEW],
            SowStatus.CHANGES_REQUESTED,
            RequestSowChanges,
            EventType.CHANGES_REQUESTED,
        ),
        *moves([SowStatus.UNDER_REVIEW], SowStatus.SIGNED, SignSow, EventType.SIGNED),
        *in_place(
            (SowStatus.SIGNED, SowStatus.ACTIVE), ProposeSowAmendment, EventType.AMENDMENT_PROPOSED
        ),
        # Deliveries on request are for a SOW in service: not before go-live, not after it ends.
        *in_place([SowStatus.ACTIVE], RequestObligation, EventType.OBLIGATION_REQUESTED),
        *moves(
            [SowStatus.SIGNED], SowStatus.ACTIVE, DateReached("go_live_date"), EventType.ACTIVATED
        ),
        *moves([SowStatus.ACTIVE], SowStatus.EXPIRED, DateReached("end_date"), EventType.EXPIRED),
        *moves(
            (SowStatus.SIGNED, SowStatus.ACTIVE),
            SowStatus.TERMINATED,
            TerminateSow,
            EventType.TERMINATED,
        ),
    ],
)


class Pricing(Terms):
    rate: Money
    unit: PricingUnit
    currency: CurrencyCode


class ServiceCredit(Terms):
    metric: SlaMetric
    percent_of_fees: Annotated[Percent, Field(gt=0)]
    cap_percent: Annotated[Percent, Field(gt=0)]

    @model_validator(mode="after")
    def _within_cap(self) -> Self:
        if self.percent_of_fees > self.cap_percent:
            raise FieldError("percentOfFees", "percentOfFees exceeds capPercent")
        return self


class SowTerms(Terms):
    title: ShortText
    program_name: ShortText
    scope: Annotated[list[Channel], Field(min_length=1, max_length=5), AfterValidator(_unique)]
    languages: Annotated[
        list[LanguageTag], Field(min_length=1, max_length=20), AfterValidator(_unique)
    ]
    service_hours: ServiceHours
    agents_required: Annotated[int, Field(ge=1, le=100_000)]
    go_live_date: date
    end_date: date
    billing_term: BillingTerm
    pricing: Pricing
    payment_terms_days: Annotated[int, Field(ge=0, le=365)]
    sla_targets: SlaTargets
    service_credits: Annotated[
        list[ServiceCredit], Field(max_length=6), AfterValidator(unique_metrics)
    ]
    confidentiality: LongText | None = None
    termination_clause: LongText | None = None
    dispute_resolution: DisputeResolution
    obligations: Obligations = []
    # Local dates (the service hours' time zone) that are not business days.
    holidays: Holidays = []

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end_date <= self.go_live_date:
            raise FieldError("endDate", "endDate must be after goLiveDate")
        check_obligations(self.obligations, self.holidays, self.go_live_date, self.end_date)
        targets = {target.metric for target in self.sla_targets}
        for index, credit in enumerate(self.service_credits):
            if credit.metric not in targets:
                raise FieldError(
                    f"serviceCredits[{index}].metric",
                    f"service credit for {credit.metric}, which has no SLA target",
                )
        return self

    def canonical(self) -> dict[str, Any]:
        # Terms without obligations or holidays keep the form (and so the hash) they had
        # before these terms existed: versions signed then still verify.
        data = super().canonical()
        for name in ("obligations", "holidays"):
            if not data[name]:
                del data[name]
        return data


def parse_sow_terms(data: Mapping[str, Any], field: str = "terms") -> SowTerms:
    return parse_terms(SowTerms, data, field)


def patch_sow_terms(terms: SowTerms, patch: Mapping[str, Any], field: str = "terms") -> SowTerms:
    """Apply a patch (GraphQL names; absent fields unchanged) and validate the whole."""
    return parse_sow_terms({**terms.canonical(), **patch}, field)


@dataclass(frozen=True, slots=True)
class Amendment:
    """A proposed new version of a signed or active SOW, not yet in force."""

    version: TermsVersion
    terms: SowTerms


@dataclass(frozen=True, slots=True)
class Sow:
    id: str
    number: str
    client_id: str
    status: SowStatus
    version: int
    latest_version: int
    revision: int
    terms: SowTerms
    terms_hash: str
    signatures: tuple[Signature, ...]
    pending_amendment: Amendment | None
    created_at: datetime
    updated_at: datetime
    created_by: Actor
    # Set once it has left ACTIVE and every recurring period that ended while it was has
    # its occurrence (`domain.occurrence.recurring_due`): the scheduler looks at it no more.
    periods_closed: bool = False

    ENTITY_TYPE: ClassVar[EntityType] = EntityType.SOW

    @property
    def agent_id(self) -> None:
        """A SOW is no agent's: its events never reach an agent."""
        return None


def create(
    id: str,
    number: str,
    client_id: str,
    terms: SowTerms,
    viewer: Viewer,
    now: datetime,
    change_summary: str | None = None,
) -> Change[Sow]:
    authorize(viewer, CreateSow)
    actor = Actor.of(viewer)
    version = TermsVersion.of(1, terms.canonical(), actor, now, change_summary or "created")
    sow = Sow(
        id=id,
        number=number,
        client_id=client_id,
        status=MACHINE.created(CreateSow).target,
        version=1,
        latest_version=1,
        revision=1,
        terms=terms,
        terms_hash=version.hash,
        signatures=(),
        pending_amendment=None,
        created_at=now,
        updated_at=now,
        created_by=actor,
    )
    return lifecycle.created(sow, version, actor)


def update(sow: Sow, command: UpdateSow, viewer: Viewer, now: datetime) -> Change[Sow]:
    """A new version of the terms of a draft, or of a SOW sent back for changes."""
    admitted(sow, command, viewer)
    MACHINE.step(sow.status, UpdateSow, "terms change in place only in DRAFT or CHANGES_REQUESTED")
    terms = patch_sow_terms(sow.terms, command.patch)
    summary = command.change_summary
    if summary is not None:
        summary = require_reason(summary, "changeSummary")
    return lifecycle.revised(sow, terms, viewer, summary, now)


def submit(sow: Sow, command: SubmitSow, viewer: Viewer, now: datetime) -> Change[Sow]:
    """The client submits, signing the exact version submitted."""
    admitted(sow, command, viewer)
    return signed(sow, MACHINE.step(sow.status, SubmitSow), viewer, now)


def start_review(sow: Sow, command: StartSowReview, viewer: Viewer, now: datetime) -> Change[Sow]:
    admitted(sow, command, viewer)
    return transition(sow, MACHINE.step(sow.status, StartSowReview), Actor.of(viewer), now)


def request_changes(
    sow: Sow, command: RequestSowChanges, viewer: Viewer, now: datetime
) -> Change[Sow]:
    admitted(sow, command, viewer)
    step = MACHINE.step(sow.status, RequestSowChanges)
    return explained(sow, step, viewer, command.reason, now)


def sign(sow: Sow, command: SignSow, viewer: Viewer, now: datetime) -> Change[Sow]:
    """The operator signs the version the client submitted; `expectedVersion` names it. The
    signed copy is due to the client's notification address and to compliance."""
    admitted(sow, command, viewer)
    change = signed(sow, MACHINE.step(sow.status, SignSow), viewer, now)
    copy = copy_due(
        EntityType.SOW, sow.id, sow.version, now, SignatureParty.CLIENT, SignatureParty.OPERATOR
    )
    return dataclasses.replace(change, copies=(copy,))


def terminate(sow: Sow, command: TerminateSow, viewer: Viewer, now: datetime) -> Change[Sow]:
    """Ends the SOW; the caller terminates its CSAs in the same write (see `domain.csa`)."""
    admitted(sow, command, viewer)
    step = MACHINE.step(sow.status, TerminateSow)
    change = explained(sow, step, viewer, command.reason, now, pending_amendment=None)
    if sow.pending_amendment is None:
        return change
    # A proposal the termination leaves unanswered can never take effect.
    dropped = dataclasses.replace(sow.pending_amendment.version, state=VersionState.REJECTED)
    return dataclasses.replace(change, versions=(dropped,))


def propose_amendment(
    sow: Sow, command: ProposeSowAmendment, viewer: Viewer, now: datetime
) -> Change[Sow]:
    """Either party proposes new terms for a SOW in force; they apply once accepted."""
    admitted(sow, command, viewer)
    step = MACHINE.step(sow.status, ProposeSowAmendment, "only a SIGNED or ACTIVE SOW is amended")
    if sow.pending_amendment is not None:
        raise BadUserInput("an amendment is already pending: accept or reject it first", field="id")
    terms = patch_sow_terms(sow.terms, command.patch)
    if content_hash(terms.canonical()) == sow.terms_hash:
        raise BadUserInput("the amendment changes nothing", field="terms")
    actor = Actor.of(viewer)
    proposal = TermsVersion.of(
        _next_number(sow),
        terms.canonical(),
        actor,
        now,
        require_reason(command.change_summary or "", "changeSummary"),
        VersionState.PROPOSED,
    )
    after = dataclasses.replace(
        sow,
        pending_amendment=Amendment(proposal, terms),
        latest_version=proposal.number,
        revision=sow.revision + 1,
        updated_at=now,
    )
    event = lifecycle.event(
        sow,
        step.event,
        actor,
        now,
        reason=command.change_summary,
        version=proposal.number,
    )
    return Change(sow, after, (proposal,), (event,))


def _next_number(sow: Sow) -> int:
    # Rejected proposals keep their numbers: a version number is never reused.
    return sow.latest_version + 1


def _pending(
    sow: Sow, command: AcceptSowAmendment | RejectSowAmendment, viewer: Viewer
) -> Amendment:
    """The amendment the other party answers; the version is checked after (a stale answer
    to no proposal is told there is none)."""
    authorize(viewer, type(command))
    amendment = sow.pending_amendment
    if amendment is None:
        raise BadUserInput("no amendment is pending", field="id")
    if amendment.version.author.role == viewer.role:
        raise Forbidden("the other party answers an amendment, not its proposer")
    return amendment


def accept_amendment(
    sow: Sow, command: AcceptSowAmendment, viewer: Viewer, now: datetime
) -> Change[Sow]:
    """The other party accepts: the proposal becomes the effective version, signed by both."""
    amendment = _pending(sow, command, viewer)
    check_expected_version(command.expected_version, sow.version)
    proposal = amendment.version
    effective = dataclasses.replace(proposal, state=VersionState.EFFECTIVE)
    proposer = Signature(
        party_of(proposal.author.role),
        proposal.author,
        proposal.number,
        proposal.hash,
        proposal.at,
    )
    acceptor = Signature(
        party_of(viewer.role), Actor.of(viewer), proposal.number, proposal.hash, now
    )
    after = dataclasses.replace(
        sow,
        terms=amendment.terms,
        terms_hash=proposal.hash,
        version=proposal.number,
        pending_amendment=None,
        signatures=(*sow.signatures, proposer, acceptor),
        revision=sow.revision + 1,
        updated_at=now,
    )
    event = lifecycle.event(
        sow, EventType.AMENDMENT_ACCEPTED, Actor.of(viewer), now, version=proposal.number
    )
    return Change(sow, after, (effective,), (event,))


def reject_amendment(
    sow: Sow, command: RejectSowAmendment, viewer: Viewer, now: datetime
) -> Change[Sow]:
    amendment = _pending(sow, command, viewer)
    check_expected_version(command.expected_version, sow.version)
    rejected = dataclasses.replace(amendment.version, state=VersionState.REJECTED)
    after = dataclasses.replace(
        sow, pending_amendment=None, revision=sow.revision + 1, updated_at=now
    )
    event = lifecycle.event(
        sow,
        EventType.AMENDMENT_REJECTED,
        Actor.of(viewer),
        now,
        reason=require_reason(command.reason),
        version=rejected.number,
    )
    return Change(sow, after, (rejected,), (event,))


def scheduled(sow: Sow, now: datetime) -> Change[Sow] | None:
    """The scheduler's transition for this SOW at instant `now`, if one is due.

    `goLiveDate` and `endDate` are local dates in `serviceHours.timeZone` (see
    `domain.schedule`): SIGNED -> ACTIVE once that zone's date reaches go-live, ACTIVE ->
    EXPIRED once it reaches the end date. A SOW whose end date also passed goes straight to
    EXPIRED with both events. None when nothing is due, so a second run changes nothing.
    """
    return _scheduled_on(sow, local_date(now, sow.terms.service_hours.time_zone), now)


def _scheduled_on(sow: Sow, today: date, now: datetime) -> Change[Sow] | None:
    for step in MACHINE.dated(sow.status):
        assert isinstance(step.trigger, DateReached)
        if today >= getattr(sow.terms, step.trigger.field):
            moved = transition(sow, step, SYSTEM, now)
            return lifecycle.then(moved, _scheduled_on(moved.after, today, now))
    return None

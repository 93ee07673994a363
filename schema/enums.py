"""The domain's enums, registered as GraphQL enums under the names DESIGN.md fixes.

`strawberry.enum` marks the domain classes themselves, so resolvers return domain values and
the schema serializes them with no conversion.

Every enum and every value is described here (`described`), for codegen's doc comments: the
domain's enums stay plain.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum

import strawberry

from domain.csa import CsaFlag, CsaStatus, CsaTerminationReason
from domain.document import DocumentKind
from domain.events import EntityType, EventType
from domain.obligation import ObligationKind
from domain.obligation_dates import Recurrence
from domain.occurrence import OccurrenceStatus
from domain.party import AgentStatus, Role
from domain.sla import RenewalRecommendation
from domain.sow import BillingTerm, DisputeResolution, SowStatus
from domain.values import Channel, PricingUnit, SlaMetric, TargetDirection, Weekday
from domain.versioning import SignatureParty, VersionState

STATUS_ENUMS: tuple[type[StrEnum], ...] = (SowStatus, CsaStatus, OccurrenceStatus)

# The statuses of `ContractEvent.fromStatus`/`toStatus`: every SowStatus, CsaStatus and
# OccurrenceStatus value, once, made from them so that a new status is never missing.
ContractStatus = StrEnum(  # type: ignore[misc]
    "ContractStatus", {status.value: status.value for e in STATUS_ENUMS for status in e}
)


def _owners(status: ContractStatus) -> list[str]:
    return [f"`{e.__name__}.{status.value}`" for e in STATUS_ENUMS if status.value in set(e)]


def described[E: StrEnum](
    enum: type[E], description: str, values: Mapping[E, str], name: str | None = None
) -> None:
    """Register `enum` (as `name`) with a description of itself and of the `values` given."""
    strawberry.enum(enum, name=name, description=description)
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    definition.values = [
        dataclasses.replace(value, description=values[enum(value.value)])
        for value in definition.values
    ]


described(
    EventType,
    "What happened to a document.",
    {
        EventType.CREATED: "The document was created (a SOW, or a CSA produced or renewed).",
        EventType.TERMS_UPDATED: "A draft's terms were edited: a new version.",
        EventType.SUBMITTED: "The client submitted the SOW, signing it.",
        EventType.REVIEW_STARTED: "Compliance started reviewing the SOW.",
        EventType.CHANGES_REQUESTED: "Compliance sent the SOW back; `reason` says why.",
        EventType.SIGNED: "The operator signed the SOW (after the client): SIGNED.",
        EventType.AMENDMENT_PROPOSED: "A party proposed an amendment: a PROPOSED version.",
        EventType.AMENDMENT_ACCEPTED: "The other party accepted it: now the effective version.",
        EventType.AMENDMENT_REJECTED: "The other party rejected it; `reason` says why.",
        EventType.ACTIVATED: "In force from its go-live or effective date (the scheduler).",
        EventType.EXPIRED: "Ended on its end or expiration date (the scheduler).",
        EventType.TERMINATED: "Ended early; `reason` says why.",
        EventType.SENT: "Compliance sent the CSA to the agent.",
        EventType.AGENT_SIGNED: "The agent signed the CSA.",
        EventType.DECLINED: "The agent declined the CSA; `reason` says why.",
        EventType.COUNTERSIGNED: "The operator signed the CSA: EXECUTED.",
        EventType.FINAL_COPY_DELIVERED: "The executed copy went to a party (`recipient`).",
        EventType.WITHDRAWN: "Compliance withdrew the CSA; `reason` says why.",
        EventType.RENEWAL_DUE: "The CSA expires soon and is not renewed; `reason` carries the "
        "agent's RenewalRecommendation.",
        EventType.RENEWED: "The CSA was renewed by a new one (`Csa.renewedBy`); the new one "
        "has its own CREATED.",
        EventType.SLA_PERIOD_CLOSED: "A month of the SOW's performance was closed; its "
        "statement is frozen.",
        EventType.SLA_BREACHED: "A closed month missed a metric; `reason` names the metric, "
        "the actual and the target.",
        EventType.OBLIGATION_REQUESTED: "An occurrence of an obligation opened: requested by "
        "the client, or a recurring period ended (the scheduler).",
        EventType.OBLIGATION_FULFILLED: "An occurrence fulfilled, on time or late.",
        EventType.OBLIGATION_OVERDUE: "An occurrence's deadline passed unfulfilled.",
    },
    name="ContractEventType",
)
described(
    DocumentKind,
    "What a stored file is.",
    {
        DocumentKind.SOW_SIGNED_COPY: "A SOW's signed copy, rendered when it was signed.",
        DocumentKind.CSA_EXECUTED_COPY: "A CSA's executed copy, rendered when countersigned.",
        DocumentKind.ADMINISTRATIVE: "A file compliance uploaded to an agent's folder.",
        DocumentKind.EVIDENCE: "A file compliance uploaded for a SOW, as evidence of its "
        "obligations' deliveries (`fulfilObligation`); seen by the SOW's client.",
    },
)
described(
    ObligationKind,
    "How an obligation falls due.",
    {
        ObligationKind.RECURRING: "One occurrence per period (see Recurrence).",
        ObligationKind.ON_REQUEST: "One occurrence per request of the client.",
    },
)
described(
    Recurrence,
    "The periods of a RECURRING obligation.",
    {
        Recurrence.MONTHLY: "Calendar months in the SOW's time zone.",
        Recurrence.QUARTERLY: "Calendar quarters in the SOW's time zone.",
        Recurrence.ANNUALLY: "Years from the go-live date.",
    },
)
described(
    OccurrenceStatus,
    "Where an occurrence stands.",
    {
        OccurrenceStatus.OPEN: "Due, its deadline not passed.",
        OccurrenceStatus.OVERDUE: "Its deadline passed unfulfilled.",
        OccurrenceStatus.FULFILLED: "Delivered by its deadline.",
        OccurrenceStatus.FULFILLED_LATE: "Delivered after its deadline.",
    },
)

described(
    Role,
    "The party a token acts for.",
    {
        Role.CLIENT: "A user of one client company: its own SOWs, never CSAs or agent data.",
        Role.COMPLIANCE: "The operator's Contract Compliance staff: everything.",
        Role.AGENT: "One work-at-home agent: their own CSAs, never SOWs.",
    },
)
described(
    AgentStatus,
    "Whether an agent is working for the operator.",
    {
        AgentStatus.ACTIVE: "Working: may be given CSAs.",
        AgentStatus.INACTIVE: "No longer working for the operator.",
    },
)
described(
    Channel,
    "A contact channel a SOW covers (its `scope`) and an interval row counts.",
    {
        Channel.INBOUND_VOICE: "Calls customers make to the program.",
        Channel.OUTBOUND_VOICE: "Calls agents make to customers.",
        Channel.EMAIL: "E-mail.",
        Channel.CHAT: "Web or in-app chat.",
        Channel.SOCIAL: "Social media messages.",
    },
)
described(
    Weekday,
    "A day of the week, in the service hours' time zone.",
    {day: day.value.capitalize() + "." for day in Weekday},
)
described(
    PricingUnit,
    "What one `amount` of a price or pay rate buys.",
    {
        PricingUnit.PER_HOUR: "An hour: a statement bills the agents' staffed hours.",
        PricingUnit.PER_MINUTE: "A minute: a statement bills handle minutes.",
        PricingUnit.PER_CALL: "A contact: a statement bills answered contacts.",
    },
)
described(
    SlaMetric,
    "A service-level metric of interval rows (sums over the rows; not measured when its "
    "denominator is 0).",
    {
        SlaMetric.SERVICE_LEVEL: "Percent of offered contacts answered within the threshold; "
        "a floor.",
        SlaMetric.AVERAGE_WAIT_TIME: "Seconds answered contacts waited, on average "
        "(abandoned ones never count); a ceiling.",
        SlaMetric.ABANDONMENT_RATE: "Percent of offered contacts abandoned; a ceiling.",
        SlaMetric.AVERAGE_HANDLE_TIME: "Seconds of talk, hold and after-call work per answered "
        "contact; a ceiling. Measured per agent too.",
        SlaMetric.FIRST_CALL_RESOLUTION: "Percent of answered contacts resolved at first "
        "contact; a floor. Measured per agent too.",
        SlaMetric.CUSTOMER_SATISFACTION: "Percent of survey responses scoring 4 or 5 of 5; a "
        "floor. Measured per agent too.",
    },
)
described(
    TargetDirection,
    "Which side of its target a metric must stay on; follows from the metric.",
    {
        TargetDirection.FLOOR: "Met when the actual is at least the target.",
        TargetDirection.CEILING: "Met when the actual is at most the target.",
    },
)
described(
    BillingTerm,
    "How often the client is billed.",
    {BillingTerm.MONTHLY: "Every month.", BillingTerm.ANNUAL: "Once a year."},
)
described(
    DisputeResolution,
    "How the parties settle a dispute over the SOW.",
    {
        DisputeResolution.MEDIATION: "A mediator helps the parties agree.",
        DisputeResolution.ARBITRATION: "An arbitrator decides, bindingly.",
        DisputeResolution.COURTS: "The courts decide.",
    },
)
described(
    SowStatus,
    "Where a SOW stands: DRAFT, SUBMITTED, UNDER_REVIEW, SIGNED, ACTIVE, EXPIRED, with "
    "CHANGES_REQUESTED back to SUBMITTED and TERMINATED from SIGNED or ACTIVE.",
    {
        SowStatus.DRAFT: "Being written by the client (or compliance); editable.",
        SowStatus.SUBMITTED: "Submitted and signed by the client, waiting for review.",
        SowStatus.UNDER_REVIEW: "Compliance is reviewing it.",
        SowStatus.CHANGES_REQUESTED: "Sent back to the client with a reason; editable.",
        SowStatus.SIGNED: "Signed by both parties; live on its go-live date.",
        SowStatus.ACTIVE: "In force, from its go-live date (the scheduler).",
        SowStatus.EXPIRED: "Ended on its end date (the scheduler).",
        SowStatus.TERMINATED: "Ended early by compliance, with every CSA under it.",
    },
)
described(
    CsaStatus,
    "Where a CSA stands: DRAFT, SENT, AGENT_SIGNED, EXECUTED, ACTIVE, EXPIRED, with DECLINED, "
    "WITHDRAWN and TERMINATED.",
    {
        CsaStatus.DRAFT: "Produced by compliance; editable, not yet seen by the agent.",
        CsaStatus.SENT: "Sent to the agent to sign or decline.",
        CsaStatus.AGENT_SIGNED: "Signed by the agent; waiting for the operator's signature.",
        CsaStatus.EXECUTED: "Signed by both; in force from its effective date.",
        CsaStatus.ACTIVE: "In force, from its effective date (the scheduler).",
        CsaStatus.EXPIRED: "Ended on its expiration date (the scheduler).",
        CsaStatus.DECLINED: "Declined by the agent, with a reason.",
        CsaStatus.WITHDRAWN: "Withdrawn by compliance before the agent signed.",
        CsaStatus.TERMINATED: "Ended early (see `Csa.terminationReason`).",
    },
)
described(
    CsaTerminationReason,
    "Why a CSA was terminated.",
    {
        CsaTerminationReason.BREACH: "The agent breached the agreement.",
        CsaTerminationReason.UNPROFESSIONAL_CONDUCT: "The agent's conduct was unprofessional.",
        CsaTerminationReason.CLIENT_AGREEMENT_TERMINATED: "The SOW it serves was terminated.",
    },
)
described(
    CsaFlag,
    "A timeline check a CSA failed: reported, not refused.",
    {
        CsaFlag.LATE_DELIVERY: "Sent less than 1 day before its effective date.",
        CsaFlag.EARLY_DELIVERY: "Sent more than 3 days before its effective date.",
        CsaFlag.LATE_PRODUCTION: "Produced less than 14 days before the SOW's go-live date.",
    },
)
described(
    EntityType,
    "The kind of contract document an event, copy or evidence belongs to.",
    {
        EntityType.SOW: "A Statement of Work (`Sow`).",
        EntityType.CSA: "A Client Service Agreement (`Csa`).",
    },
)
described(
    SignatureParty,
    "Who signed, as a party to the contract.",
    {
        SignatureParty.CLIENT: "The client, on a SOW (by submitting it or accepting an amendment).",
        SignatureParty.OPERATOR: "The operator (compliance), on a SOW or a CSA.",
        SignatureParty.AGENT: "The agent, on a CSA.",
    },
)
described(
    VersionState,
    "Whether a terms version was ever in force.",
    {
        VersionState.EFFECTIVE: "In force now or before.",
        VersionState.PROPOSED: "An amendment waiting for the other party.",
        VersionState.REJECTED: "An amendment refused by the other party, or left unanswered "
        "when the document ended.",
    },
)
described(
    RenewalRecommendation,
    "What an agent's results advise about renewing their CSA.",
    {
        RenewalRecommendation.RENEW: "Every measured expectation met.",
        RenewalRecommendation.REVIEW: "Some missed, none by more than 10% of its target.",
        RenewalRecommendation.DO_NOT_RENEW: "Some expectation missed by more than 10%.",
        RenewalRecommendation.INSUFFICIENT_DATA: "Too few answered contacts to judge (below "
        "the configured minimum, 100 by default).",
    },
)
described(
    ContractStatus,
    "A status an event moves a document from or to: a SowStatus, CsaStatus or "
    "OccurrenceStatus value, by the event's `entityType` (an occurrence's events are its "
    "SOW's).",
    {status: f"As {' or '.join(_owners(status))}." for status in ContractStatus},
)

__all__ = [
    "AgentStatus",
    "BillingTerm",
    "Channel",
    "ContractStatus",
    "CsaFlag",
    "CsaStatus",
    "CsaTerminationReason",
    "DisputeResolution",
    "DocumentKind",
    "EntityType",
    "EventType",
    "ObligationKind",
    "OccurrenceStatus",
    "PricingUnit",
    "Recurrence",
    "RenewalRecommendation",
    "Role",
    "SignatureParty",
    "SlaMetric",
    "SowStatus",
    "TargetDirection",
    "VersionState",
    "Weekday",
]

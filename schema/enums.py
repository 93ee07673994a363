"""The domain's enums, registered as GraphQL enums under the names DESIGN.md fixes.

`strawberry.enum` marks the domain classes themselves, so resolvers return domain values and
the schema serializes them with no conversion.

New enums give every value a description (`described`): the domain's enums stay plain.
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

for enum in (
    Role,
    AgentStatus,
    Channel,
    Weekday,
    PricingUnit,
    SlaMetric,
    TargetDirection,
    BillingTerm,
    DisputeResolution,
    SowStatus,
    CsaStatus,
    CsaTerminationReason,
    CsaFlag,
    EntityType,
    SignatureParty,
    VersionState,
    RenewalRecommendation,
):
    strawberry.enum(enum)


def described[E: StrEnum](
    enum: type[E], description: str | None, values: Mapping[E, str], name: str | None = None
) -> None:
    """Register `enum` (as `name`) with a description of itself and of the `values` given."""
    strawberry.enum(enum, name=name, description=description)
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    definition.values = [
        dataclasses.replace(value, description=values.get(enum(value.value)))
        for value in definition.values
    ]


described(
    EventType,
    None,
    {
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

__all__ = [
    "AgentStatus",
    "BillingTerm",
    "Channel",
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

"""The domain's enums, registered as GraphQL enums under the names DESIGN.md fixes.

`strawberry.enum` marks the domain classes themselves, so resolvers return domain values and
the schema serializes them with no conversion.
"""

from __future__ import annotations

import strawberry

from domain.csa import CsaFlag, CsaStatus, CsaTerminationReason
from domain.document import DocumentKind
from domain.events import EntityType, EventType
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
    DocumentKind,
):
    strawberry.enum(enum)
strawberry.enum(EventType, name="ContractEventType")

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
    "PricingUnit",
    "RenewalRecommendation",
    "Role",
    "SignatureParty",
    "SlaMetric",
    "SowStatus",
    "TargetDirection",
    "VersionState",
    "Weekday",
]

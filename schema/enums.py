"""The domain's enums, exposed under the names DESIGN.md fixes."""

from __future__ import annotations

import strawberry

from domain import events, party, sow, values, versioning

Role = strawberry.enum(party.Role)
AgentStatus = strawberry.enum(party.AgentStatus)
Channel = strawberry.enum(values.Channel)
Weekday = strawberry.enum(values.Weekday)
PricingUnit = strawberry.enum(values.PricingUnit)
SlaMetric = strawberry.enum(values.SlaMetric)
TargetDirection = strawberry.enum(values.TargetDirection)
BillingTerm = strawberry.enum(sow.BillingTerm)
DisputeResolution = strawberry.enum(sow.DisputeResolution)
SowStatus = strawberry.enum(sow.SowStatus)
EntityType = strawberry.enum(events.EntityType)
ContractEventType = strawberry.enum(events.EventType, name="ContractEventType")
SignatureParty = strawberry.enum(versioning.SignatureParty)
VersionState = strawberry.enum(versioning.VersionState)

"""Contract terms shared by SOWs and CSAs: service hours, SLA targets, versions, signatures.

Output types read the domain's terms objects directly (plain attributes, no per-field
resolvers); inputs are plain input types validated by the domain.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain import versioning
from schema.enums import Role, SignatureParty, SlaMetric, TargetDirection, VersionState, Weekday


@strawberry.type
class ServiceHours:
    time_zone: str = strawberry.field(description="IANA time zone name.")
    days: list[Weekday]
    opens_at: str = strawberry.field(description="HH:MM, local time.")
    closes_at: str = strawberry.field(description="HH:MM; before opensAt: overnight.")


@strawberry.type
class SlaTarget:
    metric: SlaMetric
    target: float = strawberry.field(description="Percent (0-100) or seconds, by metric.")
    threshold_seconds: int | None = strawberry.field(
        description="SERVICE_LEVEL only: answered within this many seconds."
    )
    direction: TargetDirection = strawberry.field(
        description="FLOOR: at least the target; CEILING: at most. Follows from the metric."
    )


@strawberry.input
class ServiceHoursInput:
    time_zone: str
    days: list[Weekday]
    opens_at: str
    closes_at: str


@strawberry.input
class SlaTargetInput:
    metric: SlaMetric
    target: float
    threshold_seconds: int | None = None


@strawberry.type(description="Who acted: a user (id and role), or the scheduler (`system`).")
class Actor:
    id: str
    role: Role | None


@strawberry.type(description="A signature bound to the exact version signed.")
class Signature:
    party: SignatureParty
    signer: Actor
    version: int
    hash: str = strawberry.field(description="SHA-256 of the canonical JSON of the terms.")
    at: datetime


@strawberry.type(description="One immutable version of a document's terms.")
class TermsVersion:
    number: int
    hash: str = strawberry.field(description="SHA-256 of the canonical JSON of `terms`.")
    author: Actor
    at: datetime
    change_summary: str | None
    state: VersionState

    @strawberry.field(description="The terms as canonical JSON (decimals as strings).")
    def terms(self, parent: strawberry.Parent[versioning.TermsVersion]) -> JSON:
        return cast(JSON, parent.terms)


@strawberry.type(description="One changed leaf between two versions.")
class FieldChange:
    path: str = strawberry.field(description="e.g. `pricing.rate`, `slaTargets[1].target`.")
    before: JSON | None
    after: JSON | None

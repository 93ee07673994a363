"""Contract terms shared by SOWs and CSAs: service hours, SLA targets, versions, signatures.

Each output type says how it is made from its domain object (`from_domain`): plain
attributes, no per-field resolvers (but `Actor.id`, which depends on the viewer). Inputs are
plain input types the domain validates; a test checks every terms type against the domain
model it mirrors (tests/test_terms_types.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain import party, values, versioning
from domain.scope import Scope
from resolvers.context import Context
from schema.access import viewer_of
from schema.enums import Role, SignatureParty, SlaMetric, TargetDirection, VersionState, Weekday
from schema.mapping import from_fields


@strawberry.type
class ServiceHours:
    time_zone: str = strawberry.field(description="IANA time zone name.")
    days: list[Weekday]
    opens_at: str = strawberry.field(description="HH:MM, local time.")
    closes_at: str = strawberry.field(description="HH:MM; before opensAt: overnight.")

    @staticmethod
    def from_domain(hours: values.ServiceHours) -> ServiceHours:
        return from_fields(ServiceHours, hours, days=list(hours.days))


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

    @staticmethod
    def from_domain(target: values.SlaTarget) -> SlaTarget:
        return from_fields(SlaTarget, target)

    @staticmethod
    def all_from_domain(targets: list[values.SlaTarget]) -> list[SlaTarget]:
        return [SlaTarget.from_domain(target) for target in targets]


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
    role: Role | None
    acted: strawberry.Private[party.Actor]

    @strawberry.field(
        description=(
            "The user's token subject, or `system` for the scheduler. Compliance sees every "
            "subject; a client or an agent sees its own party's, and another party's user as "
            "a display identity of its role (`compliance`, `client`, `agent`)."
        )
    )
    def id(self, info: Info[Context, Any]) -> str:
        # The one field of the terms types with a resolver: who sees what is the viewer's.
        return Scope.of(viewer_of(info)).shows(self.acted).id

    @staticmethod
    def from_domain(actor: party.Actor) -> Actor:
        return Actor(role=actor.role, acted=actor)


@strawberry.type(description="A signature bound to the exact version signed.")
class Signature:
    party: SignatureParty
    signer: Actor
    version: int
    hash: str = strawberry.field(description="SHA-256 of the canonical JSON of the terms.")
    at: datetime

    @staticmethod
    def from_domain(signature: versioning.Signature) -> Signature:
        return from_fields(Signature, signature, signer=Actor.from_domain(signature.signer))

    @staticmethod
    def all_from_domain(signatures: tuple[versioning.Signature, ...]) -> list[Signature]:
        return [Signature.from_domain(signature) for signature in signatures]


@strawberry.type(description="One immutable version of a document's terms.")
class TermsVersion:
    number: int
    hash: str = strawberry.field(description="SHA-256 of the canonical JSON of `terms`.")
    author: Actor
    at: datetime
    change_summary: str | None
    state: VersionState
    terms: JSON = strawberry.field(description="The terms as canonical JSON (decimals as strings).")

    @staticmethod
    def from_domain(version: versioning.TermsVersion) -> TermsVersion:
        author = Actor.from_domain(version.author)
        return from_fields(TermsVersion, version, author=author, terms=JSON(version.terms))


@strawberry.type(description="One changed leaf between two versions.")
class FieldChange:
    path: str = strawberry.field(description="e.g. `pricing.rate`, `slaTargets[1].target`.")
    before: JSON | None
    after: JSON | None

    @staticmethod
    def from_domain(change: versioning.FieldChange) -> FieldChange:
        return from_fields(
            FieldChange, change, before=JSON(change.before), after=JSON(change.after)
        )

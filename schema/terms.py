"""Contract terms shared by SOWs and CSAs: service hours, SLA targets, versions, signatures.

Each output type says how it is made from its domain object (`from_domain`): plain
attributes, no per-field resolvers (but `Actor.id`, which depends on the viewer, and a
version's typed terms, parsed only when selected). Inputs are
plain input types the domain validates; a test checks every terms type against the domain
model it mirrors (tests/test_terms_types.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain import party, values, versioning
from domain.events import EntityType
from domain.scope import Scope
from resolvers import versions
from resolvers.context import Context
from schema.access import viewer_of
from schema.enums import Role, SignatureParty, SlaMetric, TargetDirection, VersionState, Weekday
from schema.mapping import from_fields

if TYPE_CHECKING:
    from schema.csa import CsaTerms
    from schema.sow import SowTerms


@strawberry.type(description="When the service runs: days and local hours in a time zone.")
class ServiceHours:
    time_zone: str = strawberry.field(
        description="IANA time zone name (`America/Chicago`): the zone of the hours, of "
        "business days and of SLA periods."
    )
    days: list[Weekday] = strawberry.field(description="The days it runs, each once.")
    opens_at: str = strawberry.field(description="HH:MM, local time.")
    closes_at: str = strawberry.field(description="HH:MM; before opensAt: overnight.")

    @staticmethod
    def from_domain(hours: values.ServiceHours) -> ServiceHours:
        return from_fields(ServiceHours, hours, days=list(hours.days))


@strawberry.type(description="A service-level target of a metric.")
class SlaTarget:
    metric: SlaMetric = strawberry.field(description="The metric targeted.")
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


@strawberry.input(description="When the service runs: days and local hours in a time zone.")
class ServiceHoursInput:
    time_zone: str = strawberry.field(description="IANA time zone name: `America/Chicago`.")
    days: list[Weekday] = strawberry.field(description="At least one day, each once.")
    opens_at: str = strawberry.field(description="HH:MM (00:00 to 23:59), local time.")
    closes_at: str = strawberry.field(
        description="HH:MM, local time; before opensAt: the hours run overnight."
    )


@strawberry.input(description="A service-level target of a metric.")
class SlaTargetInput:
    metric: SlaMetric = strawberry.field(description="The metric; each at most once.")
    target: float = strawberry.field(
        description="Percent (0 to 100) or seconds (at least 0), by metric."
    )
    threshold_seconds: int | None = strawberry.field(
        default=None,
        description="Required for SERVICE_LEVEL (answered within this many seconds); "
        "refused for the other metrics.",
    )


@strawberry.type(description="Who acted: a user (id and role), or the scheduler (`system`).")
class Actor:
    role: Role | None = strawberry.field(description="The user's role; null for the scheduler.")
    acted: strawberry.Private[party.Actor]

    @strawberry.field(
        description=(
            "The user's token subject, or `system` for the scheduler. Compliance sees every "
            "subject; a client or an agent sees its own party's, and another party's user as "
            "a display identity of its role (`compliance`, `client`, `agent`)."
        )
    )
    def id(self, info: Info[Context, Any]) -> str:
        # A resolver, not an attribute: who sees what is the viewer's.
        return Scope.of(viewer_of(info)).shows(self.acted).id

    @staticmethod
    def from_domain(actor: party.Actor) -> Actor:
        return Actor(role=actor.role, acted=actor)


@strawberry.type(description="A signature bound to the exact version signed.")
class Signature:
    party: SignatureParty = strawberry.field(description="The party that signed.")
    signer: Actor = strawberry.field(description="The user who signed for it.")
    version: int = strawberry.field(description="The number of the terms version signed.")
    hash: str = strawberry.field(
        description="SHA-256 (hex) of the canonical JSON of the terms signed: equal to that "
        "version's `hash`."
    )
    at: datetime = strawberry.field(description="When it was signed.")

    @staticmethod
    def from_domain(signature: versioning.Signature) -> Signature:
        return from_fields(Signature, signature, signer=Actor.from_domain(signature.signer))

    @staticmethod
    def all_from_domain(signatures: tuple[versioning.Signature, ...]) -> list[Signature]:
        return [Signature.from_domain(signature) for signature in signatures]


@strawberry.type(
    description="One immutable version of a document's terms: `sowTerms` on a SOW's, "
    "`csaTerms` on a CSA's."
)
class TermsVersion:
    number: int = strawberry.field(description="1 for the first version, then one more each.")
    hash: str = strawberry.field(
        description="SHA-256 (hex) of the canonical JSON of the terms: what signatures bind."
    )
    author: Actor = strawberry.field(description="Who wrote this version.")
    at: datetime = strawberry.field(description="When it was written.")
    change_summary: str | None = strawberry.field(
        description="What changed, as its author said; null when none was given."
    )
    state: VersionState = strawberry.field(description="Whether it was ever in force.")
    terms: JSON = strawberry.field(
        description="The terms as canonical JSON (decimals as strings).",
        deprecation_reason="Untyped: select `sowTerms` or `csaTerms`.",
    )
    entity_type: strawberry.Private[EntityType]
    source: strawberry.Private[versioning.TermsVersion]

    @strawberry.field(
        description="The terms of a SOW's version, typed; null on a CSA's version.",
        graphql_type=Annotated["SowTerms", strawberry.lazy("schema.sow")] | None,
    )
    def sow_terms(self) -> object:
        if self.entity_type is not EntityType.SOW:
            return None
        # schema.sow imports this module: its types are imported when a version is resolved.
        from schema.sow import SowTerms

        return SowTerms.from_domain(versions.sow_terms(self.source))

    @strawberry.field(
        description="The terms of a CSA's version, typed; null on a SOW's version.",
        graphql_type=Annotated["CsaTerms", strawberry.lazy("schema.csa")] | None,
    )
    def csa_terms(self) -> object:
        if self.entity_type is not EntityType.CSA:
            return None
        from schema.csa import CsaTerms

        return CsaTerms.from_domain(versions.csa_terms(self.source))

    @staticmethod
    def from_domain(version: versioning.TermsVersion, entity_type: EntityType) -> TermsVersion:
        author = Actor.from_domain(version.author)
        return from_fields(
            TermsVersion,
            version,
            author=author,
            terms=JSON(version.terms),
            entity_type=entity_type,
            source=version,
        )


@strawberry.type(
    description="One changed leaf between two versions of a document's terms. `before` and "
    "`after` are JSON because a leaf's type depends on its path: a string, a number, a "
    "boolean, a decimal string, or a whole object or list where one side has none."
)
class FieldChange:
    path: str = strawberry.field(
        description="The leaf's path in the terms' canonical JSON: `pricing.rate`, "
        "`slaTargets[1].target`."
    )
    before: JSON | None = strawberry.field(
        description="Its value in `fromVersion`; null when it had none there."
    )
    after: JSON | None = strawberry.field(
        description="Its value in `toVersion`; null when it has none there."
    )

    @staticmethod
    def from_domain(change: versioning.FieldChange) -> FieldChange:
        return from_fields(
            FieldChange, change, before=JSON(change.before), after=JSON(change.after)
        )

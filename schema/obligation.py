"""Obligations: the terms (`ObligationTerm`, `ObligationInput`), their occurrences, the
lists of them and the two mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import commands
from domain import obligation as terms
from domain import occurrence as domain
from domain.access import Read
from resolvers import occurrence as resolve
from resolvers.context import Context
from resolvers.paging import window
from schema.access import allowed, viewer_of
from schema.commands import run
from schema.connection import After, Before, Connection, Last, PageSize
from schema.document import Document
from schema.enums import ObligationKind, OccurrenceStatus, Recurrence
from schema.ids import Node, global_id
from schema.mapping import from_fields
from schema.terms import Actor
from storage.occurrences import OccurrenceQuery

_KEY = (
    "Names the obligation across versions and in `requestObligation`: 1 to 60 letters, "
    "digits, `.`, `_` or `-`."
)
_DUE = "Business days (0 to 60) from the request or the period's last day to the deadline."
_SECTIONS = "What the delivery must contain, e.g. an operations plan's chapters."


@strawberry.type(
    name="ObligationTerm",
    description="A term: something the operator must deliver (its deliveries are occurrences).",
)
class ObligationTerm:
    key: str = strawberry.field(description=_KEY)
    title: str = strawberry.field(description="What is delivered.")
    kind: ObligationKind = strawberry.field(description="Per period, or on the client's request.")
    recurrence: Recurrence | None = strawberry.field(description="RECURRING ones only.")
    due_business_days: int = strawberry.field(description=_DUE)
    sections: list[str] | None = strawberry.field(description=_SECTIONS)

    @staticmethod
    def from_domain(obligation: terms.Obligation) -> ObligationTerm:
        sections = None if obligation.sections is None else list(obligation.sections)
        return from_fields(ObligationTerm, obligation, sections=sections)

    @staticmethod
    def all_from_domain(obligations: list[terms.Obligation]) -> list[ObligationTerm]:
        return [ObligationTerm.from_domain(obligation) for obligation in obligations]


@strawberry.input(description="An obligation of the SOW's terms.")
class ObligationInput:
    key: str = strawberry.field(description=_KEY)
    title: str = strawberry.field(description="What is delivered, 1 to 200 characters.")
    kind: ObligationKind = strawberry.field(description="Per period, or on the client's request.")
    recurrence: Recurrence | None = strawberry.field(
        default=None, description="Required for RECURRING, refused for ON_REQUEST."
    )
    due_business_days: int = strawberry.field(description=_DUE)
    sections: list[str] | None = strawberry.field(default=None, description=_SECTIONS)


@strawberry.type(
    description="One delivery an obligation calls for: a recurring period's, or a request's."
)
class ObligationOccurrence(Node):
    id: strawberry.ID = strawberry.field(description="`fulfilObligation` names it.")
    sow_id: strawberry.ID = strawberry.field(description="The SOW whose terms oblige it.")
    key: str = strawberry.field(description="The obligation's key.")
    title: str = strawberry.field(description="The obligation's title when it was opened.")
    kind: ObligationKind = strawberry.field(description="The obligation's kind.")
    sections: list[str] = strawberry.field(description=_SECTIONS)
    due_business_days: int = strawberry.field(
        description="The business days it was given when it was opened."
    )
    terms_version: int = strawberry.field(description="The SOW terms version it was opened under.")
    status: OccurrenceStatus = strawberry.field(description="Where it stands.")
    period: str | None = strawberry.field(
        description='A recurring one\'s period: "2026-11", "2026-Q4", or an annual one\'s '
        'first day "2026-03-15"; null for a request.'
    )
    requested_at: datetime | None = strawberry.field(
        description="When the client asked for it; null for a recurring one."
    )
    requested_by: Actor | None = strawberry.field(description="Who asked for it.")
    request_note: str | None = strawberry.field(description="The client's note with its request.")
    due_at: datetime = strawberry.field(
        description="The deadline: 23:59:59 local time of its last business day."
    )
    created_at: datetime = strawberry.field(description="When it was opened.")
    fulfilled_at: datetime | None = strawberry.field(description="When compliance fulfilled it.")
    fulfilled_by: Actor | None = strawberry.field(description="Who fulfilled it.")
    source: strawberry.Private[domain.Occurrence]

    @staticmethod
    def from_domain(found: domain.Occurrence) -> ObligationOccurrence:
        return from_fields(
            ObligationOccurrence,
            found,
            sow_id=global_id("Sow", found.sow_id),
            sections=list(found.sections),
            requested_by=None
            if found.requested_by is None
            else Actor.from_domain(found.requested_by),
            fulfilled_by=None
            if found.fulfilled_by is None
            else Actor.from_domain(found.fulfilled_by),
            source=found,
        )

    @strawberry.field(
        description="The latest note: compliance's with the fulfilment, else the client's "
        "with the request."
    )
    def note(self) -> str | None:
        return self.source.note or self.source.request_note

    @strawberry.field(description="The SOW's document given as evidence of the delivery.")
    async def evidence(self, info: Info[Context, Any]) -> Document | None:
        found = await resolve.evidence(info.context, self.source)
        return None if found is None else Document.from_domain(found)


# The arguments of both lists of occurrences.
StatusFilter = Annotated[
    OccurrenceStatus | None, strawberry.argument(description="Only occurrences in this status.")
]


async def _connection(
    info: Info[Context, Any],
    where: OccurrenceQuery,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[ObligationOccurrence]:
    ctx, viewer = info.context, viewer_of(info)
    page = await resolve.occurrences(ctx, viewer, where, window(ctx, first, after, last, before))

    async def count() -> int:
        return await resolve.count(ctx, viewer, where)

    return Connection.of(page, count, ObligationOccurrence.from_domain)


def occurrences_field() -> Any:
    """`Sow.occurrences`: the SOW's occurrences, newest first."""

    async def resolver(
        parent: strawberry.Parent[Any],
        info: Info[Context, Any],
        status: StatusFilter = None,
        first: PageSize = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ObligationOccurrence]:
        where = OccurrenceQuery(parent.raw_id, status)
        return await _connection(info, where, first, after, last, before)

    return strawberry.field(
        resolver=resolver,
        permission_classes=allowed(Read.SOW_OCCURRENCES),
        description="Its obligations' occurrences, newest first.",
    )


@strawberry.type
class OccurrenceQueries:
    @strawberry.field(
        permission_classes=allowed(Read.OCCURRENCES),
        description="Occurrences across SOWs, newest first: compliance sees every SOW's "
        "(`status: OVERDUE` is the daily work queue), a client its own SOWs'.",
    )
    async def occurrences(
        self,
        info: Info[Context, Any],
        status: StatusFilter = None,
        first: PageSize = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ObligationOccurrence]:
        where = OccurrenceQuery(None, status)
        return await _connection(info, where, first, after, last, before)


@strawberry.type
class OccurrenceMutations:
    @strawberry.mutation(
        permission_classes=allowed(commands.RequestObligation),
        description="The client asks for a delivery of an ON_REQUEST obligation of its ACTIVE "
        "SOW: an OPEN occurrence due `dueBusinessDays` business days after the request (one "
        "made on a weekend or holiday counts from the next business day).",
    )
    async def request_obligation(
        self,
        info: Info[Context, Any],
        sow_id: Annotated[strawberry.ID, strawberry.argument(description="The client's SOW.")],
        key: Annotated[str, strawberry.argument(description="The obligation's key.")],
        note: Annotated[
            str | None,
            strawberry.argument(description="What is asked for, at most 2000 characters."),
        ] = None,
    ) -> ObligationOccurrence:
        command = commands.RequestObligation(sow_id=sow_id, key=key, note=note)
        return ObligationOccurrence.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.FulfilObligation),
        description="Compliance records a delivery: FULFILLED, or FULFILLED_LATE after its "
        "deadline (OVERDUE or not).",
    )
    async def fulfil_obligation(
        self,
        info: Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The occurrence.")],
        note: Annotated[
            str | None,
            strawberry.argument(description="What was delivered, at most 2000 characters."),
        ] = None,
        evidence_document_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="A stored document of the occurrence's SOW."),
        ] = None,
    ) -> ObligationOccurrence:
        command = commands.FulfilObligation(
            id=id, note=note, evidence_document_id=evidence_document_id
        )
        return ObligationOccurrence.from_domain(await run(info, command))

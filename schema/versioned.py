"""Fields every versioned document (Sow, Csa) has: its versions, one by number, a diff, events,
and what its `from_domain` takes from the domain's document (`document_fields`).

Each type declares them with its own description, e.g.
`versions = versions_field("Every version, oldest first.")`; the resolvers are shared.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Protocol

import strawberry
from strawberry.types import Info

from domain import versioning
from domain.events import EntityType
from resolvers import versions
from resolvers.context import Context
from schema.connection import After, Before, Connection, Last, PageSize
from schema.event import ContractEvent, event_connection
from schema.terms import FieldChange, Signature, TermsVersion


class Entity(Protocol):
    ENTITY_TYPE: ClassVar[EntityType]


class Versioned(Protocol):
    @property
    def raw_id(self) -> str: ...
    @property
    def latest_version(self) -> int: ...
    @property
    def source(self) -> Entity: ...


class Document(Protocol):
    @property
    def signatures(self) -> tuple[versioning.Signature, ...]: ...


def document_fields(document: Document) -> dict[str, object]:
    """What a versioned document's GraphQL type converts, terms apart: its signatures, and
    the domain document itself (`source`), which its resolvers read."""
    return {"signatures": Signature.all_from_domain(document.signatures), "source": document}


async def _versions(
    parent: strawberry.Parent[Versioned], info: Info[Context, Any]
) -> list[TermsVersion]:
    found = await versions.versions(info.context, parent.raw_id)
    return [TermsVersion.from_domain(v, parent.source.ENTITY_TYPE) for v in found]


async def _terms_version(
    parent: strawberry.Parent[Versioned],
    info: Info[Context, Any],
    number: Annotated[int, strawberry.argument(description="The version's number, from 1.")],
) -> TermsVersion | None:
    found = await versions.version(info.context, parent.raw_id, number)
    return None if found is None else TermsVersion.from_domain(found, parent.source.ENTITY_TYPE)


async def _diff(
    parent: strawberry.Parent[Versioned],
    info: Info[Context, Any],
    from_version: Annotated[
        int, strawberry.argument(description="The version compared from (`before`).")
    ],
    to_version: Annotated[
        int, strawberry.argument(description="The version compared to (`after`).")
    ],
) -> list[FieldChange]:
    changes = await versions.terms_diff(
        info.context, parent.raw_id, parent.latest_version, from_version, to_version
    )
    return [FieldChange.from_domain(change) for change in changes]


async def _events(
    parent: strawberry.Parent[Versioned],
    info: Info[Context, Any],
    after: After = None,
    first: PageSize = None,
    last: Last = None,
    before: Before = None,
) -> Connection[ContractEvent]:
    return await event_connection(info, parent.raw_id, after, first, last, before)


def versions_field(description: str) -> Any:
    return strawberry.field(resolver=_versions, description=description)


def terms_version_field(description: str) -> Any:
    return strawberry.field(resolver=_terms_version, description=description)


def diff_field() -> Any:
    return strawberry.field(
        resolver=_diff, description="Every changed leaf from one version to another."
    )


def events_field(description: str) -> Any:
    return strawberry.field(resolver=_events, description=description)

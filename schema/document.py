"""Documents: signed copies, the agent folder, verification and uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from domain import document as domain
from resolvers import document as resolve
from resolvers.context import Context
from schema.access import GUARDED, viewer_of
from schema.enums import DocumentKind, EntityType

DOWNLOAD_PATH = "/documents/"


@strawberry.type(description="A stored file: a signed copy, or an administrative document.")
class Document:
    id: strawberry.ID
    kind: DocumentKind
    title: str
    file_name: str
    content_type: str
    size: int = strawberry.field(description="Bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the bytes, hex: the ETag too.")
    created_at: datetime

    @strawberry.field(description="GET it with the bearer token for the bytes.")
    def url(self, parent: strawberry.Parent[domain.Document]) -> str:
        return f"{DOWNLOAD_PATH}{parent.id}"


@strawberry.type(description="What a file is: the document, and the SOW or CSA version signed.")
class DocumentMatch:
    document: Document
    entity_type: EntityType | None = strawberry.field(description="Null for an upload.")
    entity_id: strawberry.ID | None
    version: int | None


def documents(value: list[domain.Document]) -> list[Document]:
    return cast(list[Document], value)


def copies_field(description: str) -> Any:
    """`documents` of a SOW or CSA: its copies, newest first."""

    async def resolver(parent: strawberry.Parent[Any], info: Info[Context, Any]) -> list[Document]:
        return documents(await resolve.of_entity(info.context, parent.id))

    return strawberry.field(resolver=resolver, permission_classes=GUARDED, description=description)


@strawberry.type
class DocumentQueries:
    @strawberry.field(
        permission_classes=GUARDED,
        description="An agent's CSA copies and administrative documents, newest first. "
        "An agent: their own (agentId may be left out); compliance: any agent's.",
    )
    async def agent_folder(
        self, info: Info[Context, Any], agent_id: strawberry.ID | None = None
    ) -> list[Document]:
        return documents(await resolve.agent_folder(info.context, viewer_of(info), agent_id))

    @strawberry.field(
        permission_classes=GUARDED,
        description="The document whose bytes have this SHA-256 (hex), or null: not a copy "
        "this service issued, or not one the caller may see.",
    )
    async def verify_document(self, info: Info[Context, Any], sha256: str) -> DocumentMatch | None:
        found = await resolve.verify(info.context, viewer_of(info), sha256)
        if found is None:
            return None
        return DocumentMatch(
            document=cast(Document, found),
            entity_type=found.entity_type,
            entity_id=strawberry.ID(found.entity_id) if found.entity_id else None,
            version=found.version,
        )


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(
        permission_classes=GUARDED,
        description="A PDF, PNG or JPEG into an agent's folder (GraphQL multipart request).",
    )
    async def upload_agent_document(
        self, info: Info[Context, Any], agent_id: strawberry.ID, title: str, file: Upload
    ) -> Document:
        stored = await resolve.upload_agent_document(
            info.context, viewer_of(info), agent_id, title, file
        )
        return cast(Document, stored)

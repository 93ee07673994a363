"""Documents: signed copies, the agent folder, verification and uploads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Protocol

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from domain import commands
from domain import document as domain
from domain.access import Read
from domain.ids import optional_raw_id
from resolvers import document as resolve
from resolvers.context import Context
from schema.access import allowed, viewer_of
from schema.commands import run
from schema.enums import DocumentKind, EntityType
from schema.ids import Node, entity_id
from schema.mapping import from_fields

DOWNLOAD_PATH = "/documents/"


@strawberry.type(
    description="A stored file: a signed copy, an agent's administrative document, or a "
    "SOW's evidence."
)
class Document(Node):
    id: strawberry.ID = strawberry.field(description="The document's global id.")
    kind: DocumentKind = strawberry.field(description="What the file is.")
    title: str = strawberry.field(description="What it is, for people: its uploader's title.")
    file_name: str = strawberry.field(
        description="The name a download is saved under (`Content-Disposition`)."
    )
    content_type: str = strawberry.field(
        description="Its media type: `application/pdf`, `image/png` or `image/jpeg`."
    )
    size: int = strawberry.field(description="Its size in bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the bytes, hex: the ETag too.")
    created_at: datetime = strawberry.field(description="When it was stored.")

    @staticmethod
    def from_domain(document: domain.Document) -> Document:
        return from_fields(Document, document)

    @staticmethod
    def all_from_domain(documents: list[domain.Document] | None) -> list[Document]:
        return [Document.from_domain(document) for document in documents or ()]

    @strawberry.field(description="GET it with the bearer token for the bytes.")
    def url(self) -> str:
        return f"{DOWNLOAD_PATH}{self.id}"


@strawberry.type(description="What a file is: the document, and the SOW or CSA version signed.")
class DocumentMatch:
    document: Document = strawberry.field(description="The document with those bytes.")
    entity_type: EntityType | None = strawberry.field(
        description="The SOW or CSA of a copy or of evidence; null for an agent's upload."
    )
    entity_id: strawberry.ID | None = strawberry.field(
        description="That SOW's or CSA's id; null for an agent's upload."
    )
    version: int | None = strawberry.field(
        description="The version a copy shows; null for an upload."
    )

    @staticmethod
    def from_domain(document: domain.Document) -> DocumentMatch:
        return from_fields(
            DocumentMatch,
            document,
            document=Document.from_domain(document),
            entity_id=entity_id(document.entity_type, document.entity_id),
        )


class _Identified(Protocol):
    @property
    def raw_id(self) -> str: ...


def copies_field(operation: Read, description: str) -> Any:
    """`documents` of a SOW or CSA (`operation` its rule): its copies (and a SOW's evidence),
    newest first."""

    async def resolver(
        parent: strawberry.Parent[_Identified], info: Info[Context, Any]
    ) -> list[Document]:
        return Document.all_from_domain(await resolve.of_entity(info.context, parent.raw_id))

    return strawberry.field(
        resolver=resolver, permission_classes=allowed(operation), description=description
    )


@strawberry.type
class DocumentQueries:
    @strawberry.field(
        permission_classes=allowed(Read.AGENT_FOLDER),
        description="An agent's CSA copies and administrative documents, newest first. "
        "An agent: their own (agentId may be left out); compliance: any agent's.",
    )
    async def agent_folder(
        self,
        info: Info[Context, Any],
        agent_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The agent; required of compliance."),
        ] = None,
    ) -> list[Document]:
        agent = optional_raw_id(agent_id, "Agent", "agentId")
        found = await resolve.agent_folder(info.context, viewer_of(info), agent)
        return Document.all_from_domain(found)

    @strawberry.field(
        permission_classes=allowed(Read.DOCUMENT),
        description="The document whose bytes have this SHA-256 (hex), or null: not a copy "
        "this service issued, or not one the caller may see.",
    )
    async def verify_document(
        self,
        info: Info[Context, Any],
        sha256: Annotated[
            str, strawberry.argument(description="SHA-256 of the file's bytes, 64 hex digits.")
        ],
    ) -> DocumentMatch | None:
        found = await resolve.verify(info.context, viewer_of(info), sha256)
        return None if found is None else DocumentMatch.from_domain(found)


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(
        permission_classes=allowed(commands.UploadAgentDocument),
        description="A PDF, PNG or JPEG into an agent's folder (GraphQL multipart request).",
    )
    async def upload_agent_document(
        self,
        info: Info[Context, Any],
        agent_id: Annotated[strawberry.ID, strawberry.argument(description="The agent.")],
        title: Annotated[str, strawberry.argument(description="What it is, 1 to 200 characters.")],
        file: Annotated[
            Upload, strawberry.argument(description="The file part: a PDF, PNG or JPEG.")
        ],
    ) -> Document:
        command = commands.UploadAgentDocument(
            agent_id=agent_id, title=title, file=resolve.file_part(file)
        )
        return Document.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.UploadSowEvidence),
        description="A PDF, PNG or JPEG evidencing a SOW's deliveries (GraphQL multipart "
        "request), for `fulfilObligation(evidenceDocumentId:)`: listed in the SOW's "
        "`documents`, downloadable by its client and compliance. Checked like "
        "`uploadAgentDocument`'s; nothing is stored when refused.",
    )
    async def upload_sow_evidence(
        self,
        info: Info[Context, Any],
        sow_id: Annotated[strawberry.ID, strawberry.argument(description="The SOW.")],
        title: Annotated[
            str, strawberry.argument(description="What it shows, 1 to 200 characters.")
        ],
        file: Annotated[Upload, strawberry.argument(description="The file part.")],
    ) -> Document:
        command = commands.UploadSowEvidence(
            sow_id=sow_id, title=title, file=resolve.file_part(file)
        )
        return Document.from_domain(await run(info, command))

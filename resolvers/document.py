"""Documents: a SOW's or CSA's copies and a SOW's evidence, an agent's folder, verification
by SHA-256, uploads by compliance, and what the download route may serve."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import TypedDict, Unpack

from domain import access, ids
from domain.access import Read
from domain.commands import UploadAgentDocument, UploadSowEvidence
from domain.document import (
    MAGIC_BYTES,
    Document,
    DocumentKind,
    UploadedFile,
    check_sha256,
    check_title,
    check_upload,
    is_uploaded_file,
    safe_file_name,
)
from domain.errors import BadUserInput
from domain.events import EntityType
from domain.party import Viewer
from domain.scope import Scope
from resolvers import sow as sows
from resolvers.context import Context

# How much of an upload is read at a time: GridFS's chunk size.
READ_BYTES = 255 * 1024


async def of_entity(ctx: Context, entity_id: str) -> list[Document]:
    """The copies of a SOW or CSA the viewer already sees (so its copies are in scope)."""
    return await ctx.loaders.documents.load(entity_id) or []


async def folder_of(ctx: Context, viewer: Viewer, agent_id: str) -> list[Document]:
    """`Agent.folder`: an agent's own only; another agent's shows empty."""
    own = Scope.of(viewer).agent_id
    if own is not None and own != agent_id:
        return []
    return await ctx.loaders.folder.load(agent_id) or []


async def agent_folder(ctx: Context, viewer: Viewer, agent_id: str | None) -> list[Document]:
    owner = access.folder_owner(viewer, agent_id)
    return await ctx.loaders.folder.load(owner) or []


async def verify(ctx: Context, viewer: Viewer, sha256: str) -> Document | None:
    """The document these bytes are, if this service issued it and the viewer may see it."""
    return await ctx.store.documents.by_sha256(check_sha256(sha256), Scope.of(viewer))


async def downloadable(ctx: Context, viewer: Viewer, id: str) -> Document | None:
    """The document (by global id, or raw until 0.3.0), when in the viewer's scope; None
    whether absent or someone else's."""
    scope = Scope.of(access.authorize(viewer, Read.DOCUMENT))
    parsed = ids.parse_global_id(id)
    if parsed is not None and parsed[0] != "Document":
        return None
    return await ctx.store.documents.get(id if parsed is None else parsed[1], scope)


def chunks(ctx: Context, document: Document) -> AsyncIterator[bytes]:
    return ctx.store.documents.chunks(document)


def file_part(file: object) -> UploadedFile:
    """The `Upload` argument as the file part it must be (over JSON it is mere text)."""
    if not is_uploaded_file(file):
        raise BadUserInput("file: a file part of a multipart request", field="file")
    return file


async def upload_agent_document(
    ctx: Context, viewer: Viewer, command: UploadAgentDocument
) -> Document:
    """An administrative file into an agent's folder."""
    title, agent_id = check_title(command.title), command.agent_id
    if agent_id not in await ctx.store.parties.agents([agent_id]):
        raise BadUserInput("agentId: no such agent", field="agentId")
    return await _store_upload(
        ctx, command.file, DocumentKind.ADMINISTRATIVE, title, agent_id=agent_id
    )


async def upload_sow_evidence(ctx: Context, viewer: Viewer, command: UploadSowEvidence) -> Document:
    """Evidence of a SOW's deliveries: its client's document, like the SOW's signed copy."""
    title = check_title(command.title)
    sow = await sows.sow(ctx, viewer, command.sow_id)
    return await _store_upload(
        ctx,
        command.file,
        DocumentKind.EVIDENCE,
        title,
        entity_type=EntityType.SOW,
        entity_id=sow.id,
        client_id=sow.client_id,
    )


class _Owner(TypedDict, total=False):
    """The `Document` fields naming what an upload belongs to."""

    entity_type: EntityType
    entity_id: str
    client_id: str
    agent_id: str


async def _store_upload(
    ctx: Context,
    upload: UploadedFile,
    kind: DocumentKind,
    title: str,
    **owner: Unpack[_Owner],
) -> Document:
    """An uploaded file of `kind` for `owner`. Read twice
    from the transport's spool: first to check it (size while reading, type from its first
    bytes) and take its SHA-256, then into GridFS; nothing is written before the first read
    has accepted it."""
    limit = ctx.limits.max_upload_bytes
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := await upload.read(READ_BYTES):
        size += len(chunk)
        if size > limit:
            check_upload(head, size, limit)
        digest.update(chunk)
        head = (head + chunk)[:MAGIC_BYTES] if len(head) < MAGIC_BYTES else head
    content_type = check_upload(head, size, limit)
    document = Document(
        id=ctx.store.new_id(),
        kind=kind,
        title=title,
        file_name=safe_file_name(upload.filename, content_type),
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        created_at=ctx.clock(),
        **owner,
    )
    await upload.seek(0)
    await ctx.store.documents.add(document, _again(upload, size))
    return document


async def _again(upload: UploadedFile, size: int) -> AsyncIterator[bytes]:
    """The bytes checked, read again; a spool that changed in between is refused."""
    left = size
    while chunk := await upload.read(READ_BYTES):
        left -= len(chunk)
        if left < 0:
            raise BadUserInput("file: changed while being stored", field="file")
        yield chunk
    if left:
        raise BadUserInput("file: changed while being stored", field="file")

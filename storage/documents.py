"""Documents: their bytes in GridFS (bucket `documentFiles`), what they are in `documents`.

A document's id is its GridFS file's id, so either names the other. The bytes go in first
and the record after: a record never points at a missing file, and a file without a record
(an upload refused half-way, a render stopped half-way) is removed by whoever wrote it, or
replaced by the render's next attempt, which reuses its id.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import Any

from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.client_session import AsyncClientSession

from domain.document import Document, DocumentKind
from domain.events import EntityType
from domain.scope import EVERYTHING, Scope
from storage import scopes
from storage.codec import object_id, optional_id, optional_str
from storage.database import Database
from storage.database import Document as Bson

BUCKET = "documentFiles"
KIND = "Document"


def to_bson(document: Document) -> Bson:
    return {
        "_id": ObjectId(document.id),
        "kind": document.kind.value,
        "title": document.title,
        "fileName": document.file_name,
        "contentType": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "createdAt": document.created_at,
        "entityType": document.entity_type.value if document.entity_type else None,
        "entityId": optional_id(document.entity_id),
        "version": document.version,
        "clientId": optional_id(document.client_id),
        "agentId": optional_id(document.agent_id),
    }


def from_bson(doc: Mapping[str, Any]) -> Document:
    entity_type = doc.get("entityType")
    return Document(
        id=str(doc["_id"]),
        kind=DocumentKind(doc["kind"]),
        title=doc["title"],
        file_name=doc["fileName"],
        content_type=doc["contentType"],
        size=doc["size"],
        sha256=doc["sha256"],
        created_at=doc["createdAt"],
        entity_type=EntityType(entity_type) if entity_type else None,
        entity_id=optional_str(doc.get("entityId")),
        version=doc.get("version"),
        client_id=optional_str(doc.get("clientId")),
        agent_id=optional_str(doc.get("agentId")),
    )


async def insert(db: Database, session: AsyncClientSession, document: Document) -> None:
    """The record of a stored file, in the caller's transaction; a record already there (a
    render whose completion is being retried) is kept."""
    existing = await db.db.documents.find_one({"_id": ObjectId(document.id)}, session=session)
    if existing is None:
        await db.db.documents.insert_one(to_bson(document), session=session)


# Files of one agent's folder: their executed copies and administrative documents.
_FOLDER_KINDS = [DocumentKind.CSA_EXECUTED_COPY.value, DocumentKind.ADMINISTRATIVE.value]


class DocumentStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._bucket = AsyncGridFSBucket(db.db, bucket_name=BUCKET)

    async def get(self, id: str, scope: Scope) -> Document | None:
        query = {"_id": object_id(id, KIND), **scopes.files(scope)}
        doc = await self._db.db.documents.find_one(query)
        return from_bson(doc) if doc else None

    async def get_many(self, ids: list[str], scope: Scope = EVERYTHING) -> dict[str, Document]:
        """Documents by id, in `scope`; unscoped for links from something the viewer
        already sees (an occurrence's evidence)."""
        wanted = {"_id": {"$in": [ObjectId(i) for i in ids if ObjectId.is_valid(i)]}}
        query = scopes.both(wanted, scopes.files(scope))
        return {str(doc["_id"]): from_bson(doc) async for doc in self._db.db.documents.find(query)}

    async def by_sha256(self, sha256: str, scope: Scope) -> Document | None:
        """The first document with these bytes in the scope (rendering is deterministic, so
        the same bytes are one copy)."""
        cursor = self._db.db.documents.find({"sha256": sha256, **scopes.files(scope)}).sort(
            "_id", 1
        )
        async for doc in cursor.limit(1):
            return from_bson(doc)
        return None

    async def of_entities(self, entity_ids: list[str]) -> dict[str, list[Document]]:
        """Each SOW's or CSA's copies and a SOW's evidence, newest first, in one query."""
        found: dict[str, list[Document]] = {entity_id: [] for entity_id in entity_ids}
        query = {"entityId": {"$in": [ObjectId(i) for i in entity_ids]}}
        async for doc in self._db.db.documents.find(query).sort("_id", -1):
            found[str(doc["entityId"])].append(from_bson(doc))
        return found

    async def folders(self, agent_ids: list[str]) -> dict[str, list[Document]]:
        """Each agent's folder, newest first, in one query."""
        found: dict[str, list[Document]] = {agent_id: [] for agent_id in agent_ids}
        query = {
            "agentId": {"$in": [object_id(i, "Agent") for i in agent_ids]},
            "kind": {"$in": _FOLDER_KINDS},
        }
        async for doc in self._db.db.documents.find(query).sort("_id", -1):
            found[str(doc["agentId"])].append(from_bson(doc))
        return found

    async def put_file(self, id: str, file_name: str, chunks: AsyncIterable[bytes]) -> None:
        """Write a file's bytes under `id`: all of them, or (on any error) none.

        A file left under `id` by an attempt that stopped half-way is replaced, so a render
        tried again stores its copy once.
        """
        file_id = ObjectId(id)
        await self.delete_file(id)
        stream = self._bucket.open_upload_stream_with_id(file_id, file_name)
        try:
            async for chunk in chunks:
                await stream.write(chunk)
        except BaseException:
            await stream.abort()
            raise
        await stream.close()

    async def delete_file(self, id: str) -> None:
        # GridFS deletes the chunks even when the file's own record is missing.
        with contextlib.suppress(NoFile):
            await self._bucket.delete(ObjectId(id))

    async def add(self, document: Document, chunks: AsyncIterable[bytes]) -> None:
        """Store an uploaded file and its record; on any failure, nothing stays behind."""
        await self.put_file(document.id, document.file_name, chunks)
        try:
            await self._db.db.documents.insert_one(to_bson(document))
        except BaseException:
            await self.delete_file(document.id)
            raise

    async def chunks(self, document: Document) -> AsyncIterator[bytes]:
        """The bytes, one GridFS chunk (255 KiB) at a time: never the whole file at once."""
        stream = await self._bucket.open_download_stream(ObjectId(document.id))
        try:
            while chunk := await stream.readchunk():
                yield chunk
        finally:
            await stream.close()

    async def read(self, document: Document) -> bytes:
        """The whole file, for an e-mail attachment (a copy is tens of kilobytes)."""
        return b"".join([chunk async for chunk in self.chunks(document)])

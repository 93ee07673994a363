"""The outbox (collection `outbox`): signed copies to render and to send, claimed one at a time.

A task is written in the transaction of the status change that calls for it. A sender
claims one with a single `findOneAndUpdate` (PENDING and due, or CLAIMED with its lease run
out), so two processes never hold the same task; it finishes the task only while it still
holds it, in the transaction that records the outcome (the copy's record, the delivery
event), so an outcome is written once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from domain.delivery import Task, TaskKind, TaskState
from domain.document import CopyDue, Document, DocumentKind
from domain.events import EntityType, NewEvent
from domain.versioning import SignatureParty
from storage import documents, events
from storage.database import Database
from storage.database import Document as Bson

# The most of an error's text kept on a task.
MAX_ERROR_LENGTH = 1000


class LostClaim(Exception):
    """The task is no longer this sender's (its lease ran out and another took it)."""


def queued(copy: CopyDue) -> list[Bson]:
    """The tasks of one copy: its render, then one send per recipient, all due at once."""
    document_id = ObjectId()
    common = {
        "documentId": document_id,
        "copyKind": copy.kind.value,
        "entityType": copy.entity_type.value,
        "entityId": ObjectId(copy.entity_id),
        "version": copy.version,
        "state": TaskState.PENDING.value,
        "attempts": 0,
        "due": copy.at,
        "createdAt": copy.at,
    }
    render = {"_id": ObjectId(), "kind": TaskKind.RENDER.value, "recipient": None, **common}
    sends = [
        {"_id": ObjectId(), "kind": TaskKind.SEND.value, "recipient": party.value, **common}
        for party in copy.recipients
    ]
    return [render, *sends]


def from_bson(doc: Mapping[str, Any]) -> Task:
    recipient = doc.get("recipient")
    return Task(
        id=str(doc["_id"]),
        kind=TaskKind(doc["kind"]),
        document_id=str(doc["documentId"]),
        copy_kind=DocumentKind(doc["copyKind"]),
        entity_type=EntityType(doc["entityType"]),
        entity_id=str(doc["entityId"]),
        version=doc["version"],
        recipient=SignatureParty(recipient) if recipient else None,
        attempts=doc["attempts"],
    )


async def add(db: Database, session: AsyncClientSession, copies: Sequence[CopyDue]) -> None:
    """Queue `copies` in the caller's transaction (the status change's)."""
    docs = [doc for copy in copies for doc in queued(copy)]
    if docs:
        await db.db.outbox.insert_many(docs, session=session)


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, owner: str, now: datetime, lease: timedelta) -> Task | None:
        """The next task due at `now`, now held by `owner` until `now + lease`; renders
        first, since sends wait for their copy."""
        doc = await self._db.db.outbox.find_one_and_update(
            {
                "state": {"$in": [TaskState.PENDING.value, TaskState.CLAIMED.value]},
                "due": {"$lte": now},
            },
            {
                "$set": {"state": TaskState.CLAIMED.value, "claimedBy": owner, "due": now + lease},
                "$inc": {"attempts": 1},
            },
            sort=[("due", 1), ("kind", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return from_bson(doc) if doc else None

    def _held(self, task: Task, owner: str) -> Bson:
        return {"_id": ObjectId(task.id), "state": TaskState.CLAIMED.value, "claimedBy": owner}

    async def release(
        self, task: Task, owner: str, due: datetime, error: str | None, counts: bool = True
    ) -> None:
        """Back to PENDING until `due`. A release that does not count (a send whose copy is
        not rendered yet) gives its attempt back."""
        update: Bson = {
            "$set": {"state": TaskState.PENDING.value, "due": due, "claimedBy": None},
        }
        if error is not None:
            update["$set"]["lastError"] = error[:MAX_ERROR_LENGTH]
        if not counts:
            update["$inc"] = {"attempts": -1}
        await self._db.db.outbox.update_one(self._held(task, owner), update)

    async def give_up(self, task: Task, owner: str, now: datetime, error: str) -> None:
        await self._db.db.outbox.update_one(
            self._held(task, owner),
            {
                "$set": {
                    "state": TaskState.FAILED.value,
                    "lastError": error[:MAX_ERROR_LENGTH],
                    "finishedAt": now,
                }
            },
        )

    async def finish(
        self,
        task: Task,
        owner: str,
        now: datetime,
        state: TaskState = TaskState.DONE,
        document: Document | None = None,
        event: NewEvent | None = None,
    ) -> None:
        """Record the outcome in one transaction: the task done, the rendered copy's record,
        the delivery event. `LostClaim` when another sender holds the task by now."""

        async def write(session: AsyncClientSession) -> None:
            result = await self._db.db.outbox.update_one(
                self._held(task, owner),
                {"$set": {"state": state.value, "finishedAt": now, "claimedBy": None}},
                session=session,
            )
            if result.matched_count != 1:
                raise LostClaim(task.id)
            if document is not None:
                await documents.insert(self._db, session, document)
            if event is not None:
                await events.append(self._db, session, (event,))

        await self._db.in_transaction(write, shared_counter=True)

    async def states(self, entity_id: str) -> list[tuple[str, str | None, str]]:
        """(kind, recipient, state) of an entity's tasks, oldest first: for tests and
        operators."""
        cursor = self._db.db.outbox.find({"entityId": ObjectId(entity_id)}).sort("_id", 1)
        return [(doc["kind"], doc.get("recipient"), doc["state"]) async for doc in cursor]

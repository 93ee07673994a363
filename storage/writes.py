"""Committing decisions: every document, version and event of one decision, or nothing.

A decision is taken on documents as read; the commit replaces each one only if its
`revision` is still the one read. When another writer got there first (or a concurrent
transaction conflicts), the caller reads again and decides again: the domain then answers
CONFLICT or INVALID_TRANSITION, or the same decision is valid on the new state.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from domain.changes import Change
from domain.document import CopyDue
from domain.events import EntityType, NewEvent
from domain.versioning import TermsVersion
from storage import events, outbox, versions
from storage.database import Database, Document, is_write_conflict, retry_deadline

MAX_ATTEMPTS = 8


class StaleWrite(Exception):
    """A document changed between the read and the write."""


class Revisioned(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def revision(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Mapper[T: Revisioned]:
    """How one kind of document is stored."""

    entity_type: EntityType
    collection: Callable[[Database], AsyncCollection[Document]]
    to_bson: Callable[[T], Document]


class Writer:
    def __init__(self, db: Database, mappers: Mapping[type[Any], Mapper[Any]]) -> None:
        self._db = db
        self._mappers = mappers

    async def commit(
        self, changes: Sequence[Change[Any]], *, deadline: float | None = None
    ) -> None:
        """Write `changes` in one transaction; `StaleWrite` if any document moved.
        Transient errors are retried until `deadline` (see `Database.in_transaction`)."""
        if not changes:
            # A decision to do nothing (the scheduler on a document not due) costs no round trip.
            return
        batch = _Batch(self._db)
        for change in changes:
            mapper = self._mappers[type(change.after)]
            batch.document(mapper, change.after, change.before)
            for version in change.versions:
                batch.version(mapper, change.after.id, version)
            batch.events += change.events
            batch.copies += change.copies
        try:
            await self._db.in_transaction(batch.write, deadline=deadline, shared_counter=True)
        except PyMongoError as exc:
            if is_write_conflict(exc):
                raise StaleWrite from exc
            raise

    async def create(self, changes: Sequence[Change[Any]]) -> None:
        """Write new documents with their versions and events. A write conflict (concurrent
        transactions both append to the event sequence) is retried: nothing the changes
        were decided on can have moved."""
        if any(change.before is not None for change in changes):
            raise ValueError("create writes new documents only")

        async def nothing() -> None:
            return None

        await self.read_decide_commit(nothing, lambda _: changes)

    async def create_all(self, changes: Sequence[Change[Any]]) -> None:
        """Write the whole histories of new documents in one transaction, in bulk.

        The result is what committing `changes` one by one would leave (each document and
        version in its last state, every event in order), in a handful of commands instead
        of several per change: for loading data sets. Every document must be created by
        the first of its changes here.
        """
        documents: dict[str, tuple[Mapper[Any], Any]] = {}
        last_versions: dict[tuple[str, int], tuple[Mapper[Any], str, TermsVersion]] = {}
        batch = _Batch(self._db)
        for change in changes:
            mapper = self._mappers[type(change.after)]
            if change.before is None and change.after.id in documents:
                raise ValueError(f"{change.after.id} is created twice")
            if change.before is not None and change.after.id not in documents:
                raise ValueError(f"{change.after.id} is not created in this batch")
            documents[change.after.id] = (mapper, change.after)
            for version in change.versions:
                last_versions[(change.after.id, version.number)] = (
                    mapper,
                    change.after.id,
                    version,
                )
            batch.events += change.events
            batch.copies += change.copies
        for mapper, document in documents.values():
            batch.document(mapper, document, None)
        for mapper, entity_id, version in last_versions.values():
            batch.version(mapper, entity_id, version)
        await self._db.in_transaction(batch.write, shared_counter=True)

    async def read_decide_commit[S](
        self,
        load: Callable[[], Awaitable[S]],
        decide: Callable[[S], Sequence[Change[Any]]],
    ) -> Sequence[Change[Any]]:
        """`load` the state, `decide` on it (pure), commit the changes; when another writer
        got there first, read and decide again (up to `MAX_ATTEMPTS` times).

        All attempts share one retry deadline: a transaction that kept failing transiently
        until the deadline is not started over by the next attempt."""
        deadline = retry_deadline()
        for _ in range(MAX_ATTEMPTS - 1):
            changes = decide(await load())
            try:
                await self.commit(changes, deadline=deadline)
            except StaleWrite:
                if time.monotonic() >= deadline:
                    raise
                continue
            return changes
        changes = decide(await load())
        await self.commit(changes, deadline=deadline)
        return changes


class _Batch:
    """The writes of one transaction, one command per collection and kind of write whatever
    the number of documents: the largest production (hundreds of CSAs) stays short."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._inserts: dict[str, tuple[AsyncCollection[Document], list[Document]]] = {}
        self._replaces: dict[str, tuple[AsyncCollection[Document], list[ReplaceOne[Any]]]] = {}
        self._versions: list[UpdateOne] = []
        self.events: list[NewEvent] = []
        # Signed copies the changes call for: queued with them, or not at all.
        self.copies: list[CopyDue] = []

    def document(self, mapper: Mapper[Any], after: Revisioned, before: Revisioned | None) -> None:
        """Insert `after`, or replace the document if it is still at `before`'s revision."""
        collection = mapper.collection(self._db)
        doc = mapper.to_bson(after)
        if before is None:
            self._inserts.setdefault(collection.name, (collection, []))[1].append(doc)
            return
        replace = ReplaceOne({"_id": doc["_id"], "revision": before.revision}, doc)
        self._replaces.setdefault(collection.name, (collection, []))[1].append(replace)

    def version(self, mapper: Mapper[Any], entity_id: str, version: TermsVersion) -> None:
        self._versions.append(versions.upsert(mapper.entity_type, entity_id, version))

    async def write(self, session: AsyncClientSession) -> None:
        # Replacements first: a document that moved makes the rest moot (a renewal of a CSA
        # renewed meanwhile would otherwise meet the unique index as a duplicate).
        for collection, replaces in self._replaces.values():
            result = await collection.bulk_write(replaces, session=session)
            if result.matched_count != len(replaces):
                raise StaleWrite
        for collection, docs in self._inserts.values():
            await collection.insert_many(docs, session=session)
        if self._versions:
            await self._db.db.versions.bulk_write(self._versions, session=session)
        await events.append(self._db, session, tuple(self.events))
        await outbox.add(self._db, session, self.copies)

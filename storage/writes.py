"""Committing decisions: every document, version and event of one decision, or nothing.

A decision is taken on documents as read; the commit replaces each one only if its
`revision` is still the one read. When another writer got there first (or a concurrent
transaction conflicts), the caller reads again and decides again: the domain then answers
CONFLICT or INVALID_TRANSITION, or the same decision is valid on the new state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from domain.changes import Change
from domain.events import EntityType
from storage import events, versions
from storage.database import Database, Document, is_write_conflict

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

    async def commit(self, changes: Sequence[Change[Any]]) -> None:
        """Write `changes` in one transaction; `StaleWrite` if any document moved."""
        if not changes:
            # A decision to do nothing (the scheduler on a document not due) costs no round trip.
            return

        async def work(session: AsyncClientSession) -> None:
            for change in changes:
                await self._write(session, change)

        try:
            await self._db.in_transaction(work)
        except PyMongoError as exc:
            if is_write_conflict(exc):
                raise StaleWrite from exc
            raise

    async def _write(self, session: AsyncClientSession, change: Change[Any]) -> None:
        mapper = self._mappers[type(change.after)]
        collection = mapper.collection(self._db)
        doc = mapper.to_bson(change.after)
        if change.before is None:
            await collection.insert_one(doc, session=session)
        else:
            result = await collection.replace_one(
                {"_id": doc["_id"], "revision": change.before.revision}, doc, session=session
            )
            if result.matched_count != 1:
                raise StaleWrite
        for version in change.versions:
            await versions.write(self._db, session, mapper.entity_type, change.after.id, version)
        await events.append(self._db, session, change.events)

    async def decide[S](
        self,
        load: Callable[[], Awaitable[S]],
        decide: Callable[[S], Sequence[Change[Any]]],
    ) -> Sequence[Change[Any]]:
        """Read, decide (pure), commit; on a lost race read and decide again."""
        for _ in range(MAX_ATTEMPTS - 1):
            changes = decide(await load())
            try:
                await self.commit(changes)
            except StaleWrite:
                continue
            return changes
        changes = decide(await load())
        await self.commit(changes)
        return changes

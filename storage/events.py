"""The event log (collection `events`), ordered by a gap-free sequence number.

`seq` comes from a counter incremented inside the writing transaction: an aborted
transaction gives its number back, and a second writer cannot take the counter until the
first commits (a write conflict, after which it runs again), so seqs are taken in commit
order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from domain.events import EntityType, Event, EventType, NewEvent, parse_cursor
from domain.scope import Scope
from storage import counters, scopes
from storage.codec import actor_from_bson, actor_to_bson, optional_id, optional_str
from storage.database import Database, Document
from storage.pages import Order, Page, Window, fetch_page

COUNTER = "events"
# The log, oldest first; a cursor is the seq itself.
ORDER = Order("seq", False, str, parse_cursor)


def to_bson(seq: int, event: NewEvent) -> Document:
    return {
        "seq": seq,
        "type": event.type.value,
        "entityType": event.entity_type.value,
        "entityId": ObjectId(event.entity_id),
        "fromStatus": event.from_status,
        "toStatus": event.to_status,
        "version": event.version,
        "actor": actor_to_bson(event.actor),
        "at": event.at,
        "reason": event.reason,
        "clientId": optional_id(event.client_id),
        "agentId": optional_id(event.agent_id),
        "recipient": event.recipient,
    }


def from_bson(doc: Mapping[str, Any]) -> Event:
    return Event(
        seq=doc["seq"],
        type=EventType(doc["type"]),
        entity_type=EntityType(doc["entityType"]),
        entity_id=str(doc["entityId"]),
        from_status=doc.get("fromStatus"),
        to_status=doc.get("toStatus"),
        version=doc["version"],
        actor=actor_from_bson(doc["actor"]),
        at=doc["at"],
        reason=doc.get("reason"),
        client_id=optional_str(doc.get("clientId")),
        agent_id=optional_str(doc.get("agentId")),
        recipient=doc.get("recipient"),
    )


async def append(db: Database, session: AsyncClientSession, events: tuple[NewEvent, ...]) -> None:
    if not events:
        return
    first = await counters.take(db, session, COUNTER, len(events)) - len(events) + 1
    docs = [to_bson(first + offset, event) for offset, event in enumerate(events)]
    await db.db.events.insert_many(docs, session=session)


class EventStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(
        self, scope: Scope, entity_id: str | None, after: int | None, limit: int
    ) -> list[Event]:
        """Events after cursor `after`, oldest first, at most `limit`."""
        query = _query(scope, entity_id)
        if after is not None:
            query["seq"] = {"$gt": after}
        cursor = self._db.db.events.find(query).sort("seq", 1).limit(limit)
        return [from_bson(doc) async for doc in cursor]

    async def window(self, scope: Scope, entity_id: str | None, window: Window) -> Page[Event]:
        """A page of the log (`entity_id`'s events, or all) in `scope`."""
        query = _query(scope, entity_id)
        return await fetch_page(self._db.db.events, ORDER, query, window, from_bson)

    async def by_ids(self, ids: list[str], scope: Scope) -> dict[str, Event]:
        """Events by id (their seq), in `scope`."""
        query = scopes.both({"seq": {"$in": [int(i) for i in ids]}}, scopes.events(scope))
        return {str(doc["seq"]): from_bson(doc) async for doc in self._db.db.events.find(query)}

    async def count(self, scope: Scope, entity_id: str | None) -> int:
        return await self._db.db.events.count_documents(_query(scope, entity_id))


def _query(scope: Scope, entity_id: str | None) -> Document:
    query = scopes.events(scope)
    if entity_id is not None:
        # A SOW's or a CSA's, checked by `domain.ids.typed_id`, which alone can name the
        # kind a malformed one is not found as: none reaches here.
        query["entityId"] = ObjectId(entity_id)
    return query


async def last_seq(db: Database) -> int:
    """The seq of the last event written: where the log ends now."""
    doc = await db.db.events.find_one({}, sort=[("seq", -1)], projection={"seq": 1})
    return int(doc["seq"]) if doc else 0

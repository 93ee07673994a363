"""SOW documents (collection `sows`) and their human-readable numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bson import ObjectId

from domain.events import EntityType
from domain.machine import DateReached
from domain.occurrence import LEFT_ACTIVE
from domain.scope import Scope
from domain.sow import MACHINE, Amendment, Sow, SowStatus, SowTerms
from domain.versioning import Signature, SignatureParty
from storage import counters, scopes, versions
from storage.codec import (
    ParsedTerms,
    actor_from_bson,
    actor_to_bson,
    day,
    object_id,
    terms_to_bson,
)
from storage.database import Database, Document
from storage.pages import Page, Window, by_id, fetch_page
from storage.writes import Mapper

KIND = "Sow"
# Page cursors name the kind as first released: a cursor held across an upgrade still works.
CURSOR_KIND = "SOW"


@dataclass(frozen=True, slots=True)
class SowQuery:
    status: list[SowStatus] | None = None
    client_id: str | None = None
    search: str | None = None
    go_live_from: date | None = None
    go_live_to: date | None = None

    def filter(self) -> Document:
        query: Document = {}
        if self.status:
            query["status"] = {"$in": [status.value for status in self.status]}
        if self.client_id is not None:
            query["clientId"] = object_id(self.client_id, "Client")
        if self.search:
            # Escaped: user text is matched literally, never as a pattern.
            pattern = {"$regex": re.escape(self.search), "$options": "i"}
            query["$or"] = [
                {"terms.title": pattern},
                {"terms.programName": pattern},
                {"number": pattern},
            ]
        bounds: Document = {}
        if self.go_live_from is not None:
            bounds["$gte"] = day(self.go_live_from)
        if self.go_live_to is not None:
            bounds["$lte"] = day(self.go_live_to)
        if bounds:
            query["goLiveDate"] = bounds
        return query


def _signature_to_bson(signature: Signature) -> Document:
    return {
        "party": signature.party.value,
        "signer": actor_to_bson(signature.signer),
        "version": signature.version,
        "hash": signature.hash,
        "at": signature.at,
    }


def signature_from_bson(doc: Mapping[str, Any]) -> Signature:
    return Signature(
        party=SignatureParty(doc["party"]),
        signer=actor_from_bson(doc["signer"]),
        version=doc["version"],
        hash=doc["hash"],
        at=doc["at"],
    )


def signatures_to_bson(signatures: tuple[Signature, ...]) -> list[Document]:
    return [_signature_to_bson(signature) for signature in signatures]


def to_bson(sow: Sow) -> Document:
    amendment = sow.pending_amendment
    return {
        "_id": ObjectId(sow.id),
        "number": sow.number,
        "clientId": ObjectId(sow.client_id),
        "status": sow.status.value,
        "version": sow.version,
        "latestVersion": sow.latest_version,
        "revision": sow.revision,
        "terms": terms_to_bson(sow.terms.canonical()),
        "termsHash": sow.terms_hash,
        "goLiveDate": day(sow.terms.go_live_date),
        "endDate": day(sow.terms.end_date),
        "signatures": signatures_to_bson(sow.signatures),
        "pendingAmendment": None
        if amendment is None
        else versions.to_bson(EntityType.SOW, sow.id, amendment.version),
        "createdAt": sow.created_at,
        "updatedAt": sow.updated_at,
        "createdBy": actor_to_bson(sow.created_by),
        "periodsClosed": sow.periods_closed,
    }


TERMS = ParsedTerms(SowTerms.from_canonical)


def from_bson(doc: Mapping[str, Any]) -> Sow:
    pending = doc.get("pendingAmendment")
    amendment = None
    if pending is not None:
        proposal = versions.from_bson(pending)
        amendment = Amendment(proposal, SowTerms.from_canonical(proposal.terms))
    return Sow(
        id=str(doc["_id"]),
        number=doc["number"],
        client_id=str(doc["clientId"]),
        status=SowStatus(doc["status"]),
        version=doc["version"],
        latest_version=doc["latestVersion"],
        revision=doc["revision"],
        terms=TERMS.get(doc["termsHash"], doc["terms"]),
        terms_hash=doc["termsHash"],
        signatures=tuple(signature_from_bson(s) for s in doc.get("signatures", ())),
        pending_amendment=amendment,
        created_at=doc["createdAt"],
        updated_at=doc["updatedAt"],
        created_by=actor_from_bson(doc["createdBy"]),
        periods_closed=doc.get("periodsClosed", False),
    )


def _match(scope: Scope, where: SowQuery) -> Document:
    return scopes.both(where.filter(), scopes.documents(scope, EntityType.SOW))


MAPPER: Mapper[Sow] = Mapper(EntityType.SOW, lambda db: db.db.sows, to_bson)


class SowStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def next_number(self, now: datetime) -> str:
        """`SOW-2026-0001`: a yearly counter. Outside the creating transaction on purpose:
        a number lost to a failed create leaves a gap, never a duplicate."""
        return (await self.reserve_numbers(now, 1))[0]

    async def reserve_numbers(self, now: datetime, count: int) -> list[str]:
        """`count` consecutive numbers of `now`'s year, never handed out again."""
        last = await counters.reserve(self._db, f"sow:{now.year}", count)
        return [f"SOW-{now.year}-{seq:04d}" for seq in range(last - count + 1, last + 1)]

    async def get(self, id: str, scope: Scope) -> Sow | None:
        query = scopes.both({"_id": object_id(id, KIND)}, scopes.documents(scope, EntityType.SOW))
        doc = await self._db.db.sows.find_one(query)
        return from_bson(doc) if doc else None

    async def get_many(self, ids: list[str], scope: Scope) -> dict[str, Sow]:
        wanted = {"_id": {"$in": [object_id(i, KIND) for i in ids]}}
        query = scopes.both(wanted, scopes.documents(scope, EntityType.SOW))
        return {str(doc["_id"]): from_bson(doc) async for doc in self._db.db.sows.find(query)}

    async def terms_of_versions(
        self, wanted: list[tuple[str, int]]
    ) -> dict[tuple[str, int], SowTerms]:
        """The terms of each (SOW id, version number) that exists, in one query."""
        if not wanted:
            return {}
        query = {
            "entityId": {"$in": list({ObjectId(sow_id) for sow_id, _ in wanted})},
            "number": {"$in": list({number for _, number in wanted})},
        }
        found: dict[tuple[str, int], SowTerms] = {}
        async for doc in self._db.db.versions.find(query):
            key = (str(doc["entityId"]), doc["number"])
            if key in wanted:
                found[key] = TERMS.get(doc["hash"], doc["terms"])
        return found

    async def page(self, scope: Scope, where: SowQuery, window: Window) -> Page[Sow]:
        query = _match(scope, where)
        return await fetch_page(self._db.db.sows, by_id(CURSOR_KIND), query, window, from_bson)

    async def count(self, scope: Scope, where: SowQuery) -> int:
        return await self._db.db.sows.count_documents(_match(scope, where))

    async def due_for_schedule(self, through: date, after: str | None, limit: int) -> list[Sow]:
        """SOWs the scheduler may have to move, by the dated rows of `domain.sow.MACHINE`
        (SIGNED with go-live, or ACTIVE with end date, on or before `through`), in id order
        after the id `after` (one batch).

        `through` is the latest date anywhere (`domain.schedule.latest_local_date`): the
        result may hold SOWs not yet due in their own time zone, which the domain skips.
        """
        # Each date of the status machine's scheduled rows is stored at the top level.
        query: Document = {
            "$or": [
                {"status": step.source, step.trigger.name: {"$lte": day(through)}}
                for step in MACHINE.scheduled
                if isinstance(step.trigger, DateReached)
            ]
        }
        if after is not None:
            query["_id"] = {"$gt": ObjectId(after)}
        cursor = self._db.db.sows.find(query).sort("_id", 1).limit(limit)
        return [from_bson(doc) async for doc in cursor]

    async def with_recurring_obligations(self, after: str | None, limit: int) -> list[Sow]:
        """The SOWs that may have a recurring period to open (`occurrence.recurring_due`),
        in id order after the id `after` (one batch of the scheduler): ACTIVE ones, and
        those that left ACTIVE with their periods not yet closed, whose current terms have a
        RECURRING obligation or whose signed terms are not their first version (an earlier
        one may have had one)."""
        left = [status.value for status in LEFT_ACTIVE]
        query: Document = {
            "$and": [
                {
                    "$or": [
                        {"status": SowStatus.ACTIVE.value},
                        {"status": {"$in": left}, "periodsClosed": {"$ne": True}},
                    ]
                },
                {
                    "$or": [
                        {"terms.obligations.kind": "RECURRING"},
                        {"signatures.version": {"$gt": 1}},
                    ]
                },
            ]
        }
        if after is not None:
            query["_id"] = {"$gt": ObjectId(after)}
        cursor = self._db.db.sows.find(query).sort("_id", 1).limit(limit)
        return [from_bson(doc) async for doc in cursor]

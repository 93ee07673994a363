"""CSA documents (collection `csas`), their numbers and the per-SOW staffing counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bson import ObjectId

from domain.csa import (
    CONTRACTED,
    ENDED,
    MACHINE,
    Csa,
    CsaStatus,
    CsaTerminationReason,
    CsaTerms,
    Staffing,
)
from domain.events import EntityType
from domain.machine import DateReached, Transition
from domain.scope import EVERYTHING, Scope
from storage import counters, scopes
from storage.codec import (
    ParsedTerms,
    day,
    object_id,
    optional_id,
    optional_str,
    terms_to_bson,
)
from storage.database import Database, Document
from storage.pages import Page, Window, by_id, fetch_page
from storage.sows import signature_from_bson, signatures_to_bson
from storage.writes import Mapper

KIND = "Csa"
# Page cursors name the kind as first released: a cursor held across an upgrade still works.
CURSOR_KIND = "CSA"


@dataclass(frozen=True, slots=True)
class CsaQuery:
    status: list[CsaStatus] | None = None
    agent_id: str | None = None
    sow_id: str | None = None
    expiring_before: date | None = None

    def filter(self) -> Document:
        query: Document = {}
        if self.status:
            query["status"] = {"$in": [status.value for status in self.status]}
        if self.agent_id is not None:
            query["agentId"] = object_id(self.agent_id, "Agent")
        if self.sow_id is not None:
            query["sowId"] = object_id(self.sow_id, "Sow")
        if self.expiring_before is not None:
            query["expirationDate"] = {"$lt": day(self.expiring_before)}
        return query


def to_bson(csa: Csa) -> Document:
    return {
        "_id": ObjectId(csa.id),
        "number": csa.number,
        "agentId": ObjectId(csa.agent_id),
        "sowId": ObjectId(csa.sow_id),
        "sowVersion": csa.sow_version,
        "sowGoLiveDate": day(csa.sow_go_live_date),
        "sowTimeZone": csa.sow_time_zone,
        "clientId": ObjectId(csa.client_id),
        "programName": csa.program_name,
        "status": csa.status.value,
        "version": csa.version,
        "latestVersion": csa.latest_version,
        "revision": csa.revision,
        "terms": terms_to_bson(csa.terms.canonical()),
        "termsHash": csa.terms_hash,
        "effectiveDate": day(csa.terms.effective_date),
        "expirationDate": day(csa.terms.expiration_date),
        "signatures": signatures_to_bson(csa.signatures),
        "producedAt": csa.produced_at,
        "sentAt": csa.sent_at,
        "terminationReason": csa.termination_reason.value if csa.termination_reason else None,
        "renewalOf": optional_id(csa.renewal_of),
        "renewedBy": optional_id(csa.renewed_by),
        "renewalDueAt": csa.renewal_due_at,
        "createdAt": csa.created_at,
        "updatedAt": csa.updated_at,
    }


TERMS = ParsedTerms(CsaTerms.from_canonical)


def from_bson(doc: Mapping[str, Any]) -> Csa:
    reason = doc.get("terminationReason")
    return Csa(
        id=str(doc["_id"]),
        number=doc["number"],
        agent_id=str(doc["agentId"]),
        sow_id=str(doc["sowId"]),
        sow_version=doc["sowVersion"],
        sow_go_live_date=doc["sowGoLiveDate"].date(),
        # Absent from documents stored before it was recorded: their dates read as UTC.
        sow_time_zone=doc.get("sowTimeZone"),
        client_id=str(doc["clientId"]),
        program_name=doc["programName"],
        status=CsaStatus(doc["status"]),
        version=doc["version"],
        latest_version=doc["latestVersion"],
        revision=doc["revision"],
        terms=TERMS.get(doc["termsHash"], doc["terms"]),
        terms_hash=doc["termsHash"],
        signatures=tuple(signature_from_bson(s) for s in doc.get("signatures", ())),
        produced_at=doc["producedAt"],
        sent_at=doc.get("sentAt"),
        termination_reason=CsaTerminationReason(reason) if reason else None,
        renewal_of=optional_str(doc.get("renewalOf")),
        renewed_by=optional_str(doc.get("renewedBy")),
        # Absent from documents written before the scheduler gave notices.
        renewal_due_at=doc.get("renewalDueAt"),
        created_at=doc["createdAt"],
        updated_at=doc["updatedAt"],
    )


def _due(step: Transition[CsaStatus], through: date, notice_through: date) -> Document:
    """The CSAs one dated row of `domain.csa.MACHINE` may move (each date is stored at the
    top level); a notice only to CSAs not renewed and not given it yet."""
    assert isinstance(step.trigger, DateReached)
    if not step.trigger.notice:
        return {"status": step.source, step.trigger.name: {"$lte": day(through)}}
    # Null matches a missing field too: documents older than the notice marker.
    return {
        "status": step.source,
        "renewalDueAt": None,
        "renewedBy": None,
        step.trigger.name: {"$lte": day(notice_through)},
    }


def _match(scope: Scope, where: CsaQuery) -> Document:
    # A filter naming another agent narrows an agent's scope to nothing, not to theirs.
    return scopes.both(where.filter(), scopes.documents(scope, EntityType.CSA))


MAPPER: Mapper[Csa] = Mapper(EntityType.CSA, lambda db: db.db.csas, to_bson)


class CsaStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def next_numbers(self, now: datetime, count: int) -> list[str]:
        """`count` numbers `CSA-2026-0001`...: a yearly counter, taken outside the writing
        transaction on purpose (a failed produce leaves a gap, never a duplicate)."""
        first = await counters.reserve(self._db, f"csa:{now.year}", count) - count + 1
        return [f"CSA-{now.year}-{seq:04d}" for seq in range(first, first + count)]

    async def get(self, id: str, scope: Scope) -> Csa | None:
        query = scopes.both({"_id": object_id(id, KIND)}, scopes.documents(scope, EntityType.CSA))
        doc = await self._db.db.csas.find_one(query)
        return from_bson(doc) if doc else None

    async def get_many(self, ids: list[str], scope: Scope = EVERYTHING) -> dict[str, Csa]:
        """By id, in `scope`; unscoped for links from a CSA already in the viewer's scope."""
        wanted = {"_id": {"$in": [object_id(i, KIND) for i in ids]}}
        query = scopes.both(wanted, scopes.documents(scope, EntityType.CSA))
        return {str(doc["_id"]): from_bson(doc) async for doc in self._db.db.csas.find(query)}

    async def page(self, scope: Scope, where: CsaQuery, window: Window) -> Page[Csa]:
        query = _match(scope, where)
        return await fetch_page(self._db.db.csas, by_id(CURSOR_KIND), query, window, from_bson)

    async def count(self, scope: Scope, where: CsaQuery) -> int:
        return await self._db.db.csas.count_documents(_match(scope, where))

    async def of_sows(self, sow_ids: list[str]) -> dict[str, list[Csa]]:
        """Each SOW's CSAs, oldest first, in one query."""
        found: dict[str, list[Csa]] = {sow_id: [] for sow_id in sow_ids}
        query = {"sowId": {"$in": [ObjectId(i) for i in sow_ids]}}
        async for doc in self._db.db.csas.find(query).sort("_id", 1):
            found[str(doc["sowId"])].append(from_bson(doc))
        return found

    async def open_of_sow(self, sow_id: str) -> list[Csa]:
        """The SOW's CSAs not yet ended (the ones its termination ends)."""
        query = {"sowId": ObjectId(sow_id), "status": {"$nin": [s.value for s in ENDED]}}
        return [from_bson(doc) async for doc in self._db.db.csas.find(query)]

    async def of_sow_and_agents(self, sow_id: str, agent_ids: list[str]) -> list[Csa]:
        query = {
            "sowId": ObjectId(sow_id),
            "agentId": {"$in": [object_id(i, "Agent") for i in agent_ids]},
        }
        return [from_bson(doc) async for doc in self._db.db.csas.find(query)]

    async def staffing(self, sow_ids: list[str]) -> dict[str, Staffing]:
        """Contracted (EXECUTED or ACTIVE) and ACTIVE counts per SOW, in one aggregation."""
        pipeline: list[Document] = [
            {
                "$match": {
                    "sowId": {"$in": [ObjectId(i) for i in sow_ids]},
                    "status": {"$in": [s.value for s in CONTRACTED]},
                }
            },
            {"$group": {"_id": {"sow": "$sowId", "status": "$status"}, "n": {"$sum": 1}}},
        ]
        counts: dict[str, dict[str, int]] = {}
        cursor = await self._db.db.csas.aggregate(pipeline)
        async for row in cursor:
            counts.setdefault(str(row["_id"]["sow"]), {})[row["_id"]["status"]] = row["n"]
        return {
            sow_id: Staffing(
                contracted=sum(counts.get(sow_id, {}).values()),
                active=counts.get(sow_id, {}).get(CsaStatus.ACTIVE.value, 0),
            )
            for sow_id in sow_ids
        }

    async def due_for_schedule(
        self, through: date, notice_through: date, after: str | None, limit: int
    ) -> list[Csa]:
        """CSAs the scheduler may have to move, in id order after the id `after` (one batch):
        EXECUTED with effectiveDate, or ACTIVE with expirationDate, on or before `through`;
        ACTIVE, not renewed and not yet given notice, expiring on or before `notice_through`.

        `through` is the latest date anywhere (`domain.schedule.latest_local_date`) and
        `notice_through` that plus the notice period: the result may hold CSAs not yet due
        in their own time zone, which the domain skips.
        """
        query: Document = {
            "$or": [_due(step, through, notice_through) for step in MACHINE.scheduled]
        }
        if after is not None:
            query["_id"] = {"$gt": ObjectId(after)}
        cursor = self._db.db.csas.find(query).sort("_id", 1).limit(limit)
        return [from_bson(doc) async for doc in cursor]

"""Obligations' occurrences (collection `occurrences`): opened, fulfilled and marked overdue
through `storage.writes` (revision-checked, with their events), listed by SOW or across
SOWs in a viewer's scope.

A recurring occurrence is unique per SOW, key and period (index
`occurrence_recurring_unique`); the scheduler's passes also conflict on the SOW they touch,
so a lost race is decided again rather than stopped by the index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId

from domain.events import EntityType
from domain.obligation import ObligationKind
from domain.occurrence import Occurrence, OccurrenceStatus
from domain.scope import Scope
from storage import scopes
from storage.codec import actor_from_bson, actor_to_bson, object_id, optional_id, optional_str
from storage.database import Database, Document
from storage.pages import Page, Window, by_id, fetch_page, page_of
from storage.writes import Mapper

KIND = "ObligationOccurrence"
ORDER = by_id(KIND)
# Whether a SOW has any: a group is only there when it has.
_ANY: Document = {"$first": "$_id"}


def to_bson(occurrence: Occurrence) -> Document:
    requested_by, fulfilled_by = occurrence.requested_by, occurrence.fulfilled_by
    return {
        "_id": ObjectId(occurrence.id),
        "sowId": ObjectId(occurrence.sow_id),
        "clientId": ObjectId(occurrence.client_id),
        "key": occurrence.key,
        "title": occurrence.title,
        "kind": occurrence.kind.value,
        "sections": list(occurrence.sections),
        "dueBusinessDays": occurrence.due_business_days,
        "termsVersion": occurrence.terms_version,
        "status": occurrence.status.value,
        "dueAt": occurrence.due_at,
        "createdAt": occurrence.created_at,
        "revision": occurrence.revision,
        "period": occurrence.period,
        "requestedAt": occurrence.requested_at,
        "requestedBy": None if requested_by is None else actor_to_bson(requested_by),
        "requestNote": occurrence.request_note,
        "fulfilledAt": occurrence.fulfilled_at,
        "fulfilledBy": None if fulfilled_by is None else actor_to_bson(fulfilled_by),
        "note": occurrence.note,
        "evidenceDocumentId": optional_id(occurrence.evidence_document_id),
    }


def from_bson(doc: Mapping[str, Any]) -> Occurrence:
    requested_by, fulfilled_by = doc.get("requestedBy"), doc.get("fulfilledBy")
    return Occurrence(
        id=str(doc["_id"]),
        sow_id=str(doc["sowId"]),
        client_id=str(doc["clientId"]),
        key=doc["key"],
        title=doc["title"],
        kind=ObligationKind(doc["kind"]),
        sections=tuple(doc["sections"]),
        due_business_days=doc["dueBusinessDays"],
        terms_version=doc["termsVersion"],
        status=OccurrenceStatus(doc["status"]),
        due_at=doc["dueAt"],
        created_at=doc["createdAt"],
        revision=doc["revision"],
        period=doc.get("period"),
        requested_at=doc.get("requestedAt"),
        requested_by=None if requested_by is None else actor_from_bson(requested_by),
        request_note=doc.get("requestNote"),
        fulfilled_at=doc.get("fulfilledAt"),
        fulfilled_by=None if fulfilled_by is None else actor_from_bson(fulfilled_by),
        note=doc.get("note"),
        evidence_document_id=optional_str(doc.get("evidenceDocumentId")),
    )


# Events of an occurrence are on its SOW: its client and compliance see them.
MAPPER: Mapper[Occurrence] = Mapper(EntityType.SOW, lambda db: db.db.occurrences, to_bson)


@dataclass(frozen=True, slots=True)
class OccurrenceQuery:
    """One SOW's occurrences, or (None) every SOW's in scope; of one status, or all."""

    sow_id: str | None = None
    status: OccurrenceStatus | None = None

    def filter(self, scope: Scope) -> Document:
        query: Document = {}
        if self.sow_id is not None:
            query["sowId"] = object_id(self.sow_id, "Sow")
        if self.status is not None:
            query["status"] = self.status.value
        return scopes.both(query, scopes.documents(scope, EntityType.SOW))


@dataclass(frozen=True, slots=True)
class SowList:
    """One SOW's occurrences (of one status, or all) in a viewer's scope: what
    `Sow.occurrences` lists for each SOW of a page."""

    scope: Scope
    sow_id: str
    status: OccurrenceStatus | None = None


@dataclass(frozen=True, slots=True)
class SowPage:
    """A page of a `SowList`. A cursor that is not one of this list is refused when the key
    is made, not in a batch with other SOWs' pages."""

    listing: SowList
    window: Window

    def __post_init__(self) -> None:
        ORDER.range({}, self.window)


class OccurrenceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, id: str, scope: Scope) -> Occurrence | None:
        query = scopes.both({"_id": object_id(id, KIND)}, scopes.documents(scope, EntityType.SOW))
        doc = await self._db.db.occurrences.find_one(query)
        return None if doc is None else from_bson(doc)

    async def get_many(self, ids: list[str], scope: Scope) -> dict[str, Occurrence]:
        wanted = {"_id": {"$in": [object_id(i, KIND) for i in ids]}}
        query = scopes.both(wanted, scopes.documents(scope, EntityType.SOW))
        return {
            str(doc["_id"]): from_bson(doc) async for doc in self._db.db.occurrences.find(query)
        }

    async def page(self, scope: Scope, where: OccurrenceQuery, window: Window) -> Page[Occurrence]:
        collection = self._db.db.occurrences
        return await fetch_page(collection, ORDER, where.filter(scope), window, from_bson)

    async def count(self, scope: Scope, where: OccurrenceQuery) -> int:
        return await self._db.db.occurrences.count_documents(where.filter(scope))

    async def sow_pages(self, keys: list[SowPage]) -> dict[SowPage, Page[Occurrence]]:
        """The pages of many SOWs, one aggregation per distinct (scope, status, window),
        which a page of SOWs asking the same of each makes one: each SOW's `size + 1`
        matching occurrences nearest the window's start (`$topN`, MongoDB 5.2+), as `page`
        reads them for one SOW; with cursors, one more per cursor tells which SOWs have
        occurrences beyond it (the page flags). The group reads every matching occurrence of
        the listed SOWs to keep the nearest (a SOW has tens a year), where one `find` per SOW
        would read only a page."""
        groups: dict[tuple[Scope, OccurrenceStatus | None, Window], list[SowPage]] = {}
        for key in keys:
            group = (key.listing.scope, key.listing.status, key.window)
            groups.setdefault(group, []).append(key)
        found: dict[SowPage, Page[Occurrence]] = {}
        for (scope, status, window), group_keys in groups.items():
            sort = {"_id": ORDER.sort(window.backward)}
            nearest = {"$topN": {"n": window.size + 1, "sortBy": sort, "output": "$$ROOT"}}
            lists = [key.listing for key in group_keys]
            docs = await self._per_sow(scope, status, ORDER.range({}, window), lists, nearest)
            preceding, following = [
                {} if side is None else await self._per_sow(scope, status, side, lists, _ANY)
                for side in ORDER.outside(window)
            ]
            for key in group_keys:
                sow_id = key.listing.sow_id
                found[key] = page_of(
                    ORDER,
                    docs.get(sow_id, []),
                    window,
                    from_bson,
                    sow_id in preceding,
                    sow_id in following,
                )
        return found

    async def sow_counts(self, keys: list[SowList]) -> dict[SowList, int]:
        """`count` of many SOWs, one aggregation per distinct (scope, status)."""
        groups: dict[tuple[Scope, OccurrenceStatus | None], list[SowList]] = {}
        for key in keys:
            groups.setdefault((key.scope, key.status), []).append(key)
        found: dict[SowList, int] = {}
        for (scope, status), lists in groups.items():
            counts = await self._per_sow(scope, status, {}, lists, {"$sum": 1})
            found.update({key: counts.get(key.sow_id, 0) for key in lists})
        return found

    async def _per_sow(
        self,
        scope: Scope,
        status: OccurrenceStatus | None,
        narrowed: Document,
        lists: list[SowList],
        accumulator: Document,
    ) -> dict[str, Any]:
        """`accumulator` over each listed SOW's occurrences in `scope` (of `status`, matching
        `narrowed`), by SOW id; a SOW with none is left out."""
        match = scopes.both(OccurrenceQuery(None, status).filter(scope), narrowed)
        sow_ids = {"sowId": {"$in": [object_id(key.sow_id, "Sow") for key in lists]}}
        pipeline: list[Document] = [
            {"$match": scopes.both(match, sow_ids)},
            {"$group": {"_id": "$sowId", "value": accumulator}},
        ]
        cursor = await self._db.db.occurrences.aggregate(pipeline)
        return {str(row["_id"]): row["value"] async for row in cursor}

    async def opened_periods(self, sow_id: str) -> frozenset[tuple[str, str]]:
        """The (key, period) of every recurring occurrence of the SOW."""
        query = {"sowId": ObjectId(sow_id), "period": {"$type": "string"}}
        cursor = self._db.db.occurrences.find(query, {"key": 1, "period": 1, "_id": 0})
        return frozenset([(doc["key"], doc["period"]) async for doc in cursor])

    async def due_for_overdue(
        self, now: datetime, after: str | None, limit: int
    ) -> list[Occurrence]:
        """OPEN occurrences whose deadline has passed, in id order after the id `after`
        (one batch of the scheduler)."""
        query: Document = {"status": OccurrenceStatus.OPEN.value, "dueAt": {"$lt": now}}
        if after is not None:
            query["_id"] = {"$gt": ObjectId(after)}
        cursor = self._db.db.occurrences.find(query).sort("_id", 1).limit(limit)
        return [from_bson(doc) async for doc in cursor]

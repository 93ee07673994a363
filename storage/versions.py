"""Immutable terms versions of SOWs and CSAs (collection `versions`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne

from domain.events import EntityType
from domain.versioning import TermsVersion, VersionState
from storage.codec import actor_from_bson, actor_to_bson, terms_from_bson, terms_to_bson
from storage.database import Database


def to_bson(entity: EntityType, entity_id: str, version: TermsVersion) -> dict[str, Any]:
    return {
        "entityType": entity.value,
        "entityId": ObjectId(entity_id),
        "number": version.number,
        "terms": terms_to_bson(version.terms),
        "hash": version.hash,
        "author": actor_to_bson(version.author),
        "at": version.at,
        "changeSummary": version.change_summary,
        "state": version.state.value,
    }


def from_bson(doc: Mapping[str, Any]) -> TermsVersion:
    return TermsVersion(
        number=doc["number"],
        terms=terms_from_bson(doc["terms"]),
        hash=doc["hash"],
        author=actor_from_bson(doc["author"]),
        at=doc["at"],
        change_summary=doc.get("changeSummary"),
        state=VersionState(doc["state"]),
    )


def upsert(entity: EntityType, entity_id: str, version: TermsVersion) -> UpdateOne:
    """The write of a version: inserted if new; for one that exists, only its state moves
    (a proposal's outcome)."""
    doc = to_bson(entity, entity_id, version)
    state = doc.pop("state")
    return UpdateOne(
        {"entityId": doc["entityId"], "number": version.number},
        {"$setOnInsert": doc, "$set": {"state": state}},
        upsert=True,
    )


class VersionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_for(self, entity_id: str) -> list[TermsVersion]:
        cursor = self._db.db.versions.find({"entityId": ObjectId(entity_id)})
        return [from_bson(doc) async for doc in cursor.sort("number", 1)]

    async def get(self, entity_id: str, number: int) -> TermsVersion | None:
        query = {"entityId": ObjectId(entity_id), "number": number}
        doc = await self._db.db.versions.find_one(query)
        return from_bson(doc) if doc else None

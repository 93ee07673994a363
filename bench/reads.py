"""The database work of each measured request, written directly against the driver.

The raw-driver baseline calls these functions in the benchmark's process; the plain
Starlette baseline calls them behind an endpoint. Each does the same reads (or writes) the
service does for the GraphQL request it is compared with, so the difference is the
service's own cost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
Db = AsyncDatabase[Document]


async def csa_by_id(db: Db, id: str) -> Document | None:
    return await db.csas.find_one({"_id": ObjectId(id)})


async def agent_csa_page(db: Db, agent_id: str) -> Document:
    """An agent's newest 50 CSAs and the agent (a CSA carries its program and dates)."""
    cursor = db.csas.find({"agentId": ObjectId(agent_id)}).sort("_id", -1).limit(51)
    csas = [doc async for doc in cursor]
    agent = await db.agents.find_one({"_id": ObjectId(agent_id)})
    return {"csas": csas[:50], "agent": agent}


async def sow_page(db: Db) -> Document:
    """The newest 50 SOWs, their clients, and their contracted (EXECUTED, ACTIVE) CSAs counted."""
    sows = [doc async for doc in db.sows.find({}).sort("_id", -1).limit(51)]
    ids = [doc["_id"] for doc in sows]
    client_ids = list({doc["clientId"] for doc in sows})
    clients = [doc async for doc in db.clients.find({"_id": {"$in": client_ids}})]
    staffing = [
        doc
        async for doc in await db.csas.aggregate(
            [
                {"$match": {"sowId": {"$in": ids}, "status": {"$in": ["EXECUTED", "ACTIVE"]}}},
                {"$group": {"_id": {"sow": "$sowId", "status": "$status"}, "n": {"$sum": 1}}},
            ]
        )
    ]
    return {"sows": sows[:50], "clients": clients, "staffing": staffing}


async def start_review(client: AsyncMongoClient[Document], db: Db, id: str) -> None:
    """SUBMITTED → UNDER_REVIEW with its version check and its event, in one transaction."""
    now = datetime.now(UTC)
    async with client.start_session() as session, await session.start_transaction():
        sow = await db.sows.find_one({"_id": ObjectId(id)}, session=session)
        if sow is None or sow["status"] != "SUBMITTED" or sow["version"] != 1:
            raise RuntimeError(f"SOW {id} is not a submitted first version")
        await db.sows.update_one(
            {"_id": sow["_id"], "revision": sow["revision"]},
            {"$set": {"status": "UNDER_REVIEW", "updatedAt": now}, "$inc": {"revision": 1}},
            session=session,
        )
        counter = await db.counters.find_one_and_update(
            {"_id": "events"},
            {"$inc": {"seq": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None
        await db.events.insert_one(
            {
                "seq": counter["seq"],
                "type": "REVIEW_STARTED",
                "entityType": "SOW",
                "entityId": sow["_id"],
                "fromStatus": "SUBMITTED",
                "toStatus": "UNDER_REVIEW",
                "version": 1,
                "actor": {"id": "bench", "role": "compliance"},
                "at": now,
                "clientId": sow["clientId"],
            },
            session=session,
        )

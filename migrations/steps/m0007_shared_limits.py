"""The collections of the limits shared by the processes: request budgets and leases."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from storage.database import Document

INDEXES: dict[str, list[IndexModel]] = {
    "rate_limits": [
        # A bucket past its `tat` is full again: the same as no document.
        IndexModel([("tat", ASCENDING)], name="rate_limit_refilled_ttl", expireAfterSeconds=0),
    ],
    "leases": [
        # A subject's live leases of one kind: counted on every new connection and subscription.
        IndexModel(
            [("subject", ASCENDING), ("kind", ASCENDING), ("expires", ASCENDING)],
            name="lease_subject_kind_expires",
        ),
        # Leases of a process that died, gone once they expire.
        IndexModel([("expires", ASCENDING)], name="lease_expired_ttl", expireAfterSeconds=0),
    ],
}


async def up(db: AsyncDatabase[Document]) -> None:
    for name, indexes in INDEXES.items():
        await db[name].create_indexes(indexes)


async def down(db: AsyncDatabase[Document]) -> None:
    for name in INDEXES:
        await db[name].drop()

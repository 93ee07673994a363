"""Leases count while their process renews one document of its own (`lease_processes`),
not each lease: on the embedded engine, renewing 10,000 leases one by one took a minute.
A lease is counted by subject, kind and owner, and removed by owner; the per-lease expiry
of step 7 and its TTL go, with the leases of that form (they describe processes that ran
before this step, not data)."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.steps import m0007_shared_limits as before
from storage.database import Document

LEASES = [
    # A subject's leases of one kind, of the processes alive: counted on every new
    # connection and subscription.
    IndexModel(
        [("subject", ASCENDING), ("kind", ASCENDING), ("owner", ASCENDING)],
        name="lease_subject_kind_owner",
    ),
    # The leases of a process that stopped renewing, removed together.
    IndexModel([("owner", ASCENDING)], name="lease_owner"),
]
PROCESSES = [IndexModel([("expires", ASCENDING)], name="lease_process_expires")]


async def up(db: AsyncDatabase[Document]) -> None:
    await db.leases.delete_many({"expires": {"$exists": True}})
    for index in before.INDEXES["leases"]:
        await db.leases.drop_index(index.document["name"])
    await db.leases.create_indexes(LEASES)
    await db.lease_processes.create_indexes(PROCESSES)


async def down(db: AsyncDatabase[Document]) -> None:
    await db.lease_processes.drop()
    # Leases without a per-lease expiry would never expire under step 7's rule.
    await db.leases.delete_many({})
    for index in LEASES:
        await db.leases.drop_index(index.document["name"])
    await db.leases.create_indexes(before.INDEXES["leases"])

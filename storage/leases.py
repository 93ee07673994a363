"""What each token subject holds open across every process (collection `leases`): one
document per WebSocket connection or subscription, naming the process that holds it and the
place it takes among its subject's (`slot`: 0 to the cap, each held once).

A lease counts while its process is alive: each process renews one document of its own in
`lease_processes` (`expires`), never its leases one by one, which on the embedded engine
cost about 6 ms each (a process with 10,000 subscriptions would spend a minute renewing
every ten seconds). A process that dies stops renewing: its leases stop counting once its
document expires, and the next renewal of any process removes them.
"""

from __future__ import annotations

import enum
import math
import random
import uuid
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from storage.database import Database

COLLECTION = "leases"
PROCESSES = "lease_processes"
# How long a process's leases count without its renewing them; it renews far more often.
LEASE_SECONDS = 30.0
# The wait a refused taker is told (`CONCURRENCY_LIMITED`'s `retryAfter`). A place comes
# back when its holder ends it, which only the caller can know, or when the process holding
# it dies, which takes up to LEASE_SECONDS to show: after that long no dead holder is
# counted, so a retry then is refused only for places really in use.
RETRY_AFTER_SECONDS = math.ceil(LEASE_SECONDS)


class Held(enum.StrEnum):
    CONNECTION = "connection"
    SUBSCRIPTION = "subscription"


class Leases:
    """The leases of this process (`owner`: which process holds one, for operators)."""

    def __init__(self, db: Database) -> None:
        self.collection = db.db[COLLECTION]
        self.processes = db.db[PROCESSES]
        self.owner = uuid.uuid4().hex
        self._alive_until: datetime | None = None

    async def take(self, subject: str, kind: Held, cap: int, now: datetime) -> str | None:
        """A new lease of `kind` for `subject` (its id), or None when `cap` are held already.

        The lease holds one of `cap` numbered places, each given once by the database (a
        unique index): of takers racing for the last places, each place goes to one of
        them, so the cap is filled, never exceeded. A place whose process died is taken
        over. Each taker tries the free places in an order of its own: racers starting
        together mostly claim different places at the first try."""
        if self._alive_until is None or self._alive_until <= now:
            await self._beat(now)
        alive = {doc["_id"] async for doc in self.processes.find({"expires": {"$gt": now}})}
        mine = {"subject": subject, "kind": kind.value}
        held = {
            doc["slot"]: doc["owner"]
            async for doc in self.collection.find(
                {**mine, "slot": {"$lt": cap}}, {"slot": True, "owner": True}
            )
        }
        free = [slot for slot in range(cap) if held.get(slot) not in alive]
        lease = uuid.uuid4().hex
        for slot in random.sample(free, len(free)):
            if (owner := held.get(slot)) is not None:
                await self.collection.delete_one({**mine, "slot": slot, "owner": owner})
            try:
                await self.collection.insert_one(
                    {"_id": lease, **mine, "slot": slot, "owner": self.owner}
                )
            except DuplicateKeyError:
                continue  # another taker claimed it first
            return lease
        return None

    async def release(self, lease: str) -> None:
        await self.collection.delete_one({"_id": lease})

    async def renew(self, now: datetime) -> None:
        """Every lease this process holds counts for another LEASE_SECONDS; the leases of
        processes that stopped renewing are removed. Nothing for a process that never took
        one."""
        if self._alive_until is None:
            return
        await self._beat(now)

    async def _beat(self, now: datetime) -> None:
        expires = now + timedelta(seconds=LEASE_SECONDS)
        await self.processes.update_one(
            {"_id": self.owner}, {"$set": {"expires": expires}}, upsert=True
        )
        self._alive_until = expires
        dead = [doc["_id"] async for doc in self.processes.find({"expires": {"$lte": now}})]
        if dead:
            await self.collection.delete_many({"owner": {"$in": dead}})
            await self.processes.delete_many({"_id": {"$in": dead}})

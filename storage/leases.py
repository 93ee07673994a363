"""What each token subject holds open across every process (collection `leases`): one
document per WebSocket connection or subscription, renewed by the process holding it.

A process that dies stops renewing: its leases stop counting once they expire (`expires`,
with a TTL index that also removes them), so a killed process cannot hold a subject's cap.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta

from storage.database import Database

COLLECTION = "leases"
# How long a lease counts without being renewed; its process renews it far more often.
LEASE_SECONDS = 30.0


class Held(enum.StrEnum):
    CONNECTION = "connection"
    SUBSCRIPTION = "subscription"


class Leases:
    """The leases of this process (`owner`: which process holds one, for operators)."""

    def __init__(self, db: Database) -> None:
        self.collection = db.db[COLLECTION]
        self.owner = uuid.uuid4().hex
        # What this process holds: only these are renewed, so a lease whose release failed
        # (the database unreachable then) still expires.
        self._held: set[str] = set()

    async def take(self, subject: str, kind: Held, cap: int, now: datetime) -> str | None:
        """A new lease of `kind` for `subject` (its id), or None when `cap` are held already.

        Taken first and counted after: two racing for the last place may both be refused,
        never both admitted."""
        lease = uuid.uuid4().hex
        await self.collection.insert_one(
            {
                "_id": lease,
                "subject": subject,
                "kind": kind.value,
                "owner": self.owner,
                "expires": now + timedelta(seconds=LEASE_SECONDS),
            }
        )
        held = await self.collection.count_documents(
            {"subject": subject, "kind": kind.value, "expires": {"$gt": now}}
        )
        if held > cap:
            await self.collection.delete_one({"_id": lease})
            return None
        self._held.add(lease)
        return lease

    async def release(self, lease: str) -> None:
        self._held.discard(lease)
        await self.collection.delete_one({"_id": lease})

    async def renew(self, now: datetime) -> None:
        """Every lease this process holds counts for another LEASE_SECONDS."""
        if self._held:
            await self.collection.update_many(
                {"_id": {"$in": list(self._held)}},
                {"$set": {"expires": now + timedelta(seconds=LEASE_SECONDS)}},
            )

"""The migration lock: one runner at a time across every process sharing the database.

The lock is one document (`migration_lock`, `_id` "migrations") holding its owner and an
expiry. It is taken in a single atomic upsert whose filter only matches an expired lock:
when no lock exists the upsert inserts it, when an expired one exists it is taken over,
and when a live one exists the insert collides on `_id` (`DuplicateKeyError`) and the
caller waits. A runner that dies leaves a lock that simply expires.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from storage.database import Document

COLLECTION = "migration_lock"
LOCK_ID = "migrations"


class LockError(Exception):
    """The lock could not be taken in time, or was lost while held."""


def new_owner() -> str:
    """Unique per runner, and says where it runs (seen in the lock document)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class MigrationLock:
    """Held for a whole run; `renew` pushes the expiry back between steps."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        *,
        owner: str | None = None,
        ttl: timedelta = timedelta(minutes=10),
        wait: timedelta = timedelta(minutes=2),
        poll_seconds: float = 0.1,
    ) -> None:
        self._locks = db[COLLECTION]
        self.owner = owner or new_owner()
        self._ttl = ttl
        self._wait = wait
        self._poll = poll_seconds

    async def try_acquire(self) -> bool:
        now = datetime.now(UTC)
        try:
            await self._locks.find_one_and_update(
                {"_id": LOCK_ID, "expiresAt": {"$lte": now}},
                {"$set": {"owner": self.owner, "acquiredAt": now, "expiresAt": now + self._ttl}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    async def renew(self) -> None:
        result = await self._locks.update_one(
            {"_id": LOCK_ID, "owner": self.owner},
            {"$set": {"expiresAt": datetime.now(UTC) + self._ttl}},
        )
        if result.matched_count != 1:
            raise LockError(f"migration lock lost by {self.owner}: it expired and was taken")

    async def release(self) -> None:
        await self._locks.delete_one({"_id": LOCK_ID, "owner": self.owner})

    async def _holder(self) -> str:
        lock = await self._locks.find_one({"_id": LOCK_ID})
        if lock is None:
            return "another runner"
        return f"{lock['owner']} until {lock['expiresAt']:%Y-%m-%d %H:%M:%S}Z"

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Wait for the lock (up to `wait`), hold it for the block, release it after."""
        deadline = asyncio.get_running_loop().time() + self._wait.total_seconds()
        while not await self.try_acquire():
            if asyncio.get_running_loop().time() >= deadline:
                raise LockError(f"migration lock held by {await self._holder()}")
            await asyncio.sleep(self._poll)
        try:
            yield
        finally:
            await self.release()

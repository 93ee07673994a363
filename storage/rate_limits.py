"""Request budgets shared by every process of the service (collection `rate_limits`).

One token bucket per key, kept as its theoretical arrival time (GCRA): the bucket is full
once `tat` has passed, each request pushes it one `interval` later, and a request is
admitted while `tat` stays within `burst` of now. The document expires with its `tat` (a
TTL index): a bucket that has refilled is the same as none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from storage.database import Database

COLLECTION = "rate_limits"


class RateBudgets:
    def __init__(self, db: Database) -> None:
        self.collection = db.db[COLLECTION]

    async def take(
        self,
        key: str,
        now: datetime,
        pushed: int,
        want: bool,
        interval: timedelta,
        burst: timedelta,
    ) -> tuple[datetime, bool]:
        """Adds `pushed` requests already admitted, and one more if `want` and it fits, in
        one atomic update: the bucket's `tat` after, and whether the one more was taken."""
        step = _ms(interval)
        base = {"$add": [{"$max": [{"$ifNull": ["$tat", now]}, now]}, pushed * step]}
        fits = {"$lte": [{"$subtract": [{"$add": ["$base", step]}, now]}, _ms(burst)]}
        pipeline: list[dict[str, Any]] = [
            {"$set": {"base": base}},
            {"$set": {"taken": {"$and": [want, fits]}}},
            {"$set": {"tat": {"$cond": ["$taken", {"$add": ["$base", step]}, "$base"]}}},
            {"$unset": "base"},
        ]
        for _ in range(2):
            try:
                bucket = await self.collection.find_one_and_update(
                    {"_id": key}, pipeline, upsert=True, return_document=ReturnDocument.AFTER
                )
            except DuplicateKeyError:
                continue  # a concurrent first request of this key created it: update that
            if bucket is None:
                # SecantusDB may answer an upsert racing another on a new key with no
                # document; the update was applied, its outcome is read back.
                bucket = await self.collection.find_one({"_id": key}) or {"tat": now}
                return bucket["tat"], want
            return bucket["tat"], bool(bucket["taken"])
        raise RuntimeError(f"rate budget {key} could not be updated")


def _ms(span: timedelta) -> int:
    # Date arithmetic in the database is in whole milliseconds.
    return max(1, round(span / timedelta(milliseconds=1)))

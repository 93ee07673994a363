"""Per-caller request budgets, shared by every process of the service.

One token bucket per token subject (or client address), kept in the database
(`storage.rate_limits`) so that `WORKERS > 1` or several replicas cannot multiply it. Asking
the database on every request would cost a round trip each, so a process decides alone
while it knows the bucket to be far from empty:

- a bucket seen within `sync_seconds` and at most a quarter spent (by what the process last
  read plus what it admitted since) admits locally; what it admitted is pushed to the
  database by the next request that asks it, or by `flush` (run every `sync_seconds`);
- otherwise (a caller not seen lately, or a bucket a quarter spent) the request asks the
  database, which pushes what was admitted locally and decides on this one atomically.

So the budget is exact once a quarter of it is spent, and below that each process may admit
what it sees as the first quarter for up to `sync_seconds` before the others learn of it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.errors import PyMongoError

from storage.rate_limits import RateBudgets

log = logging.getLogger("contracts")

# Beyond this many callers, those whose buckets have refilled and hold nothing to push are
# forgotten: the database knows them, and a full bucket is what a new caller gets anyway.
MAX_TRACKED = 100_000
SYNC_SECONDS = 1.0
# The part of a bucket a process may spend alone, between its reads of the database.
LOCAL_SHARE = 0.25


def rate_key(subject: str) -> str:
    """A token subject's budget: one for its HTTP requests, its WebSocket connections and
    their operations."""
    return f"sub:{subject}"


def exceeded(wait: int) -> str:
    """The message of every RATE_LIMITED refusal, whichever transport."""
    return f"rate limit exceeded: retry after {wait} seconds"


@dataclass(slots=True)
class _Bucket:
    tat: float = 0.0  # when the bucket is full again (epoch seconds), as this process knows
    pending: int = 0  # admitted here, not pushed to the database yet
    synced: float = -math.inf
    asking: asyncio.Future[None] | None = None  # a request of this key asking the database


class RateLimiter:
    """Allows `per_minute` requests per key, refilled continuously, bursts up to the same."""

    def __init__(
        self,
        per_minute: int,
        budgets: RateBudgets,
        clock: Callable[[], float] = time.time,
        sync_seconds: float = SYNC_SECONDS,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be positive")
        self.interval = 60.0 / per_minute
        self.burst = 60.0
        self.budgets = budgets
        self.clock = clock
        self.sync_seconds = sync_seconds
        self._buckets: dict[str, _Bucket] = {}

    async def acquire(self, key: str) -> int:
        """Takes one request from `key`'s budget: 0 if allowed, else seconds to wait."""
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle()
            bucket = self._buckets[key] = _Bucket()
        while bucket.asking is not None:
            # One question per key at a time; the others decide on its answer.
            await asyncio.shield(bucket.asking)
        now = self.clock()
        if self._local(bucket, now):
            bucket.tat = max(bucket.tat, now) + self.interval
            bucket.pending += 1
            return 0
        return await self._ask(key, bucket, now, want=True)

    async def flush(self) -> None:
        """Pushes what was admitted locally, so the other processes see it."""
        for key, bucket in list(self._buckets.items()):
            if bucket.pending and bucket.asking is None:
                await self._ask(key, bucket, self.clock(), want=False)

    def _local(self, bucket: _Bucket, now: float) -> bool:
        spent = max(bucket.tat, now) + self.interval - now
        return now - bucket.synced < self.sync_seconds and spent <= LOCAL_SHARE * self.burst

    async def _ask(self, key: str, bucket: _Bucket, now: float, *, want: bool) -> int:
        asking = bucket.asking = asyncio.get_running_loop().create_future()
        pushed, bucket.pending = bucket.pending, 0
        try:
            tat, taken = await self.budgets.take(
                key,
                datetime.fromtimestamp(now, UTC),
                pushed,
                want,
                timedelta(seconds=self.interval),
                timedelta(seconds=self.burst),
            )
        except PyMongoError as error:
            # Open rather than closed: the request meets the database's trouble itself.
            log.warning("rate limit of %s not shared: %r", key, error)
            bucket.pending += pushed
            return 0
        finally:
            bucket.asking = None
            asking.set_result(None)
        bucket.tat, bucket.synced = tat.timestamp(), now
        if taken or not want:
            return 0
        return max(1, math.ceil(max(bucket.tat, now) + self.interval - now - self.burst))

    def _forget_idle(self) -> None:
        if len(self._buckets) < MAX_TRACKED:
            return
        now = self.clock()
        for key, bucket in list(self._buckets.items()):
            if bucket.tat <= now and not bucket.pending and bucket.asking is None:
                del self._buckets[key]

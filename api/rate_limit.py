"""Per-caller request budgets: an in-process token bucket per token subject or client IP.

One process only: with several workers or replicas each keeps its own buckets, so put a
shared limiter (the gateway's, or one backed by Redis) in front at scale.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# Beyond this many callers, buckets that have refilled completely are forgotten: a full
# bucket is what a new caller gets anyway, so nothing is lost but memory.
MAX_TRACKED = 100_000


def rate_key(subject: str) -> str:
    """A token subject's budget: one for its HTTP requests and its WebSocket operations."""
    return f"sub:{subject}"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows `per_minute` requests per key, refilled continuously, bursts up to the same."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be positive")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, key: str) -> int:
        """Takes one request from `key`'s budget: 0 if allowed, else seconds to wait."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def _forget_idle(self, now: float) -> None:
        if len(self._buckets) < MAX_TRACKED:
            return
        refill = self.capacity / self.rate
        for key, bucket in list(self._buckets.items()):
            if now - bucket.updated >= refill:
                del self._buckets[key]

"""Every event committed by any process, read once per process and handed to the hub.

Two readers: a MongoDB change stream where the server has one (a replica set), and a
tailing reader of the `events` collection where it has not (the embedded server).
`open_feed` tries the change stream once at start-up and falls back to tailing.

The tailing reader cannot trust `seq` order to be commit order: a transaction holding
seq N may commit after one holding N+1. It keeps a low-water mark (every seq at or
below it delivered or given up) and reads everything above it on each poll, delivering
each seq exactly once. A gap is waited for up to `gap_seconds`, then given up (an
aborted transaction gives its counter increment back, so the seq is reused or never
appears); a given-up seq is still looked for for a while and delivered if it turns up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from pymongo.errors import OperationFailure, PyMongoError

from domain.events import Event
from storage.database import Database, Document
from storage.events import from_bson

log = logging.getLogger("contracts.events")
# Marks the feed's own reads: operators can tell them from request work in server logs,
# and the tests that count commands per request leave them out.
COMMENT = "contracts:event-feed"

Publish = Callable[[Event], None]
# How long a given-up seq is still looked for (a very late commit, or a reused number).
GIVEN_UP_RETENTION_SECONDS = 300.0
RETRY_SECONDS = 1.0
PIPELINE: list[Document] = [{"$match": {"operationType": "insert"}}]
# A change stream's wait per round trip: how soon it notices a shutdown.
AWAIT_MS = 1000


class Feed(Protocol):
    """A reader of the event log, running until `stopping` is set.

    It stops between database operations, not by cancellation: a driver operation cancelled
    midway can leave its connection unclosed.
    """

    name: str

    async def run(self, publish: Publish, stopping: asyncio.Event) -> None: ...


async def pause(seconds: float, *until: asyncio.Event) -> None:
    """Sleep `seconds`, or less when one of `until` is set (stopping, woken)."""
    waits = [asyncio.ensure_future(event.wait()) for event in until]
    await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for wait in waits:
        wait.cancel()


class TailingFeed:
    """Polls the log above its low-water mark; see the module docstring."""

    name = "tailing"

    def __init__(
        self,
        db: Database,
        *,
        poll_seconds: float,
        gap_seconds: float,
        start_after: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._poll = poll_seconds
        self._gap = gap_seconds
        self._now = monotonic
        self.low_water = start_after
        self._seen: set[int] = set()  # delivered seqs above the low-water mark
        self._gap_since: float | None = None
        self._given_up: dict[int, float] = {}
        self._woken = asyncio.Event()

    async def run(self, publish: Publish, stopping: asyncio.Event) -> None:
        # A commit of this process polls at once: its own writes reach its subscribers
        # without waiting out the interval; other processes' within `poll_seconds`.
        forget = self._db.on_commit(self._woken.set)
        try:
            while not stopping.is_set():
                self._woken.clear()
                try:
                    await self.poll(publish)
                except PyMongoError as exc:
                    log.warning("event tailing failed, retrying: %s", exc)
                    await pause(RETRY_SECONDS, stopping)
                await pause(self._poll, stopping, self._woken)
        finally:
            forget()

    async def poll(self, publish: Publish) -> None:
        """Deliver what became visible since the last poll, then move the low-water mark."""
        for doc in await self._read():
            seq: int = doc["seq"]
            if seq > self.low_water:
                if seq in self._seen:
                    continue
                self._seen.add(seq)
            elif self._given_up.pop(seq, None) is None:
                continue
            publish(from_bson(doc))
        self._advance()

    async def _read(self) -> list[Document]:
        now = self._now()
        for seq, since in list(self._given_up.items()):
            if now - since > GIVEN_UP_RETENTION_SECONDS:
                del self._given_up[seq]
        query: Document = {"seq": {"$gt": self.low_water}}
        if self._given_up:
            query = {"$or": [query, {"seq": {"$in": list(self._given_up)}}]}
        cursor = self._db.db.events.find(query, comment=COMMENT).sort("seq", 1)
        return [doc async for doc in cursor]

    def _advance(self) -> None:
        moved = False
        while self._seen:
            following = self.low_water + 1
            if following in self._seen:
                self._seen.remove(following)
                self.low_water = following
                moved = True
                continue
            now = self._now()
            if moved or self._gap_since is None:
                # A new gap: its own full wait.
                self._gap_since, moved = now, False
            if now - self._gap_since < self._gap:
                return
            log.warning("event seq %d did not appear in %.1f s; moving on", following, self._gap)
            self._given_up[following] = now
            self.low_water = following
        self._gap_since = None


class ChangeStreamFeed:
    """Inserts into `events` in commit order, from a change stream; resumes after errors."""

    name = "change-stream"

    def __init__(self, db: Database) -> None:
        self._db = db
        self._resume: Any = None

    async def run(self, publish: Publish, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self._follow(publish, stopping)
            except PyMongoError as exc:
                log.warning("event change stream failed, resuming: %s", exc)
                await pause(RETRY_SECONDS, stopping)

    async def _follow(self, publish: Publish, stopping: asyncio.Event) -> None:
        async with await self._db.db.events.watch(
            PIPELINE, resume_after=self._resume, max_await_time_ms=AWAIT_MS, comment=COMMENT
        ) as stream:
            while not stopping.is_set():
                change = await stream.try_next()  # None after AWAIT_MS without an event
                self._resume = stream.resume_token
                if change is not None:
                    publish(from_bson(change["fullDocument"]))

    async def open(self) -> bool:
        """Whether the server has change streams (checked once, at start-up)."""
        try:
            stream = await self._db.db.events.watch(PIPELINE)
        except OperationFailure:
            return False
        self._resume = stream.resume_token
        await stream.close()
        return True


async def last_seq(db: Database) -> int:
    doc = await db.db.events.find_one({}, sort=[("seq", -1)], projection={"seq": 1})
    return int(doc["seq"]) if doc else 0


async def open_feed(
    db: Database, *, poll_seconds: float, gap_seconds: float, start_after: int
) -> Feed:
    """A change stream where the server supports one (from now on), else a tailing reader
    of the seqs after `start_after` (the log's end, `last_seq`)."""
    stream = ChangeStreamFeed(db)
    if await stream.open():
        return stream
    return TailingFeed(
        db, poll_seconds=poll_seconds, gap_seconds=gap_seconds, start_after=start_after
    )

"""The process's one reader of the event log: every event committed by any process, read
once per process and handed to the hub (`live.hub`).

The reader is a MongoDB change stream on `events` (every supported server has one: a MongoDB
replica set, or the embedded SecantusDB, itself a one-node replica set). Change streams
deliver inserts in commit order, so the cursors subscribers resume from never go backwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pymongo.errors import OperationFailure, PyMongoError

from domain.events import Event
from storage.database import Database, Document
from storage.events import from_bson

log = logging.getLogger("contracts.events")
# Marks the feed's own reads: operators can tell them from request work in server logs,
# and the tests that count commands per request leave them out.
COMMENT = "contracts:event-feed"

Publish = Callable[[Event], None]
RETRY_SECONDS = 1.0


def pipeline() -> list[Document]:
    """The change stream's stages: inserts only (events are never updated)."""
    return [{"$match": {"operationType": "insert"}}]


# A change stream's wait per round trip: how soon it notices a shutdown.
AWAIT_MS = 1000
# The server can no longer resume from the token (its history was pruned, or the collection
# was dropped and the stream invalidated): follow from now on.
CANNOT_RESUME = frozenset({260, 280, 286})


async def pause(seconds: float, *until: asyncio.Event) -> None:
    """Sleep `seconds`, or less when one of `until` is set (stopping, woken)."""
    waits = [asyncio.ensure_future(event.wait()) for event in until]
    await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for wait in waits:
        wait.cancel()


class ChangeStreamFeed:
    """Inserts into `events` in commit order, from a change stream; resumes after errors.

    It stops between database operations, not by cancellation: a driver operation cancelled
    midway can leave its connection unclosed.
    """

    name = "change-stream"

    def __init__(self, db: Database) -> None:
        self._db = db
        self._resume: Any = None

    async def open(self) -> None:
        """Take the position to follow from: the end of the log now."""
        async with await self._db.db.events.watch(pipeline(), comment=COMMENT) as stream:
            self._resume = stream.resume_token

    async def run(self, publish: Publish, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self._follow(publish, stopping)
            except OperationFailure as exc:
                if exc.code in CANNOT_RESUME:
                    log.error("event change stream cannot resume, following from now: %s", exc)
                    self._resume = None
                else:
                    log.warning("event change stream failed, resuming: %s", exc)
                await pause(RETRY_SECONDS, stopping)
            except PyMongoError as exc:
                log.warning("event change stream failed, resuming: %s", exc)
                await pause(RETRY_SECONDS, stopping)

    async def _follow(self, publish: Publish, stopping: asyncio.Event) -> None:
        async with await self._db.db.events.watch(
            pipeline(), resume_after=self._resume, max_await_time_ms=AWAIT_MS, comment=COMMENT
        ) as stream:
            while not stopping.is_set():
                change = await stream.try_next()  # None after AWAIT_MS without an event
                if change is None and not stream.alive:
                    # Closed by the server (the collection or database dropped): `try_next`
                    # would now return None at once, forever. Open a new stream after a pause.
                    log.warning("event change stream closed by the server; reopening")
                    self._resume = None
                    await pause(RETRY_SECONDS, stopping)
                    return
                self._resume = stream.resume_token
                if change is not None:
                    publish(from_bson(change["fullDocument"]))

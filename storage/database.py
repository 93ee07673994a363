"""The process's MongoDB connection and its transactions."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import InvalidOperation, OperationFailure, PyMongoError

Document = dict[str, Any]
WRITE_CONFLICT = 112
TRANSIENT = "TransientTransactionError"
UNKNOWN_COMMIT = "UnknownTransactionCommitResult"
# How long a transaction is retried after transient errors before the error reaches the caller;
# well inside MongoDB's 60 s transaction lifetime and a client's patience.
RETRY_SECONDS = 10.0
BACKOFF_FIRST_SECONDS = 0.002
BACKOFF_MAX_SECONDS = 0.1
CLOSE_SECONDS = 5.0


class RetryTransaction(Exception):
    """Raised by a transaction's work when its outcome cannot be trusted: the transaction is
    aborted and run again, like after a transient error."""


def is_write_conflict(exc: PyMongoError) -> bool:
    """A concurrent transaction touched the same document; the loser should re-read."""
    if isinstance(exc, OperationFailure) and exc.code == WRITE_CONFLICT:
        return True
    return exc.has_error_label(TRANSIENT)


class Database:
    """One `AsyncMongoClient` per process and the database the service uses.

    Operations run concurrently. A transaction that meets a transient error (a write conflict
    with a concurrent transaction, a lost primary) is run again with backoff for up to
    `RETRY_SECONDS`; `storage.writes` then re-reads when what it decided on has moved.
    """

    def __init__(self, uri: str, name: str, **options: Any) -> None:
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            uri, tz_aware=True, appname="contract-service", **options
        )
        self.db: AsyncDatabase[Document] = self.client[name]
        # Transactions that take from a counter every writer shares (the event sequence, the
        # yearly numbers) commit one at a time whatever else they do. Racing for it, the
        # losers of each round retry with backoff and no turn of their own, and on a loaded
        # machine one can lose until its deadline; in line here they conflict only with
        # other processes' writers.
        self._counter_turn = asyncio.Lock()

    async def close(self) -> None:
        """Close the connections; bounded, since with the server gone closing can wait on
        server selection. A client closed already is left as it is (closing it again fails
        when it still had cursors to kill)."""
        with suppress(TimeoutError, InvalidOperation):
            async with asyncio.timeout(CLOSE_SECONDS):
                await self.client.close()

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def in_transaction[T](
        self,
        work: Callable[[AsyncClientSession], Awaitable[T]],
        *,
        deadline: float | None = None,
        shared_counter: bool = False,
    ) -> T:
        """Run `work` in one multi-document transaction: all of its writes or none.

        `work` may run more than once (after a transient error), each time in a new
        transaction, until `deadline` (a `time.monotonic()` instant; by default
        `RETRY_SECONDS` from now); an error it raises itself aborts the transaction and
        reaches the caller. With `shared_counter` (`work` takes from a counter all writers
        share), the process's such transactions run one after the other.
        """
        if deadline is None:
            deadline = retry_deadline()
        if shared_counter:
            async with self._counter_turn:
                return await self._retried(work, deadline)
        return await self._retried(work, deadline)

    async def _retried[T](
        self, work: Callable[[AsyncClientSession], Awaitable[T]], deadline: float
    ) -> T:
        attempt = 0
        async with self.client.start_session() as session:
            while True:
                attempt += 1
                try:
                    return await self._attempt(session, work, deadline)
                except RetryTransaction:
                    if time.monotonic() >= deadline:
                        raise
                except PyMongoError as exc:
                    if not exc.has_error_label(TRANSIENT) or time.monotonic() >= deadline:
                        raise
                await asyncio.sleep(_backoff(attempt))

    async def _attempt[T](
        self,
        session: AsyncClientSession,
        work: Callable[[AsyncClientSession], Awaitable[T]],
        deadline: float,
    ) -> T:
        await session.start_transaction()
        try:
            result = await work(session)
        except BaseException:
            if session.in_transaction:
                await session.abort_transaction()
            raise
        attempt = 0
        while True:
            attempt += 1
            try:
                await session.commit_transaction()
                return result
            except PyMongoError as exc:
                # The commit may or may not have applied: committing again is safe (MongoDB
                # answers a repeated commit of the same transaction with its first outcome).
                if not exc.has_error_label(UNKNOWN_COMMIT) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(_backoff(attempt))


def retry_deadline() -> float:
    """The instant until which one request's transactions may be retried."""
    return time.monotonic() + RETRY_SECONDS


def _backoff(attempt: int) -> float:
    # Full jitter: racing writers that lost together do not retry together.
    return random.uniform(0, min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2**attempt))  # noqa: S311

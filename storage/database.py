"""The process's MongoDB connection, its transactions, and the embedded engine's limits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

Document = dict[str, Any]
WRITE_CONFLICT = 112


def is_write_conflict(exc: PyMongoError) -> bool:
    """A concurrent transaction touched the same document; the loser should re-read."""
    if isinstance(exc, OperationFailure) and exc.code == WRITE_CONFLICT:
        return True
    return exc.has_error_label("TransientTransactionError") or "Write conflict" in str(exc)


# `buildInfo.gitVersion` of the embedded server (the `mongoeco` package).
EMBEDDED_ENGINE = "mongoeco"


class Database:
    """One `AsyncMongoClient` per process and the database the service uses.

    On the embedded server (`mongoeco`, found by its `buildInfo`), every operation of this
    process is serialized: its SQLite engine refuses any other session's command while a
    transaction is open, and its in-memory engine, with a write beside an open transaction,
    reports a false conflict at commit and may keep or lose the wrong writes. MongoDB runs
    operations concurrently and reports real conflicts, which `storage.writes` retries.
    """

    def __init__(self, uri: str, name: str, **options: Any) -> None:
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            uri, tz_aware=True, appname="contract-service", **options
        )
        self.db: AsyncDatabase[Document] = self.client[name]
        self._gate = asyncio.Lock()
        self._exclusive: bool | None = None  # known once the server has answered

    async def _is_exclusive(self) -> bool:
        if self._exclusive is None:
            info = await self.client.admin.command("buildInfo")
            self._exclusive = info.get("gitVersion") == EMBEDDED_ENGINE
        return self._exclusive

    async def close(self) -> None:
        await self.client.close()

    async def ping(self) -> None:
        async with self.access():
            await self.client.admin.command("ping")

    @contextlib.asynccontextmanager
    async def access(self) -> AsyncIterator[None]:
        """Wrap every operation outside a transaction."""
        if not await self._is_exclusive():
            yield
            return
        async with self._gate:
            yield

    async def in_transaction[T](self, work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        """Run `work` in one multi-document transaction: all of its writes or none.

        A write conflict with a concurrent transaction is raised to the caller, which
        re-reads and decides again (see `storage.writes`), rather than blindly retried.
        """
        async with (
            self.access(),
            self.client.start_session() as session,
            await session.start_transaction(),
        ):
            return await work(session)

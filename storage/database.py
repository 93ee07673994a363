"""The process's MongoDB connection and its transactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


class Database:
    """One `AsyncMongoClient` per process and the database the service uses.

    Operations run concurrently; a transaction that loses a race gets a write conflict,
    which `storage.writes` answers by reading and deciding again. The embedded server
    serializes transactions itself (`storage.embedded.TransactionGate`).
    """

    def __init__(self, uri: str, name: str, **options: Any) -> None:
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            uri, tz_aware=True, appname="contract-service", **options
        )
        self.db: AsyncDatabase[Document] = self.client[name]
        self._commit_listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after each transaction this process commits; returns the call
        that removes it."""
        self._commit_listeners.append(listener)
        return lambda: self._commit_listeners.remove(listener)

    async def close(self) -> None:
        await self.client.close()

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def in_transaction[T](self, work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        """Run `work` in one multi-document transaction: all of its writes or none.

        A write conflict with a concurrent transaction is raised to the caller, which
        re-reads and decides again (see `storage.writes`), rather than blindly retried.
        """
        async with self.client.start_session() as session, await session.start_transaction():
            result = await work(session)
        for listener in self._commit_listeners:
            listener()
        return result

"""The embedded MongoDB-compatible server used when no MONGODB_URI is configured."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bson
import bson.errors
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire import AsyncMongoEcoProxyServer

DATA_FILE = "contracts.sqlite3"
# A transaction idle this long (its client gone) no longer holds the others back;
# MongoDB aborts one after 60 s (`transactionLifetimeLimitSeconds`).
ABANDONED_AFTER_SECONDS = 60.0

TRANSACTION_ENDS = frozenset({"commitTransaction", "abortTransaction"})
OP_MSG = 2013

type Dispatch = Callable[..., Awaitable[bytes | None]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    session: object  # the `lsid` id, None outside a session
    transactional: bool

    @staticmethod
    def of(op_code: int, payload: bytes) -> Command | None:
        """The command an OP_MSG carries, from its body section; None if not readable here
        (legacy handshakes, malformed messages: the server answers those itself)."""
        if op_code != OP_MSG:
            return None
        position = 4  # after the flag bits
        try:
            while position < len(payload):
                kind = payload[position]
                size = int.from_bytes(payload[position + 1 : position + 5], "little")
                if kind == 0:
                    body = bson.decode(payload[position + 1 : position + 1 + size])
                    session = body["lsid"]["id"] if "lsid" in body else None
                    transactional = session is not None and body.get("autocommit") is False
                    return Command(next(iter(body)), session, transactional)
                position += 1 + size
        except (bson.errors.BSONError, StopIteration, IndexError):
            return None
        return None


class TransactionGate:
    """Runs the server's transactions one at a time, as seen from every client.

    `mongoeco`'s engines do not isolate a transaction from other sessions' writes the way
    MongoDB does: the SQLite engine refuses other sessions' commands while a transaction is
    open, and the in-memory engine reports a false conflict at commit and may keep the
    loser's writes or drop the winner's. So while one session has a transaction open, every
    other session's commands wait, before the server reads them, until it commits or
    aborts; clients may then rely on what MongoDB promises (all of a transaction's writes or
    none, a commit never lost). A transaction idle for `abandoned_after` seconds (its client
    gone) stops holding the others back.
    """

    def __init__(self, abandoned_after: float = ABANDONED_AFTER_SECONDS) -> None:
        self._owner: object = None
        self._last_seen = 0.0
        self._changed = asyncio.Condition()
        self._abandoned_after = abandoned_after

    def wrap(self, dispatch: Dispatch) -> Dispatch:
        """`dispatch` (the server's handler of one wire message), behind the gate."""

        async def gated(header: Any, payload: bytes, **options: Any) -> bytes | None:
            command = Command.of(header.op_code, payload)
            if command is None:
                return await dispatch(header, payload, **options)
            await self._enter(command)
            try:
                return await dispatch(header, payload, **options)
            finally:
                if command.transactional and command.name in TRANSACTION_ENDS:
                    await self._leave(command.session)

        return gated

    async def _enter(self, command: Command) -> None:
        async with self._changed:
            while self._owner is not None and self._owner != command.session:
                if time.monotonic() - self._last_seen > self._abandoned_after:
                    self._owner = None
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._abandoned_after):
                        await self._changed.wait()
            if command.transactional:
                self._owner = command.session
            if self._owner is not None:
                self._last_seen = time.monotonic()

    async def _leave(self, session: object) -> None:
        async with self._changed:
            if self._owner == session:
                self._owner = None
                self._changed.notify_all()


class EmbeddedServer:
    """A `mongoeco` wire-protocol server on loopback.

    With a `data_dir`, data persist in a SQLite file there; without, they live in memory
    (the test suite's default server).
    """

    def __init__(
        self,
        data_dir: Path | None,
        port: int = 0,
        abandoned_after: float = ABANDONED_AFTER_SECONDS,
    ) -> None:
        self.data_dir = data_dir
        engine: Any = None
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            engine = SQLiteEngine(str(data_dir / DATA_FILE))
        self._server = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=port)
        # The one hook into the server: every wire message passes the gate first.
        server = self._server
        gate = TransactionGate(abandoned_after)
        server._dispatch_wire_request = gate.wrap(server._dispatch_wire_request)
        self.uri = ""

    @property
    def persistent(self) -> bool:
        return self.data_dir is not None

    async def start(self) -> str:
        address = await self._server.start()
        self.uri = str(address.uri)
        return self.uri

    async def close(self) -> None:
        await self._server.close()

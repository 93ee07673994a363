"""The embedded MongoDB-compatible server used when no MONGODB_URI is configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire import AsyncMongoEcoProxyServer

DATA_FILE = "contracts.sqlite3"


class EmbeddedServer:
    """A `mongoeco` wire-protocol server on loopback.

    With a `data_dir`, data persist in a SQLite file there; without, they live in memory
    (the test suite's default server).
    """

    def __init__(self, data_dir: Path | None, port: int = 0) -> None:
        self.data_dir = data_dir
        engine: Any = None
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            engine = SQLiteEngine(str(data_dir / DATA_FILE))
        self._server = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=port)
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

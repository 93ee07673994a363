"""A MongoDB-compatible server in its own process, shared by everything a benchmark measures.

The service, the plain baseline and the raw driver all talk to it, so the database's own
time is the same in every measurement and only the layers above it differ. Prints its URI
on the first line of stdout, then serves until terminated.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from storage.embedded import EmbeddedServer


async def serve(data_dir: Path | None) -> None:
    server = EmbeddedServer(data_dir)
    print(await server.start(), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.close()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]) if len(sys.argv) > 1 else None))

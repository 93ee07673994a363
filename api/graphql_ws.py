"""The `graphql-transport-ws` connection handler, with server keep-alive pings.

Strawberry's handler of this protocol answers pings but never sends one; proxies and load
balancers drop WebSockets that stay silent, so after the acknowledgement the server pings
every `keep_alive_seconds` (the protocol's client answers with a pong).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from resolvers.context import Context


class KeepAliveHandler(BaseGraphQLTransportWSHandler[Context, None]):
    keep_alive_seconds: float = 15

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pinger: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping(), name="graphql-ws-ping")

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.keep_alive_seconds)
            await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pinger
        await super().shutdown()


def handler_class(keep_alive_seconds: float) -> type[KeepAliveHandler]:
    """The handler class for one app (the view instantiates it per connection)."""
    return type(
        "ConfiguredKeepAliveHandler",
        (KeepAliveHandler,),
        {"keep_alive_seconds": keep_alive_seconds},
    )

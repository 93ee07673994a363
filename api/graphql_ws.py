"""The `graphql-transport-ws` connection: keep-alive pings, and `next` frames shared.

Strawberry's handler of this protocol answers pings but never sends one; proxies and load
balancers drop WebSockets that stay silent, so after the acknowledgement the server pings
every `keep_alive_seconds` (the protocol's client answers with a pong).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
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


# Payloads kept: one per group of a burst of events (see `schema.shared_events`).
MAX_SHARED_PAYLOADS = 4096


class SharedFrames:
    """JSON of the messages the server sends, the `data` of `next` messages shared.

    The subscribers of one group receive the very same result object for an event
    (`schema.shared_events`), so its `data` is serialized once, by identity, and each
    subscriber's frame is that text with its own operation id around it: with thousands
    of subscribers, serializing the payload for each was the larger part of a delivery.
    """

    def __init__(self, size: int = MAX_SHARED_PAYLOADS) -> None:
        self._size = size
        # Each kept with its object, so that an id cannot be reused while it is cached.
        self._texts: OrderedDict[int, tuple[object, str]] = OrderedDict()

    def encode(self, message: object) -> str:
        if (
            isinstance(message, dict)
            and message.get("type") == "next"
            and isinstance(payload := message.get("payload"), dict)
            and payload.keys() == {"data"}
        ):
            operation, data = json.dumps(message["id"]), self._text(payload["data"])
            return f'{{"id":{operation},"type":"next","payload":{{"data":{data}}}}}'
        return json.dumps(message)

    def _text(self, data: object) -> str:
        found = self._texts.get(id(data))
        if found is not None and found[0] is data:
            return found[1]
        text = json.dumps(data)
        self._texts[id(data)] = (data, text)
        if len(self._texts) > self._size:
            self._texts.popitem(last=False)
        return text

"""The `graphql-transport-ws` connection: keep-alive pings, and live events sent directly.

Strawberry's handler of this protocol answers pings but never sends one; proxies and load
balancers drop WebSockets that stay silent, so after the acknowledgement the server pings
every `keep_alive_seconds` (the protocol's client answers with a pong).

A connection's authority is its token's: at `exp` the socket is closed with 4401 (after a
short grace, so that subscriptions first end with their own UNAUTHENTICATED error), and an
operation that arrives after `exp` is refused with UNAUTHENTICATED before the close.

Every frame of a connection goes through its `Outbox`, in order. Live events reach it from
the event hub's fan-out (`live.delivery`), which must never wait for one socket;
the handler's own messages (acknowledgement, pings, `error`, `complete`, and events its
operations yield themselves) wait for their turn, so an operation's last word follows its
events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from graphql import GraphQLError, GraphQLFormattedError
from starlette.websockets import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected as SocketClosed
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    _OperationStreamClosed as OperationStreamClosed,  # the handler's own, Strawberry pinned
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)
from strawberry.utils.aio import aclosing

from api.rate_limit import exceeded, rate_key
from domain.errors import Unauthenticated
from live.delivery import LiveOperation
from resolvers.context import Context
from schema.error_codes import ErrorCode

if TYPE_CHECKING:
    from api.graphql import GraphQLApp

log = logging.getLogger("contracts.events")

TOKEN_EXPIRED = 4401
# Between `exp` and the close: the subscriptions' own expiry errors go out first.
EXPIRY_GRACE_SECONDS = 1.0

# The operation a frame belongs to (None: the connection's own), the frame, and the future
# of one that is awaited (None: a live event's, offered).
_Frame = tuple[str | None, str, asyncio.Future[None] | None]


class Outbox:
    """One connection's outgoing frames, written one at a time in the order given.

    `offer` never waits: a frame that cannot be written at once (the socket is not
    draining) waits here, at most `room` per operation. A writer task exists only while
    frames wait; when the socket takes a frame at once, it is written without any task
    switch (the writer starts eagerly and ends there).
    """

    def __init__(self, write: Callable[[str], Awaitable[None]]) -> None:
        self._write = write
        self._frames: deque[_Frame] = deque()
        self._waiting: Counter[str] = Counter()
        self._busy = False
        self._writer: asyncio.Task[None] | None = None

    def offer(self, operation: str, frame: str, room: int) -> bool:
        """Queue a live event's frame; False when `room` of the operation's already wait."""
        if self._waiting[operation] >= room:
            return False
        self._waiting[operation] += 1
        self._push((operation, frame, None))
        return True

    async def send(self, frame: str, operation: str | None = None) -> None:
        """Write `frame` after every frame given before it (or until `operation` is
        discarded, if it is the operation's)."""
        done = asyncio.get_running_loop().create_future()
        self._push((operation, frame, done))
        await done

    def discard(self, operation: str) -> None:
        """Drop the operation's frames not written yet (its client completed it)."""
        self._waiting.pop(operation, None)
        kept: deque[_Frame] = deque()
        for frame in self._frames:
            if frame[0] != operation:
                kept.append(frame)
            elif frame[2] is not None and not frame[2].done():
                frame[2].set_result(None)  # as good as written: nothing more is due
        self._frames = kept

    async def close(self) -> None:
        """Stop writing (the connection is gone); frames still waiting are dropped."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    def _push(self, frame: _Frame) -> None:
        self._frames.append(frame)
        if not self._busy:
            self._busy = True
            writer = asyncio.eager_task_factory(asyncio.get_running_loop(), self._drain())
            if not writer.done():
                self._writer = writer

    async def _drain(self) -> None:
        try:
            while self._frames:
                operation, frame, done = self._frames.popleft()
                if done is None and operation is not None:
                    self._waiting[operation] -= 1
                try:
                    await self._write(frame)
                except Exception as error:
                    if done is None:
                        # The socket is gone: its handler ends on its own reading side.
                        log.debug("live event not sent: %r", error)
                    elif not done.done():
                        done.set_exception(error)
                    continue
                if done is not None and not done.done():
                    done.set_result(None)
        finally:
            self._busy = False
            self._writer = None
            for _, _, done in self._frames:
                if done is not None:
                    done.cancel()
            self._frames.clear()
            self._waiting.clear()


class KeepAliveHandler(BaseGraphQLTransportWSHandler[Context, None]):
    # Set per app by `handler_class`, from the settings.
    keep_alive_seconds: float

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pinger: asyncio.Task[None] | None = None
        self._expiry: asyncio.Task[None] | None = None
        self._released = False
        self._app = cast("GraphQLApp", self.view)
        self._socket: WebSocket = cast(ASGIWebSocketAdapter, self.websocket).ws
        self._outbox = Outbox(self._write)
        # Strawberry closes a refused `connection_init` with 4403 "Forbidden" whatever the
        # reason; the view tells why when it is not the token (a cap reached).
        close = self.websocket.close

        async def refusing(code: int, reason: str) -> None:
            await close(*(getattr(self.context, "refusal", None) or (code, reason)))

        setattr(self.websocket, "close", refusing)  # noqa: B010 (an instance's method)

    async def _write(self, text: str) -> None:
        try:
            await self._socket.send_text(text)
        except (WebSocketDisconnect, SocketClosed) as exc:
            # The client went away, or the socket was closed here (4400, 4401) while an
            # operation was still answering: either way no frame can go out any more.
            raise WebSocketDisconnected from exc

    async def handle_message(self, message: Message) -> None:
        # What Strawberry does not check ends as an internal error (1011) or a silent
        # `complete`: the protocol's answer to a malformed message is 4400.
        if (problem := _malformed(message)) is not None:
            await self.handle_invalid_message(problem)
            return
        if message.get("type") == "subscribe":
            operation = cast(SubscribeMessage, message)["id"]
            if self._expired():
                await self._refuse_expired(operation)
                return
            if wait := await self._rate_limited():
                await self._refuse(
                    operation,
                    exceeded(wait),
                    ErrorCode.RATE_LIMITED.name,
                    retryAfter=wait,
                )
                return
        await super().handle_message(message)

    def _expires_at(self) -> datetime | None:
        viewer = self.context.viewer if self.connection_acknowledged else None
        return viewer.expires_at if viewer is not None else None

    def _expired(self) -> bool:
        expires_at = self._expires_at()
        return expires_at is not None and datetime.now(UTC) >= expires_at

    async def _rate_limited(self) -> int:
        """Seconds to wait before the subject may run another operation (0: now); the
        budget is the one its HTTP requests draw on."""
        limiter, viewer = self._app.rate_limiter, self.context.viewer
        if limiter is None or viewer is None:
            return 0
        return await limiter.acquire(rate_key(viewer.subject))

    async def _refuse(self, operation: str, message: str, code: str, **extensions: object) -> None:
        error: GraphQLFormattedError = {
            "message": message,
            "extensions": {"code": code, **extensions},
        }
        await self.send_message(ErrorMessage(id=operation, type="error", payload=[error]))

    async def _refuse_expired(self, operation: str) -> None:
        await self._refuse(operation, "the token has expired", Unauthenticated.code)
        await self._close_expired()

    async def _close_expired(self) -> None:
        await self._outbox.close()
        with contextlib.suppress(Exception):
            await self._socket.close(TOKEN_EXPIRED, "the token has expired")

    async def _close_at_expiry(self, expires_at: datetime) -> None:
        left = (expires_at - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(max(left, 0) + EXPIRY_GRACE_SECONDS)
        await self._close_expired()

    async def send_message(self, message: Message) -> None:
        # An operation's frames are dropped with it when its client completes it.
        operation = cast(dict[str, Any], message).get("id")
        await self._outbox.send(cast(str, self.view.encode_json(message)), operation)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        opening = f'{{"id":{json.dumps(operation.id)},"type":"next","payload":{{"data":'

        def offer(data: str, room: int) -> bool:
            if self.operations.get(operation.id) is not operation:
                return True  # completed: nothing more is sent for it
            return self._outbox.offer(operation.id, opening + data + "}}", room)

        # A context of the operation's own: its subscription executor and resolver find the
        # operation there (Strawberry's would hand every operation the connection's).
        context = dataclasses.replace(self.context, operation=LiveOperation(offer))
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except (OperationStreamClosed, WebSocketDisconnected):
            return  # it closed the socket itself, or the socket is gone: no one to answer
        except Exception as exc:
            if self.operations.get(operation.id) is not operation:
                # Completed by its client, or its connection is ending: no answer is due.
                log.debug("operation %s ended after it was discarded: %r", operation.id, exc)
                return
            # What `Schema.execute` does over HTTP and Strawberry's `stream` does not: an
            # exception of the operation's lifecycle is its error, coded as any other (a
            # syntax error, raised by the parser cache's hook before `stream` catches
            # anything, is GRAPHQL_PARSE_FAILED; anything unexpected is logged and masked).
            # Strawberry's copy logged a crash and sent a bare `complete`.
            error = (
                exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            )
            self.schema.process_errors([error])
            with contextlib.suppress(Exception):
                await operation.send_initial_errors([error])
            self.operations.pop(operation.id, None)

    async def cleanup_operation(self, operation_id: str) -> None:
        self._outbox.discard(operation_id)
        await super().cleanup_operation(operation_id)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping(), name="graphql-ws-ping")
            if (expires_at := self._expires_at()) is not None:
                self._expiry = asyncio.create_task(
                    self._close_at_expiry(expires_at), name="graphql-ws-expiry"
                )

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.keep_alive_seconds)
            await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        try:
            for task in (self._pinger, self._expiry):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            await super().shutdown()
            await self._outbox.close()
        finally:
            # Once its operations are over: it stops counting against its subject's cap.
            if (lease := getattr(self.context, "lease", None)) is not None and not self._released:
                self._released = True
                try:
                    await self._app.store.leases.release(lease)
                except Exception as error:
                    # Not renewed any more: it stops counting when it expires.
                    log.warning("connection lease %s not released: %r", lease, error)


# The subscribe payload's members besides `query`, as graphql-transport-ws has them: each
# of one JSON type, or null, or missing.
_SUBSCRIBE_OPTIONS: dict[str, tuple[type, str]] = {
    "variables": (dict, "an object"),
    "operationName": (str, "a string"),
    "extensions": (dict, "an object"),
}


def _malformed(message: object) -> str | None:
    """What is wrong with a client's message that Strawberry lets through, if anything."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    if message.get("type") not in ("subscribe", "complete"):
        return None
    # Operation ids key the outbox's frames (None is the connection's own).
    if not isinstance(message.get("id"), str):
        return "an operation's `id` must be a string"
    payload = message.get("payload")
    if message["type"] != "subscribe":
        return None
    if not (isinstance(payload, dict) and isinstance(payload.get("query"), str)):
        return "a subscribe message needs `payload.query`, a string"
    # Strawberry would run the operation without them (its HTTP view answers 400).
    for name, (kind, described) in _SUBSCRIBE_OPTIONS.items():
        if payload.get(name) is not None and not isinstance(payload[name], kind):
            return f"`payload.{name}` must be {described} or null"
    return None


def handler_class(keep_alive_seconds: float) -> type[KeepAliveHandler]:
    """The handler class for one app (the view instantiates it per connection)."""
    return type(
        "ConfiguredKeepAliveHandler",
        (KeepAliveHandler,),
        {"keep_alive_seconds": keep_alive_seconds},
    )

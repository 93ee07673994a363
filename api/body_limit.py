"""Refuses HTTP request bodies over a size limit with 413, before GraphQL parses them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import graphql_error_response
from schema.error_codes import ErrorCode


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Checks `Content-Length` up front and counts chunked bodies as they arrive."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        declared = headers.get(b"content-length")
        if declared is not None and not declared.isdigit():
            response = graphql_error_response(
                400,
                "Content-Length is not a number of bytes",
                ErrorCode.BAD_USER_INPUT,
                accept=headers.get(b"accept", b"").decode("latin-1"),
            )
            await response(scope, receive, send)
            return
        if declared is not None and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = dict(scope.get("headers", ())).get(b"accept", b"").decode("latin-1")
        response = graphql_error_response(
            413,
            f"request body over {self.max_bytes} bytes",
            ErrorCode.PAYLOAD_TOO_LARGE,
            accept=accept,
            maxBytes=self.max_bytes,
        )
        await response(scope, receive, send)

"""Refuses HTTP request bodies over a size limit with 413, before GraphQL parses them.

A multipart body (an upload) has its own, larger limit: the largest upload plus room for
the operation and the map that come with it. It is enforced as the body arrives, so an
oversized upload is refused without being read whole.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import graphql_error_response
from schema.error_codes import ErrorCode


class _TooLarge(Exception):
    pass


# The operation, the map and the part headers of a multipart upload, beside the file itself.
MULTIPART_ROOM_BYTES = 64 * 1024


class BodySizeLimit:
    """Checks `Content-Length` up front and counts chunked bodies as they arrive."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Multipart is only taken for uploads: its limit follows theirs, larger or smaller.
        self.max_multipart_bytes = (
            max_bytes if max_upload_bytes is None else max_upload_bytes + MULTIPART_ROOM_BYTES
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.max_multipart_bytes if multipart else self.max_bytes
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
        if declared is not None and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
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
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        accept = dict(scope.get("headers", ())).get(b"accept", b"").decode("latin-1")
        response = graphql_error_response(
            413,
            f"request body over {limit} bytes",
            ErrorCode.PAYLOAD_TOO_LARGE,
            accept=accept,
            maxBytes=limit,
        )
        await response(scope, receive, send)

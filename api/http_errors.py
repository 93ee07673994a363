"""Starlette's own refusals (no route for the path, a method the route does not serve, an
asset GraphiQL no longer has) and an error no handler caught, in the GraphQL shape every
other answer has (docs/errors.md), instead of plain text: a client parses one shape,
whichever layer refused."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import graphql_error_response
from schema.error_codes import ErrorCode

_CODES = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}


async def http_refusal(request: Request, exc: Exception) -> Response:
    """The exception handler of `HTTPException`; its headers (a 405's `Allow`) are kept."""
    assert isinstance(exc, HTTPException)
    # Any other 4xx Starlette raises (a form it cannot parse) is about the request itself.
    internal = exc.status_code >= 500
    fallback = ErrorCode.INTERNAL_SERVER_ERROR if internal else ErrorCode.BAD_USER_INPUT
    code = _CODES.get(exc.status_code, fallback)
    return graphql_error_response(
        exc.status_code,
        exc.detail,
        code,
        accept=request.headers.get("accept"),
        headers=exc.headers,
    )


log = logging.getLogger("contracts")


class InternalErrors:
    """An exception no handler caught, before the response started: logged with its trace,
    answered `500 INTERNAL_SERVER_ERROR` without its text. Inside the request id and CORS
    middleware, so the answer carries `X-Request-ID` and the CORS headers and the access
    line its status; Starlette's own 500, outside them all, would be plain text and bare."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except ClientDisconnect:
            raise  # no error of the service's, and no one to answer (api/access_log.py)
        except Exception:
            if started:
                raise
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            accept = Request(scope).headers.get("accept")
            response = graphql_error_response(
                500, "Internal server error", ErrorCode.INTERNAL_SERVER_ERROR, accept=accept
            )
            await response(scope, receive, send)

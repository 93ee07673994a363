"""Starlette's own refusals (no route for the path, a method the route does not serve, an
asset GraphiQL no longer has) in the GraphQL shape every other answer has (docs/errors.md),
instead of its plain-text reason: a client parses one shape, whichever layer refused."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

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

"""Refusals made before GraphQL runs, in GraphQL's own response shape and media type.

Clients parse every answer of `/graphql` as `{"errors": [...]}` with `extensions.code`
(docs/errors.md), whichever layer refused: the body limit, the rate limiter or the request
parser. A client that asks for `application/graphql-response+json` (the GraphQL over HTTP
spec's media type) gets it; any other gets `application/json`, the legacy default. None may
be kept by a cache (`no-store`): a refusal is of its moment.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from api.http_cache import NO_STORE
from schema.error_codes import ErrorCode

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _quality(accept: str, media_type: str) -> float | None:
    """The `q` the Accept header gives `media_type` by name (not by a wildcard), or None."""
    for part in accept.split(","):
        name, *parameters = (piece.strip() for piece in part.split(";"))
        if name.lower() != media_type:
            continue
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    return float(value)
                except ValueError:
                    return 0.0
        return 1.0
    return None


def media_type(accept: str | None) -> str:
    """`application/graphql-response+json` when the client names it and does not prefer
    `application/json`; else `application/json` (wildcards and no header included)."""
    if not accept:
        return JSON
    wanted = _quality(accept, GRAPHQL_RESPONSE)
    if not wanted:
        return JSON
    legacy = _quality(accept, JSON)
    return GRAPHQL_RESPONSE if legacy is None or wanted >= legacy else JSON


def graphql_error_response(
    status: int,
    message: str,
    code: ErrorCode,
    *,
    accept: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> JSONResponse:
    """`{"errors": [...]}` with one error of `code`; `accept` is the request's header."""
    error = {"message": message, "extensions": {"code": code.value, **extensions}}
    return JSONResponse(
        {"errors": [error]},
        status_code=status,
        headers={"Cache-Control": NO_STORE, **(headers or {})},
        media_type=media_type(accept),
    )

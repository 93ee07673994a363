"""Refusals made before GraphQL runs, in GraphQL's own response shape.

Clients parse every answer of `/graphql` as `{"errors": [...]}` with `extensions.code`
(DESIGN.md), whichever layer refused: the body limit, the rate limiter or the request parser.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


def graphql_error_response(
    status: int,
    message: str,
    code: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> JSONResponse:
    error = {"message": message, "extensions": {"code": code, **extensions}}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers)

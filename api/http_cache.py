"""HTTP caching of `/graphql` answers: what a browser or proxy may keep, and revalidation.

A GET query's result without errors may be kept: `private` when a viewer asked (every result
that needs a token depends on whose token it is, so no shared cache may hand it to another),
`public` otherwise; for CACHE_MAX_AGE_SECONDS (0 by default: revalidate every time). It
carries an `ETag` (the SHA-256 of the body), and a GET whose `If-None-Match` names it gets a
304 without the body: the query still runs, but the result does not travel again. Every other
answer (POST, so every mutation; any error; every refusal) is `no-store`: an error may be
transient, and a mutation's result is its own.
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response

NO_STORE = "no-store"


def cached(request: Request, response: Response, *, cacheable: bool, max_age: int) -> Response:
    """`response` with its caching headers, or a 304 in its place."""
    if not (cacheable and request.method == "GET" and response.status_code == 200):
        response.headers.setdefault("Cache-Control", NO_STORE)
        return response
    scope = "private" if request.state.viewer is not None else "public"
    headers = {
        "Cache-Control": f"{scope}, max-age={max_age}",
        # The body depends on the token and on the negotiated media type.
        "Vary": "Authorization, Accept",
        "ETag": f'"{hashlib.sha256(response.body).hexdigest()}"',
    }
    if _matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags

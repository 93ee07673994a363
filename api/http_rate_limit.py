"""An HTTP request's draw on its caller's rate budget (api/rate_limit.py), and its 429.

Every route that works on a caller's behalf (`/graphql`, `/documents/{id}`) draws here, so a
subject has one budget whichever it calls, shared with its WebSocket operations. A request
without a valid token draws on its address's budget: verifying a token is work too.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.rate_limit import RateLimiter, exceeded, rate_key
from api.responses import graphql_error_response
from domain.party import Viewer
from schema.error_codes import ErrorCode


def caller_key(request: Request, viewer: Viewer | None) -> str:
    if viewer is not None:
        return rate_key(viewer.subject)
    return f"ip:{request.client.host if request.client else 'unknown'}"


async def rate_limited(
    limiter: RateLimiter | None, request: Request, viewer: Viewer | None
) -> Response | None:
    """None when the request may go on (one taken from the budget), else the 429 to send."""
    if limiter is None:
        return None
    wait = await limiter.acquire(caller_key(request, viewer))
    if not wait:
        return None
    return graphql_error_response(
        429,
        exceeded(wait),
        ErrorCode.RATE_LIMITED,
        accept=request.headers.get("accept"),
        headers={"Retry-After": str(wait)},
        retryAfter=wait,
    )

"""`GET /documents/{id}`: a document's bytes, streamed from GridFS to whoever may see it.

Scoped like the document's owner (an agent their own, a client its SOWs' copies, compliance
all); anything outside the scope is a 404, exactly as a document that does not exist, so
ids cannot be probed. The SHA-256 is the ETag: a copy never changes, so a client holding it
gets a 304 without the bytes. Each download draws on its caller's rate budget, the one its
GraphQL requests draw on (api/http_rate_limit.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.auth import TokenVerifier, bearer_token
from api.http_rate_limit import rate_limited
from api.rate_limit import RateLimiter
from api.responses import graphql_error_response
from domain.document import Document
from domain.errors import NotFound, Unauthenticated
from domain.party import Viewer
from resolvers import document as resolve
from resolvers.context import Context, Limits
from schema.error_codes import ErrorCode
from storage.store import Store


def _etag(document: Document) -> str:
    return f'"{document.sha256}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison: any listed tag (W/ or not) equal to ours, or `*`."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def content_disposition(file_name: str) -> str:
    """`attachment` with the stored (already safe) name, quoted both ways RFC 6266 allows."""
    plain = file_name.replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _headers(document: Document) -> dict[str, str]:
    return {
        "ETag": _etag(document),
        # Private: the bytes are the bearer's; revalidated each time, answered by the ETag.
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
    }


class DocumentDownload:
    def __init__(
        self,
        store: Store,
        verifier: TokenVerifier,
        limits: Limits,
        clock: Callable[[], datetime],
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.store = store
        self.verifier = verifier
        self.limits = limits
        self.clock = clock
        self.rate_limiter = rate_limiter

    async def __call__(self, request: Request) -> Response:
        viewer: Viewer | None = None
        refusal: Unauthenticated | None = None
        try:
            viewer = await self._viewer(request)
        except Unauthenticated as exc:
            refusal = exc
        # A download is work done for its caller: it draws on the budget its GraphQL
        # requests draw on, a 304 and a refusal included.
        if limited := await rate_limited(self.rate_limiter, request, viewer):
            return limited
        if viewer is None:
            assert refusal is not None
            return graphql_error_response(
                401,
                refusal.message,
                ErrorCode.UNAUTHENTICATED,
                accept=request.headers.get("accept"),
                headers={"WWW-Authenticate": "Bearer"},
            )
        context = Context(store=self.store, viewer=viewer, limits=self.limits, clock=self.clock)
        try:
            document = await resolve.downloadable(context, viewer, request.path_params["id"])
        except NotFound:
            document = None
        if document is None:
            return graphql_error_response(
                404, "no such document", ErrorCode.NOT_FOUND, accept=request.headers.get("accept")
            )
        headers = _headers(document)
        if _matches(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = content_disposition(document.file_name)
        headers["Content-Length"] = str(document.size)
        return StreamingResponse(
            resolve.chunks(context, document), media_type=document.content_type, headers=headers
        )

    async def _viewer(self, request: Request) -> Viewer:
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            raise Unauthenticated("a valid bearer token is required")
        return await self.verifier.verify(token)

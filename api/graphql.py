"""The GraphQL endpoint over HTTP and WebSocket (`graphql-transport-ws` only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.auth import TokenVerifier, bearer_token
from api.graphql_ws import handler_class
from api.rate_limit import RateLimiter
from domain.errors import Unauthenticated
from resolvers.context import Context, Limits
from storage.event_hub import EventHub
from storage.store import Store


class ContractContext(Context):
    """The resolvers' context plus what the WebSocket handshake carries."""

    connection_params: dict[str, Any] | None = None


class GraphQLApp(GraphQL[Context, None]):
    def __init__(
        self,
        schema: Any,
        *,
        store: Store,
        clock: Callable[[], datetime],
        verifier: TokenVerifier,
        limits: Limits,
        graphiql: bool,
        keep_alive_seconds: float,
        hub: EventHub,
        subscriptions_per_connection: int,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=subscriptions_per_connection,
        )
        self.graphql_transport_ws_handler_class = handler_class(keep_alive_seconds)
        self.hub = hub
        self.store = store
        self.clock = clock
        self.verifier = verifier
        self.limits = limits
        self.rate_limiter = rate_limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            await self._authenticate(request)
            if self.rate_limiter is not None:
                viewer = request.state.viewer
                client = request.client.host if request.client else "unknown"
                key = f"sub:{viewer.subject}" if viewer else f"ip:{client}"
                wait = self.rate_limiter.acquire(key)
                if wait:
                    response = PlainTextResponse(
                        "rate limit exceeded", status_code=429, headers={"Retry-After": str(wait)}
                    )
                    await response(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)

    async def _authenticate(self, request: Request) -> None:
        """Verifies the bearer token once per request, before rate limiting needs the subject."""
        request.state.viewer = None
        request.state.auth_error = None
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                request.state.viewer = await self.verifier.verify(token)
        except Unauthenticated as exc:
            # Answered by the first guarded field, as a GraphQL error with its code.
            request.state.auth_error = exc

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = ContractContext(
            store=self.store, viewer=None, limits=self.limits, clock=self.clock, hub=self.hub
        )
        if isinstance(request, Request):
            context.viewer = request.state.viewer
            context.auth_error = request.state.auth_error
        return context

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = getattr(context, "connection_params", None) or {}
        token = params.get("token") or params.get("authorization") or params.get("Authorization")
        try:
            if not isinstance(token, str):
                raise Unauthenticated("connection_init needs a token")
            context.viewer = await self.verifier.verify(token.removeprefix("Bearer ").strip())
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"message": exc.message}) from None
        return None

"""The application factory: routes, middleware and the process lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from api.access_log import RequestIdMiddleware
from api.body_limit import BodySizeLimit
from api.cors import cors
from api.documents import DocumentDownload
from api.graphiql import assets_mount
from api.graphql import GraphQLApp
from api.http_errors import InternalErrors, http_refusal
from api.lifespan import delivering, running, scheduling, sharing_limits
from api.persisted_queries import PersistedQueries
from api.rate_limit import RateLimiter
from api.routes import healthz, readyz
from api.settings import Settings, load_settings
from domain.policy import CsaPolicy
from resolvers.context import Limits
from schema.schema import SchemaLimits, build_schema


class _Deferred:
    """The GraphQL endpoint, built in the lifespan once the database is up."""

    def __init__(self) -> None:
        self.app: GraphQLApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the lifespan has not started"
        await self.app(scope, receive, send)


async def download(request: Request) -> Response:
    """`GET /documents/{id}` (api/documents.py), whose store the lifespan opens."""
    handler: DocumentDownload = request.app.state.download
    return await handler(request)


def schema_limits(settings: Settings) -> SchemaLimits:
    return SchemaLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_query_tokens,
        max_cost=settings.max_query_cost,
        max_page_size=settings.max_page_size,
        introspection=settings.introspection_enabled,
    )


def resolver_limits(settings: Settings) -> Limits:
    return Limits(
        max_page_size=settings.max_page_size,
        csa_policy=CsaPolicy(
            min_term_months=settings.csa_min_term_months,
            max_term_months=settings.csa_max_term_months,
            min_lead_days=settings.csa_min_lead_days,
        ),
        renewal_min_answered=settings.renewal_min_answered,
        max_upload_bytes=settings.max_upload_bytes,
        subscriptions_per_subject=settings.subscriptions_per_subject,
    )


def schema_for(settings: Settings) -> strawberry.Schema:
    return build_schema(schema_limits(settings))


def create_app(
    settings: Settings | None = None, client_options: Mapping[str, Any] | None = None
) -> Starlette:
    """The service; `client_options` are passed to the MongoDB client (command listeners)."""
    settings = settings or load_settings()
    schema = schema_for(settings)
    limits = resolver_limits(settings)
    graphql = _Deferred()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            running(settings, client_options) as services,
            scheduling(services) as task,
            delivering(services) as sender,
        ):
            app.state.services = services
            app.state.scheduler = task
            app.state.delivery = sender
            limiter = (
                RateLimiter(settings.rate_limit_per_minute, services.store.rate_budgets)
                if settings.rate_limit_per_minute
                else None
            )
            app.state.download = DocumentDownload(
                services.store, services.verifier, limits, services.now, limiter
            )
            graphql.app = GraphQLApp(
                schema,
                store=services.store,
                clock=services.now,
                verifier=services.verifier,
                limits=limits,
                graphiql=settings.graphiql,
                keep_alive_seconds=settings.keep_alive_seconds,
                live=services.live,
                subscriptions_per_connection=settings.subscriptions_per_connection,
                connections_per_subject=settings.connections_per_subject,
                suggestions=settings.introspection_enabled,
                rate_limiter=limiter,
                persisted_queries=PersistedQueries(
                    services.store.persisted_queries,
                    max_bytes=settings.persisted_query_max_bytes,
                    max_count=settings.persisted_queries_max,
                    clock=services.now,
                ),
                cache_max_age_seconds=settings.cache_max_age_seconds,
            )
            # What start-up built (schema, modules, settings) lives as long as the process:
            # frozen, the collector stops rescanning it, which removes its pauses from p99.
            gc.freeze()
            async with sharing_limits(services, limiter):
                yield

    # Outermost first. The request id is on every answer; CORS wraps every refusal after it
    # (a 500 of an unhandled error, a 413 of the body limit, a 404 or 405 of the router, a 429
    # of the view), so that the browser lets the application read the refusal rather than
    # report a CORS failure.
    middleware = [Middleware(RequestIdMiddleware)]
    if settings.cors_origins:
        middleware.append(cors(settings.cors_origins))
    middleware.append(Middleware(InternalErrors))
    middleware.append(
        Middleware(
            BodySizeLimit,
            max_bytes=settings.max_body_bytes,
            max_upload_bytes=settings.max_upload_bytes,
        )
    )
    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        # Every method: the view answers those it does not serve with a GraphQL JSON 405.
        Route("/graphql", graphql),
        Route("/documents/{id}", download, methods=["GET"]),
        WebSocketRoute("/graphql", graphql),
    ]
    if settings.graphiql:
        routes.append(assets_mount())
    return Starlette(
        routes=routes,
        middleware=middleware,
        # The router's 404 and 405 and the assets' 404, as GraphQL JSON (api/http_errors.py).
        exception_handlers={HTTPException: http_refusal},
        lifespan=lifespan,
    )

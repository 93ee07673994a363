"""CORS for browser applications on the origins of `CORS_ORIGINS`.

A refused preflight is answered in the GraphQL shape of every other refusal (docs/errors.md)
rather than Starlette's plain text: the browser keeps the answer from the application, but
developer tools show it, and a client or proxy that reads it parses one shape.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from api.responses import graphql_error_response
from schema.error_codes import ErrorCode

# What browser GraphQL clients send (Apollo Client's CSRF and operation-name headers, its
# and other clients' name/version headers, W3C trace context and baggage, Sentry's trace
# header, the `X-Requested-With` of jQuery and Angular-era clients) and may read: a preflight
# that names a header not listed here is refused with 400, and the request never leaves.
ALLOW_HEADERS = [
    "authorization",
    "content-type",
    "accept",
    "x-request-id",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
    "graphql-client-name",
    "graphql-client-version",
    "traceparent",
    "tracestate",
    "baggage",
    # Sentry's browser SDK adds it (and `baggage`) to requests to allowed trace targets.
    "sentry-trace",
    "x-requested-with",
    # A document download revalidated by its ETag (GET /documents/{id}).
    "if-none-match",
]
# A browser app downloading a document reads its hash and file name too.
EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "ETag", "Content-Disposition"]


class GraphQLCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        # Starlette's reason ("Disallowed CORS origin, headers") and its headers (`Vary`, the
        # methods and headers that are allowed) say what to change.
        kept = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-type", "content-length")
        }
        return graphql_error_response(
            400,
            bytes(response.body).decode(),
            ErrorCode.CORS_PREFLIGHT_REFUSED,
            accept=request_headers.get("accept"),
            headers=kept,
        )


def cors(origins: list[str]) -> Middleware:
    return Middleware(
        GraphQLCORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
    )

"""Every `extensions.code` the service answers with, as the schema's `ErrorCode` enum.

No field returns it: it is in the schema (and `schema.graphql`) so that clients generate it,
and so that one list binds the code that emits errors, `docs/errors.md` and the schema (a
test compares the three). The domain's refusals carry the same values as `DomainError.code`.
"""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(
    description=(
        "The `extensions.code` of every GraphQL error the service answers with "
        "(docs/errors.md tells when each happens and which extensions it carries)."
    )
)
class ErrorCode(Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED",
        description="No token, or one that is invalid or expired: sign in again.",
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN", description="The viewer's role may not do this operation."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND",
        description=(
            "No such document, or one outside the viewer's scope (its existence is not "
            "told). Extensions: `kind`, `id`. Also HTTP 404: no such path."
        ),
    )
    BAD_USER_INPUT = strawberry.enum_value(
        "BAD_USER_INPUT",
        description=(
            "A value is invalid: an argument, a variable's value, or a malformed HTTP request. "
            "Extensions: `field`, the path of the offending input, when known."
        ),
    )
    CONFLICT = strawberry.enum_value(
        "CONFLICT",
        description=(
            "`expectedVersion` is not the document's current version: reload and retry. "
            "Extensions: `expectedVersion`, `currentVersion`. Also interval rows for, or a "
            "close of, an SLA period already closed. Extensions: `period`, `field`."
        ),
    )
    INVALID_TRANSITION = strawberry.enum_value(
        "INVALID_TRANSITION",
        description=(
            "The document's status does not allow this operation. Extensions: `from`, `to`."
        ),
    )
    SUBSCRIBER_TOO_SLOW = strawberry.enum_value(
        "SUBSCRIBER_TOO_SLOW",
        description=(
            "A subscription fell too far behind and ended: subscribe again with `after` set "
            "to `cursor`. Extensions: `cursor`."
        ),
    )
    QUERY_TOO_COMPLEX = strawberry.enum_value(
        "QUERY_TOO_COMPLEX",
        description=(
            "The operation is over a limit: depth, aliases, cost, tokens, page size, or "
            "operations at once on one WebSocket. "
            "Extensions: `limit`, `maximum`; `cost` for the cost, `field` for a page size."
        ),
    )
    GRAPHQL_PARSE_FAILED = strawberry.enum_value(
        "GRAPHQL_PARSE_FAILED", description="The document is not valid GraphQL syntax."
    )
    GRAPHQL_VALIDATION_FAILED = strawberry.enum_value(
        "GRAPHQL_VALIDATION_FAILED",
        description="The document does not validate against the schema.",
    )
    METHOD_NOT_ALLOWED = strawberry.enum_value(
        "METHOD_NOT_ALLOWED",
        description=(
            "HTTP 405: a mutation by GET, or a method the path does not serve (the `Allow` "
            "header lists those it does)."
        ),
    )
    CORS_PREFLIGHT_REFUSED = strawberry.enum_value(
        "CORS_PREFLIGHT_REFUSED",
        description=(
            "HTTP 400: a CORS preflight refused: its origin is not in `CORS_ORIGINS`, or it "
            "asks for a method or header the service does not take. The message says which."
        ),
    )
    PAYLOAD_TOO_LARGE = strawberry.enum_value(
        "PAYLOAD_TOO_LARGE",
        description="HTTP 413: the request body is over the limit. Extensions: `maxBytes`.",
    )
    RATE_LIMITED = strawberry.enum_value(
        "RATE_LIMITED",
        description=(
            "HTTP 429: too many requests; retry after `retryAfter` seconds (also the "
            "`Retry-After` header). A WebSocket operation gets it as an error; a "
            "`connection_init` is closed with 4403 and the reason "
            "`RATE_LIMITED retryAfter=N: ...`. Extensions: `retryAfter`."
        ),
    )
    CONCURRENCY_LIMITED = strawberry.enum_value(
        "CONCURRENCY_LIMITED",
        description=(
            "The token subject already holds `CONNECTIONS_PER_SUBJECT` WebSocket connections "
            "or `SUBSCRIPTIONS_PER_SUBJECT` subscriptions, counted across every process: "
            "close one first, or retry after `retryAfter` seconds. A subscription gets it as "
            "an error; a `connection_init` is closed with 4403 and the reason "
            "`CONCURRENCY_LIMITED retryAfter=N: ...`. Extensions: `limit`, `maximum`, "
            "`retryAfter`."
        ),
    )
    PERSISTED_QUERY_NOT_FOUND = strawberry.enum_value(
        "PERSISTED_QUERY_NOT_FOUND",
        description=(
            "A request sent only a persisted query's hash, and no query is registered under "
            "it: send it again with the query (Apollo's automatic persisted queries)."
        ),
    )
    INTERNAL_SERVER_ERROR = strawberry.enum_value(
        "INTERNAL_SERVER_ERROR",
        description="An unexpected failure, logged on the server; no detail is given.",
    )


__all__ = ["ErrorCode"]

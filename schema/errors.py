"""Every GraphQL error leaves with one of DESIGN.md's `extensions.code` values.

Domain refusals keep their message and details; errors in the document itself (syntax,
validation, variable coercion: the errors without a field path) are `BAD_USER_INPUT`;
anything else is logged with its traceback and answered `INTERNAL_SERVER_ERROR` with no detail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError
from schema.input_errors import input_field

log = logging.getLogger("contracts.graphql")


def code(error: GraphQLError, document: DocumentNode | None = None) -> None:
    """Give `error` its code, in place: the same objects reach HTTP and WebSocket replies."""
    if error.extensions and "code" in error.extensions:
        return
    original = error.original_error
    if isinstance(original, DomainError):
        error.extensions = {"code": original.code, **original.extensions}
        error.message = original.message
    elif original is None or error.path is None:
        # No field path: the error is about the document or its variables (syntax,
        # validation, a value a scalar cannot parse), never about running a resolver.
        field = input_field(error, document)
        error.extensions = {"code": "BAD_USER_INPUT", **({"field": field} if field else {})}
    else:
        log.error(
            "internal error in %s",
            ".".join(str(p) for p in error.path or ()) or "operation",
            exc_info=(type(original), original, original.__traceback__),
        )
        error.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        error.message = "Internal server error"
    error.original_error = None


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        for errors in (context.pre_execution_errors, getattr(context.result, "errors", None)):
            for error in errors or ():
                code(error, context.graphql_document)

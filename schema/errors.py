"""Every GraphQL error leaves with one of the `ErrorCode` values (docs/errors.md).

Domain refusals keep their message and details. Errors of the document itself have Apollo's
codes: `GRAPHQL_PARSE_FAILED` for its syntax, `GRAPHQL_VALIDATION_FAILED` when it does not
validate, `QUERY_TOO_COMPLEX` over a limit; a value its type refuses (a literal or a
variable) is `BAD_USER_INPUT` with the `field` it is for. Anything else is logged with its
traceback and answered `INTERNAL_SERVER_ERROR` with no detail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from domain.errors import DomainError
from schema.error_codes import ErrorCode
from schema.input_errors import input_field, literal_field

log = logging.getLogger("contracts.graphql")

# graphql-core's parser stops at the token limit with a syntax error of its own.
_TOO_MANY_TOKENS = re.compile(r"Document contains more than (\d+) tokens")


def _refuse_ambiguous(context: Any) -> None:
    """Several operations and no `operationName`: the GraphQL spec's request error
    (Strawberry would run the first). Added to the validation errors, so nothing runs."""
    document = context.graphql_document
    # `operation_name` falls back to the first operation's name: only what was sent counts.
    if context._provided_operation_name is not None or document is None:
        return
    operations = sum(isinstance(node, OperationDefinitionNode) for node in document.definitions)
    if operations > 1:
        error = GraphQLError(
            "the document holds several operations: operationName must name the one to run",
            extensions={"code": ErrorCode.BAD_USER_INPUT.value, "field": "operationName"},
        )
        context.pre_execution_errors = [*(context.pre_execution_errors or ()), error]


def unselected_operation(name: str | None) -> GraphQLError:
    """The request error of a document that holds no operation named `name` (or none at all,
    for no name). Strawberry raises before validation, so no extension sees it: the
    transport answers with this, a request error like an ambiguous document's."""
    if name is None:
        return GraphQLError(
            "the document holds no operation",
            extensions={"code": ErrorCode.GRAPHQL_VALIDATION_FAILED.value},
        )
    return GraphQLError(
        f"the document holds no operation named {name!r}",
        extensions={"code": ErrorCode.BAD_USER_INPUT.value, "field": "operationName"},
    )


def _about_the_request(error: GraphQLError) -> bool:
    """Whether an error with an original exception is still the request's fault.

    graphql-core's refusals of a value carry the value's own error (a GraphQLError) or the
    scalar's exception with the place in the document (`nodes`); Strawberry's refusal of an
    operation type, its own exception. An exception without a path or a place is something
    that failed while running: a subscription's source before its first event (graphql-core
    gives it no path), an extension's hook. That is internal, whatever its message says."""
    if error.path is not None:
        return False
    original = error.original_error
    return isinstance(original, GraphQLError | InvalidOperationTypeError) or bool(error.nodes)


def code(
    error: GraphQLError,
    document: DocumentNode | None = None,
    *,
    validation: bool = False,
    schema: GraphQLSchema | None = None,
    variables: Mapping[str, Any] | None = None,
) -> None:
    """Give `error` its code, in place: the same objects reach HTTP and WebSocket replies.

    `validation`: `error` is one of the document's validation errors. `schema` and
    `variables` tell where in a variable's value a refused value is."""
    if error.extensions and "code" in error.extensions:
        return
    original = error.original_error
    if isinstance(original, DomainError):
        error.extensions = {"code": original.code, **original.extensions}
        error.message = original.message
    elif isinstance(error, GraphQLSyntaxError):
        if limit := _TOO_MANY_TOKENS.search(error.message):
            error.extensions = {
                "code": ErrorCode.QUERY_TOO_COMPLEX.value,
                "limit": "tokens",
                "maximum": int(limit[1]),
            }
        else:
            error.extensions = {"code": ErrorCode.GRAPHQL_PARSE_FAILED.value}
    elif isinstance(original, CannotGetOperationTypeError):
        # Over the WebSocket, Strawberry's stream answers with its own wording of what HTTP
        # answers with `unselected_operation`: the same request error for both.
        unselected = unselected_operation(original.operation_name)
        error.message, error.extensions = unselected.message, unselected.extensions
    elif original is None or _about_the_request(error):
        # The error is about the document or its variables (validation, a value a scalar
        # cannot parse), never about running a resolver. A value refused by its type, a
        # literal one included, is bad input with the field it is for; a rule broken by a
        # variable's declaration or use is the document's (GRAPHQL_VALIDATION_FAILED).
        field = (
            literal_field(error, document)
            if validation
            else input_field(error, document, schema, variables)
        )
        if validation and field is None:
            error.extensions = {"code": ErrorCode.GRAPHQL_VALIDATION_FAILED.value}
        else:
            error.extensions = {
                "code": ErrorCode.BAD_USER_INPUT.value,
                **({"field": field} if field else {}),
            }
    else:
        log.error(
            "internal error in %s",
            ".".join(str(p) for p in error.path or ()) or "operation",
            exc_info=(type(original), original, original.__traceback__),
        )
        error.extensions = {"code": ErrorCode.INTERNAL_SERVER_ERROR.value}
        error.message = "Internal server error"
    error.original_error = None


class ErrorCodes(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        _refuse_ambiguous(self.execution_context)
        yield
        # Coded here, before `ContractSchema.process_errors` sees them: by then nothing
        # tells a validation error from a variable's coercion error.
        context = self.execution_context
        for error in context.pre_execution_errors or ():
            code(error, context.graphql_document, validation=True)

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        schema, variables = context.schema._schema, context.variables
        for errors in (context.pre_execution_errors, getattr(context.result, "errors", None)):
            for error in errors or ():
                code(error, context.graphql_document, schema=schema, variables=variables)

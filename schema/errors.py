"""Every GraphQL error leaves with one of DESIGN.md's `extensions.code` values.

Domain refusals keep their message and details; errors in the document itself (syntax,
validation, variable coercion: the errors without a field path) are `BAD_USER_INPUT`;
anything else is logged with its traceback and answered `INTERNAL_SERVER_ERROR` with no detail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import ArgumentNode, DocumentNode, GraphQLError, VariableNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError

log = logging.getLogger("contracts.graphql")


# graphql-core's wording for a variable its type refuses (`print_path_list` for the path).
_BAD_VARIABLE = re.compile(r"^Variable '\$(\w+)' has invalid value(?: at ([^:\s]+))?:")
_UNKNOWN_FIELD = re.compile(r"not to include unknown field '(\w+)'")


class _ArgumentsOf(Visitor):
    def __init__(self, variable: str) -> None:
        super().__init__()
        self.variable = variable
        self.names: set[str] = set()

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        if isinstance(node.value, VariableNode) and node.value.name.value == self.variable:
            self.names.add(node.name.value)


def input_field(error: GraphQLError, document: DocumentNode | None) -> str | None:
    """The argument path a refused variable is about, e.g. `terms.pricing.rate`.

    Named after the argument the variable is passed to, as the domain's own
    `BadUserInput` errors are, when the variable is passed to one argument name only.
    """
    match = _BAD_VARIABLE.match(error.message)
    if match is None:
        return None
    variable, at = match.groups()
    field = variable
    if document is not None:
        arguments = _ArgumentsOf(variable)
        visit(document, arguments)
        if len(arguments.names) == 1:
            field = arguments.names.pop()
    path = field + (at or "")
    if unknown := _UNKNOWN_FIELD.search(error.message):
        path += f".{unknown[1]}"
    return path


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

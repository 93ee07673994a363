"""The limits' validation rules report `QUERY_TOO_COMPLEX`, with which limit and its maximum.

Strawberry's depth and alias limiters report plain validation errors, from their
constructors and through the validation context; each is wrapped to hand the rule a context
whose `report_error` adds the code first.
"""

from __future__ import annotations

from typing import Any

from graphql import ASTValidationRule, GraphQLError
from graphql.validation import ASTValidationContext

from schema.error_codes import ErrorCode


def too_complex(limit: str, maximum: int, **extensions: object) -> dict[str, object]:
    """The extensions of an operation over `limit` ("depth", "aliases", "cost", ...)."""
    return {
        "code": ErrorCode.QUERY_TOO_COMPLEX.value,
        "limit": limit,
        "maximum": maximum,
        **extensions,
    }


class _Coding(ASTValidationContext):
    """A view of a validation context whose errors are coded as over `limit`: everything
    else reads through to `context` (hence no `super().__init__`)."""

    def __init__(self, context: ASTValidationContext, extensions: dict[str, object]) -> None:
        self._context = context
        self._extensions = extensions

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**self._extensions, **(error.extensions or {})}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def limit_rule(rule: type[ASTValidationRule], limit: str, maximum: int) -> type[ASTValidationRule]:
    """`rule`, its errors coded `QUERY_TOO_COMPLEX` over `limit` of `maximum`."""
    extensions = too_complex(limit, maximum)

    class Limit(rule):  # type: ignore[misc, valid-type]
        def __init__(self, context: ASTValidationContext) -> None:
            super().__init__(_Coding(context, extensions))

    Limit.__name__ = Limit.__qualname__ = f"{rule.__name__}AsLimit"
    return Limit

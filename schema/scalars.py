"""Scalars whose wire form DESIGN.md fixes more tightly than Strawberry's defaults."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import strawberry
from graphql import StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition


def _parse_decimal(value: object) -> Decimal:
    # A JSON number would pass through a float first and could lose digits: strings only.
    if not isinstance(value, str):
        raise ValueError('a Decimal is a string, e.g. "18.50"')
    try:
        parsed = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not parsed.is_finite():
        raise ValueError(f"not a finite decimal number: {value!r}")
    return parsed


def _parse_decimal_literal(node: ValueNode, _variables: object = None) -> Decimal:
    if not isinstance(node, StringValueNode):
        raise ValueError('a Decimal is a string, e.g. "18.50"')
    return _parse_decimal(node.value)


DECIMAL = strawberry.scalar(
    name="Decimal",
    description='A decimal as a string, never a float: "18.50".',
    serialize=str,
    parse_value=_parse_decimal,
    parse_literal=_parse_decimal_literal,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Decimal: DECIMAL}

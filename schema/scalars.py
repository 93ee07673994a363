"""Scalars whose wire form DESIGN.md fixes more tightly than Strawberry's defaults."""

from __future__ import annotations

import re
from decimal import Decimal

import strawberry
from graphql import StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

# Plain notation only: no exponent, no NaN or Infinity, no surrounding blanks.
_DECIMAL = re.compile(r"-?\d{1,30}(\.\d{1,30})?")


def _parse_decimal(value: object) -> Decimal:
    # A JSON number would pass through a float first and could lose digits: strings only.
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise ValueError('a Decimal is a string of digits, e.g. "18.50"')
    return Decimal(value)


def _parse_decimal_literal(node: ValueNode, _variables: object = None) -> Decimal:
    return _parse_decimal(node.value if isinstance(node, StringValueNode) else None)


DECIMAL = strawberry.scalar(
    name="Decimal",
    description='A decimal as a string, never a float: "18.50".',
    serialize=str,
    parse_value=_parse_decimal,
    parse_literal=_parse_decimal_literal,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Decimal: DECIMAL}

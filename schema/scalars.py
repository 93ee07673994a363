"""Scalars whose wire form DESIGN.md fixes more tightly than Strawberry's defaults."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

import strawberry
from graphql import StringValueNode, ValueNode
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from domain.policy import EARLIEST_DATE, LATEST_DATE

# Plain notation only: no exponent, no NaN or Infinity, no surrounding blanks; ASCII digits
# only (`\d` would take fullwidth and other scripts' digits, which Decimal normalises).
_DECIMAL = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")


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


def _within_window[T: dt.date](parse: Callable[[object], T]) -> Callable[[object], T]:
    def parse_within(value: object) -> T:
        parsed = parse(value)
        day = parsed.date() if isinstance(parsed, dt.datetime) else parsed
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise ValueError(f"a date from {EARLIEST_DATE} to {LATEST_DATE}")
        return parsed

    return parse_within


def _bounded(definition: ScalarDefinition) -> ScalarDefinition:
    """Strawberry's scalar, refusing dates outside the window of `domain.policy`."""
    assert definition.parse_value is not None
    return dataclasses.replace(
        definition,
        description=f"{definition.description}, from {EARLIEST_DATE} to {LATEST_DATE}",
        parse_value=_within_window(definition.parse_value),
    )


SCALAR_MAP: dict[object, ScalarDefinition] = {
    Decimal: DECIMAL,
    dt.date: _bounded(DateDefinition),
    dt.datetime: _bounded(DateTimeDefinition),
}

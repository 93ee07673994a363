"""Scalars whose wire form DESIGN.md fixes more tightly than Strawberry's defaults."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import NewType

import strawberry
from graphql import GraphQLError, StringValueNode, ValueNode
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from domain.currencies import ISO_4217
from domain.instant import instant
from domain.policy import EARLIEST_DATE, LATEST_DATE

RFC_3339 = "https://datatracker.ietf.org/doc/html/rfc3339"
ISO_4217_URL = "https://www.iso.org/iso-4217-currency-codes.html"

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


def _parse_currency(value: object) -> str:
    if not isinstance(value, str) or value not in ISO_4217:
        raise ValueError('a Currency is an ISO 4217 code in capitals, e.g. "USD"')
    return value


def _parse_currency_literal(node: ValueNode, _variables: object = None) -> str:
    return _parse_currency(node.value if isinstance(node, StringValueNode) else None)


Currency = NewType("Currency", str)
"""A currency code of the schema: validated by the scalar, plain `str` to the domain."""

CURRENCY = strawberry.scalar(
    name="Currency",
    description='An ISO 4217 currency code in circulation, in capitals: "USD", "EUR".',
    specified_by_url=ISO_4217_URL,
    serialize=str,
    parse_value=_parse_currency,
    parse_literal=_parse_currency_literal,
)


def _within_window[T: dt.date](parse: Callable[[object], T]) -> Callable[[object], T]:
    def parse_within(value: object) -> T:
        try:
            parsed = parse(value)
        except GraphQLError as error:
            # Strawberry refuses a malformed day with a GraphQLError, which graphql-core
            # reports without the literal it is about: as a ValueError it names its node, so
            # a literal is refused as bad input with its field, like a variable.
            raise ValueError(error.message) from None
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


DATE = dataclasses.replace(
    _bounded(DateDefinition),
    description=f"A calendar day, YYYY-MM-DD (RFC 3339 full-date), from {EARLIEST_DATE} to "
    f"{LATEST_DATE}.",
    specified_by_url=RFC_3339,
)
DATETIME = dataclasses.replace(
    _bounded(DateTimeDefinition),
    description="An instant, always sent in UTC with milliseconds: 2026-12-05T07:20:30.123Z "
    "(RFC 3339). Accepted with any offset; from "
    f"{EARLIEST_DATE} to {LATEST_DATE}.",
    specified_by_url=RFC_3339,
    serialize=instant,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    Decimal: DECIMAL,
    Currency: CURRENCY,
    dt.date: DATE,
    dt.datetime: DATETIME,
}

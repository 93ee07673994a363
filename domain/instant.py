"""The one written form of an instant, on the wire and in the texts the service writes (an
event's `reason`): UTC, milliseconds (what BSON keeps), `Z`. Codegen clients and
`Date.parse` read it; string comparisons order it."""

from __future__ import annotations

from datetime import UTC, datetime


def instant(value: datetime) -> str:
    """`value` written in the one form; a naive value is taken as UTC (what BSON gives)."""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"

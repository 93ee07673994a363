"""BSON at the storage boundary: ObjectId ids, Decimal128 money, UTC datetimes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bson import Decimal128, ObjectId
from bson.errors import InvalidId

from domain.errors import NotFound
from domain.party import Actor, Role

# Term fields that hold money: stored as Decimal128 so that they are never floats.
MONEY_FIELDS = frozenset({"rate", "amount"})


def object_id(value: str, kind: str) -> ObjectId:
    """A client-supplied id; a malformed one names no document."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise NotFound(kind, value) from None


def terms_to_bson(value: Any, key: str = "") -> Any:
    """Canonical terms (decimals as strings) to BSON, money as Decimal128."""
    if isinstance(value, Mapping):
        return {k: terms_to_bson(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [terms_to_bson(v, key) for v in value]
    if key in MONEY_FIELDS and isinstance(value, str):
        return Decimal128(value)
    return value


def terms_from_bson(value: Any) -> Any:
    """The inverse of `terms_to_bson`: Decimal128 back to the canonical decimal string."""
    if isinstance(value, Mapping):
        return {k: terms_from_bson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [terms_from_bson(v) for v in value]
    if isinstance(value, Decimal128):
        return str(value.to_decimal())
    return value


def decimal_from_bson(value: Decimal128) -> Decimal:
    return value.to_decimal()


def day(value: date) -> datetime:
    """A calendar date as the BSON datetime of its midnight UTC, for range queries."""
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def actor_to_bson(actor: Actor) -> dict[str, Any]:
    return {"id": actor.id, "role": actor.role.value if actor.role else None}


def actor_from_bson(doc: Mapping[str, Any]) -> Actor:
    role = doc.get("role")
    return Actor(id=doc["id"], role=Role(role) if role else None)


def optional_id(value: str | None) -> ObjectId | None:
    return None if value is None else ObjectId(value)


def optional_str(value: ObjectId | None) -> str | None:
    return None if value is None else str(value)

"""BSON at the storage boundary: ObjectId ids, Decimal128 money, UTC datetimes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from bson import Decimal128, ObjectId
from bson.errors import InvalidId

from domain.errors import NotFound
from domain.ids import shown
from domain.party import Actor, Role

# Term fields that hold money: stored as Decimal128 so that they are never floats.
MONEY_FIELDS = frozenset({"rate", "amount"})


def object_id(value: str, kind: str) -> ObjectId:
    """A client-supplied id; a malformed one names no document (and is named as
    `domain.ids.shown` cleans it: never echoed as sent)."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise NotFound(kind, shown(value)) from None


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
    # `dict`, not `Mapping`: the driver decodes documents as dicts, and an ABC check costs
    # several times more on every leaf of every document of a page.
    if isinstance(value, dict):
        return {k: terms_from_bson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [terms_from_bson(v) for v in value]
    if isinstance(value, Decimal128):
        return str(value.to_decimal())
    return value


class ParsedTerms[T]:
    """Terms parsed from BSON, kept per content hash, least recently used out.

    A document stores the SHA-256 of its terms' canonical JSON beside them, so one hash
    is one set of terms: a document read again (pages are read far more often than terms
    change) skips decoding and validating them, which costs more than the read itself on
    a page of 50. The parsed terms are frozen models, safe to share between requests.
    """

    def __init__(self, parse: Callable[[Any], T], size: int = 2048) -> None:
        self._parse = parse
        self._size = size
        self._parsed: OrderedDict[str, T] = OrderedDict()

    def get(self, digest: str, stored: Any) -> T:
        """The terms `stored` (BSON), whose canonical JSON hashes to `digest`."""
        found = self._parsed.get(digest)
        if found is not None:
            self._parsed.move_to_end(digest)
            return found
        parsed = self._parse(terms_from_bson(stored))
        self._parsed[digest] = parsed
        if len(self._parsed) > self._size:
            self._parsed.popitem(last=False)
        return parsed


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

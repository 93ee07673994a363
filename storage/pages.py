"""Keyset pagination over `_id`, newest first, with opaque cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.asynchronous.collection import AsyncCollection

from domain.errors import BadUserInput
from storage.database import Document


@dataclass(frozen=True, slots=True)
class Page[T]:
    items: list[tuple[str, T]]
    has_next_page: bool


def encode_cursor(kind: str, oid: ObjectId) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{oid}".encode()).decode()


def decode_cursor(kind: str, cursor: str) -> ObjectId:
    try:
        prefix, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if prefix != kind:
            raise ValueError(prefix)
        return ObjectId(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error, InvalidId):
        raise BadUserInput("after: not a cursor of this list", field="after") from None


def after_filter(kind: str, query: Document, after: str | None) -> Document:
    if after is None:
        return query
    return {**query, "_id": {"$lt": decode_cursor(kind, after)}}


async def fetch_page[T](
    collection: AsyncCollection[Document],
    kind: str,
    query: Document,
    first: int,
    after: str | None,
    from_bson: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    """The `first` documents of `query` after the cursor `after`, newest first.

    One more than asked is read to know whether a next page exists without a count.
    """
    cursor = collection.find(after_filter(kind, query, after)).sort("_id", -1)
    docs = [doc async for doc in cursor.limit(first + 1)]
    return page_of(kind, docs, first, from_bson)


def page_of[T](
    kind: str,
    docs: Sequence[Mapping[str, Any]],
    first: int,
    from_bson: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    """The page of `first` documents out of up to `first + 1` read newest first."""
    items = [(encode_cursor(kind, doc["_id"]), from_bson(doc)) for doc in docs[:first]]
    return Page(items, len(docs) > first)

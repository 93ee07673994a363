"""Keyset pagination over `_id`, newest first, with opaque cursors."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from bson import ObjectId
from bson.errors import InvalidId

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

"""Keyset pagination, forward (`first`, `after`) and backward (`last`, `before`), with opaque
cursors and exact `hasNextPage`/`hasPreviousPage`: the one implementation every list uses.

A list is ordered by one unique field (`Order`): `_id` newest first for documents, `seq`
oldest first for events. A page is read with one query of `size + 1` items, the extra one
telling whether more lie beyond it; whether items lie on the other side of the cursor it
started from is a second query, made only when that flag is selected (`Known`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.asynchronous.collection import AsyncCollection

from domain.errors import BadUserInput
from storage.database import Document
from storage.scopes import both

# A page flag: known when the page was read, or a query to make when it is selected.
type Known = bool | Callable[[], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Window:
    """Which page of a list: `size` items from the start of the range between the cursors
    `after` and `before` (each optional), or from its end when `backward` (`last`)."""

    size: int
    backward: bool = False
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Page[T]:
    """Items in list order with their cursors, and whether the list goes on past each end."""

    items: list[tuple[str, T]]
    has_next_page: Known
    has_previous_page: Known = False


@dataclass(frozen=True, slots=True)
class Order:
    """A list's order: by `field` (unique), highest first when `descending`; `encode` and
    `decode` spell a field value as a cursor and back (`decode` names the argument)."""

    field: str
    descending: bool
    encode: Callable[[Any], str]
    decode: Callable[[str, str], Any]

    def sort(self, backward: bool) -> int:
        """The direction to read in: the list's, or the reverse for a backward page."""
        return -1 if self.descending != backward else 1

    def beyond(self, cursor: Any, ahead: bool, inclusive: bool) -> Document:
        """The items after (`ahead`) or before the cursor's item in list order."""
        operator = "$lt" if ahead == self.descending else "$gt"
        return {self.field: {operator + ("e" if inclusive else ""): cursor}}

    def range(self, query: Document, window: Window) -> Document:
        """`query` narrowed to the items strictly between the window's cursors."""
        bounds: Document = {}
        if window.after is not None:
            bounds |= self.beyond(self.decode(window.after, "after"), True, False)[self.field]
        if window.before is not None:
            bounds |= self.beyond(self.decode(window.before, "before"), False, False)[self.field]
        return both(query, {self.field: bounds}) if bounds else query

    def outside(self, window: Window) -> tuple[Document | None, Document | None]:
        """The items at or before the `after` cursor, and at or after the `before` cursor
        (None: no such cursor): what the page flags ask about beyond the range."""
        after, before = window.after, window.before
        return (
            None if after is None else self.beyond(self.decode(after, "after"), False, True),
            None if before is None else self.beyond(self.decode(before, "before"), True, True),
        )


def encode_cursor(kind: str, oid: ObjectId) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{oid}".encode()).decode()


def decode_cursor(kind: str, cursor: str, argument: str = "after") -> ObjectId:
    try:
        prefix, _, raw = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if prefix != kind:
            raise ValueError(prefix)
        return ObjectId(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error, InvalidId):
        raise BadUserInput(f"{argument}: not a cursor of this list", field=argument) from None


def by_id(kind: str) -> Order:
    """Documents of `kind`, newest first."""
    return Order(
        "_id",
        True,
        lambda oid: encode_cursor(kind, oid),
        lambda cursor, argument: decode_cursor(kind, cursor, argument),
    )


async def fetch_page[T](
    collection: AsyncCollection[Document],
    order: Order,
    query: Document,
    window: Window,
    from_bson: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    """The window's page of the documents matching `query`."""
    cursor = collection.find(order.range(query, window)).sort(
        order.field, order.sort(window.backward)
    )
    docs = [doc async for doc in cursor.limit(window.size + 1)]

    def exists(side: Document | None) -> Known:
        if side is None:
            return False

        async def check() -> bool:
            return await collection.find_one(both(query, side), projection={"_id": 1}) is not None

        return check

    preceding, following = order.outside(window)
    return page_of(order, docs, window, from_bson, exists(preceding), exists(following))


def page_of[T](
    order: Order,
    docs: Sequence[Mapping[str, Any]],
    window: Window,
    from_bson: Callable[[Mapping[str, Any]], T],
    preceding: Known,
    following: Known,
) -> Page[T]:
    """The page of up to `size + 1` documents read in the window's direction. `preceding`:
    whether items lie at or before the `after` cursor; `following`: at or after `before`
    (each False without its cursor)."""
    more = len(docs) > window.size
    kept = list(docs[: window.size])
    if window.backward:
        kept.reverse()
    items = [(order.encode(doc[order.field]), from_bson(doc)) for doc in kept]
    if window.backward:
        return Page(items, following, True if more else preceding)
    return Page(items, True if more else following, preceding)

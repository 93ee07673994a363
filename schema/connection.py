"""Relay connections: `edges { cursor node }`, `pageInfo`, and a lazily counted total."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):  # noqa: UP046  (Strawberry resolves TypeVar generics only)
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):  # noqa: UP046
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All items matching the filter, across pages.")
    async def total_count(self) -> int:
        return await self.count()

    @staticmethod
    def of[N](
        items: list[tuple[str, N]], has_next_page: bool, count: Callable[[], Awaitable[int]]
    ) -> Connection[N]:
        edges = [Edge(cursor=cursor, node=node) for cursor, node in items]
        end = edges[-1].cursor if edges else None
        return Connection(
            edges=edges,
            page_info=PageInfo(has_next_page=has_next_page, end_cursor=end),
            count=count,
        )

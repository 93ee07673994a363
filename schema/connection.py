"""Relay connections: `edges { cursor node }`, `pageInfo`, and a lazily counted total."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from storage.pages import Known, Page

T = TypeVar("T")

# The page arguments of every list: `first`/`after` forward, `last`/`before` backward.
PageSize = Annotated[
    int | None,
    strawberry.argument(
        description="Page size: 0 to the service's maximum (QUERY_TOO_COMPLEX above it); "
        "null: 20 (unless `last` is given). Not with `last`."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="A cursor (`endCursor`): only the items after it."),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="Page size from the end of the list (or before `before`); not with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="A cursor (`startCursor`): only the items before it."),
]


def _flag(known: Known) -> bool | Awaitable[bool]:
    return known if isinstance(known, bool) else known()


@strawberry.type(description="Where a page lies in its list (Relay's cursor connections).")
class PageInfo:
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last edge; null when the page is empty."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the page's first edge; null when the page is empty."
    )
    next: strawberry.Private[Known]
    previous: strawberry.Private[Known]

    # A flag not known yet is a query, made only when selected.
    @strawberry.field(
        graphql_type=bool,
        description="Whether items follow this page: ask again with `after: endCursor`.",
    )
    def has_next_page(self) -> bool | Awaitable[bool]:
        return _flag(self.next)

    @strawberry.field(
        graphql_type=bool,
        description="Whether items precede this page: ask again with `before: startCursor`.",
    )
    def has_previous_page(self) -> bool | Awaitable[bool]:
        return _flag(self.previous)


@strawberry.type(description="One item of a page, with its cursor.")
class Edge(Generic[T]):  # noqa: UP046  (Strawberry resolves TypeVar generics only)
    cursor: str = strawberry.field(
        description="Opaque: pass it as `after` (or `before`) to page from this item."
    )
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list (a Relay connection), with the total count.")
class Connection(Generic[T]):  # noqa: UP046
    edges: list[Edge[T]] = strawberry.field(description="The page's items, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Where the page lies in the list.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All items matching the filter, across pages.")
    async def total_count(self) -> int:
        return await self.count()

    @staticmethod
    def of[D, N](
        page: Page[D], count: Callable[[], Awaitable[int]], node: Callable[[D], N]
    ) -> Connection[N]:
        """The connection of a page of domain objects, each made a GraphQL `node`."""
        edges = [Edge(cursor=cursor, node=node(item)) for cursor, item in page.items]
        info = PageInfo(
            end_cursor=edges[-1].cursor if edges else None,
            start_cursor=edges[0].cursor if edges else None,
            next=page.has_next_page,
            previous=page.has_previous_page,
        )
        return Connection(edges=edges, page_info=info, count=count)


type Prefetch[N] = Callable[[list[N], frozenset[str]], Awaitable[None]]


async def page_connection[D, N](
    info: Info[Any, Any],
    page: Page[D],
    prefetch: Prefetch[D],
    count: Callable[[], Awaitable[int]],
    node: Callable[[D], N],
) -> Connection[N]:
    """The connection of `page`, once `prefetch` has loaded what its nodes select."""
    await prefetch([item for _, item in page.items], node_fields(info))
    return Connection.of(page, count, node)


def node_fields(info: Info[Any, Any]) -> frozenset[str]:
    """The fields the connection being resolved selects on its nodes (`edges { node }`),
    fragments included: what a page resolver may load for all its items at once."""
    return frozenset(
        field.name
        for connection in info.selected_fields
        for edges in _named(connection.selections, "edges")
        for node in _named(edges.selections, "node")
        for field in _fields(node.selections)
    )


def _named(selections: Iterable[Selection], name: str) -> Iterator[SelectedField]:
    return (field for field in _fields(selections) if field.name == name)


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # a fragment, named or inline
            yield from _fields(selection.selections)

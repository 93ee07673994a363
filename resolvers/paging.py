"""Page arguments shared by every list: `first`/`after` forward, `last`/`before` backward."""

from __future__ import annotations

from domain.errors import BadUserInput, QueryTooComplex
from resolvers.context import Context
from storage.pages import Window

DEFAULT_PAGE_SIZE = 20


def page_size(ctx: Context, first: int | None, argument: str = "first") -> int:
    if first is None:
        return min(DEFAULT_PAGE_SIZE, ctx.limits.max_page_size)
    if first < 0:
        raise BadUserInput(f"{argument}: 0 to {ctx.limits.max_page_size}", field=argument)
    if first > ctx.limits.max_page_size:
        raise QueryTooComplex(
            f"{argument}: at most {ctx.limits.max_page_size}",
            limit="pageSize",
            maximum=ctx.limits.max_page_size,
            field=argument,
        )
    return first


def window(
    ctx: Context,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> Window:
    """The page the arguments ask for: the first items after `after` (by default), or with
    `last`, the last ones before `before`. Either cursor narrows both directions."""
    if last is None:
        return Window(page_size(ctx, first), False, after, before)
    if first is not None:
        raise BadUserInput("first and last: give one of them, not both", field="last")
    return Window(page_size(ctx, last, "last"), True, after, before)

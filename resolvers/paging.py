"""Page-size rules shared by every list."""

from __future__ import annotations

from domain.errors import BadUserInput, QueryTooComplex
from resolvers.context import Context

DEFAULT_PAGE_SIZE = 20


def page_size(ctx: Context, first: int | None) -> int:
    if first is None:
        return min(DEFAULT_PAGE_SIZE, ctx.limits.max_page_size)
    if first < 0:
        raise BadUserInput(f"first: 0 to {ctx.limits.max_page_size}", field="first")
    if first > ctx.limits.max_page_size:
        raise QueryTooComplex(
            f"first: at most {ctx.limits.max_page_size}",
            limit="pageSize",
            maximum=ctx.limits.max_page_size,
            field="first",
        )
    return first

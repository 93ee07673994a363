"""One decision on one loaded document, committed: the shape of every plain mutation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain.changes import Change
from resolvers.context import Context


async def change_one[D](
    ctx: Context, load: Callable[[], Awaitable[D]], decide: Callable[[D], Change[D]]
) -> D:
    """Load, decide, commit with the change's versions and events; on a lost race the
    decision is taken again on the fresh document. Returns the document after."""
    changes = await ctx.store.writer.read_decide_commit(load, lambda current: [decide(current)])
    after: D = changes[0].after
    return after

"""The handler of a command on one existing document: the shape of most mutations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.changes import Change
from domain.commands import OnDocument
from domain.party import Viewer
from resolvers.context import Context


@dataclass(frozen=True, slots=True)
class ChangeOne[D, C: OnDocument[Any]]:
    """Read the command's document in the viewer's scope (`read`), let the domain's `rule`
    decide, commit the change with its versions and events; on a lost race the rule decides
    again on the fresh document. Returns the document after."""

    read: Callable[[Context, Viewer, str], Awaitable[D]]
    rule: Callable[[D, C, Viewer, datetime], Change[D]]

    async def __call__(self, ctx: Context, viewer: Viewer, command: C) -> D:
        async def load() -> D:
            return await self.read(ctx, viewer, command.id)

        def decide(document: D) -> list[Change[D]]:
            return [self.rule(document, command, viewer, ctx.clock())]

        changes = await ctx.store.writer.read_decide_commit(load, decide)
        after: D = changes[0].after
        return after

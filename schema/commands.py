"""What every mutation does: build the domain's command from its arguments and hand it to
the one registry of handlers (`resolvers.commands`). Its field's guard names the same
command (`schema.access.allowed`)."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from domain.commands import Command
from resolvers.commands import handle
from resolvers.context import Context
from schema.access import viewer_of


async def run[R](info: Info[Context, Any], command: Command[R]) -> R:
    return await handle(info.context, viewer_of(info), command)

"""What every mutation does: build the domain's command from its arguments and hand it to
the one registry of handlers (`resolvers.commands`). Its field's guard names the same
command (`schema.access.allowed`)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain.commands import Command, Revise
from resolvers.commands import handle
from resolvers.context import Context
from schema.access import viewer_of
from schema.inputs import input_to_dict


async def run[R](info: Info[Context, Any], command: Command[R]) -> R:
    return await handle(info.context, viewer_of(info), command)


def revision[C: Revise[Any]](
    command: type[C], id: str, expected_version: int, terms: object, change_summary: str | None
) -> C:
    """A command giving new terms (`terms`: a patch input), from its mutation's arguments."""
    patch = input_to_dict(terms)
    return command(
        id=id, expected_version=expected_version, patch=patch, change_summary=change_summary
    )


# The arguments most mutations share.
SowId = Annotated[strawberry.ID, strawberry.argument(description="The SOW's id.")]
CsaId = Annotated[strawberry.ID, strawberry.argument(description="The CSA's id.")]
ExpectedVersion = Annotated[
    int,
    strawberry.argument(
        description="The document's `version` as you last read it: CONFLICT, and nothing "
        "changes, if it has changed since."
    ),
]
Reason = Annotated[
    str, strawberry.argument(description="Why, for the other party: kept in the event.")
]
ChangeSummary = Annotated[
    str | None,
    strawberry.argument(description="What changed, kept with the new version; null: none."),
]

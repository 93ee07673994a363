"""SOW queries and mutations: load, let `domain.sow` decide, commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from domain import access
from domain import csa as csa_rules
from domain import sow as rules
from domain.changes import Change
from domain.csa import Csa
from domain.errors import BadUserInput, NotFound
from domain.party import Viewer
from domain.scope import Scope
from domain.sow import Sow
from resolvers.changing import change_one
from resolvers.context import Context
from resolvers.paging import page_size
from storage.pages import Page
from storage.sows import SowQuery


async def sow(ctx: Context, viewer: Viewer, id: str) -> Sow:
    found = await ctx.store.sows.get(id, Scope.of(viewer))
    if found is None:
        raise NotFound("Sow", id)
    return found


async def sows(
    ctx: Context, viewer: Viewer, where: SowQuery, first: int | None, after: str | None
) -> Page[Sow]:
    return await ctx.store.sows.page(Scope.of(viewer), where, page_size(ctx, first), after)


async def prefetch(ctx: Context, sows: list[Sow], fields: Collection[str]) -> None:
    """Load what `fields` of a page's SOWs link to, one query per kind, before the page is
    resolved: each item's field then finds its value ready (`loaders.at_once`)."""
    loads: list[Awaitable[object]] = []
    if "client" in fields:
        loads.append(ctx.loaders.client.load_many([s.client_id for s in sows]))
    if "staffing" in fields:
        loads.append(ctx.loaders.staffing.load_many([s.id for s in sows]))
    await asyncio.gather(*loads)


async def count_sows(ctx: Context, viewer: Viewer, where: SowQuery) -> int:
    return await ctx.store.sows.count(Scope.of(viewer), where)


async def create_sow(
    ctx: Context, viewer: Viewer, client_id: str | None, terms: Mapping[str, Any]
) -> Sow:
    owner = access.client_of_new_sow(viewer, client_id)
    parsed = rules.parse_sow_terms(terms)
    if await ctx.loaders.client.load(owner) is None:
        raise BadUserInput("clientId: no such client", field="clientId")
    now = ctx.clock()
    number = await ctx.store.sows.next_number(now)
    change = rules.create(ctx.store.new_id(), number, owner, parsed, viewer, now)
    await ctx.store.writer.create([change])
    return change.after


# The domain rule of each mutation on an existing SOW, by GraphQL field name. Every rule
# is called as `rule(sow, viewer, expectedVersion, *arguments, now)`.
RULES: Mapping[str, Callable[..., Change[Sow]]] = {
    "updateSow": rules.update,
    "submitSow": rules.submit,
    "startSowReview": rules.start_review,
    "requestSowChanges": rules.request_changes,
    "signSow": rules.sign,
    "proposeSowAmendment": rules.propose_amendment,
    "acceptSowAmendment": rules.accept_amendment,
    "rejectSowAmendment": rules.reject_amendment,
}


async def change_sow(
    ctx: Context, viewer: Viewer, mutation: str, id: str, expected_version: int, *arguments: Any
) -> Sow:
    """Mutation `mutation` (a key of `RULES`) on one SOW in the viewer's scope, committed
    with its versions and events; decided again on the fresh SOW after a lost race."""
    rule = RULES[mutation]
    return await change_one(
        ctx,
        lambda: sow(ctx, viewer, id),
        lambda current: rule(current, viewer, expected_version, *arguments, ctx.clock()),
    )


async def terminate_sow(
    ctx: Context, viewer: Viewer, id: str, expected_version: int, reason: str
) -> Sow:
    """Ends the SOW and, in the same transaction, every CSA under it not yet ended."""

    async def load() -> tuple[Sow, list[Csa]]:
        current = await sow(ctx, viewer, id)
        return current, await ctx.store.csas.open_of_sow(current.id)

    def decide(state: tuple[Sow, list[Csa]]) -> list[Change[Any]]:
        current, csas = state
        now = ctx.clock()
        ended = rules.terminate(current, viewer, expected_version, reason, now)
        return [ended, *csa_rules.cascade(csas, viewer, now)]

    changes = await ctx.store.writer.read_decide_commit(load, decide)
    after: Sow = changes[0].after
    return after

"""SOW queries and mutations: load, let `domain.sow` decide, commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any

from domain import access, ids
from domain import csa as csa_rules
from domain import sow as rules
from domain.changes import Change
from domain.commands import CreateSow, OnDocument, TerminateSow
from domain.csa import Csa
from domain.errors import BadUserInput
from domain.party import Viewer
from domain.scope import Scope
from domain.sow import Sow
from resolvers.context import Context
from storage.pages import Page, Window
from storage.sows import SowQuery


async def sow(ctx: Context, viewer: Viewer, id: str) -> Sow:
    found = await ctx.store.sows.get(id, Scope.of(viewer))
    if found is None:
        raise ids.not_found("Sow", id)
    return found


async def sows(ctx: Context, viewer: Viewer, where: SowQuery, window: Window) -> Page[Sow]:
    return await ctx.store.sows.page(Scope.of(viewer), where, window)


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


async def create_sow(ctx: Context, viewer: Viewer, command: CreateSow) -> Sow:
    owner = access.client_of_new_sow(viewer, command.client_id)
    parsed = rules.parse_sow_terms(command.terms)
    if await ctx.loaders.client.load(owner) is None:
        raise BadUserInput("clientId: no such client", field="clientId")
    now = ctx.clock()
    number = await ctx.store.sows.next_number(now)
    change = rules.create(ctx.store.new_id(), number, owner, parsed, viewer, now)
    await ctx.store.writer.create([change])
    return change.after


async def terminate_sow(ctx: Context, viewer: Viewer, command: TerminateSow) -> Sow:
    """Ends the SOW and, in the same transaction, every CSA under it not yet ended."""

    async def load() -> tuple[Sow, list[Csa]]:
        current = await sow(ctx, viewer, command.id)
        return current, await ctx.store.csas.open_of_sow(current.id)

    def decide(state: tuple[Sow, list[Csa]]) -> list[Change[Any]]:
        current, csas = state
        now = ctx.clock()
        ended = rules.terminate(current, command, viewer, now)
        return [ended, *csa_rules.cascade(csas, viewer, now)]

    changes = await ctx.store.writer.read_decide_commit(load, decide)
    after: Sow = changes[0].after
    return after


type AmendmentRule[C] = Callable[[Sow, C, Viewer, datetime], Change[Sow]]


def staffed[C: OnDocument[Any]](
    rule: AmendmentRule[C],
) -> Callable[[Context, Viewer, C], Awaitable[Sow]]:
    """The handler of an amendment's proposal or acceptance (`rule`), refused when the terms
    it leads to would leave a CSA of the SOW outside them (`domain.csa.check_staffed_within`).
    CSAs produced, renewed or edited under the SOW write its revision: they conflict with it."""

    async def handle(ctx: Context, viewer: Viewer, command: C) -> Sow:
        async def load() -> tuple[Sow, list[Csa]]:
            current = await sow(ctx, viewer, command.id)
            return current, await ctx.store.csas.open_of_sow(current.id)

        def decide(state: tuple[Sow, list[Csa]]) -> list[Change[Any]]:
            current, csas = state
            change = rule(current, command, viewer, ctx.clock())
            # A proposal is pending after it; an acceptance has made it the SOW's terms.
            pending = change.after.pending_amendment
            terms = change.after.terms if pending is None else pending.terms
            csa_rules.check_staffed_within(terms, csas, proposed=pending is not None)
            return [change]

        changes = await ctx.store.writer.read_decide_commit(load, decide)
        after: Sow = changes[0].after
        return after

    return handle

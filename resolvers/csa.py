"""CSA queries and mutations: load, let `domain.csa` decide, commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection, Sequence
from typing import Any

from domain import csa as rules
from domain import ids, lifecycle
from domain.changes import Change
from domain.commands import ProduceCsas, RenewCsa, UpdateCsaDraft
from domain.csa import Csa, CsaFlag, NewCsa
from domain.errors import BadUserInput
from domain.events import EntityType
from domain.party import Agent, Viewer
from domain.policy import CsaPolicy
from domain.scope import EVERYTHING, Scope
from domain.sow import Sow
from resolvers.context import Context
from resolvers.loaders import Soon, at_once
from storage.csas import CsaQuery
from storage.pages import Page, Window

MAX_AGENTS_PER_PRODUCTION = 500


def policy(ctx: Context) -> CsaPolicy:
    return ctx.limits.csa_policy


async def csa(ctx: Context, viewer: Viewer, id: str) -> Csa:
    found = await ctx.store.csas.get(id, Scope.of(viewer))
    if found is None:
        raise ids.not_found("Csa", id)
    return found


async def csas(ctx: Context, viewer: Viewer, where: CsaQuery, window: Window) -> Page[Csa]:
    return await ctx.store.csas.page(Scope.of(viewer), where, window)


async def prefetch(ctx: Context, csas: list[Csa], fields: Collection[str]) -> None:
    """Load the agents and SOWs of a page's CSAs before the page is resolved, when selected
    (see `resolvers.sow.prefetch`)."""
    loads: list[Awaitable[object]] = []
    if "agent" in fields:
        loads.append(ctx.loaders.agent.load_many([c.agent_id for c in csas]))
    if "sow" in fields and ctx.viewer is not None and Scope.of(ctx.viewer).sees(EntityType.SOW):
        loads.append(ctx.loaders.sow.load_many([c.sow_id for c in csas]))
    await asyncio.gather(*loads)


def sow_of(ctx: Context, viewer: Viewer, csa: Csa) -> Soon[Sow | None]:
    """The SOW `csa` serves, if `viewer` may see it (`sow(id:)`'s scope): compliance any, a
    client its own."""
    client = Scope.of(viewer).client_id
    if client is not None and client != csa.client_id:
        return None
    return at_once(ctx.loaders.sow, csa.sow_id)


async def count_csas(ctx: Context, viewer: Viewer, where: CsaQuery) -> int:
    return await ctx.store.csas.count(Scope.of(viewer), where)


async def _sow_of(ctx: Context, sow_id: str) -> Sow:
    found = await ctx.store.sows.get(sow_id, EVERYTHING)
    if found is None:
        raise BadUserInput("sowId: no such SOW", field="sowId")
    return found


async def produce_csas(ctx: Context, viewer: Viewer, command: ProduceCsas) -> list[Csa]:
    parsed = rules.parse_csa_terms(command.terms)
    agent_ids = list(command.agent_ids)
    if len(agent_ids) > MAX_AGENTS_PER_PRODUCTION:
        raise BadUserInput(f"agentIds: at most {MAX_AGENTS_PER_PRODUCTION}", field="agentIds")
    now = ctx.clock()
    numbers = await ctx.store.csas.next_numbers(now, len(agent_ids)) if agent_ids else []
    new = [
        NewCsa(ctx.store.new_id(), number, agent_id)
        for number, agent_id in zip(numbers, agent_ids, strict=True)
    ]

    async def load() -> tuple[Sow, dict[str, Agent], list[Csa]]:
        sow = await _sow_of(ctx, command.sow_id)
        agents = await ctx.store.parties.agents(agent_ids)
        existing = await ctx.store.csas.of_sow_and_agents(sow.id, list(agents))
        return sow, agents, existing

    def decide(state: tuple[Sow, dict[str, Agent], list[Csa]]) -> list[Change[Any]]:
        sow, agents, existing = state
        produced = rules.produce(sow, new, agents, existing, parsed, viewer, policy(ctx), now)
        return [lifecycle.touch(sow), *produced]

    changes = await ctx.store.writer.read_decide_commit(load, decide)
    return [change.after for change in changes[1:]]


async def update_csa_draft(ctx: Context, viewer: Viewer, command: UpdateCsaDraft) -> Csa:
    """`domain.csa.update_draft` under the configured policy, against the SOW as it is; the
    SOW is written too (its revision), so an amendment moving its dates at the same moment
    conflicts with the edit instead of missing it."""

    async def load() -> tuple[Csa, Sow]:
        current = await csa(ctx, viewer, command.id)
        return current, await _sow_of(ctx, current.sow_id)

    def decide(state: tuple[Csa, Sow]) -> Sequence[Change[Any]]:
        current, sow = state
        edited = rules.update_draft(current, command, viewer, ctx.clock(), policy(ctx), sow)
        return [edited, lifecycle.touch(sow)]

    changes = await ctx.store.writer.read_decide_commit(load, decide)
    edited: Csa = changes[0].after
    return edited


async def renew_csa(ctx: Context, viewer: Viewer, command: RenewCsa) -> Csa:
    """The new DRAFT, linked both ways with the CSA it renews."""
    now = ctx.clock()
    (number,) = await ctx.store.csas.next_numbers(now, 1)
    new_id = ctx.store.new_id()

    async def load() -> tuple[Csa, Sow, list[Csa]]:
        current = await csa(ctx, viewer, command.id)
        sow = await _sow_of(ctx, current.sow_id)
        return current, sow, await ctx.store.csas.of_sow_and_agents(sow.id, [current.agent_id])

    def decide(state: tuple[Csa, Sow, list[Csa]]) -> Sequence[Change[Any]]:
        current, sow, others = state
        new = NewCsa(new_id, number, current.agent_id)
        linked, created = rules.renew(current, sow, others, new, command, viewer, policy(ctx), now)
        return [lifecycle.touch(sow), linked, created]

    changes = await ctx.store.writer.read_decide_commit(load, decide)
    renewal: Csa = changes[2].after
    return renewal


def flags(ctx: Context, csa: Csa) -> list[CsaFlag]:
    return rules.flags(csa, policy(ctx))

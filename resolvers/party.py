"""Clients and agents."""

from __future__ import annotations

import re

from domain.commands import CreateAgent, CreateClient
from domain.errors import BadUserInput
from domain.party import Agent, AgentStatus, Client, Viewer
from resolvers.context import Context
from resolvers.paging import page_size
from storage.pages import Page

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")


def _name(name: str) -> str:
    text = name.strip()
    if not 1 <= len(text) <= 200:
        raise BadUserInput("name: 1 to 200 characters", field="name")
    return text


async def create_client(ctx: Context, viewer: Viewer, command: CreateClient) -> Client:
    client = Client(id=ctx.store.new_id(), name=_name(command.name), created_at=ctx.clock())
    await ctx.store.parties.add_client(client)
    return client


async def create_agent(ctx: Context, viewer: Viewer, command: CreateAgent) -> Agent:
    address = command.email.strip().lower()
    if not _EMAIL.match(address):
        raise BadUserInput("email: not an email address", field="email")
    agent = Agent(
        id=ctx.store.new_id(),
        name=_name(command.name),
        email=address,
        status=AgentStatus.ACTIVE,
        created_at=ctx.clock(),
    )
    await ctx.store.parties.add_agent(agent)
    return agent


async def clients(ctx: Context, first: int | None, after: str | None) -> Page[Client]:
    return await ctx.store.parties.client_page(page_size(ctx, first), after)


async def agents(ctx: Context, first: int | None, after: str | None) -> Page[Agent]:
    return await ctx.store.parties.agent_page(page_size(ctx, first), after)

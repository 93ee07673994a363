"""Clients and agents."""

from __future__ import annotations

import re

from domain.commands import CreateAgent, CreateClient
from domain.errors import BadUserInput
from domain.party import Agent, AgentStatus, Client, Viewer
from resolvers.context import Context
from storage.pages import Page, Window

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")


def _name(name: str) -> str:
    text = name.strip()
    if not 1 <= len(text) <= 200:
        raise BadUserInput("name: 1 to 200 characters", field="name")
    return text


def _email(email: str, field: str) -> str:
    address = email.strip().lower()
    if not _EMAIL.match(address):
        raise BadUserInput(f"{field}: not an email address", field=field)
    return address


async def create_client(ctx: Context, viewer: Viewer, command: CreateClient) -> Client:
    notification_email = command.notification_email
    client = Client(
        id=ctx.store.new_id(),
        name=_name(command.name),
        created_at=ctx.clock(),
        notification_email=(
            None if notification_email is None else _email(notification_email, "notificationEmail")
        ),
    )
    await ctx.store.parties.add_client(client)
    return client


async def create_agent(ctx: Context, viewer: Viewer, command: CreateAgent) -> Agent:
    agent = Agent(
        id=ctx.store.new_id(),
        name=_name(command.name),
        email=_email(command.email, "email"),
        status=AgentStatus.ACTIVE,
        created_at=ctx.clock(),
    )
    await ctx.store.parties.add_agent(agent)
    return agent


async def clients(ctx: Context, window: Window) -> Page[Client]:
    return await ctx.store.parties.client_page(window)


async def agents(ctx: Context, window: Window) -> Page[Agent]:
    return await ctx.store.parties.agent_page(window)

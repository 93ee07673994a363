"""The viewer, client companies and agents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from domain import commands, party
from domain.access import Read
from resolvers import document as documents
from resolvers import party as resolve
from resolvers.context import Context
from resolvers.paging import window
from schema.access import allowed, viewer_of
from schema.commands import run
from schema.connection import Before, Connection, Last, PageSize
from schema.document import Document
from schema.enums import AgentStatus, Role
from schema.ids import Node, optional_global_id
from schema.mapping import from_fields


@strawberry.type(description="A client company.")
class Client(Node):
    id: strawberry.ID
    name: str
    created_at: datetime
    notification_email: str | None = strawberry.field(
        description="Where the SOWs' signed copies are e-mailed; null: not e-mailed."
    )

    @staticmethod
    def from_domain(client: party.Client) -> Client:
        return from_fields(Client, client)


@strawberry.type(description="A work-at-home agent.")
class Agent(Node):
    id: strawberry.ID
    name: str
    status: AgentStatus
    created_at: datetime
    email: str = strawberry.field(
        permission_classes=allowed(Read.AGENT_EMAIL), description="Compliance and the agent."
    )

    @staticmethod
    def from_domain(agent: party.Agent) -> Agent:
        return from_fields(Agent, agent)

    @strawberry.field(
        permission_classes=allowed(Read.AGENT_FOLDER),
        description="The agent folder: executed CSA copies and administrative documents, "
        "newest first. An agent sees their own only.",
    )
    async def folder(self, info: Info[Context, Any]) -> list[Document]:
        found = await documents.folder_of(info.context, viewer_of(info), self.raw_id)
        return Document.all_from_domain(found)


@strawberry.type(description="The caller, as its token describes it.")
class Viewer:
    id: strawberry.ID
    role: Role
    client_id: strawberry.ID | None
    agent_id: strawberry.ID | None

    @strawberry.field
    async def client(self, info: Info[Context, Any]) -> Client | None:
        client_id = viewer_of(info).client_id
        if client_id is None:
            return None
        found = await info.context.loaders.client.load(client_id)
        return None if found is None else Client.from_domain(found)

    @strawberry.field
    async def agent(self, info: Info[Context, Any]) -> Agent | None:
        agent_id = viewer_of(info).agent_id
        if agent_id is None:
            return None
        found = await info.context.loaders.agent.load(agent_id)
        return None if found is None else Agent.from_domain(found)

    @staticmethod
    def from_domain(viewer: party.Viewer) -> Viewer:
        # A token's subject is the viewer's id.
        return from_fields(
            Viewer,
            viewer,
            id=strawberry.ID(viewer.subject),
            client_id=optional_global_id("Client", viewer.client_id),
            agent_id=optional_global_id("Agent", viewer.agent_id),
        )


@strawberry.type
class PartyQuery:
    @strawberry.field(permission_classes=allowed(Read.VIEWER))
    def viewer(self, info: Info[Context, Any]) -> Viewer:
        return Viewer.from_domain(viewer_of(info))

    @strawberry.field(permission_classes=allowed(Read.CLIENTS))
    async def clients(
        self,
        info: Info[Context, Any],
        first: PageSize = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Client]:
        ctx = info.context
        page = await resolve.clients(ctx, window(ctx, first, after, last, before))
        count = ctx.store.parties.count_clients
        return Connection.of(page, count, Client.from_domain)

    @strawberry.field(permission_classes=allowed(Read.AGENTS))
    async def agents(
        self,
        info: Info[Context, Any],
        first: PageSize = None,
        after: str | None = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Agent]:
        ctx = info.context
        page = await resolve.agents(ctx, window(ctx, first, after, last, before))
        count = ctx.store.parties.count_agents
        return Connection.of(page, count, Agent.from_domain)


@strawberry.type
class PartyMutation:
    @strawberry.mutation(permission_classes=allowed(commands.CreateClient))
    async def create_client(
        self, info: Info[Context, Any], name: str, notification_email: str | None = None
    ) -> Client:
        command = commands.CreateClient(name=name, notification_email=notification_email)
        return Client.from_domain(await run(info, command))

    @strawberry.mutation(permission_classes=allowed(commands.CreateAgent))
    async def create_agent(self, info: Info[Context, Any], name: str, email: str) -> Agent:
        return Agent.from_domain(await run(info, commands.CreateAgent(name=name, email=email)))

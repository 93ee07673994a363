"""The viewer, client companies and agents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

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
from schema.connection import After, Before, Connection, Last, PageSize
from schema.document import Document
from schema.enums import AgentStatus, Role
from schema.ids import Node, optional_global_id
from schema.mapping import from_fields


@strawberry.type(description="A client company.")
class Client(Node):
    id: strawberry.ID = strawberry.field(description="The client's global id.")
    name: str = strawberry.field(description="The company's name.")
    created_at: datetime = strawberry.field(description="When compliance created it.")
    notification_email: str | None = strawberry.field(
        description="Where the SOWs' signed copies are e-mailed; null: not e-mailed."
    )

    @staticmethod
    def from_domain(client: party.Client) -> Client:
        return from_fields(Client, client)


@strawberry.type(description="A work-at-home agent.")
class Agent(Node):
    id: strawberry.ID = strawberry.field(description="The agent's global id.")
    name: str = strawberry.field(description="The agent's full name.")
    status: AgentStatus = strawberry.field(description="Whether the agent is working.")
    created_at: datetime = strawberry.field(description="When compliance created them.")
    email: str = strawberry.field(
        permission_classes=allowed(Read.AGENT_EMAIL),
        description="The agent's e-mail address: seen by compliance and the agent only "
        "(FORBIDDEN for others).",
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
    id: strawberry.ID = strawberry.field(description="The token's subject (`sub`).")
    role: Role = strawberry.field(description="The party the token acts for.")
    client_id: strawberry.ID | None = strawberry.field(
        description="A client user's company; null for other roles."
    )
    agent_id: strawberry.ID | None = strawberry.field(
        description="An agent's own agent id; null for other roles."
    )

    @strawberry.field(description="A client user's company; null for other roles.")
    async def client(self, info: Info[Context, Any]) -> Client | None:
        client_id = viewer_of(info).client_id
        if client_id is None:
            return None
        found = await info.context.loaders.client.load(client_id)
        return None if found is None else Client.from_domain(found)

    @strawberry.field(description="The agent themselves; null for other roles.")
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
    @strawberry.field(
        permission_classes=allowed(Read.VIEWER), description="Who the token says you are."
    )
    def viewer(self, info: Info[Context, Any]) -> Viewer:
        return Viewer.from_domain(viewer_of(info))

    @strawberry.field(
        permission_classes=allowed(Read.CLIENTS), description="Every client (compliance)."
    )
    async def clients(
        self,
        info: Info[Context, Any],
        first: PageSize = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Client]:
        ctx = info.context
        page = await resolve.clients(ctx, window(ctx, first, after, last, before))
        count = ctx.store.parties.count_clients
        return Connection.of(page, count, Client.from_domain)

    @strawberry.field(
        permission_classes=allowed(Read.AGENTS), description="Every agent (compliance)."
    )
    async def agents(
        self,
        info: Info[Context, Any],
        first: PageSize = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Agent]:
        ctx = info.context
        page = await resolve.agents(ctx, window(ctx, first, after, last, before))
        count = ctx.store.parties.count_agents
        return Connection.of(page, count, Agent.from_domain)


@strawberry.type
class PartyMutation:
    @strawberry.mutation(
        permission_classes=allowed(commands.CreateClient),
        description="Compliance adds a client company.",
    )
    async def create_client(
        self,
        info: Info[Context, Any],
        name: Annotated[str, strawberry.argument(description="The company's name.")],
        notification_email: Annotated[
            str | None,
            strawberry.argument(
                description="Where its SOWs' signed copies are e-mailed; null: not e-mailed."
            ),
        ] = None,
    ) -> Client:
        command = commands.CreateClient(name=name, notification_email=notification_email)
        return Client.from_domain(await run(info, command))

    @strawberry.mutation(
        permission_classes=allowed(commands.CreateAgent),
        description="Compliance adds an agent.",
    )
    async def create_agent(
        self,
        info: Info[Context, Any],
        name: Annotated[str, strawberry.argument(description="The agent's full name.")],
        email: Annotated[
            str, strawberry.argument(description="The agent's e-mail address, for copies.")
        ],
    ) -> Agent:
        return Agent.from_domain(await run(info, commands.CreateAgent(name=name, email=email)))

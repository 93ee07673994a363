"""The viewer, client companies and agents."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.types import Info

from domain import party
from resolvers import document as documents
from resolvers import party as resolve
from resolvers.context import Context
from schema.access import GUARDED, viewer_of
from schema.connection import Connection, PageSize
from schema.document import Document
from schema.enums import AgentStatus, Role


@strawberry.type(description="A client company.")
class Client:
    id: strawberry.ID
    name: str
    created_at: datetime
    notification_email: str | None = strawberry.field(
        description="Where the SOWs' signed copies are e-mailed; null: not e-mailed."
    )


@strawberry.type(description="A work-at-home agent.")
class Agent:
    id: strawberry.ID
    name: str
    status: AgentStatus
    created_at: datetime

    @strawberry.field(permission_classes=GUARDED, description="Compliance and the agent.")
    def email(self, parent: strawberry.Parent[party.Agent], info: Info[Context, Any]) -> str:
        return parent.email

    @strawberry.field(
        permission_classes=GUARDED,
        description="The agent folder: executed CSA copies and administrative documents, "
        "newest first. An agent sees their own only.",
    )
    async def folder(
        self, parent: strawberry.Parent[party.Agent], info: Info[Context, Any]
    ) -> list[Document]:
        found = await documents.folder_of(info.context, viewer_of(info), parent.id)
        return cast(list[Document], found)


@strawberry.type(description="The caller, as its token describes it.")
class Viewer:
    id: strawberry.ID
    role: Role
    client_id: strawberry.ID | None
    agent_id: strawberry.ID | None

    @strawberry.field
    async def client(self, info: Info[Context, Any]) -> Client | None:
        if self.client_id is None:
            return None
        return cast(Client | None, await info.context.loaders.client.load(self.client_id))

    @strawberry.field
    async def agent(self, info: Info[Context, Any]) -> Agent | None:
        if self.agent_id is None:
            return None
        return cast(Agent | None, await info.context.loaders.agent.load(self.agent_id))


@strawberry.type
class PartyQuery:
    @strawberry.field(permission_classes=GUARDED)
    def viewer(self, info: Info[Context, Any]) -> Viewer:
        viewer = viewer_of(info)
        return Viewer(
            id=strawberry.ID(viewer.subject),
            role=viewer.role,
            client_id=strawberry.ID(viewer.client_id) if viewer.client_id else None,
            agent_id=strawberry.ID(viewer.agent_id) if viewer.agent_id else None,
        )

    @strawberry.field(permission_classes=GUARDED)
    async def clients(
        self, info: Info[Context, Any], first: PageSize = None, after: str | None = None
    ) -> Connection[Client]:
        ctx = info.context
        page = await resolve.clients(ctx, first, after)
        return cast(
            Connection[Client],
            Connection.of(page.items, page.has_next_page, ctx.store.parties.count_clients),
        )

    @strawberry.field(permission_classes=GUARDED)
    async def agents(
        self, info: Info[Context, Any], first: PageSize = None, after: str | None = None
    ) -> Connection[Agent]:
        ctx = info.context
        page = await resolve.agents(ctx, first, after)
        return cast(
            Connection[Agent],
            Connection.of(page.items, page.has_next_page, ctx.store.parties.count_agents),
        )


@strawberry.type
class PartyMutation:
    @strawberry.mutation(permission_classes=GUARDED)
    async def create_client(
        self, info: Info[Context, Any], name: str, notification_email: str | None = None
    ) -> Client:
        return cast(Client, await resolve.create_client(info.context, name, notification_email))

    @strawberry.mutation(permission_classes=GUARDED)
    async def create_agent(self, info: Info[Context, Any], name: str, email: str) -> Agent:
        return cast(Agent, await resolve.create_agent(info.context, name, email))

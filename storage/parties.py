"""Client companies (collection `clients`) and agents (collection `agents`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo.errors import BulkWriteError

from domain.errors import BadUserInput
from domain.party import Agent, AgentStatus, Client
from storage.codec import object_id
from storage.database import Database, Document
from storage.pages import Page, Window, by_id, fetch_page

DUPLICATE_KEY = 11000


def client_from_bson(doc: Mapping[str, Any]) -> Client:
    return Client(
        id=str(doc["_id"]),
        name=doc["name"],
        created_at=doc["createdAt"],
        notification_email=doc.get("notificationEmail"),
    )


def agent_from_bson(doc: Mapping[str, Any]) -> Agent:
    return Agent(
        id=str(doc["_id"]),
        name=doc["name"],
        email=doc["email"],
        status=AgentStatus(doc["status"]),
        created_at=doc["createdAt"],
    )


def _client_to_bson(client: Client) -> Document:
    return {
        "_id": ObjectId(client.id),
        "name": client.name,
        "createdAt": client.created_at,
        "notificationEmail": client.notification_email,
    }


def _agent_to_bson(agent: Agent) -> Document:
    return {
        "_id": ObjectId(agent.id),
        "name": agent.name,
        "email": agent.email,
        "status": agent.status.value,
        "createdAt": agent.created_at,
    }


def _duplicate_email(exc: BulkWriteError) -> str | None:
    """The email a duplicate-key error on `agent_email_unique` is about (servers that leave
    out `keyValue`: any), or None when the error is another one."""
    for error in exc.details.get("writeErrors", ()):
        key = error.get("keyValue") or {}
        if error.get("code") == DUPLICATE_KEY and (
            "email" in key or "agent_email_unique" in str(error.get("errmsg", ""))
        ):
            return str(key.get("email", "this email"))
    return None


class PartyStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_client(self, client: Client) -> None:
        await self.add_clients([client])

    async def add_clients(self, clients: list[Client]) -> None:
        await self._db.db.clients.insert_many([_client_to_bson(c) for c in clients])

    async def add_agent(self, agent: Agent) -> None:
        await self.add_agents([agent])

    async def add_agents(self, agents: list[Agent]) -> None:
        """Refuses an email some agent already has (the unique index `agent_email_unique`)."""
        try:
            await self._db.db.agents.insert_many([_agent_to_bson(a) for a in agents])
        except BulkWriteError as exc:
            email = _duplicate_email(exc)
            if email is None:
                raise
            raise BadUserInput(
                f"email: an agent with {email} already exists", field="email"
            ) from None

    async def is_empty(self) -> bool:
        """No client and no agent yet: nothing a seed could collide with."""
        found = await self._db.db.clients.find_one({}, {"_id": 1})
        found = found or await self._db.db.agents.find_one({}, {"_id": 1})
        return found is None

    async def clients(self, ids: list[str]) -> dict[str, Client]:
        query = {"_id": {"$in": [object_id(i, "Client") for i in ids]}}
        cursor = self._db.db.clients.find(query)
        return {str(doc["_id"]): client_from_bson(doc) async for doc in cursor}

    async def agents(self, ids: list[str]) -> dict[str, Agent]:
        query = {"_id": {"$in": [object_id(i, "Agent") for i in ids]}}
        cursor = self._db.db.agents.find(query)
        return {str(doc["_id"]): agent_from_bson(doc) async for doc in cursor}

    async def client_page(self, window: Window) -> Page[Client]:
        clients = self._db.db.clients
        return await fetch_page(clients, by_id("Client"), {}, window, client_from_bson)

    async def agent_page(self, window: Window) -> Page[Agent]:
        agents = self._db.db.agents
        return await fetch_page(agents, by_id("Agent"), {}, window, agent_from_bson)

    async def count_clients(self) -> int:
        return await self._db.db.clients.count_documents({})

    async def count_agents(self) -> int:
        return await self._db.db.agents.count_documents({})

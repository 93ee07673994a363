"""The parties of a contract and the viewer acting on their behalf."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """A token's `role` claim."""

    CLIENT = "client"
    COMPLIANCE = "compliance"
    AGENT = "agent"


class AgentStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The authenticated caller, as its verified token describes it.

    `client_id` is set exactly when the role is `client`, `agent_id` exactly when it is
    `agent`; token verification refuses any other combination.
    """

    subject: str
    role: Role
    client_id: str | None = None
    agent_id: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused a change: a viewer, or the scheduler (`role` None, `id` "system")."""

    id: str
    role: Role | None

    @staticmethod
    def of(viewer: Viewer) -> Actor:
        return Actor(id=viewer.subject, role=viewer.role)


SYSTEM = Actor(id="system", role=None)


@dataclass(frozen=True, slots=True)
class Client:
    id: str
    name: str
    created_at: datetime
    # Where the SOWs' signed copies are e-mailed; None: the client gets none by e-mail.
    notification_email: str | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    name: str
    email: str
    status: AgentStatus
    created_at: datetime

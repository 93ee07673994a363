"""What a viewer may see, decided once: everything, one client's SOWs, or one agent's CSAs.

DESIGN.md's table: compliance sees everything; a client its own company's SOWs and their
events, never CSAs; an agent their own CSAs and their events, never SOWs. `Scope.of`
decides it from the viewer; storage turns a scope into MongoDB filters
(`storage.scopes`), the live-event hub into the keys it routes events by. Stored files
follow their owner the same way: a SOW's signed copy is its client's, a CSA's executed copy
and an administrative file the agent's. Nothing else looks at a viewer's role to decide what
is visible (who may *do* what is `domain.access`).

Who acted (an event's actor, a signer, a version's author) is seen the same way: compliance
sees every token subject; a client or an agent sees its own party's, and the other parties'
users as a display identity of their role (`DISPLAY_IDENTITY`), never their subjects.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import EntityType, NewEvent
from domain.party import Actor, Role, Viewer

# What a client or an agent sees of another party's user who acted: the role, and this.
DISPLAY_IDENTITY = {Role.COMPLIANCE: "compliance", Role.CLIENT: "client", Role.AGENT: "agent"}


@dataclass(frozen=True, slots=True)
class Scope:
    """At most one of `client_id` and `agent_id`; neither: everything."""

    client_id: str | None = None
    agent_id: str | None = None

    def __post_init__(self) -> None:
        if self.client_id is not None and self.agent_id is not None:
            raise ValueError("a scope is one client's or one agent's, not both")

    @staticmethod
    def of(viewer: Viewer) -> Scope:
        match viewer.role:
            case Role.COMPLIANCE:
                return EVERYTHING
            case Role.CLIENT:
                return Scope(client_id=viewer.client_id)
            case Role.AGENT:
                return Scope(agent_id=viewer.agent_id)

    @property
    def entity_type(self) -> EntityType | None:
        """The one kind of document in view (a client's SOWs, an agent's CSAs); None: all."""
        if self.client_id is not None:
            return EntityType.SOW
        if self.agent_id is not None:
            return EntityType.CSA
        return None

    def shows(self, actor: Actor) -> Actor:
        """`actor` as this scope may see it (the scheduler's `system` is no one's user)."""
        if self == EVERYTHING or actor.role is None or actor.role is self._party:
            return actor
        return Actor(id=DISPLAY_IDENTITY[actor.role], role=actor.role)

    @property
    def _party(self) -> Role | None:
        return Role.CLIENT if self.client_id is not None else Role.AGENT

    def sees_party(self, client_id: str | None = None, agent_id: str | None = None) -> bool:
        """Whether the scope shows a client company or an agent (one of the two ids): any
        to everything; a client its own company, an agent themselves."""
        if self == EVERYTHING:
            return True
        if client_id is not None:
            return client_id == self.client_id
        return agent_id is not None and agent_id == self.agent_id

    def sees(self, entity_type: EntityType) -> bool:
        return self.entity_type in (None, entity_type)

    def includes(self, event: NewEvent) -> bool:
        return self in scopes_of(event)


EVERYTHING = Scope()


def scopes_of(event: NewEvent) -> tuple[Scope, ...]:
    """Every scope that sees `event`: everything, and its document's owner (a SOW's client,
    a CSA's agent). CSA events also carry the client, whose scope they are not in."""
    match event.entity_type:
        case EntityType.SOW if event.client_id is not None:
            return EVERYTHING, Scope(client_id=event.client_id)
        case EntityType.CSA if event.agent_id is not None:
            return EVERYTHING, Scope(agent_id=event.agent_id)
        case _:
            return (EVERYTHING,)

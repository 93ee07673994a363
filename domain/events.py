"""Contract events: one per state change; the audit log and the source of subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import BadUserInput
from domain.ids import parse_global_id
from domain.party import Actor


class EntityType(StrEnum):
    SOW = "SOW"
    CSA = "CSA"


class EventType(StrEnum):
    CREATED = "CREATED"
    TERMS_UPDATED = "TERMS_UPDATED"
    SUBMITTED = "SUBMITTED"
    REVIEW_STARTED = "REVIEW_STARTED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    SIGNED = "SIGNED"
    AMENDMENT_PROPOSED = "AMENDMENT_PROPOSED"
    AMENDMENT_ACCEPTED = "AMENDMENT_ACCEPTED"
    AMENDMENT_REJECTED = "AMENDMENT_REJECTED"
    ACTIVATED = "ACTIVATED"
    EXPIRED = "EXPIRED"
    TERMINATED = "TERMINATED"
    SENT = "SENT"
    AGENT_SIGNED = "AGENT_SIGNED"
    DECLINED = "DECLINED"
    COUNTERSIGNED = "COUNTERSIGNED"
    FINAL_COPY_DELIVERED = "FINAL_COPY_DELIVERED"
    WITHDRAWN = "WITHDRAWN"
    RENEWAL_DUE = "RENEWAL_DUE"
    RENEWED = "RENEWED"
    # On a SOW: a period's statement frozen, and each metric it missed.
    SLA_PERIOD_CLOSED = "SLA_PERIOD_CLOSED"
    SLA_BREACHED = "SLA_BREACHED"
    # On a SOW: an occurrence of an obligation opened (a client's request, or a recurring
    # period that ended), fulfilled, or past its deadline.
    OBLIGATION_REQUESTED = "OBLIGATION_REQUESTED"
    OBLIGATION_FULFILLED = "OBLIGATION_FULFILLED"
    OBLIGATION_OVERDUE = "OBLIGATION_OVERDUE"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """An event decided by the domain, not yet written (it has no cursor yet).

    `client_id` and `agent_id` are the scoping keys: a client sees SOW events of its own
    company, an agent CSA events of their own CSAs.
    """

    type: EventType
    entity_type: EntityType
    entity_id: str
    from_status: str | None
    to_status: str | None
    version: int
    actor: Actor
    at: datetime
    reason: str | None = None
    client_id: str | None = None
    agent_id: str | None = None
    recipient: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(NewEvent):
    """A written event; `seq` orders all events and is their cursor."""

    seq: int

    @property
    def id(self) -> str:
        return str(self.seq)


def parse_cursor(after: str | None, argument: str = "after") -> int | None:
    """The seq an event cursor names: an edge's cursor, or an event's `id` (global, or the
    seq itself as ids were before 0.2); None: from the start."""
    if after is None:
        return None
    parsed = parse_global_id(after)
    if parsed is not None and parsed[0] == "ContractEvent":
        return int(parsed[1])
    if not after.isdigit() or len(after) > 18:
        raise BadUserInput(f"{argument}: not an event cursor", field=argument)
    return int(after)

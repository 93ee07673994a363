"""The indexes the queries need, each named and with its reason."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from storage.database import Document

INDEXES: dict[str, list[IndexModel]] = {
    # clients and counters: read by `_id` only (pages sort on `_id`), its own index serves.
    "agents": [
        # createAgent refuses a second agent with the same email.
        IndexModel([("email", ASCENDING)], name="agent_email_unique", unique=True),
    ],
    "sows": [
        # Human-readable numbers are unique.
        IndexModel([("number", ASCENDING)], name="sow_number_unique", unique=True),
        # A client's SOW list, newest first (scope key + page order).
        IndexModel([("clientId", ASCENDING), ("_id", DESCENDING)], name="sow_client_page"),
        # Status filter and the scheduler's SIGNED -> ACTIVE on go-live.
        IndexModel([("status", ASCENDING), ("goLiveDate", ASCENDING)], name="sow_status_golive"),
        # The scheduler's ACTIVE -> EXPIRED on end date.
        IndexModel([("status", ASCENDING), ("endDate", ASCENDING)], name="sow_status_end"),
        # goLiveFrom/goLiveTo filters without a status.
        IndexModel([("goLiveDate", ASCENDING)], name="sow_golive"),
    ],
    "csas": [
        IndexModel([("number", ASCENDING)], name="csa_number_unique", unique=True),
        # "Fetch my own contracts": an agent's CSAs, newest first.
        IndexModel([("agentId", ASCENDING), ("_id", DESCENDING)], name="csa_agent_page"),
        # Sow.csas, staffing counts and the per-SOW agent uniqueness check.
        IndexModel([("sowId", ASCENDING), ("agentId", ASCENDING)], name="csa_sow_agent"),
        # The scheduler: EXECUTED -> ACTIVE on effectiveDate.
        IndexModel(
            [("status", ASCENDING), ("effectiveDate", ASCENDING)], name="csa_status_effective"
        ),
        # The scheduler (ACTIVE -> EXPIRED, RENEWAL_DUE) and the expiringBefore filter.
        IndexModel(
            [("status", ASCENDING), ("expirationDate", ASCENDING)], name="csa_status_expiration"
        ),
        # One renewal per CSA.
        IndexModel(
            [("renewalOf", ASCENDING)],
            name="csa_renewal_of_unique",
            unique=True,
            partialFilterExpression={"renewalOf": {"$type": "objectId"}},
        ),
    ],
    "versions": [
        # A document's versions by number; a number is written once.
        IndexModel(
            [("entityId", ASCENDING), ("number", ASCENDING)],
            name="version_entity_number_unique",
            unique=True,
        ),
    ],
    "events": [
        # The cursor: total order of all events.
        IndexModel([("seq", ASCENDING)], name="event_seq_unique", unique=True),
        # events(entityId) and Sow.events / Csa.events.
        IndexModel([("entityId", ASCENDING), ("seq", ASCENDING)], name="event_entity_seq"),
        # A client's events (scope key), in cursor order.
        IndexModel([("clientId", ASCENDING), ("seq", ASCENDING)], name="event_client_seq"),
        # An agent's events (scope key), in cursor order.
        IndexModel([("agentId", ASCENDING), ("seq", ASCENDING)], name="event_agent_seq"),
    ],
}


async def up(db: AsyncDatabase[Document]) -> None:
    # create_indexes is a no-op for an index that already exists with the same definition.
    for name, indexes in INDEXES.items():
        await db[name].create_indexes(indexes)


async def down(db: AsyncDatabase[Document]) -> None:
    for name, indexes in INDEXES.items():
        for index in indexes:
            await db[name].drop_index(index.document["name"])

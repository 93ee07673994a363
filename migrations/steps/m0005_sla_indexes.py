"""The indexes of the performance collections (m0003), each named and with its reason."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from storage.database import Document

INDEXES: dict[str, list[IndexModel]] = {
    "sla_intervals": [
        # A row's key: recording it again replaces it.
        IndexModel(
            [
                ("sowId", ASCENDING),
                ("channel", ASCENDING),
                ("intervalStart", ASCENDING),
                ("agentId", ASCENDING),
            ],
            name="sla_interval_key_unique",
            unique=True,
        ),
        # A SOW's rows in a time range, the queue's (agentId null) or one agent's: the rows
        # a batch may replace, a period's recount, an agent's term.
        IndexModel(
            [("sowId", ASCENDING), ("agentId", ASCENDING), ("intervalStart", ASCENDING)],
            name="sla_interval_sow_agent_start",
        ),
    ],
    "sla_statements": [
        # One record per SOW and period; a SOW's periods in order.
        IndexModel(
            [("sowId", ASCENDING), ("period", ASCENDING)],
            name="sla_statement_sow_period_unique",
            unique=True,
        ),
        # The scheduler: open periods that ended long enough ago.
        IndexModel([("closed", ASCENDING), ("ends", ASCENDING)], name="sla_statement_open_ends"),
    ],
}


async def up(db: AsyncDatabase[Document]) -> None:
    for name, indexes in INDEXES.items():
        await db[name].create_indexes(indexes)


async def down(db: AsyncDatabase[Document]) -> None:
    for name, indexes in INDEXES.items():
        for index in indexes:
            await db[name].drop_index(index.document["name"])

"""Persisted queries (`storage/persisted_queries.py`): one document per query, keyed by the
SHA-256 of its text.

Numbered 8: steps 6 and 7 are taken by work on other branches. The validator is a snapshot,
as in step 1; the size and count of stored queries are bounded by the service's settings
(PERSISTED_QUERY_MAX_BYTES, PERSISTED_QUERIES_MAX), which may change without a step.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from migrations.steps.m0001_collections import DATE, Schema, document
from storage.database import Document

NAME = "persisted_queries"

VALIDATOR: Schema = document(
    ["_id", "query", "createdAt"],
    _id={"bsonType": "string", "pattern": "^[0-9a-f]{64}$"},
    query={"bsonType": "string", "minLength": 1},
    createdAt=DATE,
)


async def up(db: AsyncDatabase[Document]) -> None:
    if NAME not in set(await db.list_collection_names()):
        await db.create_collection(
            NAME,
            validator={"$jsonSchema": VALIDATOR},
            validationLevel="strict",
            validationAction="error",
        )


async def down(db: AsyncDatabase[Document]) -> None:
    # Only a cache of what clients can send again: nothing is lost with it.
    await db.drop_collection(NAME)

"""Obligations' occurrences: the `occurrences` collection, its validator and its indexes.

Numbered 6: steps 7 and 8 are taken by work on other branches. The collection is created
here, not on first use, because occurrences are written inside transactions. The
validator is a snapshot, as in step 1.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.steps.m0001_collections import (
    ACTOR,
    COUNT,
    DATE,
    OBJECT_ID,
    POSITIVE,
    STRING,
    Schema,
    document,
    nullable,
)
from storage.database import Document

STATUSES = ["OPEN", "OVERDUE", "FULFILLED", "FULFILLED_LATE"]

VALIDATORS: dict[str, Schema] = {
    "occurrences": document(
        [
            "_id",
            "sowId",
            "clientId",
            "key",
            "title",
            "kind",
            "dueBusinessDays",
            "termsVersion",
            "status",
            "dueAt",
            "createdAt",
            "revision",
        ],
        _id=OBJECT_ID,
        sowId=OBJECT_ID,
        clientId=OBJECT_ID,
        key=STRING,
        title=STRING,
        kind={"enum": ["RECURRING", "ON_REQUEST"]},
        sections={"bsonType": "array", "items": STRING},
        dueBusinessDays=COUNT,
        termsVersion=POSITIVE,
        status={"enum": STATUSES},
        dueAt=DATE,
        createdAt=DATE,
        revision=POSITIVE,
        period=nullable(STRING),
        requestedAt=nullable(DATE),
        requestedBy={**ACTOR, "bsonType": ["object", "null"]},
        requestNote=nullable(STRING),
        fulfilledAt=nullable(DATE),
        fulfilledBy={**ACTOR, "bsonType": ["object", "null"]},
        note=nullable(STRING),
        evidenceDocumentId=nullable(OBJECT_ID),
    ),
}

INDEXES: dict[str, list[IndexModel]] = {
    "occurrences": [
        # One occurrence per recurring obligation and period: the scheduler's exactly once.
        IndexModel(
            [("sowId", ASCENDING), ("key", ASCENDING), ("period", ASCENDING)],
            name="occurrence_recurring_unique",
            unique=True,
            partialFilterExpression={"period": {"$type": "string"}},
        ),
        # Sow.occurrences, newest first, of one status or all.
        IndexModel(
            [("sowId", ASCENDING), ("status", ASCENDING), ("_id", DESCENDING)],
            name="occurrence_sow_status",
        ),
        IndexModel([("sowId", ASCENDING), ("_id", DESCENDING)], name="occurrence_sow"),
        # A client's occurrences across its SOWs (scope key), of one status or all.
        IndexModel(
            [("clientId", ASCENDING), ("status", ASCENDING), ("_id", DESCENDING)],
            name="occurrence_client_status",
        ),
        IndexModel([("clientId", ASCENDING), ("_id", DESCENDING)], name="occurrence_client"),
        # Compliance's work queue (every OVERDUE occurrence), newest first.
        IndexModel([("status", ASCENDING), ("_id", DESCENDING)], name="occurrence_status"),
        # The scheduler: OPEN occurrences past their deadline.
        IndexModel([("status", ASCENDING), ("dueAt", ASCENDING)], name="occurrence_status_due"),
    ],
}


async def up(db: AsyncDatabase[Document]) -> None:
    existing = set(await db.list_collection_names())
    for name, schema in VALIDATORS.items():
        if name not in existing:
            await db.create_collection(
                name,
                validator={"$jsonSchema": schema},
                validationLevel="strict",
                validationAction="error",
            )
    for name, indexes in INDEXES.items():
        await db[name].create_indexes(indexes)


async def down(db: AsyncDatabase[Document]) -> None:
    # The indexes go; the collection and its documents stay (as step 4's would).
    for name, indexes in INDEXES.items():
        for index in indexes:
            await db[name].drop_index(index.document["name"])

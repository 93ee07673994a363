"""Documents and the outbox: the `documents` records, the GridFS bucket `documentFiles` their
bytes live in, and the `outbox` of copies to render and send, each with its indexes.

Numbered 4: step 3 is taken by work on another branch. Collections are created here, not on
first use, because the status change that queues a copy writes `outbox` inside a
transaction, and their validators are snapshots as in step 1.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.steps.m0001_collections import (
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

KINDS = ["SOW_SIGNED_COPY", "CSA_EXECUTED_COPY", "ADMINISTRATIVE"]

VALIDATORS: dict[str, Schema] = {
    "documents": document(
        ["_id", "kind", "title", "fileName", "contentType", "size", "sha256", "createdAt"],
        _id=OBJECT_ID,
        kind={"enum": KINDS},
        title=STRING,
        fileName={"bsonType": "string", "pattern": "^[A-Za-z0-9._-]{1,120}$"},
        contentType={"enum": ["application/pdf", "image/png", "image/jpeg"]},
        size=COUNT,
        sha256={"bsonType": "string", "pattern": "^[0-9a-f]{64}$"},
        createdAt=DATE,
        entityType={"enum": ["SOW", "CSA", None]},
        entityId=nullable(OBJECT_ID),
        version=nullable(POSITIVE),
        clientId=nullable(OBJECT_ID),
        agentId=nullable(OBJECT_ID),
    ),
    "outbox": document(
        [
            "_id",
            "kind",
            "documentId",
            "copyKind",
            "entityType",
            "entityId",
            "version",
            "state",
            "attempts",
            "due",
        ],
        _id=OBJECT_ID,
        kind={"enum": ["RENDER", "SEND"]},
        documentId=OBJECT_ID,
        copyKind={"enum": KINDS},
        entityType={"enum": ["SOW", "CSA"]},
        entityId=OBJECT_ID,
        version=POSITIVE,
        recipient={"enum": ["CLIENT", "OPERATOR", "AGENT", None]},
        state={"enum": ["PENDING", "CLAIMED", "DONE", "SKIPPED", "FAILED"]},
        attempts=COUNT,
        due=DATE,
        claimedBy=nullable(STRING),
        lastError=nullable(STRING),
    ),
}

# GridFS's own collections, without validators: the driver writes them.
BUCKET_COLLECTIONS = ("documentFiles.files", "documentFiles.chunks")

INDEXES: dict[str, list[IndexModel]] = {
    "documents": [
        # One copy per signed version: a render tried again cannot add a second.
        IndexModel(
            [("entityId", ASCENDING), ("version", ASCENDING), ("kind", ASCENDING)],
            name="document_entity_version_unique",
            unique=True,
            partialFilterExpression={"entityId": {"$type": "objectId"}},
        ),
        # An agent's folder, newest first (scope key + order).
        IndexModel([("agentId", ASCENDING), ("_id", DESCENDING)], name="document_agent"),
        # A client's SOW copies (scope key).
        IndexModel([("clientId", ASCENDING), ("_id", DESCENDING)], name="document_client"),
        # verifyDocument and `contracts documents verify`.
        IndexModel([("sha256", ASCENDING)], name="document_sha256"),
    ],
    "outbox": [
        # The senders' claim: what is due, oldest first.
        IndexModel([("state", ASCENDING), ("due", ASCENDING)], name="outbox_state_due"),
        # An entity's tasks (operators, tests).
        IndexModel([("entityId", ASCENDING)], name="outbox_entity"),
    ],
    # The indexes PyMongo's GridFS creates on first write, made here under its names: a
    # first write then finds them and does not build indexes itself.
    "documentFiles.files": [
        IndexModel(
            [("filename", ASCENDING), ("uploadDate", ASCENDING)], name="filename_1_uploadDate_1"
        )
    ],
    "documentFiles.chunks": [
        IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], name="files_id_1_n_1", unique=True)
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
    for name in BUCKET_COLLECTIONS:
        if name not in existing:
            await db.create_collection(name)
    for name, indexes in INDEXES.items():
        await db[name].create_indexes(indexes)


async def down(db: AsyncDatabase[Document]) -> None:
    # The indexes go; the collections and the documents in them stay (as step 1's would):
    # a release before this one never reads them, and going up again finds them intact.
    for name, indexes in INDEXES.items():
        for index in indexes:
            await db[name].drop_index(index.document["name"])

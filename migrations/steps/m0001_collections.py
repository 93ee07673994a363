"""Every collection, created with its `$jsonSchema` validator.

The validators are a last line of defence under the application, which checks everything
itself: a document that breaks the storage rules (a missing key, a wrong type, money that
is not Decimal128) is refused by the server with a WriteError. Status values and shapes are
written out here rather than imported from the domain: a step is a snapshot, and a later
change of the domain must come as a new step, not silently change this one.

Only fields every writer sets are required; `csas` is validated on its stable keys only,
its terms being still in flux.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from storage.database import Document

Schema = dict[str, Any]

OBJECT_ID: Schema = {"bsonType": "objectId"}
STRING: Schema = {"bsonType": "string"}
DATE: Schema = {"bsonType": "date"}
INTEGER: Schema = {"bsonType": ["int", "long"]}
COUNT: Schema = {"bsonType": ["int", "long"], "minimum": 0}
POSITIVE: Schema = {"bsonType": ["int", "long"], "minimum": 1}
DECIMAL: Schema = {"bsonType": "decimal"}


def nullable(schema: Schema) -> Schema:
    types = schema["bsonType"]
    return {**schema, "bsonType": [*(types if isinstance(types, list) else [types]), "null"]}


def document(required: list[str], **properties: Schema) -> Schema:
    return {"bsonType": "object", "required": required, "properties": properties}


ACTOR = document(["id"], id=STRING, role=nullable(STRING))

# Money in any stored terms: wherever these keys appear they must be Decimal128 (SOW
# pricing.rate, CSA payRate.amount), never a float that would round a rate.
TERMS_MONEY: Schema = {
    "bsonType": "object",
    "properties": {
        "pricing": {"bsonType": "object", "properties": {"rate": DECIMAL}},
        "payRate": {"bsonType": "object", "properties": {"amount": DECIMAL}},
    },
}

SOW_TERMS = document(
    ["title", "programName", "pricing"],
    title=STRING,
    programName=STRING,
    pricing=document(["rate", "unit", "currency"], rate=DECIMAL, unit=STRING, currency=STRING),
)

VERSION = document(
    ["entityType", "entityId", "number", "terms", "hash", "author", "at", "state"],
    entityType={"enum": ["SOW", "CSA"]},
    entityId=OBJECT_ID,
    number=POSITIVE,
    terms=TERMS_MONEY,
    hash=STRING,
    author=ACTOR,
    at=DATE,
    changeSummary=nullable(STRING),
    state={"enum": ["EFFECTIVE", "PROPOSED", "REJECTED"]},
)

SIGNATURE = document(
    ["party", "signer", "version", "hash", "at"],
    party={"enum": ["CLIENT", "OPERATOR", "AGENT"]},
    signer=ACTOR,
    version=POSITIVE,
    hash=STRING,
    at=DATE,
)

VALIDATORS: dict[str, Schema] = {
    "clients": document(["_id", "name", "createdAt"], _id=OBJECT_ID, name=STRING, createdAt=DATE),
    "agents": document(
        ["_id", "name", "email", "status", "createdAt"],
        _id=OBJECT_ID,
        name=STRING,
        email=STRING,
        status={"enum": ["ACTIVE", "INACTIVE"]},
        createdAt=DATE,
    ),
    "sows": document(
        [
            "_id",
            "number",
            "clientId",
            "status",
            "version",
            "latestVersion",
            "revision",
            "terms",
            "termsHash",
            "goLiveDate",
            "endDate",
            "signatures",
            "createdAt",
            "updatedAt",
            "createdBy",
        ],
        _id=OBJECT_ID,
        number={"bsonType": "string", "pattern": "^SOW-[0-9]{4}-[0-9]{4,}$"},
        clientId=OBJECT_ID,
        status={
            "enum": [
                "DRAFT",
                "SUBMITTED",
                "UNDER_REVIEW",
                "CHANGES_REQUESTED",
                "SIGNED",
                "ACTIVE",
                "EXPIRED",
                "TERMINATED",
            ]
        },
        version=POSITIVE,
        latestVersion=POSITIVE,
        revision=COUNT,
        terms=SOW_TERMS,
        termsHash=STRING,
        goLiveDate=DATE,
        endDate=DATE,
        signatures={"bsonType": "array", "items": SIGNATURE},
        pendingAmendment={**VERSION, "bsonType": ["object", "null"]},
        createdAt=DATE,
        updatedAt=DATE,
        createdBy=ACTOR,
    ),
    "csas": document(
        ["_id", "number", "agentId", "sowId", "status", "revision"],
        _id=OBJECT_ID,
        number=STRING,
        agentId=OBJECT_ID,
        sowId=OBJECT_ID,
        status=STRING,
        revision=COUNT,
    ),
    "versions": VERSION,
    "events": document(
        ["seq", "type", "entityType", "entityId", "actor", "at"],
        seq=POSITIVE,
        type=STRING,
        entityType={"enum": ["SOW", "CSA"]},
        entityId=OBJECT_ID,
        fromStatus=nullable(STRING),
        toStatus=nullable(STRING),
        version=nullable(INTEGER),
        actor=ACTOR,
        at=DATE,
        reason=nullable(STRING),
        clientId=nullable(OBJECT_ID),
        agentId=nullable(OBJECT_ID),
        recipient=nullable(STRING),
    ),
    "counters": document(["_id", "seq"], _id=STRING, seq=COUNT),
}


async def up(db: AsyncDatabase[Document]) -> None:
    existing = set(await db.list_collection_names())
    for name, schema in VALIDATORS.items():
        # Present only when an earlier attempt of this very step stopped half-way.
        if name not in existing:
            await db.create_collection(
                name,
                validator={"$jsonSchema": schema},
                validationLevel="strict",
                validationAction="error",
            )


# No `down`: reverting would drop every collection and the data in it.

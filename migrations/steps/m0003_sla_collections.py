"""Performance against the contract: the interval rows and period statements, validated.

`sla_intervals` holds the rows the contact-center platform exports, one per (SOW, channel,
intervalStart, agentId), the agent null on a queue's row. `sla_statements` holds one
document per SOW and period that has rows or was closed: open, it carries the running sums
of the period's queue rows (what a scorecard reads, instead of summing thousands of rows);
closed, the frozen statement. Shapes are written out here, as in m0001: a step is a snapshot.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from migrations.steps.m0001_collections import (
    ACTOR,
    COUNT,
    DATE,
    DECIMAL,
    OBJECT_ID,
    POSITIVE,
    STRING,
    Schema,
    document,
    nullable,
)
from storage.database import Document

CHANNEL: Schema = {"enum": ["INBOUND_VOICE", "OUTBOUND_VOICE", "EMAIL", "CHAT", "SOCIAL"]}
PERIOD: Schema = {"bsonType": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}
METRIC: Schema = {
    "enum": [
        "SERVICE_LEVEL",
        "AVERAGE_WAIT_TIME",
        "ABANDONMENT_RATE",
        "AVERAGE_HANDLE_TIME",
        "FIRST_CALL_RESOLUTION",
        "CUSTOMER_SATISFACTION",
    ]
}
COUNT_NAMES = (
    "offered",
    "answered",
    "abandoned",
    "answeredWithinThreshold",
    "waitSecondsAnswered",
    "handleSeconds",
    "staffedSeconds",
    "firstContactResolutions",
    "csatResponses",
    "csatSatisfied",
)
# Running sums may pass through no negative value either: a correction replaces a row's
# counts, so a period's sum is always a sum of valid rows.
COUNTS = document(list(COUNT_NAMES), **dict.fromkeys(COUNT_NAMES, COUNT))

CREDIT = document(
    ["metric", "consecutiveMisses", "percent", "amount"],
    metric=METRIC,
    consecutiveMisses=POSITIVE,
    percent=DECIMAL,
    amount=DECIMAL,
)

VALIDATORS: dict[str, Schema] = {
    "sla_intervals": document(
        [
            "sowId",
            "channel",
            "intervalStart",
            "agentId",
            "intervalMinutes",
            "thresholdSeconds",
            *COUNT_NAMES,
        ],
        sowId=OBJECT_ID,
        channel=CHANNEL,
        intervalStart=DATE,
        # Present on every row, null on a queue's: the unique key treats missing and null alike.
        agentId=nullable(OBJECT_ID),
        intervalMinutes={"enum": [15, 30, 60]},
        thresholdSeconds=COUNT,
        **dict.fromkeys(COUNT_NAMES, COUNT),
    ),
    "sla_statements": document(
        ["sowId", "clientId", "period", "starts", "ends", "revision", "counts", "closed"],
        sowId=OBJECT_ID,
        clientId=OBJECT_ID,
        period=PERIOD,
        starts=DATE,
        ends=DATE,
        revision=COUNT,
        counts=COUNTS,
        closed={"bsonType": "bool"},
        closedAt=nullable(DATE),
        closedBy=nullable(ACTOR),
        termsVersion=nullable(POSITIVE),
        currency=nullable(STRING),
        fees=nullable(DECIMAL),
        quantity=nullable(DECIMAL),
        totalCredits=nullable(DECIMAL),
        amountDue=nullable(DECIMAL),
        credits={"bsonType": ["array", "null"], "items": CREDIT},
    ),
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


# No `down`: reverting would drop the recorded interval data and the closed statements.

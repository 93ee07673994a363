"""Evidence uploaded for a SOW: a document kind `EVIDENCE` and its own uniqueness rule.

Numbered 9: steps 7 and 8 are taken by work on other branches. Evidence names its SOW
(`entityId`) but no version, and a SOW has any number of it, so the "one copy per signed
version" index now covers only documents with a version (the copies); a SOW's documents
are found by a plain index on `entityId`, which the partial one no longer serves. The
validator is step 4's snapshot with the new kind.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.runner import MigrationError
from migrations.steps import m0004_documents as before
from storage.database import Document

KINDS = [*before.KINDS, "EVIDENCE"]
VALIDATOR = {
    **before.VALIDATORS["documents"],
    "properties": {**before.VALIDATORS["documents"]["properties"], "kind": {"enum": KINDS}},
}
COPY_UNIQUE = "document_entity_version_unique"
(BEFORE_UNIQUE,) = [i for i in before.INDEXES["documents"] if i.document["name"] == COPY_UNIQUE]

INDEXES: dict[str, list[IndexModel]] = {
    "documents": [
        # One copy per signed version; evidence (no version) is not a copy.
        IndexModel(
            [("entityId", ASCENDING), ("version", ASCENDING), ("kind", ASCENDING)],
            name=COPY_UNIQUE,
            unique=True,
            partialFilterExpression={
                "entityId": {"$type": "objectId"},
                "version": {"$type": "number"},
            },
        ),
        # Sow.documents / Csa.documents: an entity's copies and evidence, newest first.
        IndexModel([("entityId", ASCENDING), ("_id", DESCENDING)], name="document_entity"),
    ],
}


async def _validate(db: AsyncDatabase[Document], schema: Document) -> None:
    await db.command("collMod", "documents", validator={"$jsonSchema": schema})


async def up(db: AsyncDatabase[Document]) -> None:
    await _validate(db, VALIDATOR)
    await db.documents.drop_index(COPY_UNIQUE)
    await db.documents.create_indexes(INDEXES["documents"])


async def down(db: AsyncDatabase[Document]) -> None:
    # Step 4's rule would refuse a SOW's second evidence: refused before anything changes.
    if await db.documents.find_one({"kind": "EVIDENCE"}, {"_id": 1}) is not None:
        raise MigrationError(
            "migration m0009_sow_evidence cannot be reverted while evidence documents exist"
        )
    for index in INDEXES["documents"]:
        await db.documents.drop_index(index.document["name"])
    await db.documents.create_indexes([BEFORE_UNIQUE])
    await _validate(db, before.VALIDATORS["documents"])

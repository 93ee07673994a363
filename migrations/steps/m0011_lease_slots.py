"""A lease holds one of its subject's numbered places of its kind (`slot`, below the cap),
each place at most once (a unique index): takers racing for the last places each get one or
are refused, so the cap is filled and never exceeded. Counting after taking, the rule this
replaces, let racers that saw each other all refuse themselves. The index also serves what
step 10's served (a subject's leases of one kind), which goes. Leases without a slot (of a
process of the earlier version, during an upgrade) are outside the index."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.steps import m0010_lease_processes as before
from storage.database import Document

SLOTS = IndexModel(
    [("subject", ASCENDING), ("kind", ASCENDING), ("slot", ASCENDING)],
    name="lease_subject_kind_slot_unique",
    unique=True,
    partialFilterExpression={"slot": {"$exists": True}},
)


async def up(db: AsyncDatabase[Document]) -> None:
    await db.leases.create_indexes([SLOTS])
    await db.leases.drop_index(before.LEASES[0].document["name"])


async def down(db: AsyncDatabase[Document]) -> None:
    await db.leases.create_indexes([before.LEASES[0]])
    await db.leases.drop_index(SLOTS.document["name"])

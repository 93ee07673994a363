"""Named counters (collection `counters`): event seqs and the yearly SOW and CSA numbers."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from storage.database import Database, RetryTransaction


async def take(db: Database, session: AsyncClientSession, key: str, count: int) -> int:
    """Add `count` to counter `key` in `session`'s transaction; the new value (the last of
    the `count` numbers taken)."""
    counter = await db.db.counters.find_one_and_update(
        {"_id": key},
        {"$inc": {"seq": count}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    if counter is None:
        # SecantusDB 0.7 may answer an upsert racing another on a new key with no document.
        # What it applied is unknown: undo it all and run the transaction again.
        raise RetryTransaction(f"counter {key} returned no document")
    return int(counter["seq"])


async def reserve(db: Database, key: str, count: int) -> int:
    """`take` in a transaction of its own: numbers handed out even if the caller's write then
    fails (a gap, never a duplicate)."""
    return await db.in_transaction(
        lambda session: take(db, session, key, count), shared_counter=True
    )

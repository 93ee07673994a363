"""Persisted queries (Apollo's automatic persisted queries): a query's text by its SHA-256, in
`persisted_queries`, so that a hash registered through one process serves every process.

The text is content-addressed: a hash names one query forever, so a copy kept in a process
never goes stale, and two processes registering the same query write the same document.

A failure of the database here costs only the shortcut: a lookup that fails answers "not
registered" (the client sends the query, which runs as any other), a registration that fails
is dropped (the client sends the query in full next time). Neither fails the request.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from contextlib import suppress
from datetime import datetime

from pymongo.errors import DuplicateKeyError, PyMongoError

from storage.database import Database

COLLECTION = "persisted_queries"
# Queries each process keeps in memory: those used most recently.
CACHE_SIZE = 1024

log = logging.getLogger("contracts.persisted_queries")


class PersistedQueryStore:
    def __init__(self, db: Database, cache_size: int = CACHE_SIZE) -> None:
        self.collection = db.db[COLLECTION]
        self.cache: OrderedDict[str, str] = OrderedDict()
        self.cache_size = cache_size

    async def get(self, sha256: str) -> str | None:
        """The query registered under `sha256`, or None."""
        query = self.cache.get(sha256)
        if query is None:
            try:
                found = await self.collection.find_one({"_id": sha256}, {"query": 1})
            except PyMongoError:
                log.warning("persisted query lookup failed", exc_info=True)
                return None
            if found is None:
                return None  # not cached: it may be registered by another process next
            query = str(found["query"])
        self._remember(sha256, query)
        return query

    async def put(self, sha256: str, query: str, at: datetime, max_count: int) -> None:
        """Registers `query` under `sha256` (its hash, checked by the caller), unless the
        store already holds `max_count` queries."""
        if sha256 in self.cache:
            return
        try:
            if await self.collection.estimated_document_count() >= max_count:
                return
            # Registered meanwhile, by another request or process: the same text.
            with suppress(DuplicateKeyError):
                await self.collection.insert_one({"_id": sha256, "query": query, "createdAt": at})
        except PyMongoError:
            log.warning("persisted query registration failed", exc_info=True)
            return
        self._remember(sha256, query)

    def _remember(self, sha256: str, query: str) -> None:
        self.cache[sha256] = query
        self.cache.move_to_end(sha256)
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

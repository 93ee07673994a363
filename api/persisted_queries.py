"""Apollo's automatic persisted queries (APQ) over HTTP, GET and POST.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": H}` and no `query`.
An unknown H is answered with the error `PersistedQueryNotFound` (code
`PERSISTED_QUERY_NOT_FOUND`), as a 200 whatever the `Accept`: Apollo Client turns persisted
queries off for good on a 400 or 500. The client then sends the query with the same
extension; the service checks that H is its SHA-256, runs it and registers it, and from then
on H alone runs it, on every process (storage/persisted_queries.py).

Only a query that ran for a signed-in viewer without a request error is registered, no
larger than PERSISTED_QUERY_MAX_BYTES and while the store holds fewer than
PERSISTED_QUERIES_MAX: nobody can fill the store with documents that never ran. A query
that is not registered still runs; its client just sends it in full next time again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cross_web import HTTPException

from storage.persisted_queries import PersistedQueryStore

EXTENSION = "persistedQuery"
VERSION = 1
# What Apollo clients match on, besides the code.
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PersistedQueryNotFound(Exception):
    """A hash-only request for a hash no process has registered."""


@dataclass(frozen=True, slots=True)
class Registration:
    """A query sent with its hash, to register once it has run."""

    sha256: str
    query: str


class PersistedQueries:
    def __init__(
        self,
        store: PersistedQueryStore,
        *,
        max_bytes: int,
        max_count: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.max_count = max_count
        self.clock = clock

    async def resolve(
        self, query: str | None, extensions: dict[str, object] | None
    ) -> tuple[str | None, Registration | None]:
        """The query to run, and what to register after it ran (requests without the
        extension pass through unchanged)."""
        persisted = (extensions or {}).get(EXTENSION)
        if persisted is None:
            return query, None
        sha256 = _hash(persisted)
        if query is None:
            stored = await self.store.get(sha256)
            if stored is None:
                raise PersistedQueryNotFound
            return stored, None
        if hashlib.sha256(query.encode()).hexdigest() != sha256:
            raise HTTPException(
                400, "extensions.persistedQuery.sha256Hash: provided sha does not match query"
            )
        return query, Registration(sha256, query)

    async def register(self, registration: Registration) -> None:
        if len(registration.query.encode()) > self.max_bytes:
            return
        await self.store.put(registration.sha256, registration.query, self.clock(), self.max_count)


def _hash(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise HTTPException(400, "extensions.persistedQuery: expected an object")
    if persisted.get("version") != VERSION:
        raise HTTPException(
            400, f"extensions.persistedQuery.version: unsupported (only {VERSION} is)"
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise HTTPException(
            400, "extensions.persistedQuery.sha256Hash: expected 64 lowercase hex digits"
        )
    return sha256

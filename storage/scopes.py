"""A viewer's `domain.scope.Scope` as MongoDB filters: the one translation of who sees what.

SOWs, CSAs, events and stored files all keep the owners' ids under the same names
(`clientId`, `agentId`), so one filter per kind of collection serves them all.
"""

from __future__ import annotations

from bson import ObjectId

from domain.events import EntityType
from domain.scope import Scope
from storage.database import Document


def documents(scope: Scope, entity_type: EntityType) -> Document:
    """The `entity_type` documents (collection `sows` or `csas`) in `scope`."""
    if scope.entity_type is None:
        return {}
    if not scope.sees(entity_type):
        # Matches no document: nothing of that kind is in view.
        return {"_id": {"$in": []}}
    return _owned(scope)


def events(scope: Scope) -> Document:
    """The events in `scope`: those of the documents it sees."""
    if scope.entity_type is None:
        return {}
    return {"entityType": scope.entity_type.value, **_owned(scope)}


def files(scope: Scope) -> Document:
    """The stored files (collection `documents`) in `scope`: a client's SOWs' signed copies,
    an agent's executed CSA copies and administrative files; all for everything."""
    if scope.entity_type is None:
        return {}
    return _owned(scope)


def both(first: Document, second: Document) -> Document:
    """The documents matching both filters: merged, or under `$and` when they share a key
    (a caller's filter on another client must narrow the scope, not replace it)."""
    if first.keys().isdisjoint(second.keys()):
        return {**first, **second}
    return {"$and": [first, second]}


def _owned(scope: Scope) -> Document:
    if scope.client_id is not None:
        return {"clientId": ObjectId(scope.client_id)}
    return {"agentId": ObjectId(scope.agent_id)}

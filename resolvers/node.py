"""`node(id:)` and `nodes(ids:)`: any object by its global id, in the viewer's scope exactly
as its own query shows it (a client its company's SOWs, an agent their own CSAs, ...).
Whatever is absent or out of scope is None alike: its existence is not told.

The request's loader (`Loaders.node`) reads every id asked for in one query per type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain import ids as global_ids
from domain.errors import QueryTooComplex
from domain.party import Viewer
from domain.scope import Scope
from storage.store import Store

if TYPE_CHECKING:
    # The request context holds the loader that `batch` feeds.
    from resolvers.context import Context


@dataclass(frozen=True, slots=True)
class NodeKey:
    scope: Scope
    type_name: str
    raw_id: str


type Found = Mapping[str, object]
type Fetch = Callable[[Store, list[str], Scope], Awaitable[Found]]


async def _clients(store: Store, raw: list[str], scope: Scope) -> Found:
    found = await store.parties.clients(raw)
    return {key: client for key, client in found.items() if scope.sees_party(client_id=key)}


async def _agents(store: Store, raw: list[str], scope: Scope) -> Found:
    found = await store.parties.agents(raw)
    return {key: agent for key, agent in found.items() if scope.sees_party(agent_id=key)}


FETCH: Mapping[str, Fetch] = {
    "Client": _clients,
    "Agent": _agents,
    "Sow": lambda store, raw, scope: store.sows.get_many(raw, scope),
    "Csa": lambda store, raw, scope: store.csas.get_many(raw, scope),
    "Document": lambda store, raw, scope: store.documents.get_many(raw, scope),
    "ObligationOccurrence": lambda store, raw, scope: store.occurrences.get_many(raw, scope),
    "ContractEvent": lambda store, raw, scope: store.events.by_ids(raw, scope),
}


def batch(store: Store) -> Callable[[list[NodeKey]], Awaitable[list[object | None]]]:
    """The loader's batch: one query per (scope, type) of the keys."""

    async def load(keys: list[NodeKey]) -> list[object | None]:
        groups: dict[tuple[Scope, str], list[str]] = {}
        for key in keys:
            groups.setdefault((key.scope, key.type_name), []).append(key.raw_id)
        found: dict[NodeKey, object] = {}
        for (scope, type_name), raw in groups.items():
            for raw_id, item in (await FETCH[type_name](store, raw, scope)).items():
                found[NodeKey(scope, type_name, raw_id)] = item
        return [found.get(key) for key in keys]

    return load


async def node(ctx: Context, viewer: Viewer, id: str) -> tuple[str, object] | None:
    """The type name and domain object of a global id, or None; BadUserInput naming `id`
    for a string that is not a global id."""
    (found,) = await _load(ctx, viewer, [(id, "id")])
    return found


async def nodes(ctx: Context, viewer: Viewer, ids: list[str]) -> list[tuple[str, object] | None]:
    """`node` of each id, at most a page of them (`ids[3]` named when one is no id)."""
    maximum = ctx.limits.max_page_size
    if len(ids) > maximum:
        raise QueryTooComplex(
            f"ids: at most {maximum}", limit="pageSize", maximum=maximum, field="ids"
        )
    return await _load(ctx, viewer, [(id, f"ids[{index}]") for index, id in enumerate(ids)])


async def _load(
    ctx: Context, viewer: Viewer, named: list[tuple[str, str]]
) -> list[tuple[str, object] | None]:
    scope = Scope.of(viewer)
    keys = [NodeKey(scope, *global_ids.node_id(id, field)) for id, field in named]
    found = await ctx.loaders.node.load_many(keys)
    return [
        None if item is None else (key.type_name, item)
        for key, item in zip(keys, found, strict=True)
    ]

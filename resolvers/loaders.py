"""Per-request DataLoaders: nested fields of a page are fetched in one query per kind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import cast

from strawberry.dataloader import DataLoader

from domain.csa import Csa, Staffing
from domain.document import Document
from domain.occurrence import Occurrence
from domain.party import Agent, Client
from domain.scope import EVERYTHING
from domain.sla import IntervalCounts
from domain.sow import Sow, SowTerms
from domain.statement import SlaPeriod
from resolvers import node
from resolvers.node import NodeKey
from storage.occurrences import SowList, SowPage
from storage.pages import Page
from storage.sla import AgentRows
from storage.store import Store


def _batch[K, T](
    fetch: Callable[[list[K]], Awaitable[Mapping[K, T]]],
) -> Callable[[list[K]], Awaitable[list[T | None]]]:
    async def load(keys: list[K]) -> list[T | None]:
        found = await fetch(keys)
        return [found.get(key) for key in keys]

    return load


async def _every_sow(store: Store, ids: list[str]) -> Mapping[str, Sow]:
    return await store.sows.get_many(ids, EVERYTHING)


type Soon[T] = T | Awaitable[T]


def at_once[K, T](loader: DataLoader[K, T], key: K) -> Soon[T]:
    """`key`'s value itself when this request has loaded it already, else its pending load.

    A nested field that returns a value keeps graphql-core on its synchronous path: on a
    page of 50 that a connection resolver prefetched, one awaited field per item costs the
    executor more CPU than the page's queries do.
    """
    future = cast(asyncio.Future[T], loader.load(key))  # typed Awaitable; it is a Future
    return future.result() if future.done() else future


def then[T, U](soon: Soon[T | None], convert: Callable[[T], U]) -> Soon[U | None]:
    """`convert` applied to what `soon` holds or will hold (None stays None), keeping a
    value that is there already a value (see `at_once`)."""
    if isinstance(soon, Awaitable):
        return _converted(soon, convert)
    return None if soon is None else convert(soon)


async def _converted[T, U](soon: Awaitable[T | None], convert: Callable[[T], U]) -> U | None:
    value = await soon
    return None if value is None else convert(value)


class Loaders:
    def __init__(self, store: Store) -> None:
        self.client: DataLoader[str, Client | None] = DataLoader(_batch(store.parties.clients))
        self.agent: DataLoader[str, Agent | None] = DataLoader(_batch(store.parties.agents))
        # Unscoped: only for links (renewalOf, renewedBy) from a CSA the viewer already sees.
        self.csa: DataLoader[str, Csa | None] = DataLoader(_batch(store.csas.get_many))
        # Unscoped: a CSA's SOW, for viewers `resolvers.csa.sow_of` lets see it.
        self.sow: DataLoader[str, Sow | None] = DataLoader(_batch(partial(_every_sow, store)))
        self.sow_csas: DataLoader[str, list[Csa] | None] = DataLoader(_batch(store.csas.of_sows))
        self.staffing: DataLoader[str, Staffing | None] = DataLoader(_batch(store.csas.staffing))
        # Performance against the contract: a SOW's period records, terms versions by
        # (SOW, number), an agent's sums over a range.
        self.sla_periods: DataLoader[str, list[SlaPeriod] | None] = DataLoader(
            _batch(store.sla.periods)
        )
        self.sow_terms_version: DataLoader[tuple[str, int], SowTerms | None] = DataLoader(
            _batch(store.sows.terms_of_versions)
        )
        self.agent_rows: DataLoader[AgentRows, IntervalCounts | None] = DataLoader(
            _batch(store.sla.agent_sums)
        )
        # A SOW's or CSA's copies, an agent's folder: for documents already in scope.
        self.documents: DataLoader[str, list[Document] | None] = DataLoader(
            _batch(store.documents.of_entities)
        )
        # Unscoped: an occurrence's evidence, a document of the SOW the viewer sees.
        self.document: DataLoader[str, Document | None] = DataLoader(
            _batch(store.documents.get_many)
        )
        self.folder: DataLoader[str, list[Document] | None] = DataLoader(
            _batch(store.documents.folders)
        )
        # Sow.occurrences of a page of SOWs: each SOW's page and total, in a few queries.
        self.sow_occurrences: DataLoader[SowPage, Page[Occurrence] | None] = DataLoader(
            _batch(store.occurrences.sow_pages)
        )
        self.sow_occurrence_count: DataLoader[SowList, int | None] = DataLoader(
            _batch(store.occurrences.sow_counts)
        )
        # `node`/`nodes`: any object by type and raw id, in a scope; one query per type.
        self.node: DataLoader[NodeKey, object | None] = DataLoader(node.batch(store))

"""Writing a data set: parties in bulk, each document's history in batched transactions."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.changes import Change
from domain.party import Agent, Client
from domain.sow import IN_FORCE, SowStatus
from seed import dataset
from storage.store import Store

# Changes per transaction: large enough to load quickly, small enough that one
# transaction stays short on the embedded server.
BATCH = 500


class NotEmpty(Exception):
    """The database already holds contracts; seeding it would mix demo data in."""


@dataclass(frozen=True, slots=True)
class Loaded:
    clients: list[Client]
    agents: list[Agent]
    sows: int
    csas: int
    changes: int


async def commit_histories(store: Store, histories: Iterable[Sequence[Change[Any]]]) -> int:
    """Commit each history whole, several per transaction; the number of changes written."""
    written = 0
    batch: list[Change[Any]] = []
    for history in histories:
        batch.extend(history)
        if len(batch) >= BATCH:
            await store.writer.create_all(batch)
            written += len(batch)
            batch = []
    if batch:
        await store.writer.create_all(batch)
        written += len(batch)
    return written


async def submitted_sows(store: Store, client: Client, count: int, now: datetime) -> list[str]:
    """`count` SOWs of `client` waiting for review (each benchmarked status change takes one);
    their ids."""
    numbers = await store.sows.reserve_numbers(now, count)
    ids = [store.new_id() for _ in range(count)]
    await commit_histories(
        store,
        (
            dataset.sow_history(id, number, client, SowStatus.SUBMITTED, n, now)
            for n, (id, number) in enumerate(zip(ids, numbers, strict=True))
        ),
    )
    return ids


async def load(store: Store, scale: dataset.Scale, now: datetime, force: bool = False) -> Loaded:
    """Load a data set of `scale`; refused on a database holding data unless `force`."""
    if not force and not await store.parties.is_empty():
        raise NotEmpty("the database already holds data")
    clients = dataset.clients(scale, store.new_id, now)
    agents = dataset.agents(scale, store.new_id, now)
    await store.parties.add_clients(clients)
    await store.parties.add_agents(agents)
    numbers = await store.sows.reserve_numbers(now, scale.sows)
    sow_histories = [
        dataset.sow_history(store.new_id(), number, client, status, n, now)
        for n, (number, client, status) in enumerate(
            zip(numbers, itertools.cycle(clients), dataset.sow_statuses(scale.sows), strict=False)
        )
    ]
    in_force = [h[-1].after for h in sow_histories if h[-1].after.status in IN_FORCE]
    csa_numbers = await store.csas.next_numbers(now, scale.csas) if in_force else []
    csa_histories = dataset.csa_histories(in_force, agents, csa_numbers, store.new_id, now)
    written = await commit_histories(store, itertools.chain(sow_histories, csa_histories))
    return Loaded(clients, agents, scale.sows, len(csa_numbers), written)

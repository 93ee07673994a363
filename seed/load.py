"""Writing a data set: parties in bulk, each document's history in batched transactions."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain import statement
from domain.changes import Change
from domain.document import PDF, Document, DocumentKind
from domain.party import SYSTEM, Agent, Client
from domain.policy import SLA_CLOSE_AFTER_DAYS
from domain.sla import MAX_BATCH_ROWS, Period, check_batch, period_terms, row_of
from domain.sow import IN_FORCE, Sow, SowStatus, SowTerms
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
    # The SOW seed/sla_sample.csv is for, and the interval rows recorded for others.
    sla_sample_sow: str | None = None
    interval_rows: int = 0
    documents: int = 0


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
            # Past the data set's live SLA sample SOW: these are submitted ones.
            for n, (id, number) in enumerate(
                zip(ids, numbers, strict=True), start=dataset.SLA_SAMPLE_SOW + 1
            )
        ),
    )
    return ids


def _copies(history: Sequence[Change[Any]], render: bool) -> list[Change[Any]]:
    """`history` with its signed copies queued for rendering only (`render`) or not at all:
    demo data mails nobody, and a benchmark's thousands of contracts need no PDFs."""
    return [
        dataclasses.replace(
            change,
            copies=tuple(dataclasses.replace(c, recipients=()) for c in change.copies)
            if render
            else (),
        )
        for change in history
    ]


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def administrative_document(store: Store, agent: Agent, now: datetime) -> Document:
    """One uploaded file in `agent`'s folder, as compliance would upload it."""
    data = dataset.onboarding_checklist(agent, now)
    document = Document(
        id=store.new_id(),
        kind=DocumentKind.ADMINISTRATIVE,
        title="Onboarding checklist",
        file_name="onboarding-checklist.pdf",
        content_type=PDF,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=now,
        agent_id=agent.id,
    )
    await store.documents.add(document, _one(data))
    return document


async def load(
    store: Store,
    scale: dataset.Scale,
    now: datetime,
    force: bool = False,
    documents: bool = False,
) -> Loaded:
    """Load a data set of `scale`; refused on a database holding data unless `force`.

    With `documents`, the signed copies are queued for rendering (the caller renders them,
    `scheduler.delivery`) and the first agent's folder gets an administrative document.
    """
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
    obligations = [
        dataset.obligation_history(history[-1].after, client, now, store.new_id)
        for history, client in zip(sow_histories[:1], clients, strict=False)
    ]
    histories: Iterable[Sequence[Change[Any]]] = itertools.chain(
        sow_histories, obligations, csa_histories
    )
    written = await commit_histories(store, (_copies(h, documents) for h in histories))
    if documents and agents:
        await administrative_document(store, agents[0], now)
    sows = [history[-1].after for history in sow_histories]
    rows = await record_performance(store, sows[dataset.SLA_SAMPLE_SOW + 1 :], now)
    sample = sows[dataset.SLA_SAMPLE_SOW].id if sows else None
    return Loaded(
        clients,
        agents,
        scale.sows,
        len(csa_numbers),
        written,
        sla_sample_sow=sample,
        interval_rows=rows,
    )


async def record_performance(store: Store, sows: Sequence[Sow], now: datetime) -> int:
    """Interval rows of two live SOWs, one meeting its targets and one missing them, for the
    last three months and this one; the months due closed as the scheduler would have. The
    number of rows recorded."""
    live = [sow for sow in sows if sow.status is SowStatus.ACTIVE][:2]
    recorded = 0
    for sow, quality in zip(live, (dataset.MEETS, dataset.MISSES), strict=False):
        rows = [row_of(item) for item in dataset.performance_rows(sow, quality, now)]

        def terms_of(period: Period, sow: Sow = sow) -> SowTerms:
            return period_terms(sow, period, {})

        for first in range(0, len(rows), MAX_BATCH_ROWS):
            batch = rows[first : first + MAX_BATCH_ROWS]
            periods = check_batch(sow, batch, terms_of, [], now)
            recorded += len((await store.sla.record(sow, batch, periods, store.new_id)).inserts)
        for record in await store.sla.period_list(sow.id):
            if now >= record.ends + timedelta(days=SLA_CLOSE_AFTER_DAYS):
                closing = await store.sla.closing(store.sows, record.id)
                assert closing is not None
                await store.writer.commit([statement.close(closing, SYSTEM, now)])
    return recorded

"""Concurrency and large operations on the real server: no internal error under parallel
writes and reads, every loser of a race told why, the largest production all or nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.settings import Settings
from domain.party import Role
from resolvers.csa import MAX_AGENTS_PER_PRODUCTION
from tests.commands import CommandCounter
from tests.conftest import Api, Clock, configured, serve
from tests.csa_helpers import PRODUCE, create_agent, produce, setup, staff
from tests.csa_helpers import transition as csa_transition
from tests.sow_helpers import create_client, create_sow, transition
from tests.terms import CSA_TERMS
from tests.test_sow_concurrency import UPDATE, codes

SOW_PAGE = "{ sows(first: 50) { totalCount edges { node { id status version } } } }"
CSA_COUNT = "{ csas(first: 1) { totalCount } }"
EVENT_COUNT = "{ events { totalCount } }"


async def test_parallel_updates_of_twenty_sows_all_succeed(api: Api) -> None:
    client_id = await create_client(api)
    token = api.token(Role.CLIENT, client_id=client_id)
    sows = await asyncio.gather(*(create_sow(api, client_id) for _ in range(20)))

    bodies = await asyncio.gather(
        *(
            api.post(UPDATE, {"id": sow["id"], "v": 1, "t": {"title": f"T{n}"}}, token)
            for n, sow in enumerate(sows)
        )
    )

    assert codes(bodies) == ["OK"] * 20
    listed = await api.ok(SOW_PAGE, token=token)
    assert {edge["node"]["version"] for edge in listed["sows"]["edges"]} == {2}


async def test_the_writers_of_one_process_take_turns_on_the_event_sequence(
    settings: Settings, clock: Clock
) -> None:
    """Every write appends to the one event sequence, so its transactions commit one at a
    time whatever they do. Racing for it, the losers of each round retried with backoff and
    no turn of their own: on a loaded machine one lost for 10 s and failed (seen in CI)."""
    counter = CommandCounter()
    async with serve(settings, clock, {"event_listeners": [counter]}) as api:
        client_id = await create_client(api)
        await asyncio.gather(*(create_sow(api, client_id) for _ in range(20)))
    assert not [failure for failure in counter.failures if "WriteConflict" in failure]


async def test_writes_alongside_reads_all_succeed(api: Api) -> None:
    client_id = await create_client(api)
    token = api.token(Role.CLIENT, client_id=client_id)
    sows = await asyncio.gather(*(create_sow(api, client_id) for _ in range(10)))

    writes = [
        api.post(UPDATE, {"id": sow["id"], "v": 1, "t": {"title": "new"}}, token) for sow in sows
    ]
    reads = [api.post(SOW_PAGE, token=token) for _ in range(30)]
    bodies = await asyncio.gather(*writes, *reads)

    assert codes(bodies) == ["OK"] * 40


async def test_twenty_racing_transitions_of_one_sow_have_one_winner_and_reasons(
    api: Api,
) -> None:
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    token = api.token(Role.CLIENT, client_id=client_id)

    bodies = await asyncio.gather(
        *(api.post(transition("submitSow"), {"id": sow["id"], "v": 1}, token) for _ in range(20))
    )

    assert codes(bodies) == ["INVALID_TRANSITION"] * 19 + ["OK"]


async def test_twenty_racing_transitions_of_one_csa_have_one_winner_and_reasons(
    api: Api,
) -> None:
    _, sow, agents = await setup(api)
    (csa,) = await produce(api, sow["id"], agents)

    bodies = await asyncio.gather(
        *(
            api.post(csa_transition("sendCsa"), {"id": csa["id"], "v": csa["version"]}, staff(api))
            for _ in range(20)
        )
    )

    assert codes(bodies) == ["INVALID_TRANSITION"] * 19 + ["OK"]


@pytest.fixture
async def unlimited(settings: Settings) -> AsyncIterator[Api]:
    """No rate limit: the largest roster needs more requests than a minute's allowance."""
    async with serve(configured(settings, rate_limit_per_minute=0)) as api:
        yield api


async def test_the_largest_production_is_quick_invisible_until_it_commits_and_whole(
    unlimited: Api,
) -> None:
    api = unlimited
    _, sow, _ = await setup(api, agents=0)
    agents: list[str] = []
    for start in range(0, MAX_AGENTS_PER_PRODUCTION, 50):
        agents += await asyncio.gather(
            *(create_agent(api, f"Agent{n}") for n in range(start, start + 50))
        )
    token = staff(api)
    events_before = (await api.ok(EVENT_COUNT, token=token))["events"]["totalCount"]
    seen: list[tuple[int, int]] = []

    async def watch(done: asyncio.Event) -> None:
        while not done.is_set():
            csas = await api.ok(CSA_COUNT, token=token)
            events = await api.ok(EVENT_COUNT, token=token)
            seen.append(
                (
                    csas["csas"]["totalCount"],
                    events["events"]["totalCount"] - events_before,
                )
            )

    done = asyncio.Event()
    watcher = asyncio.create_task(watch(done))
    started = time.monotonic()
    body: dict[str, Any] = await api.post(
        PRODUCE, {"s": sow["id"], "a": agents, "t": CSA_TERMS}, token
    )
    elapsed = time.monotonic() - started
    done.set()
    await watcher

    assert not body.get("errors"), body["errors"]
    assert len(body["data"]["produceCsas"]) == MAX_AGENTS_PER_PRODUCTION
    assert elapsed < 10, f"{MAX_AGENTS_PER_PRODUCTION} CSAs took {elapsed:.1f} s"
    # Readers saw nothing of it, or all of it (each count read on its own).
    assert seen, "no read ran while the production did"
    assert {csas for csas, _ in seen} <= {0, MAX_AGENTS_PER_PRODUCTION}
    assert {events for _, events in seen} <= {0, MAX_AGENTS_PER_PRODUCTION}

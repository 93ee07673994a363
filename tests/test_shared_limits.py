"""The rate limit and the caps on connections and subscriptions are per token subject and
shared by every process of the service (kept in the database), so `WORKERS > 1` or several
replicas cannot multiply them."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect

from api.rate_limit import RateLimiter
from api.settings import Settings
from domain.party import Role
from migrations.runner import Migrator
from storage import leases
from storage.database import Database
from storage.leases import LEASE_SECONDS, RETRY_AFTER_SECONDS, Held, Leases
from storage.rate_limits import RateBudgets
from tests.conftest import Api, configured, serve
from tests.csa_helpers import create_agent, staff
from tests.processes import api_process
from tests.test_subscriptions import eventually, hub
from tests.upload_helpers import PDF, post_file
from tests.ws import connect, connected, receive, websocket_client

VIEWER = "{ viewer { role } }"
EVENTS = "subscription { contractEvents { id } }"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.now


async def test_two_limiters_on_one_database_share_the_budget(target: Database) -> None:
    clock = Clock()
    budgets = RateBudgets(target)
    one, two = (RateLimiter(8, budgets, clock=clock) for _ in range(2))
    # Alternating: what each admits alone (its first quarter) reaches the other.
    waits = []
    for n in range(8):
        limiter = one if n % 2 else two
        waits.append(await limiter.acquire("sub:alice"))
        await limiter.flush()
    assert waits == [0] * 8
    refused = [await one.acquire("sub:alice"), await two.acquire("sub:alice")]
    assert all(wait >= 1 for wait in refused), refused
    # Another subject has its own budget; and the bucket refills with time (8 a minute).
    assert await one.acquire("sub:bob") == 0
    clock.now += 7.5
    assert await two.acquire("sub:alice") == 0
    assert await one.acquire("sub:alice") >= 1


async def test_what_a_process_admits_alone_is_pushed_by_its_flush(target: Database) -> None:
    clock = Clock()
    budgets = RateBudgets(target)
    one, two = RateLimiter(8, budgets, clock=clock), RateLimiter(8, budgets, clock=clock)
    assert [await one.acquire("sub:alice") for _ in range(2)] == [0, 0]
    await one.flush()
    # Two taken of eight: six are left for the other process, and no more.
    assert [await two.acquire("sub:alice") for _ in range(7)] == [0] * 6 + [8]


async def test_a_lease_not_renewed_stops_counting(target: Database) -> None:
    """A process killed with its connections open: they stop holding the cap."""
    now = datetime.now(UTC)
    dead, alive = Leases(target), Leases(target)
    assert await dead.take("alice", Held.CONNECTION, 1, now) is not None
    assert await alive.take("alice", Held.CONNECTION, 1, now) is None
    assert await alive.take("alice", Held.SUBSCRIPTION, 1, now) is not None
    later = now + timedelta(seconds=LEASE_SECONDS / 2)
    await alive.renew(later)
    after_expiry = now + timedelta(seconds=LEASE_SECONDS + 1)
    # The renewed subscription still counts; the dead process's connection does not.
    assert await alive.take("alice", Held.SUBSCRIPTION, 1, after_expiry) is None
    lease = await alive.take("alice", Held.CONNECTION, 1, after_expiry)
    assert lease is not None
    await alive.release(lease)
    assert await alive.take("alice", Held.CONNECTION, 1, after_expiry) is not None
    # Renewing is one write per process, whatever it holds; it removes the dead's leases.
    await alive.renew(after_expiry)
    assert await target.db[leases.COLLECTION].count_documents({"owner": dead.owner}) == 0
    assert await target.db[leases.PROCESSES].count_documents({}) == 1


async def test_takers_racing_for_the_last_places_get_every_one(target: Database) -> None:
    """Five at once for three places, from two processes: three win and two are refused,
    whatever the interleaving (counted after taking, they could all be refused)."""
    await Migrator(target).up()  # the index that gives each place once
    now = datetime.now(UTC)
    one, two = Leases(target), Leases(target)
    for round in range(5):
        subject = f"alice-{round}"
        taken = await asyncio.gather(
            *((one, two)[n % 2].take(subject, Held.SUBSCRIPTION, 3, now) for n in range(5))
        )
        assert sum(lease is not None for lease in taken) == 3, taken
        held = {"subject": subject, "kind": Held.SUBSCRIPTION.value}
        assert await target.db[leases.COLLECTION].count_documents(held) == 3


async def test_two_processes_share_the_rate_limit_and_the_connection_cap(
    settings: Settings,
) -> None:
    environment = {"RATE_LIMIT_PER_MINUTE": "6", "CONNECTIONS_PER_SUBJECT": "1"}
    async with (
        api_process(settings, environment) as one,
        api_process(settings, environment) as two,
    ):
        token = one.token(Role.COMPLIANCE, subject="alice")
        headers = {"Authorization": f"Bearer {token}"}
        statuses = []
        for n in range(7):
            process = (one, two)[n % 2]
            response = await process.http.post("/graphql", json={"query": VIEWER}, headers=headers)
            statuses.append(response.status_code)
        assert statuses == [200] * 6 + [429]
        refused = await two.http.post("/graphql", json={"query": VIEWER}, headers=headers)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] >= 1

        # Another subject, whose budget is whole: its connections draw on it.
        token = one.token(Role.COMPLIANCE, subject="bob")
        async with connected(one.http, token):
            async with connect(two.http) as second:
                await second.send_json({"type": "connection_init", "payload": {"token": token}})
                with pytest.raises(WebSocketDisconnect) as closed:
                    await receive(second)
            assert closed.value.code == 4403
            assert (closed.value.reason or "").startswith("CONCURRENCY_LIMITED")
        # Released when closed: the other process takes it now.
        async with connected(two.http, token):
            pass


async def released(api: Api, held: int) -> None:
    """Until `held` subscription leases are left (one's release follows its end)."""
    held_leases = api.app.state.services.db.db.leases
    async with asyncio.timeout(5):
        while await held_leases.count_documents({"kind": "subscription"}) != held:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_subscriptions_per_subject_are_capped_across_connections(
    settings: Settings,
) -> None:
    async with serve(configured(settings, subscriptions_per_subject=2)) as api:
        token = api.token(Role.COMPLIANCE)
        other = api.token(Role.COMPLIANCE, subject="someone-else")
        async with (
            websocket_client(api) as sockets,
            connected(sockets, token) as first,
            connected(sockets, token) as second,
        ):
            await first.send_json({"id": "a", "type": "subscribe", "payload": {"query": EVENTS}})
            await second.send_json({"id": "b", "type": "subscribe", "payload": {"query": EVENTS}})
            await eventually(lambda: hub(api).subscribers == 2)
            await second.send_json({"id": "c", "type": "subscribe", "payload": {"query": EVENTS}})
            refused = await receive(second)
            assert refused["id"] == "c"
            assert refused["type"] == "next"
            error = refused["payload"]["errors"][0]
            assert error["extensions"] == {
                "code": "CONCURRENCY_LIMITED",
                "limit": "subscriptions",
                "maximum": 2,
                "retryAfter": RETRY_AFTER_SECONDS,
            }
            assert (await receive(second))["type"] == "complete"
            # Another subject is not held back; a completed subscription frees its place.
            async with connected(sockets, other) as theirs:
                await theirs.send_json(
                    {"id": "d", "type": "subscribe", "payload": {"query": EVENTS}}
                )
                await eventually(lambda: hub(api).subscribers == 3)
                await first.send_json({"id": "a", "type": "complete"})
                await released(api, 2)
                await second.send_json(
                    {"id": "e", "type": "subscribe", "payload": {"query": EVENTS}}
                )
                await eventually(lambda: hub(api).subscribers == 3)


UPLOAD = """
mutation($a: ID!, $f: Upload!) { uploadAgentDocument(agentId: $a, title: "ID", file: $f) { url } }
"""


def refused_for(response: httpx.Response) -> int:
    """The wait a 429 `RATE_LIMITED` names, in its header and its extensions alike."""
    assert response.status_code == 429, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) == error["extensions"]["retryAfter"] >= 1
    wait: int = error["extensions"]["retryAfter"]
    return wait


async def test_document_downloads_draw_on_the_budget_of_graphql_requests(
    settings: Settings,
) -> None:
    async with serve(configured(settings, rate_limit_per_minute=5)) as api:
        token = staff(api)
        headers = {"Authorization": f"Bearer {token}"}
        agent_id = await create_agent(api)
        status, body = await post_file(api, UPLOAD, {"a": agent_id}, PDF, token)
        assert status == 200, body
        url = body["data"]["uploadAgentDocument"]["url"]
        # Two of the subject's five spent on GraphQL; three downloads (a revalidation among
        # them) spend the rest.
        first = await api.http.get(url, headers=headers)
        assert first.status_code == 200
        etag = {"If-None-Match": first.headers["etag"]}
        assert (await api.http.get(url, headers={**headers, **etag})).status_code == 304
        assert (await api.http.get(url, headers=headers)).status_code == 200
        refused_for(await api.http.get(url, headers={**headers, **etag}))
        refused_for(await api.http.get(url, headers=headers))
        refused_for(await api.http.post("/graphql", json={"query": VIEWER}, headers=headers))
        # Without a token, downloads draw on the address's budget, as GraphQL requests do.
        anonymous = [(await api.http.get(url)).status_code for _ in range(5)]
        assert anonymous == [401] * 5
        refused_for(await api.http.get(url))


async def answers(ws: AsyncWebSocketSession) -> list[dict[str, Any]]:
    """Every message until the socket stays quiet for a second, keep-alive pings aside."""
    received = []
    with contextlib.suppress(TimeoutError):
        while True:
            received.append(await receive(ws, seconds=1))
    return received


async def test_subscribes_racing_for_the_last_places_fill_them(settings: Settings) -> None:
    """Five subscribes at once, on as many connections, for three places: three run, two
    are refused. A few rounds, one subject each: the race does not show every time."""
    async with serve(configured(settings, subscriptions_per_subject=3)) as api:
        for round in range(3):
            token = api.token(Role.COMPLIANCE, subject=f"racer-{round}")
            async with websocket_client(api) as sockets, contextlib.AsyncExitStack() as stack:
                racers = [
                    await stack.enter_async_context(connected(sockets, token)) for _ in range(5)
                ]
                subscribe = {"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}
                await asyncio.gather(*(ws.send_json(subscribe) for ws in racers))
                said = [m for ms in await asyncio.gather(*map(answers, racers)) for m in ms]
                refused = [m for m in said if m["type"] == "next"]
                assert [m["payload"]["errors"][0]["extensions"]["code"] for m in refused] == [
                    "CONCURRENCY_LIMITED"
                ] * 2, said
                assert hub(api).subscribers == 3
            await eventually(lambda: hub(api).subscribers == 0)

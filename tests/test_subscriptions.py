"""`contractEvents` over graphql-transport-ws: scope per role, resume, scale-out, ordering.

Every test drives the real app through a WebSocket; events come from mutations or, for
CSA events (built elsewhere) and for interleaved transactions, from rows written through
storage into the same database.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx_ws import AsyncWebSocketSession

from api.settings import Settings
from api.tokens import mint_token
from domain.events import EntityType, Event, EventType, NewEvent
from domain.party import Actor, Role
from live.hub import EventHub
from storage import events as event_log
from storage.database import Database
from storage.events import last_seq
from storage.store import Store
from tests.conftest import Api, Client, Clock, configured, serve
from tests.ids import gid, raw
from tests.ids import seq as position
from tests.processes import api_process
from tests.sow_helpers import create_client, create_sow, transition
from tests.ws import connected, receive, websocket_client

SUBSCRIPTION = """
subscription($e: ID, $a: String) {
  contractEvents(entityId: $e, after: $a) { id type entityType entityId toStatus }
}
"""


@pytest.fixture
async def api(settings: Settings, clock: Clock) -> AsyncIterator[Api]:
    async with serve(settings, clock) as running:
        yield running


def hub(api: Api) -> EventHub:
    found: EventHub = api.app.state.services.live.hub
    return found


def database(api: Api) -> Database:
    found: Database = api.app.state.services.db
    return found


async def eventually(condition: Callable[[], bool], seconds: float = 5) -> None:
    """Until `condition` holds: it reads the app's state, which signals nothing."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def subscribe(
    ws: AsyncWebSocketSession,
    op: str = "1",
    *,
    entity_id: str | None = None,
    after: str | None = None,
) -> None:
    variables = {"e": entity_id, "a": after}
    payload = {"query": SUBSCRIPTION, "variables": variables}
    await ws.send_json({"id": op, "type": "subscribe", "payload": payload})


async def live(api: Api, ws: AsyncWebSocketSession, subscribers: int, **kw: Any) -> None:
    """Subscribe and wait until the hub holds the subscription (live only: no catch-up)."""
    await subscribe(ws, **kw)
    await eventually(lambda: hub(api).subscribers >= subscribers)


def handing_on_directly(api: Api, count: int) -> Callable[[], bool]:
    """Whether `count` subscriptions are caught up and waiting for live events."""
    members = hub(api)._index.values()
    return lambda: sum(1 for group in members for one in group if one.direct) == count


async def take(ws: AsyncWebSocketSession, count: int) -> list[dict[str, Any]]:
    """The next `count` events of the connection's subscription."""
    found = []
    for _ in range(count):
        message = await receive(ws)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        found.append(message["payload"]["data"]["contractEvents"])
    return found


async def failure(ws: AsyncWebSocketSession) -> dict[str, Any]:
    """The error that ends the subscription: an `error` message, or a `next` with errors
    (raised once the stream runs) followed by `complete`."""
    message = await receive(ws)
    if message["type"] == "error":
        first: dict[str, Any] = message["payload"][0]
        return first
    assert message["type"] == "next", message
    assert await receive(ws) == {"id": message["id"], "type": "complete"}
    error: dict[str, Any] = message["payload"]["errors"][0]
    return error


def csa_event(agent_id: str, *, client_id: str | None = None, entity_id: str = "") -> NewEvent:
    """A CSA event as a writer makes it, of the parties' ids (global ids from the API, or
    raw ones)."""
    return NewEvent(
        type=EventType.CREATED,
        entity_type=EntityType.CSA,
        entity_id=raw(entity_id) if entity_id else Store.new_id(),
        from_status=None,
        to_status="DRAFT",
        version=1,
        actor=Actor(id="staff", role=Role.COMPLIANCE),
        at=datetime.now(UTC),
        client_id=None if client_id is None else raw(client_id),
        agent_id=raw(agent_id),
    )


def as_published(new: NewEvent, seq: int, **changes: Any) -> Event:
    """`new` as the feed would publish it, with `changes`: for events no writer could make."""
    fields = {field.name: getattr(new, field.name) for field in dataclasses.fields(new)}
    return Event(**{**fields, **changes}, seq=seq)


async def write(api: Api, *new: NewEvent) -> None:
    """Events appended as a writer does: counter and rows in one transaction."""
    db = database(api)
    await db.in_transaction(lambda session: event_log.append(db, session, new))


async def submit(api: Client, client_id: str, sow: dict[str, Any]) -> None:
    token = api.token(Role.CLIENT, client_id=client_id)
    await api.ok(transition("submitSow"), {"id": sow["id"], "v": sow["version"]}, token=token)


# Delivery and scope ------------------------------------------------------------------------


@asynccontextmanager
async def every_role_live(
    api: Api, client_id: str, rival_id: str, agent_id: str
) -> AsyncIterator[tuple[AsyncWebSocketSession, ...]]:
    """Live subscriptions (no entity, no cursor) of a client, another client, an agent and
    compliance, in that order, each held by the hub before it is yielded."""
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.CLIENT, client_id=client_id)) as client,
        connected(sockets, api.token(Role.CLIENT, client_id=rival_id)) as rival,
        connected(sockets, api.token(Role.AGENT, agent_id=agent_id)) as agent,
        connected(sockets, api.token(Role.COMPLIANCE)) as staff,
    ):
        for count, ws in enumerate((client, rival, agent, staff), start=1):
            await live(api, ws, count)
        yield client, rival, agent, staff


async def test_each_role_gets_live_exactly_the_events_it_may_see(api: Api) -> None:
    acme, globex = await create_client(api, "Acme"), await create_client(api, "Globex")
    agent, other_agent = Store.new_id(), Store.new_id()
    async with every_role_live(api, acme, globex, agent) as (client, rival, agent_ws, staff):
        sow = await create_sow(api, acme)
        await submit(api, acme, sow)
        # A CSA event names the SOW's client too: the client still never sees it.
        await write(api, csa_event(other_agent, client_id=acme), csa_event(agent))

        mine = await take(client, 2)
        assert [(e["type"], e["entityId"]) for e in mine] == [
            ("CREATED", sow["id"]),
            ("SUBMITTED", sow["id"]),
        ]
        assert [e["type"] for e in await take(staff, 4)] == [
            "CREATED",
            "SUBMITTED",
            "CREATED",
            "CREATED",
        ]
        (own,) = await take(agent_ws, 1)
        assert own["entityType"] == "CSA"

        # Nothing else was queued for the others: their next event is their own.
        theirs = await create_sow(api, globex)
        await write(api, csa_event(agent))
        assert [e["entityId"] for e in await take(rival, 1)] == [theirs["id"]]
        assert [e["entityType"] for e in await take(agent_ws, 1)] == ["CSA"]
        sow2 = await create_sow(api, acme)
        assert [e["entityId"] for e in await take(client, 1)] == [sow2["id"]]


async def test_entity_id_narrows_to_one_document_in_scope(api: Api) -> None:
    acme, globex = await create_client(api, "Acme"), await create_client(api, "Globex")
    watched, other, foreign = (
        await create_sow(api, acme),
        await create_sow(api, acme),
        await create_sow(api, globex),
    )
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.CLIENT, client_id=acme)) as ws,
    ):
        for op, entity in (("x", foreign["id"]), ("y", Store.new_id()), ("z", "not-an-id")):
            await subscribe(ws, op, entity_id=entity)
            error = await failure(ws)
            assert error["extensions"]["code"] == "NOT_FOUND", entity
        await live(api, ws, 1, entity_id=watched["id"])
        await submit(api, acme, other)
        await submit(api, acme, watched)
        assert [(e["entityId"], e["type"]) for e in await take(ws, 1)] == [
            (watched["id"], "SUBMITTED")
        ]


async def test_an_entity_not_found_is_named_as_sow_names_it(api: Api) -> None:
    """By the type its global id says and that global id, however it was sent (a raw id,
    which says no type, as a SOW's): never the raw id."""
    acme, globex = await create_client(api, "Acme"), await create_client(api, "Globex")
    foreign = await create_sow(api, globex)
    missing_csa = gid("Csa", Store.new_id())
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.CLIENT, client_id=acme)) as ws,
    ):
        cases = [
            (foreign["id"], "Sow"),
            (gid("Sow", Store.new_id()), "Sow"),
            (missing_csa, "Csa"),
            (raw(foreign["id"]), "Sow"),
        ]
        for op, (entity, kind) in enumerate(cases):
            await subscribe(ws, str(op), entity_id=entity)
            error = await failure(ws)
            named = gid(kind, raw(entity))
            assert error["extensions"] == {"code": "NOT_FOUND", "kind": kind, "id": named}
            assert error["message"] == f"{kind} {named} not found"


async def test_an_agent_cannot_subscribe_to_a_sow(api: Api) -> None:
    acme = await create_client(api)
    sow = await create_sow(api, acme)
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.AGENT, agent_id=Store.new_id())) as ws,
    ):
        await subscribe(ws, entity_id=sow["id"])
        assert (await failure(ws))["extensions"]["code"] == "NOT_FOUND"


async def test_a_csa_out_of_scope_is_not_found_on_subscribe(api: Api) -> None:
    """A client never subscribes to a CSA, even of its own SOW; an agent only to their own."""
    acme = await create_client(api)
    mine, theirs = Store.new_id(), Store.new_id()
    own, other = csa_event(mine, client_id=acme), csa_event(theirs, client_id=acme)
    await write(api, own, other)
    async with websocket_client(api) as sockets:
        async with connected(sockets, api.token(Role.CLIENT, client_id=acme)) as ws:
            await subscribe(ws, entity_id=own.entity_id)
            assert (await failure(ws))["extensions"]["code"] == "NOT_FOUND"
        async with connected(sockets, api.token(Role.AGENT, agent_id=mine)) as ws:
            await subscribe(ws, "x", entity_id=other.entity_id)
            assert (await failure(ws))["extensions"]["code"] == "NOT_FOUND"
            await live(api, ws, 1, op="y", entity_id=own.entity_id)
            await write(api, csa_event(theirs, entity_id=other.entity_id))
            await write(api, csa_event(mine, entity_id=own.entity_id))
            (event,) = await take(ws, 1)
            assert event["entityId"] == gid("Csa", own.entity_id)


async def test_alike_subscriptions_share_one_execution_per_event(api: Api) -> None:
    """Alike: the same document, scope and variables, but for those that only choose the
    events (a client resumed from its own cursor is one of the group)."""
    acme = await create_client(api)
    token = api.token(Role.CLIENT, client_id=acme)
    async with (
        websocket_client(api) as sockets,
        connected(sockets, token) as first,
        connected(sockets, token) as second,
        connected(sockets, api.token(Role.COMPLIANCE)) as staff,
    ):
        await live(api, first, 1)
        await live(api, second, 2, after=str(await last_seq(database(api))))
        await live(api, staff, 3)
        await eventually(handing_on_directly(api, 3))
        rendered = api.app.state.services.live.rendered
        hits, misses = rendered.hits, rendered.misses
        await create_sow(api, acme)
        frames = [await take(ws, 1) for ws in (first, second, staff)]
        assert frames[0] == frames[1] == frames[2]
        # One execution per scope (the client's, compliance's); the second client reuses.
        assert (rendered.misses - misses, rendered.hits - hits) == (2, 1)


async def test_an_event_no_group_can_share_is_delivered_by_its_subscription_in_order(
    api: Api,
) -> None:
    """An event whose result has errors is declined by the direct hand-off (errors are coded
    per subscriber): the subscription's own task executes and sends it, and the events after
    it still come after it."""
    agent = Store.new_id()
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.AGENT, agent_id=agent)) as ws,
    ):
        await live(api, ws, 1)
        broken = csa_event(agent)
        # `type` is non-null in the schema: its result is an error, never shared.
        hub(api).publish(as_published(broken, 10**12, type=None))
        await write(api, csa_event(agent))
        message = await receive(ws)
        assert message["type"] == "next", message
        assert message["payload"]["data"] is None
        assert "contractEvents" in message["payload"]["errors"][0]["path"]
        (after,) = await take(ws, 1)
        assert after["entityId"] != broken.entity_id


async def test_a_full_queue_ends_the_subscription_at_its_last_event(api: Api) -> None:
    """While the subscription's task has an event to deliver itself, the events after it
    queue behind it (never handed on directly, which would overtake it); one more than the
    queue holds drops the subscriber, which is told to resume from the last it got."""
    agent = Store.new_id()
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.AGENT, agent_id=agent)) as ws,
    ):
        await live(api, ws, 1)
        await write(api, csa_event(agent))
        (delivered,) = await take(ws, 1)
        flood_behind_a_declined_event(api, agent)
        error = await failure(ws)
        assert error["extensions"] == {"code": "SUBSCRIBER_TOO_SLOW", "cursor": delivered["id"]}


async def test_dropped_before_its_first_event_a_subscriber_resumes_where_it_joined(
    api: Api,
) -> None:
    """Without `after`, the cursor is where it joined the live feed, not null (resuming
    with no cursor would lose what it was dropped with)."""
    agent = Store.new_id()
    await write(api, csa_event(Store.new_id()))
    joined = await last_seq(database(api))
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.AGENT, agent_id=agent)) as ws,
    ):
        await eventually(lambda: hub(api).published_through == joined)
        await live(api, ws, 1)
        flood_behind_a_declined_event(api, agent)
        error = await failure(ws)
        assert error["extensions"] == {
            "code": "SUBSCRIBER_TOO_SLOW",
            "cursor": gid("ContractEvent", joined),
        }


def flood_behind_a_declined_event(api: Api, agent: str) -> None:
    """In one go, before the subscription's task wakes: an event the hand-off declines,
    then a queue's worth and one more. Published only: the log never holds them."""
    event = csa_event(agent)
    first = 10**12
    for seq in range(first, first + hub(api).queue_size + 1):
        hub(api).publish(as_published(event, seq, type=None if seq == first else event.type))
    assert hub(api).subscribers == 0


# Resume, ordering ----------------------------------------------------------------------


async def test_resume_after_a_cursor_replays_the_missed_then_goes_live(api: Api) -> None:
    acme = await create_client(api)
    token = api.token(Role.CLIENT, client_id=acme)
    first = await create_sow(api, acme)
    async with websocket_client(api) as sockets, connected(sockets, token) as ws:
        await subscribe(ws, after="0")
        (created,) = await take(ws, 1)
    # Disconnected: the subscription is gone from the hub, and these are missed.
    await eventually(lambda: hub(api).subscribers == 0)
    await submit(api, acme, first)
    second = await create_sow(api, acme)
    async with websocket_client(api) as sockets, connected(sockets, token) as ws:
        await subscribe(ws, after=created["id"])
        missed = await take(ws, 2)
        assert [(e["type"], e["entityId"]) for e in missed] == [
            ("SUBMITTED", first["id"]),
            ("CREATED", second["id"]),
        ]
        await eventually(lambda: hub(api).subscribers == 1)
        third = await create_sow(api, acme)
        (fresh,) = await take(ws, 1)
        assert fresh["entityId"] == third["id"]
        ids = [position(e["id"]) for e in [created, *missed, fresh]]
        assert ids == sorted(set(ids))


async def test_the_replay_holds_only_what_the_viewer_may_see(api: Api) -> None:
    acme, globex = await create_client(api, "Acme"), await create_client(api, "Globex")
    agent = Store.new_id()
    start = await last_seq(database(api))
    ours = await create_sow(api, acme)
    await create_sow(api, globex)
    await write(api, csa_event(agent, client_id=acme), csa_event(Store.new_id()))
    await submit(api, acme, ours)
    created, submitted = [("CREATED", "SOW")], [("SUBMITTED", "SOW")]
    everything = created * 2 + [("CREATED", "CSA")] * 2 + submitted
    # Each viewer: what the replay holds, and the type of the first live event it gets.
    viewers = [
        (api.token(Role.CLIENT, client_id=acme), created + submitted, "SOW"),
        (api.token(Role.AGENT, agent_id=agent), [("CREATED", "CSA")], "CSA"),
        (api.token(Role.COMPLIANCE), everything, "SOW"),
    ]
    async with websocket_client(api) as sockets:
        for token, expected, first_live in viewers:
            async with connected(sockets, token) as ws:
                await subscribe(ws, after=str(start))
                replayed = await take(ws, len(expected))
                assert [(e["type"], e["entityType"]) for e in replayed] == expected
                # Then live: nothing else of the replay was left to come.
                await eventually(lambda: hub(api).subscribers == 1)
                await create_sow(api, acme)
                await write(api, csa_event(agent))
                assert (await take(ws, 1))[0]["entityType"] == first_live
            await eventually(lambda: hub(api).subscribers == 0)


async def test_events_during_the_catch_up_are_delivered_once(api: Api) -> None:
    """The seam: writes racing the replay reach the subscriber exactly once, in order."""
    agent = Store.new_id()
    await write(api, *(csa_event(agent) for _ in range(5)))
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.AGENT, agent_id=agent)) as ws,
    ):
        await subscribe(ws, after="0")

        async def writer() -> None:
            for _ in range(5):
                await write(api, csa_event(agent))

        racing = asyncio.create_task(writer())
        got = await take(ws, 10)
        await racing
        ids = [position(e["id"]) for e in got]
        assert ids == sorted(set(ids))
        assert len(ids) == 10
        await write(api, csa_event(agent))
        (last,) = await take(ws, 1)
        assert position(last["id"]) == max(ids) + 1


async def test_bad_cursor_is_bad_user_input(api: Api) -> None:
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        await subscribe(ws, after="yesterday")
        error = await failure(ws)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


# Several processes, concurrent writers ----------------------------------------------------


async def test_an_event_written_by_one_instance_reaches_subscribers_of_another(
    api: Api, settings: Settings
) -> None:
    acme = await create_client(api)
    async with (
        serve(settings) as other,
        websocket_client(other) as sockets,
        connected(sockets, other.token(Role.CLIENT, client_id=acme)) as ws,
    ):
        await live(other, ws, 1)
        sow = await create_sow(api, acme)
        await submit(api, acme, sow)
        assert [e["type"] for e in await take(ws, 2)] == ["CREATED", "SUBMITTED"]


async def test_an_aborted_transaction_gives_its_seq_to_the_next_writer(api: Api) -> None:
    agent = Store.new_id()
    db = database(api)
    seq = await last_seq(db)
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.AGENT, agent_id=agent)) as ws,
    ):
        await live(api, ws, 1)
        async with db.client.start_session() as aborted:
            await aborted.start_transaction()
            await event_log.append(db, aborted, (csa_event(agent),))
            await aborted.abort_transaction()
        await write(api, csa_event(agent))
        assert [e["id"] for e in await take(ws, 1)] == [gid("ContractEvent", seq + 1)]


# Slow subscribers, limits, expiry, shutdown -----------------------------------------------


async def test_subscriptions_per_connection_are_capped(settings: Settings) -> None:
    async with (
        serve(configured(settings, subscriptions_per_connection=2)) as api,
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        await live(api, ws, 1, op="1")
        await live(api, ws, 2, op="2")
        await subscribe(ws, "3")
        message = await receive(ws)
        assert (message["type"], message["id"]) == ("error", "3")
        assert "limit" in message["payload"][0]["message"]


async def test_the_server_pings_to_keep_the_connection_alive(settings: Settings) -> None:
    async with (
        serve(configured(settings, keep_alive_seconds=0.05)) as api,
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        assert (await ws.receive_json(timeout=2))["type"] == "ping"
        await ws.send_json({"type": "pong"})
        assert (await ws.receive_json(timeout=2))["type"] == "ping"


async def test_the_subscription_ends_when_the_token_expires(api: Api) -> None:
    token = mint_token(api.settings, Role.COMPLIANCE, lifetime=timedelta(seconds=3))
    async with websocket_client(api) as sockets, connected(sockets, token) as ws:
        await live(api, ws, 1)
        error = await failure(ws)
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert hub(api).subscribers == 0
        # Within the verifier's leeway the handshake passed; subscribing now is refused.
        await subscribe(ws, "2")
        assert (await failure(ws))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_shutdown_completes_every_subscription(api: Api) -> None:
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        await live(api, ws, 1)
        await hub(api).stop()
        assert (await receive(ws)) == {"id": "1", "type": "complete"}
        assert hub(api).subscribers == 0


async def test_concurrent_writers_in_two_processes_reach_a_third_each_event_once(
    api: Api, settings: Settings
) -> None:
    """Two services in OS processes of their own write at once; a subscriber of a third
    gets every event once, in the log's order."""
    acme = await create_client(api)
    start = await last_seq(database(api))
    async with (
        api_process(settings) as one,
        api_process(settings) as two,
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        await subscribe(ws, after=str(start))
        await eventually(lambda: hub(api).subscribers == 1)

        async def writes(writer: Client) -> None:
            for _ in range(4):
                sow = await create_sow(writer, acme)
                await submit(writer, acme, sow)

        await asyncio.gather(writes(one), writes(two))
        got = await take(ws, 16)
        log = await api.ok(
            "query($a: String) { events(after: $a, first: 100) { edges { node { id } } } }",
            {"a": str(start)},
            token=api.token(Role.COMPLIANCE),
        )
        assert [e["id"] for e in got] == [edge["node"]["id"] for edge in log["events"]["edges"]]
        assert len({e["id"] for e in got}) == 16
        with pytest.raises(TimeoutError):
            await receive(ws, 0.3)

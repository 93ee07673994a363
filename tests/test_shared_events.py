"""Rendering a live event once per group of alike subscriptions (`schema.shared_events`).

The executors are built as graphql-core builds them for a subscription, with the context
the transport gives each operation; the events are never written, only rendered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import strawberry
from graphql import parse
from strawberry.extensions import SchemaExtension

from api.app import schema_for
from api.settings import Settings
from domain.events import EntityType, Event, EventType
from domain.party import Actor, Role, Viewer
from live import Live
from live.delivery import LiveOperation
from live.hub import EventHub
from schema.shared_events import SharedEventExecution
from tests.ids import gid

QUERY = "subscription { contractEvents { id type } }"


@dataclass
class Context:
    """What the executor reads of `resolvers.context.Context`."""

    viewer: Viewer
    live: Live
    operation: LiveOperation | None


def event(seq: int) -> Event:
    return Event(
        seq=seq,
        type=EventType.CREATED,
        entity_type=EntityType.SOW,
        entity_id="sow-1",
        from_status=None,
        to_status="DRAFT",
        version=1,
        actor=Actor(id="staff", role=Role.COMPLIANCE),
        at=datetime.now(UTC),
        client_id="acme",
    )


LIVE = Live(cast(EventHub, None))


def executor(schema: strawberry.Schema, query: str, viewer: Viewer) -> SharedEventExecution:
    """The executor graphql-core builds for `query`, run by the transport as an operation."""
    operation = LiveOperation(lambda data, room: True)
    context = Context(viewer, LIVE, operation)
    built = SharedEventExecution.build(schema._schema, parse(query), context_value=context)
    assert isinstance(built, SharedEventExecution)
    assert operation.render == built.render, "the subscription's executor did not join"
    return built


def test_alike_subscriptions_render_an_event_once_and_others_their_own() -> None:
    schema = schema_for(Settings.model_construct())
    staff = Viewer(subject="a", role=Role.COMPLIANCE)
    first, second = (executor(schema, QUERY, staff) for _ in range(2))
    client = executor(schema, QUERY, Viewer(subject="c", role=Role.CLIENT, client_id="acme"))
    other_query = executor(schema, "subscription { contractEvents { id } }", staff)
    created = event(7)
    hits, misses = LIVE.rendered.hits, LIVE.rendered.misses
    text = first.render(created)
    assert text is not None
    seven = gid("ContractEvent", 7)
    assert json.loads(text) == {"contractEvents": {"id": seven, "type": "CREATED"}}
    assert second.render(created) is text
    assert client.render(created) == text  # same result, another scope: its own rendering
    assert other_query.render(created) == f'{{"contractEvents": {{"id": "{seven}"}}}}'
    assert (LIVE.rendered.misses - misses, LIVE.rendered.hits - hits) == (3, 1)
    # Another event object is another rendering, even with the same cursor.
    assert first.render(event(7)) == text
    assert LIVE.rendered.misses - misses == 4


def test_a_query_or_mutation_renders_nothing() -> None:
    operation = LiveOperation(lambda data, room: True)
    SharedEventExecution.build(
        schema_for(Settings.model_construct())._schema,
        parse("{ __typename }"),
        context_value=Context(Viewer(subject="a", role=Role.COMPLIANCE), LIVE, operation),
    )
    assert operation.render is None
    assert operation.direct() is None


@strawberry.type
class Slow:
    @strawberry.field
    async def id(self) -> str:
        await asyncio.sleep(0)
        return cast(Event, self).id


@strawberry.type
class Query:
    ping: str = "pong"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def slow(self) -> AsyncGenerator[Slow]:
        yield cast(Slow, None)  # pragma: no cover - never iterated here


async def test_an_asynchronous_result_is_declined_and_still_run_to_its_end() -> None:
    schema = strawberry.Schema(
        query=Query, subscription=Subscription, execution_context_class=SharedEventExecution
    )
    slow = executor(schema, "subscription { slow { id } }", Viewer(subject="a", role=Role.AGENT))
    assert slow.render(event(8)) is None
    await asyncio.sleep(0.01)  # the execution ends: no coroutine is left un-awaited


def test_the_schemas_extensions_have_no_hooks_a_live_event_would_skip() -> None:
    """Live events bypass Strawberry's per-result stream, hence these hooks."""
    for extension in cast(Any, schema_for(Settings.model_construct())).extensions:
        kind: type[SchemaExtension] = (
            extension if isinstance(extension, type) else type(extension())
        )
        assert kind.get_results is SchemaExtension.get_results, kind
        assert kind.on_stream_result is SchemaExtension.on_stream_result, kind

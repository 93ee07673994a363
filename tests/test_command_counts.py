"""Database commands per GraphQL request, counted with PyMongo's command monitoring.

Counts, not timings: a list must cost the same number of commands for 5 items as for 50
(nested fields are batched), and a read by id a small fixed number.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from api.settings import Settings
from domain.party import Role
from tests.commands import CommandCounter
from tests.conftest import Api, Clock, serve
from tests.sow_helpers import create_client, create_sow

SOW_PAGE = """
query($first: Int!) {
  sows(first: $first) {
    totalCount
    edges { cursor node { id number status client { id name } terms { title } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
SOW_BY_ID = "query($id: ID!) { sow(id: $id) { id number status client { name } terms { title } } }"


@pytest.fixture
def counter() -> CommandCounter:
    return CommandCounter()


@pytest.fixture
async def counted(settings: Settings, clock: Clock, counter: CommandCounter) -> AsyncIterator[Api]:
    async with serve(settings, clock, {"event_listeners": [counter]}) as running:
        yield running


async def _commands(
    api: Api, counter: CommandCounter, query: str, variables: dict[str, object]
) -> list[str]:
    token = api.token(Role.COMPLIANCE)
    await api.ok(query, variables, token=token)  # warm: first-use work is not per request
    counter.reset()
    await api.ok(query, variables, token=token)
    return list(counter.commands)


async def test_a_sow_page_costs_the_same_for_5_and_50(
    counted: Api, counter: CommandCounter
) -> None:
    for n in range(3):
        client_id = await create_client(counted, f"Client {n}")
        for _ in range(20):
            await create_sow(counted, client_id)
    small = await _commands(counted, counter, SOW_PAGE, {"first": 5})
    large = await _commands(counted, counter, SOW_PAGE, {"first": 50})
    assert len(small) == len(large) == 3, (small, large)  # the page, the count, the clients


async def test_a_sow_by_id_costs_two_commands(counted: Api, counter: CommandCounter) -> None:
    sow = await create_sow(counted, await create_client(counted))
    commands = await _commands(counted, counter, SOW_BY_ID, {"id": sow["id"]})
    assert len(commands) == 2, commands  # the SOW, its client

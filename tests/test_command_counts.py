"""Database commands per GraphQL request, counted with PyMongo's command monitoring.

Counts, not timings: a list must cost the same number of commands for 5 items as for 50
(nested fields are batched), and a read by id a small fixed number.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from api.settings import Settings
from domain.party import Role
from tests.commands import CommandCounter
from tests.conftest import Api, Clock, configured, serve
from tests.csa_helpers import agent_token, create_agent, executed, produce
from tests.sla_helpers import WORKED_ROWS, WORKED_TERMS, amend, quarter_hours, record, worked_sow
from tests.sow_helpers import create_client, create_sow, signed_sow
from tests.test_obligations import REQUEST, active_sow, client, staff

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
STAFFED_SOW_PAGE = """
query($first: Int!) {
  sows(first: $first) {
    edges { node { id client { name } staffing { contracted active } csas { id } } }
  }
}
"""
CSA_PAGE = """
query($first: Int!) {
  csas(first: $first) {
    totalCount
    edges { node { id number programName flags agent { id name } renewalOf { id } } }
  }
}
"""
CSA_BY_ID = """
query($id: ID!) {
  csa(id: $id) { id status programName flags agent { name } terms { effectiveDate } }
}
"""


@pytest.fixture
def counter() -> CommandCounter:
    return CommandCounter()


@pytest.fixture
async def counted(settings: Settings, clock: Clock, counter: CommandCounter) -> AsyncIterator[Api]:
    # Without the rate limiter: it checks a subject against the database at most once a
    # second, so whether its command falls inside a counted request depends on timing.
    unlimited = configured(settings, rate_limit_per_minute=0)
    async with serve(unlimited, clock, {"event_listeners": [counter]}) as running:
        yield running


async def _commands(
    api: Api,
    counter: CommandCounter,
    query: str,
    variables: dict[str, object],
    token: str | None = None,
) -> list[str]:
    token = token or api.token(Role.COMPLIANCE)
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


async def _busy_agent(api: Api) -> tuple[str, list[str]]:
    """An agent holding 6 executed CSAs of 3 SOWs of 3 clients; the CSAs' ids."""
    agent_id = await create_agent(api)
    held = []
    for n in range(3):
        sow = await signed_sow(api, await create_client(api, f"Client {n}"))
        # Two consecutive three-month terms of each SOW: no overlap.
        for start, end in (("2026-06-01", "2026-08-31"), ("2026-09-01", "2026-11-30")):
            (csa,) = await produce(
                api, sow["id"], [agent_id], effectiveDate=start, expirationDate=end
            )
            held.append((await executed(api, csa))["id"])
    return agent_id, held


async def test_an_agents_csa_page_costs_the_same_for_5_and_50(
    counted: Api, counter: CommandCounter
) -> None:
    agent_id, _ = await _busy_agent(counted)
    token = agent_token(counted, agent_id)
    small = await _commands(counted, counter, CSA_PAGE, {"first": 5}, token)
    large = await _commands(counted, counter, CSA_PAGE, {"first": 50}, token)
    assert len(small) == len(large) == 3, (small, large)  # the page, the count, the agent


async def test_a_staffed_sow_page_costs_the_same_for_5_and_50(
    counted: Api, counter: CommandCounter
) -> None:
    await _busy_agent(counted)
    for n in range(3):
        await create_sow(counted, await create_client(counted, f"Unstaffed {n}"))
    small = await _commands(counted, counter, STAFFED_SOW_PAGE, {"first": 5})
    large = await _commands(counted, counter, STAFFED_SOW_PAGE, {"first": 50})
    # The page, the clients, the staffing counts, the CSAs.
    assert len(small) == len(large) == 4, (small, large)


async def test_a_csa_by_id_costs_two_commands(counted: Api, counter: CommandCounter) -> None:
    agent_id, held = await _busy_agent(counted)
    token = agent_token(counted, agent_id)
    commands = await _commands(counted, counter, CSA_BY_ID, {"id": held[0]}, token)
    assert len(commands) == 2, commands  # the CSA, its agent


CSA_SOW_PAGE = """
query($first: Int!) {
  csas(first: $first) { edges { node { id sow { id number client { name } } } } }
}
"""


async def test_a_csa_page_reads_its_sows_together(counted: Api, counter: CommandCounter) -> None:
    await _busy_agent(counted)
    small = await _commands(counted, counter, CSA_SOW_PAGE, {"first": 2})
    large = await _commands(counted, counter, CSA_SOW_PAGE, {"first": 50})
    # The page, the SOWs, their clients.
    assert len(small) == len(large) == 3, (small, large)
    page = await counted.ok(CSA_SOW_PAGE, {"first": 50}, token=counted.token(Role.COMPLIANCE))
    numbers = [edge["node"]["sow"]["number"] for edge in page["csas"]["edges"]]
    assert len(numbers) == 6
    assert len(set(numbers)) == 3


LINKED_SOW_PAGE = """
query($first: Int!) {
  sows(first: $first) { edges { node { id client { name } staffing { contracted active } } } }
}
"""
FRAGMENT_SOW_PAGE = """
query($first: Int!) {
  sows(first: $first) {
    edges { node { id ...Client ... on Sow { staffing { contracted active } } } }
  }
}
fragment Client on Sow { client { name } }
"""
BARE_SOW_PAGE = "query($first: Int!) { sows(first: $first) { edges { node { id } } } }"


async def test_a_page_loads_what_its_nodes_select_through_fragments_too(
    counted: Api, counter: CommandCounter
) -> None:
    await _busy_agent(counted)
    staff = counted.token(Role.COMPLIANCE)
    direct = await counted.ok(LINKED_SOW_PAGE, {"first": 50}, token=staff)
    fragments = await _commands(counted, counter, FRAGMENT_SOW_PAGE, {"first": 50})
    assert len(fragments) == 3, fragments  # the page, the clients, the staffing counts
    assert await counted.ok(FRAGMENT_SOW_PAGE, {"first": 50}, token=staff) == direct
    contracted = [edge["node"]["staffing"]["contracted"] for edge in direct["sows"]["edges"]]
    assert sorted(contracted) == [2, 2, 2]
    # Nothing selected beyond the page: nothing else read.
    assert len(await _commands(counted, counter, BARE_SOW_PAGE, {"first": 50})) == 1


SCORECARD = """
query($id: ID!, $p: String!) {
  sow(id: $id) {
    id
    scorecard(period: $p) { offered results { metric actual met } }
    statement(period: $p) { fees amountDue credits { metric amount } }
    scorecards { period offered }
  }
}
"""


async def test_a_scorecard_costs_the_same_for_2_rows_and_a_month_of_quarter_hours(
    counted: Api, counter: CommandCounter, clock: Clock
) -> None:
    few, many = await worked_sow(counted), await worked_sow(counted)
    clock.now = datetime(2026, 12, 10, tzinfo=UTC)
    await record(counted, few[1]["id"], WORKED_ROWS)
    # November 2026 in New York, every quarter hour, on both channels: 5,760 rows.
    start = datetime(2026, 11, 1, 4, tzinfo=UTC)
    for channel in ("INBOUND_VOICE", "CHAT"):
        await record(counted, many[1]["id"], quarter_hours(start, 2880, channel=channel))

    async def costs() -> tuple[list[str], list[str]]:
        return (
            await _commands(counted, counter, SCORECARD, {"p": "2026-11", "id": few[1]["id"]}),
            await _commands(counted, counter, SCORECARD, {"p": "2026-11", "id": many[1]["id"]}),
        )

    small, large = await costs()
    # The SOW, its period records: nothing per row, nor per field or period.
    assert len(small) == len(large) == 2, (small, large)
    # Amended since: November is judged by the version before, one more read.
    rate = {**WORKED_TERMS["pricing"], "rate": "3.00"}
    for client_id, sow in (few, many):
        await amend(counted, client_id, sow["id"], 1, pricing=rate)
    small, large = await costs()
    assert len(small) == len(large) == 3, (small, large)
    data = await counted.ok(
        SCORECARD, {"p": "2026-11", "id": many[1]["id"]}, token=counted.token(Role.COMPLIANCE)
    )
    assert data["sow"]["scorecard"]["offered"] == 2 * 2880 * 10


PERFORMANCE_PAGE = """
query($first: Int!) {
  csas(first: $first) { edges { node { id performance { answered recommendation } } } }
}
"""


async def test_a_page_of_csas_sums_every_agents_rows_in_one_aggregation(
    counted: Api, counter: CommandCounter, clock: Clock
) -> None:
    agent_id, _ = await _busy_agent(counted)
    clock.now = datetime(2026, 10, 1, tzinfo=UTC)  # every term has begun
    token = agent_token(counted, agent_id)
    small = await _commands(counted, counter, PERFORMANCE_PAGE, {"first": 2}, token)
    large = await _commands(counted, counter, PERFORMANCE_PAGE, {"first": 50}, token)
    assert len(small) == len(large) == 2, (small, large)  # the page, the rows' sums


SOW_OCCURRENCES_PAGE = """
query($first: Int!, $status: OccurrenceStatus) {
  sows(first: $first) { edges { node { id occurrences(first: 2, status: $status) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id } }
  } } } }
}
"""


async def test_a_page_of_sows_reads_their_occurrences_together(
    counted: Api, counter: CommandCounter, clock: Clock
) -> None:
    # Three ACTIVE SOWs with 3, 1 and 0 requested recordings; the newest SOW is listed first.
    requested: dict[str, list[str]] = {}
    for count in (3, 1, 0):
        client_id, sow = await active_sow(counted, clock)
        token = client(counted, client_id)
        asked = {"s": sow["id"], "k": "recordings"}
        requested[sow["id"]] = [
            (await counted.ok(REQUEST, asked, token=token))["requestObligation"]["id"]
            for _ in range(count)
        ]
    variables: dict[str, object] = {"first": 50, "status": None}
    data = await counted.ok(SOW_OCCURRENCES_PAGE, variables, token=staff(counted))
    pages = {edge["node"]["id"]: edge["node"]["occurrences"] for edge in data["sows"]["edges"]}
    for sow_id, ids in requested.items():
        page = pages[sow_id]
        newest_first = ids[::-1]
        assert [edge["node"]["id"] for edge in page["edges"]] == newest_first[:2], sow_id
        assert page["totalCount"] == len(ids)
        assert page["pageInfo"]["hasNextPage"] is (len(ids) > 2)
    # Each SOW's next page (the cursor is its own), and the status filter, per SOW.
    (busy,) = [sow_id for sow_id, ids in requested.items() if len(ids) == 3]
    after = pages[busy]["pageInfo"]["endCursor"]
    rest = await counted.ok(
        "query($id: ID!, $a: String) { sow(id: $id) { occurrences(first: 2, after: $a) {"
        " edges { node { id } } } } }",
        {"id": busy, "a": after},
        token=staff(counted),
    )
    assert rest["sow"]["occurrences"]["edges"] == [{"node": {"id": requested[busy][0]}}]
    fulfilled = await counted.ok(
        SOW_OCCURRENCES_PAGE, {"first": 50, "status": "FULFILLED"}, token=staff(counted)
    )
    assert all(
        edge["node"]["occurrences"]["totalCount"] == 0 for edge in fulfilled["sows"]["edges"]
    )

    one = await _commands(counted, counter, SOW_OCCURRENCES_PAGE, {"first": 1, "status": None})
    every = await _commands(counted, counter, SOW_OCCURRENCES_PAGE, variables)
    # The SOWs, their occurrences' pages, their totals: however many SOWs the page holds.
    assert len(one) == len(every) == 3, (one, every)


NODES = """
query($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on Sow { number client { name } } ... on Client { name } }
}
"""


async def test_nodes_cost_one_command_per_type_for_5_ids_as_for_40(
    counted: Api, counter: CommandCounter
) -> None:
    clients = [await create_client(counted, f"Client {n}") for n in range(20)]
    sows = [(await create_sow(counted, clients[n % 20]))["id"] for n in range(20)]
    small = await _commands(counted, counter, NODES, {"ids": [*clients[:2], *sows[:3]]})
    large = await _commands(counted, counter, NODES, {"ids": [*clients, *sows]})
    # The clients asked for, the SOWs, then the SOWs' clients (another loader's batch).
    assert len(small) == len(large) == 3, (small, large)

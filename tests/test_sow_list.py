"""`sows`, `events`, `clients` and `agents` lists: filters, scopes, Relay paging."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.party import Role
from domain.sow import SowStatus
from migrations.steps.m0002_indexes import INDEXES
from storage.sows import SowQuery
from tests.conftest import Api, Clock
from tests.ids import seq
from tests.sow_helpers import create_client, create_sow, transition


def connection_query(field: str, node: str, **arguments: str) -> str:
    """A query of one page of `field` (a connection), with `arguments` name: type."""
    declared = "".join(f"${name}: {kind}, " for name, kind in arguments.items())
    passed = "".join(f"{name}: ${name}, " for name in arguments)
    return (
        f"query({declared}$first: Int, $after: String) {{ {field}({passed}first: $first, "
        f"after: $after) {{ totalCount edges {{ cursor node {{ {node} }} }} "
        "pageInfo { hasNextPage endCursor } } }"
    )


SOWS = connection_query("sows", "id number status", filter="SowFilter")
EVENTS = connection_query("events", "id type entityId", entityId="ID")
CLIENTS = connection_query("clients", "id name")


async def all_pages(
    api: Api, query: str, field: str, token: str, size: int, **variables: Any
) -> list[dict[str, Any]]:
    """Every node, following `endCursor` page by page."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        data = await api.ok(query, {**variables, "first": size, "after": after}, token)
        page = data[field]
        assert len(page["edges"]) <= size
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


@pytest.fixture
async def two_companies(api: Api) -> dict[str, Any]:
    acme, other = await create_client(api, "Acme"), await create_client(api, "Other")
    acme_sows = [
        await create_sow(api, acme, title=f"Acme {n}", goLiveDate=f"2026-0{n + 4}-01")
        for n in range(5)
    ]
    other_sows = [await create_sow(api, other, programName="Zeta") for _ in range(2)]
    return {"acme": acme, "other": other, "acme_sows": acme_sows, "other_sows": other_sows}


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
async def test_pages_cover_every_sow_once_newest_first(
    api: Api, two_companies: dict[str, Any], size: int
) -> None:
    nodes = await all_pages(api, SOWS, "sows", api.token(Role.COMPLIANCE), size)
    created = two_companies["acme_sows"] + two_companies["other_sows"]
    assert [n["id"] for n in nodes] == [s["id"] for s in reversed(created)]


async def test_total_count_counts_across_pages(api: Api, two_companies: dict[str, Any]) -> None:
    data = await api.ok(SOWS, {"first": 2}, api.token(Role.COMPLIANCE))
    assert data["sows"]["totalCount"] == 7
    assert len(data["sows"]["edges"]) == 2
    for edge in data["sows"]["edges"]:
        assert edge["node"]["id"] not in edge["cursor"]
        assert edge["node"]["number"] not in edge["cursor"]


async def test_a_client_lists_only_its_own_sows(api: Api, two_companies: dict[str, Any]) -> None:
    token = api.token(Role.CLIENT, client_id=two_companies["acme"])
    nodes = await all_pages(api, SOWS, "sows", token, 2)
    assert {n["id"] for n in nodes} == {s["id"] for s in two_companies["acme_sows"]}
    other = {"clientId": two_companies["other"]}
    data = await api.ok(SOWS, {"filter": other}, token)
    assert (data["sows"]["totalCount"], data["sows"]["edges"]) == (0, [])


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"search": "acme 3"}, ["Acme 3"]),
        ({"search": "ZETA"}, ["Other", "Other"]),
        ({"search": "SOW-2026-0002"}, ["Acme 1"]),
        ({"search": ".*"}, []),
        (
            {"goLiveFrom": "2026-06-01", "goLiveTo": "2026-07-01"},
            ["Other", "Other", "Acme 3", "Acme 2"],
        ),
        ({"goLiveFrom": "2026-07-02"}, ["Acme 4"]),
        ({"goLiveTo": "2026-04-30"}, ["Acme 0"]),
        ({"goLiveTo": "2026-03-31"}, []),
        ({"status": ["SUBMITTED"]}, ["Acme 0"]),
        ({"status": ["DRAFT", "SUBMITTED"], "search": "Acme 0"}, ["Acme 0"]),
    ],
)
async def test_filters(
    api: Api, two_companies: dict[str, Any], filter: dict[str, Any], expected: list[str]
) -> None:
    first = two_companies["acme_sows"][0]
    client = api.token(Role.CLIENT, client_id=two_companies["acme"])
    await api.ok(transition("submitSow"), {"id": first["id"], "v": 1}, client)
    data = await api.ok(
        SOWS.replace("number status", "number status terms { title } client { name }"),
        {"filter": filter},
        api.token(Role.COMPLIANCE),
    )
    found = [e["node"] for e in data["sows"]["edges"]]
    names = [n["terms"]["title"] if n["client"]["name"] == "Acme" else "Other" for n in found]
    assert names == expected
    assert data["sows"]["totalCount"] == len(expected)


async def test_client_filter_for_compliance(api: Api, two_companies: dict[str, Any]) -> None:
    data = await api.ok(
        SOWS, {"filter": {"clientId": two_companies["other"]}}, api.token(Role.COMPLIANCE)
    )
    assert {e["node"]["id"] for e in data["sows"]["edges"]} == {
        s["id"] for s in two_companies["other_sows"]
    }


@pytest.mark.parametrize(
    ("variables", "field"),
    [({"first": -1}, "first"), ({"after": "nonsense"}, "after")],
)
async def test_bad_paging_arguments(
    api: Api, two_companies: dict[str, Any], variables: dict[str, Any], field: str
) -> None:
    error = await api.error(SOWS, variables, api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_a_page_over_the_maximum_is_a_limit(api: Api, two_companies: dict[str, Any]) -> None:
    error = await api.error(SOWS, {"first": 101}, api.token(Role.COMPLIANCE))
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "pageSize",
        "maximum": 100,
        "field": "first",
    }


async def test_a_cursor_of_another_list_is_refused(api: Api, two_companies: dict[str, Any]) -> None:
    staff = api.token(Role.COMPLIANCE)
    clients = await api.ok("{ clients(first: 1) { pageInfo { endCursor } } }", token=staff)
    cursor = clients["clients"]["pageInfo"]["endCursor"]
    error = await api.error(SOWS, {"after": cursor}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


async def test_events_page_in_order_for_one_sow_and_for_all(
    api: Api, two_companies: dict[str, Any]
) -> None:
    staff = api.token(Role.COMPLIANCE)
    client = api.token(Role.CLIENT, client_id=two_companies["acme"])
    sow = two_companies["acme_sows"][0]
    await api.ok(transition("submitSow"), {"id": sow["id"], "v": 1}, client)
    await api.ok(transition("startSowReview"), {"id": sow["id"], "v": 1}, staff)

    mine = await all_pages(api, EVENTS, "events", client, 1, entityId=sow["id"])
    everything = await all_pages(api, EVENTS, "events", staff, 3)
    client_view = await all_pages(api, EVENTS, "events", client, 4)

    assert [e["type"] for e in mine] == ["CREATED", "SUBMITTED", "REVIEW_STARTED"]
    ids = [seq(e["id"]) for e in everything]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids) == 9
    assert {e["entityId"] for e in client_view} == {s["id"] for s in two_companies["acme_sows"]}
    nested = await api.ok(
        "query($id: ID!) { sow(id: $id) { events(first: 2) { totalCount edges { node { type } }"
        " pageInfo { hasNextPage } } } }",
        {"id": sow["id"]},
        client,
    )
    assert nested["sow"]["events"]["totalCount"] == 3
    assert nested["sow"]["events"]["pageInfo"]["hasNextPage"] is True


async def test_another_companys_events_are_not_shown(
    api: Api, two_companies: dict[str, Any]
) -> None:
    client = api.token(Role.CLIENT, client_id=two_companies["acme"])
    other = two_companies["other_sows"][0]["id"]
    data = await api.ok(EVENTS, {"entityId": other}, client)
    assert (data["events"]["totalCount"], data["events"]["edges"]) == (0, [])


async def test_clients_and_agents_for_compliance_only(api: Api) -> None:
    staff = api.token(Role.COMPLIANCE)
    for n in range(3):
        await create_client(api, f"Client {n}")
        await api.ok(
            "mutation($n: String!, $e: String!) { createAgent(name: $n, email: $e) { id } }",
            {"n": f"Agent {n}", "e": f" Agent{n}@Example.com "},
            staff,
        )
    clients = await all_pages(api, CLIENTS, "clients", staff, 2)
    agents = await api.ok(
        "{ agents { totalCount edges { node { name email status } } } }", token=staff
    )
    assert sorted(c["name"] for c in clients) == ["Client 0", "Client 1", "Client 2"]
    assert agents["agents"]["totalCount"] == 3
    assert {"name": "Agent 1", "email": "agent1@example.com", "status": "ACTIVE"} in [
        e["node"] for e in agents["agents"]["edges"]
    ]
    client_id = await create_client(api)
    for role in (Role.CLIENT, Role.AGENT):
        token = api.token(role, client_id=client_id if role is Role.CLIENT else None,
                          agent_id="0" * 24 if role is Role.AGENT else None)  # fmt: skip
        for query in (
            "{ clients { totalCount } }",
            "{ agents { totalCount } }",
            'mutation { createClient(name: "X") { id } }',
            'mutation { createAgent(name: "X", email: "x@example.com") { id } }',
        ):
            assert (await api.error(query, token=token))["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        ('createClient(name: "  ") { id }', "name"),
        (f'createClient(name: "{"x" * 201}") {{ id }}', "name"),
        ('createAgent(name: "A", email: "not-an-email") { id }', "email"),
        ('createAgent(name: "", email: "a@example.com") { id }', "name"),
    ],
)
async def test_party_input_is_validated(api: Api, mutation: str, field: str) -> None:
    error = await api.error(f"mutation {{ {mutation} }}", token=api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_filtered_pages_keep_the_filter_and_the_total(
    api: Api, two_companies: dict[str, Any]
) -> None:
    staff = api.token(Role.COMPLIANCE)
    where = {"clientId": two_companies["acme"], "search": "acme", "goLiveFrom": "2026-05-01"}
    seen: list[str] = []
    totals: set[int] = set()
    after = None
    while True:
        data = await api.ok(SOWS, {"filter": where, "first": 3, "after": after}, staff)
        page = data["sows"]
        totals.add(page["totalCount"])
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = [s["id"] for s in reversed(two_companies["acme_sows"][1:])]
    assert (seen, totals) == (expected, {4})


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("(2) [vip]+", ["special"]),
        ("a.b", ["special"]),
        ("[", ["special"]),
        ("\\d", []),
        ("TIER", ["plain", "special"]),
    ],
)
async def test_search_matches_pattern_characters_literally(
    api: Api, search: str, expected: list[str]
) -> None:
    client = await create_client(api)
    special = await create_sow(api, client, title="Tier (2) [VIP]+ a.b")
    plain = await create_sow(api, client, title="Tier 22 VIPP aXb d")
    names = {special["id"]: "special", plain["id"]: "plain"}
    data = await api.ok(SOWS, {"filter": {"search": search}}, api.token(Role.COMPLIANCE))
    found = [names[edge["node"]["id"]] for edge in data["sows"]["edges"]]
    assert sorted(found) == expected
    assert data["sows"]["totalCount"] == len(expected)


async def test_numbers_are_unique_and_counted_per_year(api: Api, clock: Clock) -> None:
    client = await create_client(api)
    # One after the other: concurrent transactions on the in-memory test server lose writes.
    created = [await create_sow(api, client) for _ in range(5)]
    clock.now = clock.now.replace(year=2027)
    later = await create_sow(api, client, goLiveDate="2027-06-01", endDate="2028-05-31")

    assert [s["number"] for s in created] == [f"SOW-2026-{n:04d}" for n in range(1, 6)]
    assert later["number"] == "SOW-2027-0001"


def test_every_sow_filter_is_served_by_a_declared_index() -> None:
    query = SowQuery(
        [SowStatus.DRAFT], "0" * 24, "text", date(2026, 1, 1), date(2026, 2, 1)
    ).filter()
    # `search` is an unanchored, case-insensitive substring match: no index can serve it.
    filtered = set(query) - {"$or"}
    leading = {next(iter(model.document["key"])) for model in INDEXES["sows"]}
    assert filtered == {"status", "clientId", "goLiveDate"}
    assert filtered <= leading

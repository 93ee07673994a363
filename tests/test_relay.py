"""Relay: the `Node` interface and `node`/`nodes`, scoped like each type's own query; global
ids taken by arguments (raw ids too, until 0.3.0); backward paging on every connection."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId

from domain.party import Role
from resolvers.commands import HANDLERS, IDS
from tests.conftest import Api, Clock
from tests.csa_helpers import agent_token, produce, setup
from tests.ids import gid, raw
from tests.scheduler_helpers import run
from tests.test_obligations import active_sow
from tests.test_sow_evidence import evidence

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


@dataclass
class World:
    """Two clients with a SOW each, three agents with a CSA each under the first SOW, the
    second SOW active with occurrences and an evidence document."""

    client_id: str
    sow: dict[str, Any]
    agents: list[str]
    csas: list[dict[str, Any]]
    other_client: str
    active: dict[str, Any]
    document: dict[str, Any]
    occurrence: str
    sow_event: str
    csa_event: str


EVENT_IDS = "query($id: ID!) { events(entityId: $id, first: 1) { edges { node { id } } } }"
OCCURRENCE_IDS = (
    "query($id: ID!) { sow(id: $id) { occurrences(first: 1) { edges { node { id } } } } }"
)


@pytest.fixture
async def world(api: Api, clock: Clock) -> World:
    client_id, sow, agents = await setup(api, agents=3)
    csas = await produce(api, sow["id"], agents)
    other_client, active = await active_sow(api, clock)
    clock.now = datetime(2026, 9, 3, 12, tzinfo=UTC)
    await run(api, clock)
    document = await evidence(api, active["id"])
    staff = api.token(Role.COMPLIANCE)

    async def first_event(entity: str) -> str:
        data = await api.ok(EVENT_IDS, {"id": entity}, token=staff)
        return str(data["events"]["edges"][0]["node"]["id"])

    occurrences = await api.ok(OCCURRENCE_IDS, {"id": active["id"]}, token=staff)
    return World(
        client_id=client_id,
        sow=sow,
        agents=agents,
        csas=csas,
        other_client=other_client,
        active=active,
        document=document,
        occurrence=occurrences["sow"]["occurrences"]["edges"][0]["node"]["id"],
        sow_event=await first_event(sow["id"]),
        csa_event=await first_event(csas[0]["id"]),
    )


def objects(world: World) -> dict[str, tuple[str, str]]:
    """Each kind of object: its type name and global id."""
    return {
        "client": ("Client", world.client_id),
        "other client": ("Client", world.other_client),
        "agent": ("Agent", world.agents[0]),
        "other agent": ("Agent", world.agents[1]),
        "sow": ("Sow", world.sow["id"]),
        "other sow": ("Sow", world.active["id"]),
        "csa": ("Csa", world.csas[0]["id"]),
        "other csa": ("Csa", world.csas[1]["id"]),
        "sow event": ("ContractEvent", world.sow_event),
        "csa event": ("ContractEvent", world.csa_event),
        "other document": ("Document", world.document["id"]),
        "other occurrence": ("ObligationOccurrence", world.occurrence),
    }


# What each role sees: a client its company (the first) and its SOW and that SOW's events;
# an agent themselves (the first agent), their CSA and its events; compliance everything.
SEES = {
    Role.COMPLIANCE: None,
    Role.CLIENT: {"client", "sow", "sow event"},
    Role.AGENT: {"agent", "csa", "csa event"},
}


def token_of(api: Api, world: World, role: Role) -> str:
    if role is Role.CLIENT:
        return api.token(role, client_id=world.client_id)
    if role is Role.AGENT:
        return agent_token(api, world.agents[0])
    return api.token(role)


@pytest.mark.parametrize("role", list(Role))
async def test_node_and_nodes_show_each_role_what_its_queries_show(
    api: Api, world: World, role: Role
) -> None:
    token = token_of(api, world, role)
    found = objects(world)
    expected = {
        name: {"__typename": type_name, "id": id}
        if SEES[role] is None or name in SEES[role]  # type: ignore[operator]
        else None
        for name, (type_name, id) in found.items()
    }
    for name, (_, id) in found.items():
        assert (await api.ok(NODE, {"id": id}, token))["node"] == expected[name], (role, name)
    listed = (await api.ok(NODES, {"ids": [id for _, id in found.values()]}, token))["nodes"]
    assert listed == list(expected.values())


async def test_the_other_clients_view_is_its_own(api: Api, world: World) -> None:
    token = api.token(Role.CLIENT, client_id=world.other_client)
    ids = [world.active["id"], world.document["id"], world.occurrence, world.sow["id"]]
    nodes = (await api.ok(NODES, {"ids": ids}, token))["nodes"]
    assert [node and node["__typename"] for node in nodes] == [
        "Sow",
        "Document",
        "ObligationOccurrence",
        None,
    ]


async def test_node_fragments_read_each_types_fields(api: Api, world: World) -> None:
    query = """query($ids: [ID!]!) { nodes(ids: $ids) {
      id ... on Sow { number client { id } } ... on Csa { sowId agent { id } }
      ... on ContractEvent { entityId } } }"""
    ids = [world.sow["id"], world.csas[0]["id"], world.csa_event]
    nodes = (await api.ok(query, {"ids": ids}, api.token(Role.COMPLIANCE)))["nodes"]
    assert nodes[0] == {
        "id": ids[0],
        "number": world.sow["number"],
        "client": {"id": world.client_id},
    }
    assert nodes[1] == {"id": ids[1], "sowId": world.sow["id"], "agent": {"id": world.agents[0]}}
    assert nodes[2] == {"id": world.csa_event, "entityId": world.csas[0]["id"]}


async def test_node_refuses_what_is_no_global_id_and_nodes_more_than_a_page(
    api: Api, world: World
) -> None:
    staff = api.token(Role.COMPLIANCE)
    for bad in ("nope", raw(world.sow["id"]), ""):
        error = await api.error(NODE, {"id": bad}, staff)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}, bad
    error = await api.error(NODES, {"ids": [world.sow["id"], "nope"]}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "ids[1]"}
    maximum = api.settings.max_page_size
    error = await api.error(NODES, {"ids": [world.sow["id"]] * (maximum + 1)}, staff)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert (error["extensions"]["field"], error["extensions"]["maximum"]) == ("ids", maximum)
    unknown = gid("Sow", "65f000000000000000000099")
    assert (await api.ok(NODE, {"id": unknown}, staff))["node"] is None


async def test_ids_of_another_type_are_refused_naming_the_argument(api: Api, world: World) -> None:
    staff = api.token(Role.COMPLIANCE)
    csa_id = world.csas[0]["id"]
    error = await api.error("query($id: ID!) { sow(id: $id) { id } }", {"id": csa_id}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    submit = "mutation($id: ID!) { startSowReview(id: $id, expectedVersion: 1) { id } }"
    error = await api.error(submit, {"id": csa_id}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    filtered = "query($c: ID) { sows(filter: {clientId: $c}) { totalCount } }"
    error = await api.error(filtered, {"c": world.agents[0]}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.clientId"}
    events = "query($e: ID) { events(entityId: $e) { totalCount } }"
    error = await api.error(events, {"e": world.client_id}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "entityId"}


async def test_raw_ids_are_still_accepted(api: Api, world: World) -> None:
    staff = api.token(Role.COMPLIANCE)
    sow = "query($id: ID!) { sow(id: $id) { id } }"
    assert (await api.ok(sow, {"id": raw(world.sow["id"])}, staff))["sow"]["id"] == world.sow["id"]
    events = "query($e: ID) { events(entityId: $e) { totalCount } }"
    by_raw = await api.ok(events, {"e": raw(world.sow["id"])}, staff)
    assert by_raw == await api.ok(events, {"e": world.sow["id"]}, staff)
    # An event id, global or its raw log position, is a cursor of the log.
    after = "query($a: String) { events(after: $a, first: 1) { edges { cursor } } }"
    global_after = await api.ok(after, {"a": world.sow_event}, staff)
    assert global_after == await api.ok(after, {"a": raw(world.sow_event)}, staff)


async def test_not_found_names_the_global_id_asked_for(api: Api, world: World) -> None:
    staff = api.token(Role.COMPLIANCE)
    missing = gid("Sow", ObjectId())
    sow = "query($id: ID!) { sow(id: $id) { id } }"
    for sent in (missing, raw(missing)):
        error = await api.error(sow, {"id": sent}, staff)
        assert error["extensions"] == {"code": "NOT_FOUND", "kind": "Sow", "id": missing}
        assert error["message"] == f"Sow {missing} not found"
    # What is no id at all is named as it was sent.
    error = await api.error(sow, {"id": "nope"}, staff)
    assert error["extensions"] == {"code": "NOT_FOUND", "kind": "Sow", "id": "nope"}


async def test_an_entity_id_that_says_no_type_is_not_found_as_a_sow(api: Api) -> None:
    """`entityId` takes a SOW's or a CSA's id: one that does not say which is named as the
    first, a real type (see docs/errors.md)."""
    events = "query($e: ID) { events(entityId: $e) { totalCount } }"
    error = await api.error(events, {"e": "garbage!"}, api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "NOT_FOUND", "kind": "Sow", "id": "garbage!"}
    assert error["message"] == "Sow garbage! not found"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("A" * 5000, "A" * 60 + "..."),
        ("65f0\x00c1", "65f0?c1"),
        ("65f0\u202ec1", "65f0?c1"),
    ],
)
async def test_an_id_that_can_be_no_id_is_never_echoed_as_sent(
    api: Api, sent: str, shown: str
) -> None:
    """Over the longest global id, or with a character no id holds: not found, named by a
    short form without control or bidirectional characters."""
    staff = api.token(Role.COMPLIANCE)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("query($id: ID!) { sow(id: $id) { id } }", {"id": sent}, "Sow"),
        ("query($id: ID) { events(entityId: $id) { totalCount } }", {"id": sent}, "Sow"),
        (
            "query($f: SowFilter) { sows(filter: $f) { totalCount } }",
            {"f": {"clientId": sent}},
            "Client",
        ),
    ]
    for query, variables, kind in cases:
        error = await api.error(query, variables, staff)
        assert error["extensions"] == {"code": "NOT_FOUND", "kind": kind, "id": shown}, query
        assert error["message"] == f"{kind} {shown} not found"


# Every connection: how to reach it, who reads it, and its variables (`id`: its parent).
PAGE = """totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id } }"""
ARGS = "first: $first, after: $after, last: $last, before: $before"
DECLARED = "$first: Int, $after: String, $last: Int, $before: String"
CONNECTIONS: dict[str, tuple[str, list[str]]] = {
    "clients": (f"query({DECLARED}) {{ clients({ARGS}) {{ {PAGE} }} }}", ["clients"]),
    "agents": (f"query({DECLARED}) {{ agents({ARGS}) {{ {PAGE} }} }}", ["agents"]),
    "sows": (f"query({DECLARED}) {{ sows({ARGS}) {{ {PAGE} }} }}", ["sows"]),
    "csas": (f"query({DECLARED}) {{ csas({ARGS}) {{ {PAGE} }} }}", ["csas"]),
    "events": (f"query({DECLARED}) {{ events({ARGS}) {{ {PAGE} }} }}", ["events"]),
    "occurrences": (f"query({DECLARED}) {{ occurrences({ARGS}) {{ {PAGE} }} }}", ["occurrences"]),
    "Sow.events": (
        f"query($id: ID!, {DECLARED}) {{ sow(id: $id) {{ events({ARGS}) {{ {PAGE} }} }} }}",
        ["sow", "events"],
    ),
    "Csa.events": (
        f"query($id: ID!, {DECLARED}) {{ csa(id: $id) {{ events({ARGS}) {{ {PAGE} }} }} }}",
        ["csa", "events"],
    ),
    "Sow.occurrences": (
        f"query($id: ID!, {DECLARED}) {{ sow(id: $id) {{ occurrences({ARGS}) {{ {PAGE} }} }} }}",
        ["sow", "occurrences"],
    ),
}
PARENTS = {"Sow.events": "sow", "Csa.events": "csa", "Sow.occurrences": "active"}


def test_every_connection_is_paged_here() -> None:
    from tests.test_authorization_matrix import GRAPHQL

    paged = {
        f"{type_name}.{name}" if type_name != "Query" else name
        for type_name, type_ in GRAPHQL.type_map.items()
        if hasattr(type_, "fields") and not type_name.startswith("__")
        for name, field in type_.fields.items()
        if "last" in getattr(field, "args", {})
    }
    assert paged == set(CONNECTIONS)


@pytest.mark.parametrize("connection", sorted(CONNECTIONS))
async def test_every_connection_pages_backward_exactly(
    api: Api, world: World, connection: str
) -> None:
    query, path = CONNECTIONS[connection]
    staff = api.token(Role.COMPLIANCE)
    parent = PARENTS.get(connection)
    base: dict[str, Any] = {}
    if parent == "csa":
        base["id"] = world.csas[0]["id"]
    elif parent is not None:
        base["id"] = getattr(world, parent)["id"]

    async def page(**arguments: Any) -> dict[str, Any]:
        data = await api.ok(query, {**base, **arguments}, staff)
        for key in path:
            data = data[key]
        return data

    everything = await page(first=100)
    cursors = [edge["cursor"] for edge in everything["edges"]]
    n = len(cursors)
    assert n == everything["totalCount"] >= 1, connection
    assert everything["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": cursors[0],
        "endCursor": cursors[-1],
    }

    # Backward, two at a time, from the end: the same items in the same order.
    walked: list[dict[str, Any]] = []
    before = None
    while True:
        found = await page(last=2, before=before)
        edges = found["edges"]
        walked = edges + walked
        more = len(walked) < n
        assert found["pageInfo"] == {
            "hasNextPage": before is not None,
            "hasPreviousPage": more,
            "startCursor": edges[0]["cursor"],
            "endCursor": edges[-1]["cursor"],
        }, (connection, len(walked))
        if not more:
            break
        before = found["pageInfo"]["startCursor"]
    assert walked == everything["edges"]

    # Exactly the whole list, from either end.
    for whole in (await page(last=n), await page(first=n)):
        assert whole["edges"] == everything["edges"]
        assert whole["pageInfo"]["hasNextPage"] is whole["pageInfo"]["hasPreviousPage"] is False
    # Before the first item, after the last: empty, with the list on one side.
    empty = await page(last=2, before=cursors[0])
    assert (empty["edges"], empty["pageInfo"]) == (
        [],
        {"hasNextPage": True, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
    )
    empty = await page(first=2, after=cursors[-1])
    assert (empty["edges"], empty["pageInfo"]["hasNextPage"]) == ([], False)
    assert empty["pageInfo"]["hasPreviousPage"] is True
    # Forward after the first item: something precedes.
    if n >= 2:
        second = await page(first=1, after=cursors[0])
        assert second["edges"] == everything["edges"][1:2]
        assert second["pageInfo"]["hasPreviousPage"] is True
        assert second["pageInfo"]["hasNextPage"] is (n > 2)
    # Between two cursors, from either end.
    if n >= 3:
        for between in (
            await page(first=5, after=cursors[0], before=cursors[2]),
            await page(last=5, after=cursors[0], before=cursors[2]),
        ):
            assert between["edges"] == everything["edges"][1:2]
            assert between["pageInfo"]["hasNextPage"] is True
            assert between["pageInfo"]["hasPreviousPage"] is True

    error = await api.error(query, {**base, "first": 1, "last": 1}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "last"}
    error = await api.error(query, {**base, "last": -1}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "last"}
    maximum = api.settings.max_page_size
    error = await api.error(query, {**base, "last": maximum + 1}, staff)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "QUERY_TOO_COMPLEX",
        "last",
    )
    error = await api.error(query, {**base, "before": "nope"}, staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "before"}


def test_every_id_a_command_holds_is_read_as_a_global_id() -> None:
    """A new command naming an object cannot forget to take global ids."""
    for command in HANDLERS:
        named = {
            field.name
            for field in dataclasses.fields(command)
            if field.name == "id" or field.name.endswith(("_id", "_ids"))
        }
        assert named == set(IDS.get(command, {})), command

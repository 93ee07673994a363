"""Apollo's automatic persisted queries, HTTP caching headers and the cost in `extensions`,
all through HTTP; and a persisted query registered through one process, served by another."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from api.settings import Settings
from domain.party import Role
from storage.persisted_queries import COLLECTION
from tests.conftest import Api, Client, configured, serve
from tests.ids import gid
from tests.processes import api_process
from tests.sow_helpers import create_client, create_sow
from tests.ws import connected, receive, websocket_client

VIEWER = "query Viewer { viewer { id role } }"
SPEC = {"Accept": "application/graphql-response+json, application/json;q=0.9"}


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str, version: object = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha(query)}}


def auth(client: Client, role: Role = Role.COMPLIANCE) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token(role)}"}


async def by_hash_post(
    client: Client, query: str, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    return await client.http.post(
        "/graphql", json={"extensions": persisted(query), **body}, headers=headers or {}
    )


async def by_hash_get(
    client: Client, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    params = {"extensions": json.dumps(persisted(query))}
    return await client.http.get("/graphql", params=params, headers=headers or {})


async def register(client: Client, query: str, headers: dict[str, str]) -> httpx.Response:
    response = await client.http.post(
        "/graphql", json={"query": query, "extensions": persisted(query)}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert not response.json().get("errors"), response.text
    return response


def not_found(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
    assert response.headers["cache-control"] == "no-store"


# Persisted queries -------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [{}, SPEC], ids=["json", "graphql-response"])
async def test_an_unknown_hash_is_persisted_query_not_found_as_apollo_expects(
    api: Api, accept: dict[str, str]
) -> None:
    headers = {**auth(api), **accept}
    not_found(await by_hash_post(api, VIEWER, headers))
    not_found(await by_hash_get(api, VIEWER, headers))


async def test_a_registered_hash_runs_alone_by_post_and_by_get(api: Api) -> None:
    headers = auth(api)
    registered = await register(api, VIEWER, headers)
    expected = registered.json()["data"]
    assert expected["viewer"]["role"] == "COMPLIANCE"

    for response in (
        await by_hash_post(api, VIEWER, headers),
        await by_hash_get(api, VIEWER, headers),
    ):
        assert response.status_code == 200, response.text
        assert response.json()["data"] == expected
    stored = await api.app.state.services.db.db[COLLECTION].find_one({"_id": sha(VIEWER)})
    assert stored is not None
    assert stored["query"] == VIEWER


async def test_a_persisted_query_takes_variables_and_operation_name(api: Api) -> None:
    query = "query Sow($id: ID!) { sow(id: $id) { id } }\nquery Me { viewer { id } }"
    headers = auth(api)
    first = await api.http.post(
        "/graphql",
        json={"query": query, "extensions": persisted(query), "operationName": "Me"},
        headers=headers,
    )
    assert first.json()["data"]["viewer"]["id"]
    response = await by_hash_post(
        api,
        query,
        headers,
        operationName="Sow",
        variables={"id": "650000000000000000000000"},
    )
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["path"] == ["sow"]


async def test_a_hash_that_is_not_the_querys_is_refused_and_not_registered(api: Api) -> None:
    headers = auth(api)
    response = await api.http.post(
        "/graphql",
        json={"query": VIEWER, "extensions": persisted("{ viewer { id } }")},
        headers=headers,
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "sha256Hash" in error["message"]
    not_found(await by_hash_post(api, "{ viewer { id } }", headers))


@pytest.mark.parametrize(
    "extension",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": sha(VIEWER)}},
        {"persistedQuery": {"version": 1, "sha256Hash": sha(VIEWER).upper()}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "yes"},
    ],
    ids=["version", "uppercase", "no-hash", "not-an-object"],
)
async def test_a_malformed_persisted_query_extension_is_bad_user_input(
    api: Api, extension: dict[str, Any]
) -> None:
    response = await api.http.post("/graphql", json={"extensions": extension}, headers=auth(api))
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "extensions.persistedQuery" in error["message"]


async def test_only_queries_that_ran_for_a_viewer_are_registered(api: Api) -> None:
    # No token: the query runs (and is refused field by field) but is not stored.
    anonymous = await api.http.post(
        "/graphql", json={"query": VIEWER, "extensions": persisted(VIEWER)}
    )
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    not_found(await by_hash_post(api, VIEWER, auth(api)))
    # A document that does not validate is never stored.
    invalid = "{ viewer { nope } }"
    refused = await api.http.post(
        "/graphql", json={"query": invalid, "extensions": persisted(invalid)}, headers=auth(api)
    )
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    not_found(await by_hash_post(api, invalid, auth(api)))


async def test_the_size_and_count_of_stored_queries_are_bounded(settings: Settings) -> None:
    bounded = configured(settings, persisted_query_max_bytes=1024, persisted_queries_max=1)
    large = "query Large { viewer { id } }" + " " * 1024
    other = "query Other { viewer { id role } }"
    async with serve(bounded) as api:
        headers = auth(api)
        # Each runs, whether it is stored or not.
        await register(api, large, headers)
        not_found(await by_hash_post(api, large, headers))
        await register(api, VIEWER, headers)
        await register(api, other, headers)
        assert (await by_hash_post(api, VIEWER, headers)).json()["data"]["viewer"]
        not_found(await by_hash_post(api, other, headers))
        assert await api.app.state.services.db.db[COLLECTION].count_documents({}) == 1


async def test_a_mutation_by_hash_is_refused_by_get(api: Api) -> None:
    mutation = 'mutation NewClient { createClient(name: "Acme") { id } }'
    headers = auth(api)
    await register(api, mutation, headers)
    response = await by_hash_get(api, mutation, headers)
    assert response.status_code == 405, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_hash_only_get_asking_for_html_is_not_graphiql(api: Api) -> None:
    headers = {**auth(api), "Accept": "text/html,*/*"}
    not_found(await by_hash_get(api, VIEWER, headers))


async def test_a_query_registered_through_one_process_runs_by_hash_on_another(
    settings: Settings,
) -> None:
    async with api_process(settings) as first, api_process(settings) as second:
        headers = auth(first)
        not_found(await by_hash_get(second, VIEWER, headers))
        registered = await register(first, VIEWER, headers)
        response = await by_hash_get(second, VIEWER, headers)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == registered.json()["data"]


# Caching headers ---------------------------------------------------------------------------


async def test_a_get_query_result_is_private_with_an_etag_and_revalidates_to_304(
    api: Api,
) -> None:
    headers = auth(api)
    response = await api.http.get("/graphql", params={"query": VIEWER}, headers=headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, max-age=0"
    assert {v.strip() for v in response.headers["vary"].split(",")} >= {"Authorization", "Accept"}
    etag = response.headers["etag"]
    assert etag == f'"{hashlib.sha256(response.content).hexdigest()}"'

    again = await api.http.get(
        "/graphql", params={"query": VIEWER}, headers={**headers, "If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "private, max-age=0"

    # Another viewer's result is another body, so another tag: no 304 for it.
    other = {
        "Authorization": f"Bearer {api.token(Role.CLIENT, client_id='650000000000000000000001')}",
        "If-None-Match": etag,
    }
    theirs = await api.http.get("/graphql", params={"query": VIEWER}, headers=other)
    assert theirs.status_code == 200, theirs.text
    assert theirs.headers["etag"] != etag


async def test_cache_max_age_is_the_setting(settings: Settings) -> None:
    async with serve(configured(settings, cache_max_age_seconds=30)) as api:
        response = await api.http.get("/graphql", params={"query": VIEWER}, headers=auth(api))
        assert response.headers["cache-control"] == "private, max-age=30"


async def test_errors_posts_and_refusals_are_not_stored(api: Api) -> None:
    headers = auth(api)
    posted = await api.http.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert posted.headers["cache-control"] == "no-store"
    anonymous = await api.http.get("/graphql", params={"query": VIEWER})
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert anonymous.headers["cache-control"] == "no-store"
    assert "etag" not in anonymous.headers
    missing = await api.http.get(
        "/graphql",
        params={"query": '{ sow(id: "650000000000000000000000") { id } }'},
        headers=headers,
    )
    assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert missing.headers["cache-control"] == "no-store"
    malformed = await api.http.post(
        "/graphql", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.headers["cache-control"] == "no-store"


# The cost in extensions --------------------------------------------------------------------


async def test_every_result_reports_its_cost_and_the_limit(api: Api) -> None:
    limit = api.settings.max_query_cost
    headers = auth(api)
    ok = await api.http.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert ok.json()["extensions"] == {"cost": {"requested": 3, "limit": limit}}
    got = await api.http.get("/graphql", params={"query": VIEWER}, headers=headers)
    assert got.json()["extensions"]["cost"] == {"requested": 3, "limit": limit}
    # A page multiplies what is under it: 1 (sows) + 10 * (edges + node + id).
    paged = "{ sows(first: 10) { edges { node { id } } } }"
    result = await api.http.post("/graphql", json={"query": paged}, headers=headers)
    assert result.json()["extensions"]["cost"] == {"requested": 31, "limit": limit}
    # An error of a field, and an operation over the limit, report it too.
    anonymous = await api.http.post("/graphql", json={"query": VIEWER})
    assert anonymous.json()["extensions"]["cost"]["requested"] == 3
    costly = (
        "{ sows(first: 100) { edges { node { events(first: 100) { edges { node { id } } } } } } }"
    )
    refused = await api.http.post("/graphql", json={"query": costly}, headers=headers)
    body = refused.json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert body["extensions"]["cost"]["requested"] == body["errors"][0]["extensions"]["cost"]
    assert body["extensions"]["cost"]["requested"] > limit


@pytest.mark.parametrize("command", ["find", "insert"])
async def test_a_database_failure_of_the_store_costs_only_the_persisted_query(
    api: Api, command: str
) -> None:
    headers = auth(api)
    admin = api.app.state.services.db.client.admin
    await admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": 1},
            "data": {"failCommands": [command], "errorCode": 2},
        }
    )
    try:
        if command == "find":
            # The lookup failed: the client is told to send the query, which then runs.
            not_found(await by_hash_post(api, VIEWER, headers))
        else:
            # The registration failed: the query ran all the same.
            await register(api, VIEWER, headers)
    finally:
        await admin.command({"configureFailPoint": "failCommand", "mode": "off"})
    if command == "insert":
        not_found(await by_hash_post(api, VIEWER, headers))
    await register(api, VIEWER, headers)
    assert (await by_hash_post(api, VIEWER, headers)).json()["data"]["viewer"]


async def test_over_the_websocket_a_query_reports_its_cost_and_live_events_none(
    api: Api,
) -> None:
    client_id = await create_client(api)
    async with websocket_client(api) as http, connected(http, api.token(Role.COMPLIANCE)) as ws:
        # One subscriber alone renders its events itself; two alike share one rendering.
        subscription = "subscription { contractEvents { id type } }"
        for operation in ("1", "2"):
            await ws.send_json(
                {"id": operation, "type": "subscribe", "payload": {"query": subscription}}
            )
        await ws.send_json({"id": "3", "type": "subscribe", "payload": {"query": VIEWER}})
        answer = await receive(ws)
        assert answer["id"] == "3"
        assert answer["payload"]["extensions"] == {
            "cost": {"requested": 3, "limit": api.settings.max_query_cost}
        }
        assert (await receive(ws))["type"] == "complete"
        await create_sow(api, client_id)
        events = [await receive(ws), await receive(ws)]
        assert sorted(event["id"] for event in events) == ["1", "2"]
        for event in events:
            created = {"id": gid("ContractEvent", 1), "type": "CREATED"}
            assert event["payload"] == {"data": {"contractEvents": created}}

"""The GraphQL surface against hostile callers: limits, protocols, masking, CORS, rates."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

import httpx
import pytest
import websockets
from httpx_ws import WebSocketDisconnect

from api.app import create_app
from api.settings import Settings
from domain.party import Role
from tests.conftest import Api, configured, serve
from tests.ws import connect, connected, receive, websocket_client

VIEWER = "{ viewer { id } }"


def test_strawberry_has_the_2026_advisories_fixed() -> None:
    installed = tuple(int(part) for part in version("strawberry-graphql").split(".")[:3])
    assert installed >= (0, 315, 7)


# Size, cost, batching -------------------------------------------------------------------


async def test_oversized_body_is_refused_with_413(api: Api) -> None:
    token = api.token(Role.COMPLIANCE)
    padding = " " * api.settings.max_body_bytes
    response = await api.http.post(
        "/graphql",
        json={"query": VIEWER + padding},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413


async def test_oversized_chunked_body_is_refused_with_413(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield json.dumps({"query": VIEWER}).encode()[:-1]
        for _ in range(api.settings.max_body_bytes // 4096 + 1):
            yield b" " * 4096
        yield b"}"

    response = await api.http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_costly_query_is_refused_even_through_fragments(api: Api) -> None:
    token = api.token(Role.COMPLIANCE)
    # 100 SOWs x 100 events x a few fields: shallow, few aliases, far over the cost limit.
    query = """
      query { sows(first: 100) { edges { node { ...Heavy } } } }
      fragment Heavy on Sow { events(first: 100) { edges { node { id type at version } } } }
    """
    error = await api.error(query, token=token)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "query cost" in error["message"]
    light = "{ sows(first: 5) { edges { node { events(first: 5) { totalCount } } } } }"
    assert (await api.ok(light, token=token))["sows"]["edges"] == []


async def test_page_size_from_a_variable_is_costed_at_the_maximum(api: Api) -> None:
    token = api.token(Role.COMPLIANCE)
    query = """query($n: Int) { sows(first: $n) { edges { node {
        events(first: $n) { edges { node { id type at version } } } } } } }"""
    error = await api.error(query, {"n": 1}, token=token)
    assert "query cost" in error["message"]


async def test_too_many_aliases_are_refused(api: Api) -> None:
    aliases = " ".join(f"a{i}: viewer {{ id }}" for i in range(api.settings.max_aliases + 1))
    error = await api.error(f"{{ {aliases} }}", token=api.token(Role.COMPLIANCE))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_batched_operations_are_refused(api: Api) -> None:
    response = await api.http.post(
        "/graphql",
        json=[{"query": VIEWER}, {"query": VIEWER}],
        headers={"Authorization": f"Bearer {api.token(Role.COMPLIANCE)}"},
    )
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


# Introspection, GraphiQL, masking ------------------------------------------------------


async def test_introspection_and_graphiql_are_off_unless_enabled(settings: Settings) -> None:
    introspect = "{ __schema { queryType { name } } }"
    html = {"Accept": "text/html"}
    async with serve(configured(settings, graphiql=False)) as api:
        token = api.token(Role.COMPLIANCE)
        body = await api.post(introspect, token=token)
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "introspection has been disabled" in body["errors"][0]["message"]
        assert not body.get("data")
        page = await api.http.get("/graphql", headers=html)
        assert "graphiql" not in page.text.lower()
        assert page.status_code == 404
    async with serve(configured(settings, graphiql=True)) as api:
        data = await api.ok(introspect, token=api.token(Role.COMPLIANCE))
        assert data["__schema"]["queryType"]["name"] == "Query"
        page = await api.http.get("/graphql", headers=html)
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()


@asynccontextmanager
async def database_lost(settings: Settings) -> AsyncIterator[Api]:
    """The app of `settings`, running, whose MongoDB client is closed: every database call
    fails as with the server gone. (Nothing is written, so there is nothing to drop after.)"""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        await app.state.services.db.client.close()
        yield Api(http=http, settings=settings, app=app)


async def errors_of(api: Api, transport: str, query: str) -> list[dict[str, Any]]:
    """The errors of the first answer to `query`, by HTTP or over a WebSocket."""
    token = api.token(Role.COMPLIANCE)
    if transport == "http":
        errors: list[dict[str, Any]] = (await api.post(query, token=token))["errors"]
        return errors
    async with websocket_client(api) as sockets, connected(sockets, token) as ws:
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        message = await receive(ws)
    assert message["type"] == "next", message
    return list(message["payload"]["errors"])


@pytest.mark.parametrize(
    ("transport", "query"),
    [
        ("http", "{ clients { totalCount } }"),
        ("ws", "{ clients { totalCount } }"),
        # Its source fails before the first event: graphql-core gives that error no path.
        ("ws", "subscription { contractEvents { id } }"),
    ],
)
async def test_internal_errors_are_masked_and_logged(
    settings: Settings, caplog: pytest.LogCaptureFixture, transport: str, query: str
) -> None:
    # A lost database is an internal failure: the caller learns nothing of it.
    async with database_lost(settings) as api:
        with caplog.at_level(logging.ERROR, logger="contracts.graphql"):
            (error,) = await errors_of(api, transport, query)
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "AsyncMongoClient" not in json.dumps(error)
    assert any(
        "AsyncMongoClient after close" in record.exc_text
        for record in caplog.records
        if record.name == "contracts.graphql" and record.exc_text
    )


# CORS --------------------------------------------------------------------------------------


async def test_cors_preflight_answers_configured_origins_only(settings: Settings) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with serve(configured(settings, cors_origins=["https://app.example"])) as api:
        allowed = await api.http.options(
            "/graphql", headers={**preflight, "Origin": "https://app.example"}
        )
        refused = await api.http.options(
            "/graphql", headers={**preflight, "Origin": "https://evil.example"}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


CLIENT_HEADERS = [
    "authorization",
    "content-type",
    "accept",
    "x-request-id",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
    "graphql-client-name",
    "graphql-client-version",
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
    "x-requested-with",
]


async def test_cors_allows_the_common_client_headers_and_exposes_the_request_id(
    settings: Settings,
) -> None:
    origin = {"Origin": "https://app.example"}
    async with serve(configured(settings, cors_origins=["https://app.example"])) as api:
        preflight = await api.http.options(
            "/graphql",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": ",".join(CLIENT_HEADERS),
            },
        )
        answered = await api.http.post("/graphql", json={"query": VIEWER}, headers=origin)
    assert preflight.status_code == 200, preflight.text
    allowed = preflight.headers["access-control-allow-headers"].lower()
    for header in CLIENT_HEADERS:
        assert header in allowed, header
    exposed = answered.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed
    assert "retry-after" in exposed


async def test_no_cors_headers_without_configured_origins(api: Api) -> None:
    response = await api.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Origin": "https://app.example"}
    )
    assert "access-control-allow-origin" not in response.headers


# Rate limiting ----------------------------------------------------------------------------


async def test_rate_limit_per_token_subject(settings: Settings) -> None:
    async with serve(configured(settings, rate_limit_per_minute=3)) as api:
        alice = api.token(Role.COMPLIANCE, subject="alice")
        alice_again = api.token(Role.COMPLIANCE, subject="alice")
        bob = api.token(Role.COMPLIANCE, subject="bob")
        for token in (alice, alice_again, alice):
            await api.ok(VIEWER, token=token)
        # A fresh token of the same subject draws on the same budget.
        refused = await api.http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {alice_again}"}
        )
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 20
        await api.ok(VIEWER, token=bob)


async def test_anonymous_callers_are_limited_by_address(settings: Settings) -> None:
    async with serve(configured(settings, rate_limit_per_minute=2)) as api:
        statuses = [
            (await api.http.post("/graphql", json={"query": VIEWER}, headers=headers)).status_code
            for headers in ({}, {"Authorization": "Bearer garbage"}, {})
        ]
        assert statuses == [200, 200, 429]
        await api.ok(VIEWER, token=api.token(Role.COMPLIANCE))


async def test_rate_limit_zero_is_off(settings: Settings) -> None:
    async with serve(configured(settings, rate_limit_per_minute=0)) as api:
        for _ in range(5):
            response = await api.http.post("/graphql", json={"query": VIEWER})
            assert response.status_code == 200


# WebSocket handshake -----------------------------------------------------------------------


async def test_bad_token_in_connection_init_closes_with_4403(api: Api) -> None:
    async with websocket_client(api) as client:
        for payload in ({"token": "garbage"}, {}, {"token": api.token(Role.CLIENT)}):
            async with connect(client) as ws:
                await ws.send_json({"type": "connection_init", "payload": payload})
                with pytest.raises(WebSocketDisconnect) as closed:
                    await ws.receive_json(timeout=5)
                assert closed.value.code == 4403, payload


async def test_good_token_in_connection_init_is_acknowledged(api: Api) -> None:
    async with (
        websocket_client(api) as client,
        connect(client) as ws,
    ):
        token = api.token(Role.COMPLIANCE)
        await ws.send_json({"type": "connection_init", "payload": {"token": token}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"


async def test_legacy_graphql_ws_protocol_is_refused(settings: Settings) -> None:
    """Through a real socket: what a browser's client sees is the handshake's answer."""
    from tests.served import serving, url

    async with serving(settings) as (_app, server, _task):
        async with websockets.connect(
            url(server), subprotocols=[websockets.Subprotocol("graphql-ws")]
        ) as ws:
            # Negotiated, then closed: a browser fails a handshake that answers none of the
            # subprotocols it asked for, and its client sees 1006 instead of the reason.
            assert ws.subprotocol == "graphql-ws"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4406
        assert "graphql-transport-ws" in closed.value.rcvd.reason
        offered = [websockets.Subprotocol(p) for p in ("graphql-ws", "graphql-transport-ws")]
        async with websockets.connect(url(server), subprotocols=offered) as ws:
            assert ws.subprotocol == "graphql-transport-ws"


async def test_an_operation_id_that_is_not_a_string_closes_with_4400(api: Api) -> None:
    """Ids key each operation's frames on the connection: the protocol has them strings."""
    token = api.token(Role.COMPLIANCE)
    subscribe = {"payload": {"query": "subscription { contractEvents { id } }"}}
    async with websocket_client(api) as client:
        for message in (
            {"type": "subscribe", "id": None, **subscribe},
            {"type": "subscribe", "id": 1, **subscribe},
            {"type": "complete"},
        ):
            async with connected(client, token) as ws:
                await ws.send_json(message)
                with pytest.raises(WebSocketDisconnect) as closed:
                    await receive(ws)
                assert closed.value.code == 4400, message


async def test_variables_a_scalar_cannot_parse_are_bad_user_input(api: Api) -> None:
    """Coercion errors carry the scalar's exception: still the caller's error, not ours."""
    token = api.token(Role.COMPLIANCE)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("query($f: SowFilter) { sows(filter: $f) { totalCount } }", {"f": {"goLiveFrom": "x"}}),
        ("mutation($t: SowTermsInput!) { createSow(terms: $t) { id } }", {"t": {}}),
        (
            'mutation($t: SowTermsPatch!) { updateSow(id: "1", expectedVersion: 1, terms: $t)'
            " { id } }",
            {"t": {"pricing": {"rate": "not-a-number", "unit": "PER_HOUR", "currency": "USD"}}},
        ),
    ]
    for query, variables in cases:
        body = await api.post(query, variables, token=token)
        assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}

"""Hostile inputs at the transport: bodies, encodings, claims and limits, each refused cleanly.

Every refusal is a GraphQL JSON error with a code (never a 500 or a plain-text body), and the
access log records the status that was sent. The red-team cases of issue 22, replayed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from httpx_ws import WebSocketDisconnect
from starlette.types import Receive, Scope, Send

from api.access_log import RequestIdMiddleware
from api.settings import Settings
from domain.party import Role
from tests.conftest import SECRET, Api, configured, serve
from tests.ws import connect, connected, receive, websocket_client

VIEWER = "{ viewer { id role } }"
CLIENT_ID = "65f000000000000000000001"
AGENT_ID = "65f000000000000000000002"
JSON = {"Content-Type": "application/json"}


def graphql_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The single error of a refused request, which must be GraphQL JSON with a code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["extensions"]["code"], str)
    return dict(error)


# Request bodies ----------------------------------------------------------------------------

NOT_AN_OPERATION: list[bytes] = [
    b"42",
    b"null",
    b'"s"',
    b"true",
    b"[]",  # batching is off
    b'[{"query": "{ viewer { id } }"}]',
    b'{"query": ',  # malformed
    b"",
    b'{"query": "{ viewer { id } }"}\xff',  # not UTF-8 after the object
    b'{"query": "\xff\xfe"}',  # not UTF-8 inside a string
    b'\xff\xfe{\x00"\x00}\x00',  # UTF-16 with a BOM: JSON text is UTF-8 only (RFC 8259)
    b'{"query": 5}',
    b'{"query": "{ viewer { id } }", "variables": 42}',
    b'{"query": "{ viewer { id } }", "extensions": []}',
]


@pytest.mark.parametrize("body", NOT_AN_OPERATION, ids=repr)
async def test_a_body_that_is_not_one_operation_is_bad_user_input(api: Api, body: bytes) -> None:
    for token in (None, api.token(Role.COMPLIANCE)):
        headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
        response = await api.http.post("/graphql", content=body, headers=headers)
        assert graphql_error(response, 400)["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_number_past_the_parsers_digits_is_bad_user_input(api: Api) -> None:
    # Past Python's int_max_str_digits (4,300), json.loads raises a bare ValueError.
    body = '{"query": "{ viewer { id } }", "variables": {"n": ' + "9" * 4301 + "}}"
    response = await api.http.post("/graphql", content=body.encode(), headers=JSON)
    assert graphql_error(response, 400)["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("depth", [100_000, 20_000])
async def test_variables_nested_deeper_than_the_parser_goes_are_refused(
    api: Api, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    body = '{"query": "query($x: [Int]) { viewer { id } }", "variables": {"x": ' + nested + "}}"
    response = await api.http.post("/graphql", content=body.encode(), headers=JSON)
    assert graphql_error(response, 400)["extensions"]["code"] == "BAD_USER_INPUT"


async def test_variables_nested_deep_but_parsed_are_coercion_errors(api: Api) -> None:
    nested = "[" * 5000 + "]" * 5000
    query = "query($f: SowFilter) { sows(filter: $f) { totalCount } }"
    body = '{"query": "' + query + '", "variables": {"f": {"status": ' + nested + "}}}"
    headers = {**JSON, "Authorization": f"Bearer {api.token(Role.COMPLIANCE)}"}
    response = await api.http.post("/graphql", content=body.encode(), headers=headers)
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.status[0]"}


async def test_a_string_with_a_lone_surrogate_is_bad_user_input(api: Api) -> None:
    """Valid JSON syntax, but no Unicode text: it cannot be stored (BSON is UTF-8)."""
    query = "mutation($n: String!) { createClient(name: $n) { id name } }"
    headers = {**JSON, "Authorization": f"Bearer {api.token(Role.COMPLIANCE)}"}
    for name in ('"a\\ud800b"', '"\\udfff"', '"a\\ude00\\ud83d"'):
        body = '{"query": "' + query + '", "variables": {"n": ' + name + "}}"
        response = await api.http.post("/graphql", content=body.encode(), headers=headers)
        assert graphql_error(response, 400)["extensions"]["code"] == "BAD_USER_INPUT", name
    pair = '{"query": "' + query + '", "variables": {"n": "a\\ud83d\\ude00b"}}'
    response = await api.http.post("/graphql", content=pair.encode(), headers=headers)
    assert response.json()["data"]["createClient"]["name"] == "a\U0001f600b"


async def test_a_websocket_frame_past_the_parser_closes_with_4400(api: Api) -> None:
    """The parser's limits hold on WebSocket frames too: a clean close, not a dropped socket."""
    async with websocket_client(api) as sockets:
        for frame in (
            "[" * 100_000,
            '{"type": "connection_init", "payload": {"t": "\\ud800"}}',
            '{"type": "connection_init", "payload": {"n": ' + "9" * 4301 + "}}",
        ):
            async with connect(sockets) as ws:
                await ws.send_text(frame)
                with pytest.raises(WebSocketDisconnect) as closed:
                    await ws.receive_json(timeout=5)
                assert closed.value.code == 4400, frame[:40]


async def test_query_parameters_that_are_not_json_are_bad_user_input(api: Api) -> None:
    for params in (
        {"query": VIEWER, "variables": "{"},
        {"query": VIEWER, "variables": "42"},
        {"query": VIEWER, "variables": "[" * 15_000},  # past the parser, unbalanced: shorter
        {"query": VIEWER, "extensions": "[]"},
    ):
        response = await api.http.get("/graphql", params=params)
        assert graphql_error(response, 400)["extensions"]["code"] == "BAD_USER_INPUT", params
    response = await api.http.get("/graphql?query=%7Bviewer%7Bid%7D%7D&variables=%FF")
    assert graphql_error(response, 400)["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_unsupported_content_type_is_bad_user_input(api: Api) -> None:
    response = await api.http.post(
        "/graphql", content=b"query=x", headers={"Content-Type": "text/plain"}
    )
    assert graphql_error(response, 400)["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_subscription_sent_by_post_is_bad_user_input(api: Api) -> None:
    subscription = "subscription { contractEvents { id } }"
    for token in (None, api.token(Role.COMPLIANCE)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await api.http.post("/graphql", json={"query": subscription}, headers=headers)
        error = graphql_error(response, 400)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "WebSocket" in error["message"]
    response = await api.http.get("/graphql", params={"query": subscription})
    assert graphql_error(response, 400)["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_mutation_by_get_is_refused_as_graphql_json(api: Api) -> None:
    mutation = 'mutation { createClient(name: "x") { id } }'
    response = await api.http.get("/graphql", params={"query": mutation})
    # GraphQL over HTTP: a mutation by GET is a 405 (docs/errors.md).
    assert graphql_error(response, 405)["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_graphiql_off_is_a_graphql_not_found(settings: Settings) -> None:
    async with serve(configured(settings, graphiql=False)) as api:
        response = await api.http.get("/graphql", headers={"Accept": "text/html"})
        assert graphql_error(response, 404)["extensions"]["code"] == "NOT_FOUND"


# The access log --------------------------------------------------------------------------


async def test_the_access_log_records_the_status_sent(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="contracts.access"):
        for body in (b"42", b'{"query": "\xff"}', b"[" * 100_000):
            await api.http.post("/graphql", content=body, headers=JSON)
    statuses = [getattr(r, "status", None) for r in caplog.records if r.name == "contracts.access"]
    assert statuses == [400, 400, 400]


async def test_an_unhandled_exception_is_logged_as_the_500_it_becomes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("bug")

    app = RequestIdMiddleware(broken)
    scope: Scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}

    async def nothing() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def ignore(message: Any) -> None:
        pass

    with caplog.at_level(logging.INFO, logger="contracts.access"), pytest.raises(RuntimeError):
        await app(scope, nothing, ignore)
    (record,) = [r for r in caplog.records if r.name == "contracts.access"]
    assert getattr(record, "status", None) == 500


# Body size and rate limits -----------------------------------------------------------------


async def test_an_oversized_body_is_refused_as_graphql_json(api: Api) -> None:
    padding = " " * api.settings.max_body_bytes
    response = await api.http.post("/graphql", json={"query": VIEWER + padding})
    error = graphql_error(response, 413)
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert error["extensions"]["maxBytes"] == api.settings.max_body_bytes
    bad_length = await api.http.post(
        "/graphql", content=b"{}", headers={**JSON, "Content-Length": "x"}
    )
    assert graphql_error(bad_length, 400)["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_oversized_chunked_body_is_refused_as_graphql_json(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(api.settings.max_body_bytes // 4096 + 1):
            yield b" " * 4096

    response = await api.http.post("/graphql", content=chunks(), headers=JSON)
    assert graphql_error(response, 413)["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_the_rate_limit_is_refused_as_graphql_json(settings: Settings) -> None:
    async with serve(configured(settings, rate_limit_per_minute=1)) as api:
        await api.ok(VIEWER, token=api.token(Role.COMPLIANCE, subject="alice"))
        response = await api.http.post(
            "/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {api.token(Role.COMPLIANCE, subject='alice')}"},
        )
        error = graphql_error(response, 429)
        assert error["extensions"]["code"] == "RATE_LIMITED"
        wait = error["extensions"]["retryAfter"]
        assert isinstance(wait, int)
        assert 1 <= wait <= 60
        assert response.headers["retry-after"] == str(wait)


# Claims --------------------------------------------------------------------------------------


def claims(role: Role = Role.COMPLIANCE, **extra: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    return {"sub": "someone", "role": role.value, "iat": now, "exp": now + 3600, **extra}


def signed(payload: dict[str, Any]) -> str:
    return jwt.encode(payload, SECRET, algorithm="HS256")


async def code_for(api: Api, token: str) -> str | None:
    """The error code of the viewer query with `token`; None when it succeeds."""
    response = await api.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if not body.get("errors"):
        return None
    code: str = body["errors"][0]["extensions"]["code"]
    return code


YEAR_10000 = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp()) + 86_400


async def test_time_claims_must_be_integers(api: Api) -> None:
    now = int(datetime.now(UTC).timestamp())
    assert await code_for(api, signed(claims())) is None
    assert await code_for(api, signed(claims(nbf=now))) is None
    for name, value in [
        ("exp", str(now + 3600)),
        ("exp", now + 3600.5),
        ("exp", float(now + 3600)),
        ("iat", str(now)),
        ("iat", float(now)),
        ("iat", True),
        ("nbf", str(now)),
        ("nbf", float(now)),
        ("nbf", False),
        ("exp", None),
        ("iat", [now]),
    ]:
        payload = claims()
        payload[name] = value
        assert await code_for(api, signed(payload)) == "UNAUTHENTICATED", (name, value)


async def test_a_lifetime_over_the_maximum_is_refused(api: Api) -> None:
    now = int(datetime.now(UTC).timestamp())
    day = 24 * 3600
    assert api.settings.jwt_max_lifetime_seconds == day
    assert await code_for(api, signed(claims(exp=now + day))) is None
    for payload in (
        claims(exp=now + day + 120),
        claims(exp=YEAR_10000),
        claims(exp=2**63),
        claims(exp=10**30),
        claims(iat=now - 2 * day, exp=now + 3600),  # issued long ago, for longer than allowed
        claims(iat=-(10**30), exp=now + 3600),
    ):
        assert await code_for(api, signed(payload)) == "UNAUTHENTICATED", payload


async def test_the_maximum_lifetime_is_configurable(settings: Settings) -> None:
    week = 7 * 24 * 3600
    now = int(datetime.now(UTC).timestamp())
    async with serve(configured(settings, jwt_max_lifetime_seconds=week)) as api:
        assert await code_for(api, signed(claims(exp=now + week - 60))) is None
        assert await code_for(api, signed(claims(exp=now + week + 120))) == "UNAUTHENTICATED"


async def test_ids_must_match_in_full(api: Api) -> None:
    assert await code_for(api, signed(claims(Role.CLIENT, client_id=CLIENT_ID))) is None
    assert await code_for(api, signed(claims(Role.AGENT, agent_id=AGENT_ID))) is None
    for payload in (
        claims(Role.CLIENT, client_id=CLIENT_ID + "\n"),
        claims(Role.AGENT, agent_id=AGENT_ID + "\n"),
        claims(Role.CLIENT, client_id=CLIENT_ID + " "),
        claims(Role.CLIENT, client_id=CLIENT_ID + "0"),
        claims(Role.AGENT, agent_id="\n" + AGENT_ID),
    ):
        assert await code_for(api, signed(payload)) == "UNAUTHENTICATED", payload


async def test_a_token_of_year_10000_closes_the_socket_with_a_code(api: Api) -> None:
    """Refused like any bad token in `connection_init`: 4403, not a dropped connection."""
    async with websocket_client(api) as sockets:
        for payload in (claims(exp=YEAR_10000), claims(exp=str(YEAR_10000))):
            async with connect(sockets) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"token": signed(payload)}}
                )
                with pytest.raises(WebSocketDisconnect) as closed:
                    await ws.receive_json(timeout=5)
                assert closed.value.code == 4403, payload


# Suggestions ---------------------------------------------------------------------------------

# The misspelt enum literal is a value its type refuses: bad input, with its field.
MISSPELT_CODES = {
    "{ sows(filter: { status: [DRAFTT] }) { totalCount } }": "BAD_USER_INPUT",
}

MISSPELT = [
    "{ sowz { totalCount } }",
    'mutation { createClien(name: "x") { id } }',
    "{ sows(firs: 1) { totalCount } }",
    "{ sows(filter: { status: [DRAFTT] }) { totalCount } }",
    "{ viewer { rol } }",
    "query($f: SowFilte) { sows(filter: $f) { totalCount } }",
    # "Did you mean to use an inline fragment on 'Agent', ...?"
    '{ node(id: "x") { titl } }',
    # "Did you mean 'viewer { ... }'?": the suggestion quotes more than a name.
    "{ viewer }",
]


async def test_no_suggestions_when_introspection_is_off(settings: Settings) -> None:
    async with serve(configured(settings, graphiql=False)) as api:
        for token in (None, api.token(Role.COMPLIANCE)):
            for query in MISSPELT:
                body = await api.post(query, token=token)
                assert body["errors"], query
                text = json.dumps(body["errors"])
                assert "Did you mean" not in text, text
                expected = MISSPELT_CODES.get(query, "GRAPHQL_VALIDATION_FAILED")
                assert body["errors"][0]["extensions"]["code"] == expected, query
        enum_variable = "query($s: [SowStatus!]) { sows(filter: { status: $s }) { totalCount } }"
        body = await api.post(enum_variable, {"s": ["DRAFTT"]}, token=api.token(Role.COMPLIANCE))
        assert body["errors"], body
        assert "Did you mean" not in json.dumps(body), body
        async with (
            websocket_client(api) as sockets,
            connected(sockets, api.token(Role.COMPLIANCE)) as ws,
        ):
            for number, query in enumerate(MISSPELT):
                await ws.send_json(
                    {"id": str(number), "type": "subscribe", "payload": {"query": query}}
                )
                message = await receive(ws)
                assert message["type"] == "error", message
                assert "Did you mean" not in json.dumps(message), message


async def test_suggestions_remain_when_introspection_is_on(api: Api) -> None:
    assert api.settings.introspection_enabled
    body = await api.post("{ sowz { totalCount } }", token=api.token(Role.COMPLIANCE))
    assert "Did you mean 'sow' or 'sows'?" in body["errors"][0]["message"]


# Duplicate agents ----------------------------------------------------------------------------


async def test_an_agent_with_an_existing_email_is_bad_user_input(api: Api) -> None:
    staff = api.token(Role.COMPLIANCE)
    create = 'mutation($e: String!) { createAgent(name: "Ann", email: $e) { id email } }'
    await api.ok(create, {"e": "ann@example.com"}, token=staff)
    error = await api.error(create, {"e": " Ann@Example.com "}, token=staff)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}, error
    assert "ann@example.com" in error["message"]
    data = await api.ok("{ agents { totalCount } }", token=staff)
    assert data["agents"]["totalCount"] == 1


async def test_the_access_log_status_of_a_refused_body_with_a_token(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {**JSON, "Authorization": f"Bearer {api.token(Role.COMPLIANCE)}"}
    with caplog.at_level(logging.INFO, logger="contracts.access"):
        response = await api.http.post("/graphql", content=b"null", headers=headers)
    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "contracts.access"]
    assert getattr(record, "status", None) == 400


@pytest.mark.parametrize(
    "frame",
    [
        "[1, 2]",
        '"connection_init"',
        "42",
    ],
)
async def test_a_websocket_frame_that_is_not_an_object_closes_with_4400(
    api: Api, frame: str
) -> None:
    async with websocket_client(api) as sockets, connect(sockets) as ws:
        await ws.send_text(frame)
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive_json(timeout=5)
        assert closed.value.code == 4400


SUBSCRIBED = "{ viewer { id } }"


def subscribed_with(name: str, *values: object) -> list[dict[str, object]]:
    """Payloads of SUBSCRIBED with each of `values` as their `name`."""
    return [{"query": SUBSCRIBED, name: value} for value in values]


# graphql-transport-ws's subscribe payload: `query` a string; `variables` and `extensions`
# objects, `operationName` a string, each or null or missing. Its own server (graphql-ws)
# closes with 4400 on anything else, as its PROTOCOL.md says of a message not in its format.
@pytest.mark.parametrize(
    "payload",
    [
        {"query": 5},
        {"query": None},
        {},
        [],
        "q",
        *subscribed_with("variables", [1], "x", 5, True),
        *subscribed_with("operationName", 5, ["A"], {}, False),
        *subscribed_with("extensions", [], "x", 5),
    ],
)
async def test_a_subscribe_payload_of_the_wrong_shape_closes_with_4400(
    api: Api, payload: object
) -> None:
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive_json(timeout=5)
        assert closed.value.code == 4400


async def test_a_subscribe_payload_with_nulls_runs(api: Api) -> None:
    """Null is the protocol's "none" for `variables`, `operationName` and `extensions`."""
    payload = {"query": SUBSCRIBED, "variables": None, "operationName": None, "extensions": None}
    async with (
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        answer = await receive(ws)
    assert answer["payload"]["data"] == {"viewer": {"id": "compliance-staff"}}, answer

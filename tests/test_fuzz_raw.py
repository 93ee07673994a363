"""Raw fuzzing of the transport (issue 22, item 3): what no GraphQL library would send.

Generated HTTP bodies (JSON of odd shapes, invalid UTF-8, deep nesting, huge numbers) under
odd encodings and content types, well-formed multipart bodies with odd `operations`, `map` and
file parts, signed tokens with odd claims (by HTTP and in `connection_init`), and WebSocket
frames (binary, text that is not JSON, wrong types, unknown message types, any order).
Whatever arrives: no HTTP 5xx, no INTERNAL_SERVER_ERROR, every refusal GraphQL JSON with a
code (never plain text), no abnormal close (1006, 1011), every operation on a socket
answered with data or errors that each have a code (never a bare `complete`), and the access
log records the status that was sent. Derandomized, with a fixed budget, so CI runs the same
cases in a few seconds.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wsproto.utilities import LocalProtocolError

from domain.party import Role
from tests.conftest import SECRET, Api
from tests.ws import connect, websocket_client

BUDGET = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ABNORMAL = {1006, 1011}
QUERIES = [
    "{ viewer { id role } }",
    "{ clients { totalCount } }",
    'mutation { createClient(name: "x") { id } }',
    "subscription { contractEvents { id } }",
    "query A { viewer { id } } query B { viewer { role } }",
    "{ sows(first: 1) { edges { node { id } } } }",
    "{",
    "{ viewer { id } } \u0007",
    "fragment F on Query { viewer { id } }",
]
NOW = int(datetime.now(UTC).timestamp())

# JSON values of every shape: huge and negative numbers, odd text, nesting.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["\x00", "\u202e", "\ud800", "\uff11\uff18.50", "9999-10-01", "\n", "🎉" * 5]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
OPERATIONS = st.fixed_dictionaries(
    {},
    optional={
        "query": st.one_of(st.sampled_from(QUERIES), JSON_VALUES),
        "variables": JSON_VALUES,
        "operationName": st.one_of(st.sampled_from(["A", "B", ""]), JSON_VALUES),
        "extensions": JSON_VALUES,
    },
)


def _dumped(value: object, *, ascii: bool = False) -> str:
    try:
        return json.dumps(value, ensure_ascii=ascii)
    except ValueError:  # an integer past Python's digit limit
        return "null"


def _text_body(value: object) -> str:
    return _dumped(value)


def _encoded(text: str, encoding: str) -> bytes:
    # Lone surrogates pass as their UTF-8 bytes (which are not UTF-8); what an 8-bit
    # encoding cannot hold becomes "?".
    try:
        return text.encode(encoding, errors="surrogatepass")
    except UnicodeEncodeError:
        return text.encode(encoding, errors="replace")


TEXT_BODIES = st.one_of(
    OPERATIONS.map(_text_body),
    JSON_VALUES.map(_text_body),
    st.lists(OPERATIONS, max_size=3).map(_text_body),
    st.integers(min_value=1, max_value=6).map(lambda n: "[" * 10**n + "]" * 10**n),
    st.integers(min_value=1, max_value=6).map(
        lambda n: (
            '{"query": "{ viewer { id } }", "variables": {"v": ' + "[" * 10**n + "]" * 10**n + "}}"
        )
    ),
    st.one_of(st.just(4301), st.integers(min_value=300, max_value=20_000)).map(
        lambda digits: '{"query": "{ viewer { id } }", "variables": {"n": ' + "9" * digits + "}}"
    ),
    st.text(max_size=40),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1", "utf-8-sig"])
BODIES = st.one_of(
    st.tuples(TEXT_BODIES, ENCODINGS).map(lambda pair: _encoded(*pair)),
    st.binary(max_size=64),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-16",
        "application/graphql-response+json",
        "application/graphql",
        "text/plain",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "",
    ]
)
GRAPHQL_RESPONSE = "application/graphql-response+json"
ACCEPTS = st.sampled_from(["", "application/json", GRAPHQL_RESPONSE, "*/*"])

# Claims of every type, extremes of time, ids with and without junk.
CLAIM_VALUES = st.one_of(
    JSON_VALUES,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([NOW + 3600, NOW - 3600, NOW, 253402300800, 2**63, -1, 0]),
    st.sampled_from([str(NOW + 3600), float(NOW + 3600), True]),
)
IDS = st.sampled_from(
    ["65f0000000000000000000c1", "65f0000000000000000000c1\n", "", "x" * 300, "65F0" * 6, None]
)
CLAIMS = st.fixed_dictionaries(
    {
        "sub": st.one_of(st.text(max_size=20), CLAIM_VALUES),
        "role": st.one_of(st.sampled_from([role.value for role in Role]), CLAIM_VALUES),
        "iat": st.one_of(st.just(NOW), CLAIM_VALUES),
        "exp": st.one_of(st.just(NOW + 600), CLAIM_VALUES),
    },
    optional={"client_id": IDS, "agent_id": IDS, "nbf": CLAIM_VALUES},
)


def _token(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, SECRET, algorithm="HS256")


def _no_internal_error(body: object) -> None:
    """No error anywhere in a GraphQL answer or protocol message is an internal one."""
    text = json.dumps(body)
    assert "INTERNAL_SERVER_ERROR" not in text, text


def _answered(response: httpx.Response, caplog: pytest.LogCaptureFixture) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    content_type = response.headers.get("content-type", "")
    if response.status_code >= 400:
        # Whatever refused it (the body limit, the multipart parser, Strawberry): GraphQL JSON
        # with a code, whatever the content type says (docs/errors.md).
        assert content_type.startswith(("application/json", GRAPHQL_RESPONSE)), content_type
        errors = response.json()["errors"]
        assert all(error["extensions"]["code"] for error in errors), errors
    if content_type.startswith(("application/json", GRAPHQL_RESPONSE)):
        _no_internal_error(response.json())
    logged = [getattr(r, "status", None) for r in caplog.records if r.name == "contracts.access"]
    assert logged == [response.status_code], logged
    caplog.clear()


@settings(BUDGET, max_examples=150)
@given(body=BODIES, content_type=CONTENT_TYPES, accept=ACCEPTS, with_token=st.booleans())
async def test_no_body_causes_a_500(
    api: Api,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    accept: str,
    with_token: bool,
) -> None:
    headers = {"Content-Type": content_type, "Accept": accept}
    if with_token:
        headers["Authorization"] = f"Bearer {api.token(Role.COMPLIANCE)}"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="contracts.access"):
        response = await api.http.post("/graphql", content=body, headers=headers)
        _answered(response, caplog)


# Multipart bodies (the GraphQL multipart request spec): well-formed as multipart, odd inside.

UPLOADS = [
    'mutation($f: Upload!) { uploadAgentDocument(agentId: "x", title: "t", file: $f) { id } }',
    "mutation($f: [Upload!]!) { __typename }",
    *QUERIES,
]
PATHS = st.sampled_from(
    ["variables.f", "variables.f.0", "variables", "query", "query.x", "0.variables.f", "", "f"]
)
PART_NAMES = st.sampled_from(["0", "1", "operations", "map", "", "x\u00e9"])
MAPS = st.one_of(
    st.just({"0": ["variables.f"]}),
    st.dictionaries(PART_NAMES, st.lists(st.one_of(PATHS, SCALARS), max_size=3), max_size=3),
    JSON_VALUES,
)
MULTIPART_OPERATIONS = st.fixed_dictionaries(
    {"query": st.sampled_from(UPLOADS)},
    optional={
        "variables": st.one_of(st.just({"f": None}), st.just({"f": [None]}), JSON_VALUES),
        "operationName": JSON_VALUES,
    },
)
# A part: (name, file name or None for a text part, content).
PARTS = st.one_of(
    st.tuples(
        st.just("operations"),
        st.sampled_from([None, None, "operations.json"]),
        st.one_of(MULTIPART_OPERATIONS, OPERATIONS, JSON_VALUES).map(_dumped),
    ),
    st.tuples(st.just("map"), st.sampled_from([None, None, "map.json"]), MAPS.map(_dumped)),
    st.tuples(
        PART_NAMES,
        st.sampled_from([None, "scan.pdf", "", "..\\x.png"]),
        st.one_of(st.just("%PDF-1.4\n%%EOF\n"), st.text(max_size=16)),
    ),
)
BOUNDARY = "fuzzboundary"


def _multipart(parts: list[tuple[str, str | None, str]]) -> bytes:
    """`parts` as a multipart/form-data body: each a text part, or a file part when it has a
    file name."""
    chunks = []
    for name, file_name, content in parts:
        disposition = f'form-data; name="{name}"'
        if file_name is not None:
            disposition += f'; filename="{file_name}"\r\nContent-Type: application/pdf'
        chunks.append(f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n{content}\r\n")
    return _encoded("".join(chunks) + f"--{BOUNDARY}--\r\n", "utf-8")


@settings(BUDGET, max_examples=100)
@given(parts=st.lists(PARTS, min_size=1, max_size=4), accept=ACCEPTS, with_token=st.booleans())
async def test_no_multipart_body_causes_a_500(
    api: Api,
    caplog: pytest.LogCaptureFixture,
    parts: list[tuple[str, str | None, str]],
    accept: str,
    with_token: bool,
) -> None:
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Accept": accept}
    if with_token:
        headers["Authorization"] = f"Bearer {api.token(Role.COMPLIANCE)}"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="contracts.access"):
        response = await api.http.post("/graphql", content=_multipart(parts), headers=headers)
        _answered(response, caplog)


@settings(BUDGET, max_examples=60)
@given(query=st.sampled_from(QUERIES), variables=JSON_VALUES, name=JSON_VALUES)
async def test_no_query_string_causes_a_500(
    api: Api, caplog: pytest.LogCaptureFixture, query: str, variables: object, name: object
) -> None:
    params = {
        "query": query,
        "variables": _dumped(variables, ascii=True),
        "operationName": _dumped(name, ascii=True),
    }
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="contracts.access"):
        response = await api.http.get("/graphql", params=params)
        _answered(response, caplog)


@settings(BUDGET, max_examples=80)
@given(claims=CLAIMS)
async def test_no_signed_claims_cause_a_500(
    api: Api, caplog: pytest.LogCaptureFixture, claims: dict[str, Any]
) -> None:
    try:
        token = _token(claims)
    except (TypeError, ValueError):
        return  # not encodable as a JWT at all: nothing to send
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="contracts.access"):
        response = await api.http.post(
            "/graphql",
            json={"query": "{ viewer { id role } clients { totalCount } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        _answered(response, caplog)


# WebSocket frames ----------------------------------------------------------------------------

MESSAGE_TYPES = st.sampled_from(
    ["connection_init", "subscribe", "complete", "ping", "pong", "next", "error", "ka", "start", ""]
)
MESSAGES = st.one_of(
    st.fixed_dictionaries(
        {"type": MESSAGE_TYPES},
        optional={
            "id": st.one_of(st.sampled_from(["1", "2"]), JSON_VALUES),
            "payload": st.one_of(
                st.fixed_dictionaries(
                    {"query": st.one_of(st.sampled_from(QUERIES), JSON_VALUES)},
                    optional={"variables": JSON_VALUES, "operationName": JSON_VALUES},
                ),
                JSON_VALUES,
            ),
        },
    ),
    JSON_VALUES,
)
# What a GraphQL client sends: a subscribe of one of QUERIES, well-formed.
SUBSCRIBES = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["1", "2"]),
        "type": st.just("subscribe"),
        "payload": st.fixed_dictionaries(
            {"query": st.sampled_from(QUERIES)},
            optional={
                # Of the protocol's shape (anything else closes with 4400), odd inside.
                "variables": st.one_of(
                    st.none(), st.dictionaries(st.sampled_from(["n", "f", "x"]), JSON_VALUES)
                ),
                "operationName": st.sampled_from(["A", "B", None]),
            },
        ),
    }
)
# A frame: ("init", None) stands for a valid connection_init, sent when drawn.
INIT = ("init", None)
FRAMES = st.one_of(
    st.just(INIT),
    SUBSCRIBES.map(lambda message: ("text", _dumped(message, ascii=True))),
    MESSAGES.map(lambda message: ("text", _dumped(message, ascii=True))),
    st.text(max_size=30).map(lambda text: ("text", text)),
    st.binary(max_size=30).map(lambda data: ("bytes", data)),
    st.integers(min_value=1, max_value=5).map(lambda n: ("text", "[" * 10**n)),
)


async def _send(ws: AsyncWebSocketSession, api: Api, kind: str, frame: object) -> None:
    if kind == "init":
        message = {"type": "connection_init", "payload": {"token": api.token(Role.COMPLIANCE)}}
        await ws.send_json(message)
    elif kind == "bytes":
        assert isinstance(frame, bytes)
        await ws.send_bytes(frame)
    else:
        assert isinstance(frame, str)
        await ws.send_text(frame)


@settings(BUDGET, max_examples=50)
@given(opened=st.booleans(), frames=st.lists(FRAMES, min_size=1, max_size=5))
# A syntax error once ended its operation with a bare `complete`, and was logged as a crash.
@example(
    opened=True, frames=[("text", '{"id": "1", "type": "subscribe", "payload": {"query": "{"}}')]
)
async def test_no_frames_cause_an_abnormal_close(
    api: Api, caplog: pytest.LogCaptureFixture, opened: bool, frames: list[tuple[str, object]]
) -> None:
    """`opened`: the frames follow a valid connection_init (most operations need one)."""
    closed = await _on_a_socket(api, caplog, [INIT, *frames] if opened else frames)
    assert closed not in ABNORMAL, closed


@settings(BUDGET, max_examples=30)
@given(operations=st.lists(SUBSCRIBES, min_size=1, max_size=3))
async def test_every_operation_on_a_socket_is_answered(
    api: Api, caplog: pytest.LogCaptureFixture, operations: list[dict[str, Any]]
) -> None:
    """Well-formed subscribes of odd operations on an acknowledged socket: each gets data,
    or errors with a code (`_exchange` checks), never a bare `complete`."""
    frames: list[tuple[str, object]] = [INIT]
    frames += [("text", _dumped(operation, ascii=True)) for operation in operations]
    closed = await _on_a_socket(api, caplog, frames)
    # 4400: a value JSON text cannot hold (a lone surrogate); 4409: the id of an operation
    # still running, sent again.
    assert closed in (None, 4400, 4409), closed


# Where `connection_init` may carry the token (api/graphql.py), with or without "Bearer ".
TOKEN_KEYS = st.sampled_from(["token", "authorization", "Authorization"])


@settings(BUDGET, max_examples=40)
@given(claims=CLAIMS, key=TOKEN_KEYS, bearer=st.booleans())
async def test_no_signed_claims_in_connection_init_cause_an_abnormal_close(
    api: Api, caplog: pytest.LogCaptureFixture, claims: dict[str, Any], key: str, bearer: bool
) -> None:
    try:
        token = _token(claims)
    except (TypeError, ValueError):
        return  # not encodable as a JWT at all: nothing to send
    init = {"type": "connection_init", "payload": {key: f"Bearer {token}" if bearer else token}}
    query = {"query": "{ viewer { id role } clients { totalCount } }"}
    frames: list[tuple[str, object]] = [
        ("text", _dumped(init)),
        ("text", _dumped({"id": "1", "type": "subscribe", "payload": query})),
    ]
    closed = await _on_a_socket(api, caplog, frames)
    # Acknowledged and answered, or refused (4403; 4401 for a token that expired meanwhile).
    assert closed in (None, 4401, 4403), closed


class _Operations:
    """The operations a client began on one socket, and what the server answered each.

    An operation's answer is data, or errors that each have a code: a `complete` with
    neither before it is a refusal without a reason (a parse error once ended so)."""

    def __init__(self) -> None:
        self.pending: set[str] = set()
        self.answered: set[str] = set()
        # Completed by the client, or begun twice: a frame of its earlier run may still come.
        self.unclear: set[str] = set()
        # Subscriptions: nothing is due until an event happens.
        self.live: set[str] = set()

    def sent(self, kind: str, frame: object) -> None:
        try:
            message = json.loads(frame) if kind == "text" and isinstance(frame, str) else None
        except (ValueError, RecursionError):
            return  # not JSON, or nested past the parser: no operation
        if not isinstance(message, dict) or not isinstance(message.get("id"), str):
            return
        operation = message["id"]
        if message.get("type") == "complete" or operation in self.pending:
            self.unclear.add(operation)
        if message.get("type") == "subscribe":
            self.pending.add(operation)
            payload = message.get("payload")
            query = payload.get("query") if isinstance(payload, dict) else None
            if isinstance(query, str) and query.lstrip().startswith("subscription"):
                self.live.add(operation)

    def received(self, message: dict[str, Any]) -> None:
        _no_internal_error(message)
        operation, kind, payload = message.get("id"), message.get("type"), message.get("payload")
        if not isinstance(operation, str) or kind not in ("next", "error", "complete"):
            return
        if kind == "next":
            assert isinstance(payload, dict), message
            _coded(payload.get("errors") or [])
            assert payload.get("data") is not None or payload.get("errors"), message
            self.answered.add(operation)
            return
        if kind == "error":
            assert isinstance(payload, list), message
            assert payload, message
            _coded(payload)
        elif operation not in self.unclear:
            assert operation in self.answered, f"{message}: no data and no error before it"
        self.pending.discard(operation)
        self.answered.discard(operation)

    def settled(self) -> bool:
        """Every operation begun has ended or been answered, but subscriptions."""
        return self.pending <= self.answered | self.unclear | self.live


def _coded(errors: object) -> None:
    assert isinstance(errors, list), errors
    for error in errors:
        assert isinstance(error, dict), errors
        assert isinstance(error.get("extensions"), dict), errors
        assert error["extensions"].get("code"), errors


async def _on_a_socket(
    api: Api, caplog: pytest.LogCaptureFixture, frames: list[tuple[str, object]]
) -> int | None:
    """`_exchange` on a new socket: the code it closed with, or None. Nothing it caused is
    a server error: nothing is logged at ERROR."""
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        async with websocket_client(api) as sockets, connect(sockets) as ws:
            closed = await _exchange(ws, api, frames)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [(r.name, r.getMessage(), r.exc_text) for r in errors]
    return closed


# After the pong, how long an operation begun but not yet answered may take to answer.
SETTLE_SECONDS = 1.0


async def _exchange(
    ws: AsyncWebSocketSession, api: Api, frames: list[tuple[str, object]]
) -> int | None:
    """Sends `frames`, then a ping: None once the pong comes and every operation begun has
    been answered (or SETTLE_SECONDS passed), or the code the socket closed with. Every
    message on the way is checked."""
    operations = _Operations()
    try:
        try:
            for kind, frame in frames:
                await _send(ws, api, kind, frame)
                operations.sent(kind, frame)
            # Whatever state it is in, the connection still answers a ping (or has closed).
            await ws.send_json({"type": "ping"})
        except LocalProtocolError:
            pass  # the server closed it meanwhile: its close frame tells how, below
        ponged = False
        while not (ponged and operations.settled()):
            try:
                message = await ws.receive_json(timeout=SETTLE_SECONDS if ponged else 5)
            except TimeoutError:
                if ponged:
                    return None  # a subscription, still running: no answer is due
                raise
            operations.received(message)
            ponged = ponged or message.get("type") == "pong"
        return None
    except WebSocketDisconnect as disconnect:
        return disconnect.code

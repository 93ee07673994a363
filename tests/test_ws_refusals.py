"""One operation's refusal is the same answer over HTTP and over the WebSocket.

Over HTTP a refused document or selection is a request error (`data: null` and its errors);
over graphql-transport-ws, the operation's `error` message, whose payload is the same list of
errors: the same message, `extensions.code` and details (docs/errors.md). Nothing of it is
a server error: nothing is logged at ERROR.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.settings import Settings
from domain.party import Role
from tests.conftest import Api, configured, serve
from tests.ws import connected, receive, websocket_client

# Low limits, so that each one is crossed by a short document; introspection off.
LIMITS = {
    "graphiql": False,
    "max_query_tokens": 100,
    "max_query_depth": 5,
    "max_aliases": 2,
    "max_query_cost": 100,
}
ONE_OPERATION = "query A { viewer { id } }"
TWO_OPERATIONS = "query A { viewer { id } } query B { viewer { role } }"
FIRST = "query($n: Int) { sows(first: $n) { totalCount } }"

# (query, variables, operationName), each refused before anything runs.
REFUSED: dict[str, tuple[str, dict[str, Any] | None, str | None]] = {
    "syntax": ("{", None, None),
    "control-character": ("{ viewer { id } } \u0007", None, None),
    "tokens": ("{ viewer { " + "id " * 120 + "} }", None, None),
    "unknown-field": ("{ viewer { nope } }", None, None),
    "no-subfields": ("{ viewer }", None, None),
    "introspection": ("{ __schema { queryType { name } } }", None, None),
    "depth": ("{ sows { edges { node { events { edges { node { id } } } } } } }", None, None),
    "aliases": ("{ a: viewer { id } b: viewer { id } c: viewer { id } }", None, None),
    "cost": ("{ sows(first: 100) { edges { node { id } } } }", None, None),
    "several-unnamed": (TWO_OPERATIONS, None, None),
    "unknown-name": (ONE_OPERATION, None, "B"),
    "unknown-of-several": (TWO_OPERATIONS, None, "C"),
    "empty-name": (ONE_OPERATION, None, ""),
    "no-operation": ("fragment F on Query { viewer { id } }", None, None),
    "variable-value": (FIRST, {"n": "ten"}, None),
    "variable-missing": ("query($n: Int!) { sows(first: $n) { totalCount } }", None, None),
    "variable-misused": ("query($n: String) { sows(first: $n) { totalCount } }", {"n": "x"}, None),
}


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    async with serve(configured(settings, **LIMITS)) as running:
        yield running


@pytest.mark.parametrize("case", REFUSED)
async def test_a_refused_operation_is_answered_alike_over_both_transports(
    api: Api, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    query, variables, name = REFUSED[case]
    token = api.token(Role.COMPLIANCE)
    sent = {"query": query, "variables": variables, "operationName": name}
    with caplog.at_level(logging.WARNING):
        response = await api.http.post(
            "/graphql", json=sent, headers={"Authorization": f"Bearer {token}"}
        )
        async with websocket_client(api) as sockets, connected(sockets, token) as ws:
            await ws.send_json({"id": "1", "type": "subscribe", "payload": sent})
            answer = await receive(ws)
            # The `error` ends the operation: nothing else for it (a `complete`) comes.
            await ws.send_json({"type": "ping"})
            assert (await receive(ws))["type"] == "pong"
    body = response.json()
    assert body["data"] is None, body
    errors = body["errors"]
    assert all(error["extensions"]["code"] for error in errors), errors
    assert "Did you mean" not in str(errors)
    assert answer == {"id": "1", "type": "error", "payload": errors}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records

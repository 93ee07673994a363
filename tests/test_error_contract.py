"""The published error contract: every `extensions.code`, in docs/errors.md and in the schema.

Errors of the document itself have Apollo's codes (GRAPHQL_PARSE_FAILED,
GRAPHQL_VALIDATION_FAILED), every limit is QUERY_TOO_COMPLEX, and BAD_USER_INPUT stays for bad
values. With `Accept: application/graphql-response+json` the status codes follow the GraphQL
over HTTP spec: a request error (no `data`) is a 4xx, a field error a 200.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.settings import Settings
from domain import errors as domain_errors
from domain.party import Role
from schema.error_codes import ErrorCode
from tests.conftest import Api, configured, serve
from tests.ws import connected, receive, websocket_client

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "errors.md"
SPEC = "application/graphql-response+json"
GRAPHQL_RESPONSE = {"Accept": f"{SPEC}, application/json;q=0.9"}
VIEWER = "{ viewer { id } }"
NO_SOW = "650000000000000000000000"


async def post(
    api: Api,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {**(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return await api.http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    return dict(error)


# The codes of the document's own errors -----------------------------------------------------


async def test_a_syntax_error_is_graphql_parse_failed(api: Api) -> None:
    error = await api.error("{ viewer { id }", token=api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert error["message"].startswith("Syntax Error")


async def test_an_unknown_field_is_graphql_validation_failed(api: Api) -> None:
    error = await api.error("{ viewer { nope } }", token=api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_a_literal_value_its_type_refuses_stays_bad_user_input(api: Api) -> None:
    query = "{ sows(filter: { status: [NOPE] }) { totalCount } }"
    error = await api.error(query, token=api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.status[0]"}


async def test_a_variable_of_the_wrong_type_stays_bad_user_input(api: Api) -> None:
    query = "query($n: Int) { sows(first: $n) { totalCount } }"
    error = await api.error(query, {"n": "ten"}, token=api.token(Role.COMPLIANCE))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


# A variable the document misuses is the document's fault, found by validation: not a value.
@pytest.mark.parametrize(
    "query",
    [
        # Declared String, used where an Int goes (VariablesInAllowedPosition).
        "query($n: String) { sows(first: $n) { totalCount } }",
        # Used, never declared (NoUndefinedVariables).
        "query { sows(first: $n) { totalCount } }",
        # Declared, never used (NoUnusedVariables).
        "query($n: Int) { sows { totalCount } }",
        # Declared twice (UniqueVariableNames).
        "query($n: Int, $n: Int) { sows(first: $n) { totalCount } }",
        # Of a type that is not an input (VariablesAreInputTypes).
        "query($n: Sow) { sows { totalCount } }",
    ],
    ids=["wrong-type", "undefined", "unused", "twice", "output-type"],
)
async def test_a_variable_the_document_misuses_is_graphql_validation_failed(
    api: Api, query: str
) -> None:
    token = api.token(Role.COMPLIANCE)
    response = await post(api, query, {"n": 5}, token=token, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert "data" not in response.json()
    errors = response.json()["errors"]
    assert {error["extensions"]["code"] for error in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    assert all("field" not in error["extensions"] for error in errors), errors


async def test_a_value_refused_for_a_well_used_variable_stays_bad_user_input(api: Api) -> None:
    query = "query($n: Int) { sows(first: $n) { totalCount } }"
    error = await api.error(query, {"n": "ten"}, token=api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


# Limits -------------------------------------------------------------------------------------


async def test_too_deep_is_query_too_complex(settings: Settings) -> None:
    async with serve(configured(settings, max_query_depth=3)) as api:
        query = "{ sows { edges { node { events { edges { node { id } } } } } } }"
        error = await api.error(query, token=api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "depth", "maximum": 3}


async def test_too_many_aliases_is_query_too_complex(api: Api) -> None:
    aliases = " ".join(f"a{i}: viewer {{ id }}" for i in range(api.settings.max_aliases + 1))
    error = await api.error(f"{{ {aliases} }}", token=api.token(Role.COMPLIANCE))
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "aliases",
        "maximum": api.settings.max_aliases,
    }


async def test_too_costly_is_query_too_complex_with_the_cost(api: Api) -> None:
    query = """{ sows(first: 100) { edges { node {
        events(first: 100) { edges { node { id type at version } } } } } } }"""
    error = await api.error(query, token=api.token(Role.COMPLIANCE))
    extensions = error["extensions"]
    assert extensions["code"] == "QUERY_TOO_COMPLEX"
    assert extensions["limit"] == "cost"
    assert extensions["maximum"] == api.settings.max_query_cost
    assert extensions["cost"] > api.settings.max_query_cost


async def test_too_many_tokens_is_query_too_complex(settings: Settings) -> None:
    async with serve(configured(settings, max_query_tokens=100)) as api:
        fields = " ".join(["id"] * 120)
        error = await api.error(f"{{ viewer {{ {fields} }} }}", token=api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "tokens", "maximum": 100}


async def test_a_page_over_the_maximum_is_query_too_complex(api: Api) -> None:
    token = api.token(Role.COMPLIANCE)
    over = api.settings.max_page_size + 1
    error = await api.error(f"{{ sows(first: {over}) {{ totalCount }} }}", token=token)
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "pageSize",
        "maximum": api.settings.max_page_size,
        "field": "first",
    }
    negative = await api.error("{ sows(first: -1) { totalCount } }", token=token)
    assert negative["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


# application/graphql-response+json ----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ viewer { id }", None, "GRAPHQL_PARSE_FAILED"),
        ("{ viewer { nope } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int) { sows(first: $n) { totalCount } }", {"n": "x"}, "BAD_USER_INPUT"),
        ("query($n: Int!) { sows(first: $n) { totalCount } }", None, "BAD_USER_INPUT"),
    ],
)
async def test_request_errors_are_400_without_data(
    api: Api, query: str, variables: dict[str, Any] | None, code: str
) -> None:
    token = api.token(Role.COMPLIANCE)
    response = await post(api, query, variables, token=token, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(SPEC)
    body = response.json()
    assert "data" not in body
    assert only_error(body)["extensions"]["code"] == code
    # The legacy media type keeps 200 (the spec's advice for application/json).
    legacy = await post(api, query, variables, token=token)
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")


async def test_field_errors_are_200_with_data(api: Api) -> None:
    query = f'{{ sow(id: "{NO_SOW}") {{ id }} }}'
    response = await post(api, query, token=api.token(Role.COMPLIANCE), headers=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(SPEC)
    body = response.json()
    assert "data" in body
    assert only_error(body)["extensions"]["code"] == "NOT_FOUND"
    unauthenticated = await post(api, VIEWER, headers=GRAPHQL_RESPONSE)
    assert unauthenticated.status_code == 200
    assert only_error(unauthenticated.json())["extensions"]["code"] == "UNAUTHENTICATED"


async def test_success_has_the_media_type_asked_for(api: Api) -> None:
    token = api.token(Role.COMPLIANCE)
    response = await post(api, VIEWER, token=token, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(SPEC)
    for accept in ("application/json", "*/*", f"application/json, {SPEC};q=0.5"):
        legacy = await post(api, VIEWER, token=token, headers={"Accept": accept})
        assert legacy.headers["content-type"].startswith("application/json"), accept


async def test_refusals_before_graphql_have_the_media_type_asked_for(settings: Settings) -> None:
    async with serve(configured(settings, rate_limit_per_minute=1)) as api:
        bad_json = await api.http.post(
            "/graphql",
            content=b'{"query": ',
            headers={**GRAPHQL_RESPONSE, "Content-Type": "application/json"},
        )
        too_large = await api.http.post(
            "/graphql",
            content=b" " * (api.settings.max_body_bytes + 1),
            headers={**GRAPHQL_RESPONSE, "Content-Type": "application/json"},
        )
        await post(api, VIEWER)
        limited = await post(api, VIEWER, headers=GRAPHQL_RESPONSE)
    for response, status, code in (
        (bad_json, 400, "BAD_USER_INPUT"),
        (too_large, 413, "PAYLOAD_TOO_LARGE"),
        (limited, 429, "RATE_LIMITED"),
    ):
        assert response.status_code == status
        assert response.headers["content-type"].startswith(SPEC), code
        assert only_error(response.json())["extensions"]["code"] == code


async def test_a_mutation_by_get_is_405(api: Api) -> None:
    mutation = 'mutation { createClient(name: "x") { id } }'
    for headers in ({}, GRAPHQL_RESPONSE):
        response = await api.http.get("/graphql", params={"query": mutation}, headers=headers)
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert only_error(response.json())["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_another_method_is_405_as_graphql_json(api: Api) -> None:
    response = await api.http.put("/graphql", json={"query": VIEWER})
    assert response.status_code == 405
    assert only_error(response.json())["extensions"]["code"] == "METHOD_NOT_ALLOWED"


# Operation selection: a request error, 400 / 200 -------------------------------------------

ONE_OPERATION = "query A { viewer { id } }"
TWO_OPERATIONS = "query A { viewer { id } } query B { viewer { role } }"


@pytest.mark.parametrize(
    ("query", "name"),
    [(ONE_OPERATION, "B"), (TWO_OPERATIONS, "C"), (TWO_OPERATIONS, None)],
    ids=["unknown", "unknown-of-several", "several-unnamed"],
)
async def test_an_operation_not_selected_is_a_request_error(
    api: Api, query: str, name: str | None
) -> None:
    token = api.token(Role.COMPLIANCE)
    sent = {"query": query, "operationName": name}
    headers = {"Authorization": f"Bearer {token}"}
    spec = await api.http.post("/graphql", json=sent, headers={**headers, **GRAPHQL_RESPONSE})
    assert spec.status_code == 400, spec.text
    assert spec.headers["content-type"].startswith(SPEC)
    assert "data" not in spec.json()
    error = only_error(spec.json())
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "operationName"}
    # application/json: every GraphQL result of a well-formed request is a 200 (docs/errors.md).
    for accept in ("application/json", None):
        legacy_headers = {**headers, "Accept": accept} if accept else headers
        legacy = await api.http.post("/graphql", json=sent, headers=legacy_headers)
        assert legacy.status_code == 200, (accept, legacy.text)
        assert legacy.headers["content-type"].startswith("application/json")
        assert legacy.json()["data"] is None
        assert only_error(legacy.json()) == error


async def test_a_document_without_an_operation_is_a_request_error(api: Api) -> None:
    query = "fragment F on Query { viewer { id } }"
    token = api.token(Role.COMPLIANCE)
    spec = await post(api, query, token=token, headers=GRAPHQL_RESPONSE)
    assert spec.status_code == 400, spec.text
    assert only_error(spec.json())["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    legacy = await post(api, query, token=token)
    assert legacy.status_code == 200, legacy.text
    assert only_error(legacy.json())["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


# Malformed multipart requests: refused before GraphQL runs, as GraphQL JSON -----------------

CREATE_CLIENT = 'mutation($f: Upload) { createClient(name: "x") { id } }'
COUNT_CLIENTS = "{ clients { totalCount } }"


@pytest.mark.parametrize(
    "files_map",
    [
        "[]",
        '"0"',
        '{"0": "variables.f"}',
        '{"0": [5]}',
        '{"0": ["query.x"]}',
        '{"0": ["variables.f.0"]}',
        '{"0": ["variables.g.h"]}',
        '{"0": ["0.variables.f"]}',
        '{"1": ["variables.f"]}',
    ],
)
@pytest.mark.parametrize("with_token", [True, False])
async def test_a_multipart_map_of_the_wrong_shape_is_refused(
    api: Api, files_map: str, with_token: bool
) -> None:
    token = api.token(Role.COMPLIANCE)
    operations = json.dumps({"query": CREATE_CLIENT, "variables": {"f": None}})
    for accept, media_type in ((None, "application/json"), (SPEC, SPEC)):
        headers = {"Accept": accept} if accept else {}
        if with_token:
            headers["Authorization"] = f"Bearer {token}"
        response = await api.http.post(
            "/graphql",
            data={"operations": operations, "map": files_map},
            files={"0": ("scan.pdf", b"%PDF-1.4", "application/pdf")},
            headers=headers,
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(media_type)
        assert "x-request-id" in response.headers
        error = only_error(response.json())
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "map"}, error
    data = await api.ok(COUNT_CLIENTS, token=token)
    assert data["clients"]["totalCount"] == 0


@pytest.mark.parametrize(
    "operations",
    [("operations.json", b"{}", "application/json"), "nope", "[]", "5", '{"query": '],
    ids=["a-file", "not-json", "a-batch", "a-number", "cut-short"],
)
async def test_multipart_operations_other_than_one_json_object_are_refused(
    api: Api, operations: str | tuple[str, bytes, str]
) -> None:
    files = {"0": ("scan.pdf", b"%PDF-1.4", "application/pdf")}
    data = {"map": '{"0": ["variables.f"]}'}
    if isinstance(operations, tuple):
        files["operations"] = operations
    else:
        data["operations"] = operations
    response = await api.http.post("/graphql", data=data, files=files)
    assert response.status_code == 400, response.text
    error = only_error(response.json())
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "operations"}, error


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=x", b"--x\r\n\r\n"),
        ("multipart/form-data", b"--x\r\n\r\n"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
    ],
    ids=["no-name", "no-boundary", "disposition-without-name"],
)
@pytest.mark.parametrize("accept", [None, SPEC])
async def test_a_body_the_multipart_parser_refuses_is_graphql_json(
    api: Api, content_type: str, body: bytes, accept: str | None
) -> None:
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    response = await api.http.post("/graphql", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(accept or "application/json")
    assert only_error(response.json())["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_too_many_subscriptions_on_a_socket_is_query_too_complex(
    settings: Settings,
) -> None:
    subscription = {"query": "subscription { contractEvents { id } }"}
    async with (
        serve(configured(settings, subscriptions_per_connection=1)) as api,
        websocket_client(api) as sockets,
        connected(sockets, api.token(Role.COMPLIANCE)) as ws,
    ):
        for number in ("1", "2"):
            await ws.send_json({"id": number, "type": "subscribe", "payload": subscription})
        message = await receive(ws)
    assert message["type"] == "error"
    assert message["id"] == "2"
    (error,) = message["payload"]
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "subscriptions",
        "maximum": 1,
    }


# One list of codes: the schema's enum, docs/errors.md and the code --------------------------


def documented_codes() -> dict[str, str]:
    """The codes of docs/errors.md's table (first column), with the rest of each row."""
    rows = re.findall(r"^\| `([A-Z_]+)` \|(.*)$", DOCS.read_text(), re.MULTILINE)
    return dict(rows)


def emitted_codes() -> set[str]:
    """Every code the service's source can put in `extensions.code`: the domain errors'
    `code`, and every `ErrorCode.X` the transport and the schema use."""
    codes: set[str] = set()
    for value in vars(domain_errors).values():
        if isinstance(value, type) and issubclass(value, domain_errors.DomainError):
            codes.add(value.code)
    for folder in ("api", "schema", "resolvers", "storage", "domain", "scheduler"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "error_codes.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "ErrorCode"
                ):
                    codes.add(node.attr)
    return codes


def test_the_docs_the_enum_and_the_code_agree() -> None:
    enum = {code.name for code in ErrorCode}
    assert set(documented_codes()) == enum
    assert emitted_codes() == enum


def test_every_documented_code_says_when_and_what() -> None:
    for code, row in documented_codes().items():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        assert len(cells) >= 3, code
        assert all(cells), (code, cells)


async def test_the_schema_publishes_the_codes_with_descriptions(api: Api) -> None:
    data = await api.ok(
        '{ __type(name: "ErrorCode") { kind enumValues { name description } } }',
        token=api.token(Role.COMPLIANCE),
    )
    assert data["__type"]["kind"] == "ENUM"
    values = {value["name"]: value["description"] for value in data["__type"]["enumValues"]}
    assert set(values) == {code.name for code in ErrorCode}
    assert all(values.values()), values
    assert "enum ErrorCode" in (ROOT / "schema.graphql").read_text()


def test_the_readme_links_the_contract() -> None:
    assert "(docs/errors.md)" in (ROOT / "README.md").read_text()

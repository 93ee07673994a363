"""No caller value reaches MongoDB as an operator, a field name or a pattern."""

from __future__ import annotations

from typing import Any

import pytest

from domain.party import Role
from tests.conftest import Api
from tests.terms import SOW_TERMS

COUNT = "query($f: SowFilter) { sows(filter: $f) { totalCount } }"


@pytest.fixture
async def staff(api: Api) -> str:
    """A compliance token, with one SOW whose title is operator-looking text."""
    token = api.token(Role.COMPLIANCE)
    client = await api.ok('mutation { createClient(name: "Acme") { id } }', token=token)
    terms = {**SOW_TERMS, "programName": "$where: sleep(1000)", "confidentiality": "a.b.$set"}
    await api.ok(
        "mutation($t: SowTermsInput!, $c: ID) { createSow(terms: $t, clientId: $c) { id } }",
        {"t": terms, "c": client["createClient"]["id"]},
        token=token,
    )
    return token


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("Tier 1", 1),
        ("tier", 1),
        ("$where: sleep(1000)", 1),
        (".*", 0),
        ("^T", 0),
        ("(a+)+$", 0),
        ("[", 0),
        ("\\", 0),
        ("{'$ne': null}", 0),
    ],
)
async def test_search_matches_text_literally(api: Api, staff: str, search: str, found: int) -> None:
    data = await api.ok(COUNT, {"f": {"search": search}}, token=staff)
    assert data["sows"]["totalCount"] == found


async def test_operator_looking_values_are_stored_as_plain_text(api: Api, staff: str) -> None:
    query = "{ sows { edges { node { terms { programName confidentiality } } } } }"
    data = await api.ok(query, token=staff)
    terms = data["sows"]["edges"][0]["node"]["terms"]
    assert terms == {"programName": "$where: sleep(1000)", "confidentiality": "a.b.$set"}


@pytest.mark.parametrize("bad_id", ['{"$ne": null}', "$ne", "a.b", "", "0" * 25])
async def test_malformed_ids_name_no_document(api: Api, staff: str, bad_id: str) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("query($id: ID!) { sow(id: $id) { id } }", {"id": bad_id}),
        ("query($id: ID) { events(entityId: $id) { totalCount } }", {"id": bad_id}),
        (COUNT, {"f": {"clientId": bad_id}}),
    ]
    for query, variables in cases:
        error = await api.error(query, variables, token=staff)
        assert error["extensions"]["code"] == "NOT_FOUND", (query, error)

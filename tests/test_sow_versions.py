"""SOW terms versions: immutable, hashed, authored; read one by one and compared leaf by leaf."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from domain.party import Role
from tests.conftest import Api, Clock, iso
from tests.sow_helpers import create_client, create_sow
from tests.terms import SOW_TERMS

UPDATE = """
mutation($id: ID!, $v: Int!, $t: SowTermsPatch!, $s: String) {
  updateSow(id: $id, expectedVersion: $v, terms: $t, changeSummary: $s) { version status }
}
"""
VERSIONS = """
query($id: ID!) { sow(id: $id) {
  version
  versions { number hash terms author { id role } at changeSummary state }
} }
"""
ONE = "query($id: ID!, $n: Int!) { sow(id: $id) { termsVersion(number: $n) { number hash } } }"
DIFF = """
query($id: ID!, $a: Int!, $b: Int!) {
  sow(id: $id) { diff(fromVersion: $a, toVersion: $b) { path before after } }
}
"""


@pytest.fixture
async def client_id(api: Api) -> str:
    return await create_client(api)


async def update(api: Api, client_id: str, sow_id: str, version: int, **patch: Any) -> Any:
    token = api.token(Role.CLIENT, client_id=client_id)
    variables = {"id": sow_id, "v": version, "t": patch, "s": f"to v{version + 1}"}
    return (await api.ok(UPDATE, variables, token))["updateSow"]


def sha256_of_canonical(terms: dict[str, Any]) -> str:
    text = json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


async def test_each_terms_change_writes_an_immutable_version(
    api: Api, client_id: str, clock: Clock
) -> None:
    sow = await create_sow(api, client_id)
    created_at = clock.now
    clock.advance(hours=1)
    assert (await update(api, client_id, sow["id"], 1, title="Tier 2"))["version"] == 2
    clock.advance(hours=1)
    await update(api, client_id, sow["id"], 2, pricing={**SOW_TERMS["pricing"], "rate": "19.00"})

    data = await api.ok(VERSIONS, {"id": sow["id"]}, api.token(Role.COMPLIANCE))
    versions = data["sow"]["versions"]
    assert data["sow"]["version"] == 3
    assert [v["number"] for v in versions] == [1, 2, 3]
    first, second, third = versions
    assert first["terms"]["title"] == "Tier 1 support"
    assert second["terms"]["title"] == "Tier 2"
    assert third["terms"]["pricing"]["rate"] == "19.00"
    assert (first["at"], second["at"]) == (
        iso(created_at),
        iso(created_at.replace(hour=10)),
    )
    assert second["author"] == {"id": f"client-{client_id}", "role": "CLIENT"}
    assert (first["changeSummary"], second["changeSummary"]) == ("created", "to v2")
    assert {v["state"] for v in versions} == {"EFFECTIVE"}
    for version in versions:
        assert version["hash"] == sha256_of_canonical(version["terms"])
    assert len({v["hash"] for v in versions}) == 3


async def test_a_version_is_read_by_number(api: Api, client_id: str) -> None:
    sow = await create_sow(api, client_id)
    await update(api, client_id, sow["id"], 1, title="Tier 2")
    token = api.token(Role.CLIENT, client_id=client_id)

    found = await api.ok(ONE, {"id": sow["id"], "n": 2}, token)
    missing = await api.ok(ONE, {"id": sow["id"], "n": 3}, token)

    assert found["sow"]["termsVersion"]["number"] == 2
    assert missing["sow"]["termsVersion"] is None


async def test_diff_lists_every_changed_leaf_including_inside_lists(
    api: Api, client_id: str
) -> None:
    sow = await create_sow(api, client_id)
    sla = [
        {"metric": "SERVICE_LEVEL", "target": 85, "thresholdSeconds": 20},
        {"metric": "ABANDONMENT_RATE", "target": 5},
    ]
    await update(
        api,
        client_id,
        sow["id"],
        1,
        title="Tier 2",
        slaTargets=sla,
        serviceHours={**SOW_TERMS["serviceHours"], "days": ["MONDAY"]},
    )
    token = api.token(Role.CLIENT, client_id=client_id)

    data = await api.ok(DIFF, {"id": sow["id"], "a": 1, "b": 2}, token)
    back = await api.ok(DIFF, {"id": sow["id"], "a": 2, "b": 1}, token)
    same = await api.ok(DIFF, {"id": sow["id"], "a": 2, "b": 2}, token)

    changes = {c["path"]: (c["before"], c["after"]) for c in data["sow"]["diff"]}
    assert changes == {
        "serviceHours.days[1]": ("TUESDAY", None),
        "serviceHours.days[2]": ("WEDNESDAY", None),
        "serviceHours.days[3]": ("THURSDAY", None),
        "serviceHours.days[4]": ("FRIDAY", None),
        "slaTargets[0].target": (80.0, 85.0),
        "slaTargets[1]": (None, {"metric": "ABANDONMENT_RATE", "target": 5.0,
                                 "thresholdSeconds": None}),
        "title": ("Tier 1 support", "Tier 2"),
    }  # fmt: skip
    assert {c["path"]: (c["after"], c["before"]) for c in back["sow"]["diff"]} == changes
    assert same["sow"]["diff"] == []


async def test_diff_inside_a_later_list_element_and_a_shrinking_list(
    api: Api, client_id: str
) -> None:
    service_level = {"metric": "SERVICE_LEVEL", "target": 80, "thresholdSeconds": 20}
    abandonment = {"metric": "ABANDONMENT_RATE", "target": 5}
    sow = await create_sow(api, client_id, slaTargets=[service_level, abandonment])
    await update(
        api, client_id, sow["id"], 1, slaTargets=[service_level, {**abandonment, "target": 3}]
    )
    await update(api, client_id, sow["id"], 2, slaTargets=[service_level])
    token = api.token(Role.CLIENT, client_id=client_id)

    changed = await api.ok(DIFF, {"id": sow["id"], "a": 1, "b": 2}, token)
    shrunk = await api.ok(DIFF, {"id": sow["id"], "a": 2, "b": 3}, token)

    assert changed["sow"]["diff"] == [{"path": "slaTargets[1].target", "before": 5.0, "after": 3.0}]
    assert shrunk["sow"]["diff"] == [
        {
            "path": "slaTargets[1]",
            "before": {"metric": "ABANDONMENT_RATE", "target": 3.0, "thresholdSeconds": None},
            "after": None,
        }
    ]


@pytest.mark.parametrize(("a", "b", "field"), [(0, 1, "fromVersion"), (1, 3, "toVersion")])
async def test_diff_of_a_version_that_does_not_exist_names_the_argument(
    api: Api, client_id: str, a: int, b: int, field: str
) -> None:
    sow = await create_sow(api, client_id)
    await update(api, client_id, sow["id"], 1, title="Tier 2")
    error = await api.error(DIFF, {"id": sow["id"], "a": a, "b": b}, api.token(Role.COMPLIANCE))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(
    api: Api, client_id: str
) -> None:
    sow = await create_sow(api, client_id)
    await update(api, client_id, sow["id"], 1, title="Tier 2")
    token = api.token(Role.CLIENT, client_id=client_id)

    error = await api.error(UPDATE, {"id": sow["id"], "v": 1, "t": {"title": "Tier 3"}}, token)

    assert error["extensions"] == {"code": "CONFLICT", "expectedVersion": 1, "currentVersion": 2}
    data = await api.ok(VERSIONS, {"id": sow["id"]}, token)
    assert [v["terms"]["title"] for v in data["sow"]["versions"]] == ["Tier 1 support", "Tier 2"]


async def test_terms_change_in_place_only_while_editable(api: Api, client_id: str) -> None:
    sow = await create_sow(api, client_id)
    token = api.token(Role.CLIENT, client_id=client_id)
    await api.ok(
        "mutation($id: ID!) { submitSow(id: $id, expectedVersion: 1) { id } }", {"id": sow["id"]},
        token,
    )  # fmt: skip

    error = await api.error(UPDATE, {"id": sow["id"], "v": 1, "t": {"title": "Late"}}, token)

    assert error["extensions"] == {"code": "INVALID_TRANSITION", "from": "SUBMITTED",
                                   "to": "SUBMITTED"}  # fmt: skip
    # A change in place goes to no other status: the message says where it is not allowed.
    assert error["message"].startswith("not allowed while SUBMITTED"), error

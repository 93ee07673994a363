"""Building CSAs through GraphQL for tests: agents, valid terms, a walk along the status machine."""

from __future__ import annotations

import uuid
from typing import Any

from domain.party import Role
from tests.conftest import Api
from tests.sow_helpers import create_client, signed_sow
from tests.terms import CSA_TERMS

CSA_FIELDS = (
    "id number status version sowId programName flags terminationReason agent { id name } "
    "terms { effectiveDate expirationDate payRate { amount currency unit } } "
    "renewalOf { id } renewedBy { id }"
)

PRODUCE = f"""
mutation($s: ID!, $a: [ID!]!, $t: CsaTermsInput!) {{
  produceCsas(sowId: $s, agentIds: $a, terms: $t) {{ {CSA_FIELDS} }}
}}
"""


def transition(name: str, *arguments: tuple[str, str]) -> str:
    """A CSA mutation `name(id, expectedVersion, ...)`; arguments as (name, GraphQL type)."""
    declared = "".join(f", ${a}: {t}" for a, t in arguments)
    passed = "".join(f", {a}: ${a}" for a, _ in arguments)
    return (
        f"mutation($id: ID!, $v: Int!{declared}) "
        f"{{ {name}(id: $id, expectedVersion: $v{passed}) {{ {CSA_FIELDS} }} }}"
    )


async def create_agent(api: Api, name: str = "Dana", email: str | None = None) -> str:
    data = await api.ok(
        "mutation($n: String!, $e: String!) { createAgent(name: $n, email: $e) { id } }",
        {"n": name, "e": email or f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"},
        token=api.token(Role.COMPLIANCE),
    )
    agent_id: str = data["createAgent"]["id"]
    return agent_id


def staff(api: Api) -> str:
    return api.token(Role.COMPLIANCE)


def agent_token(api: Api, agent_id: str) -> str:
    return api.token(Role.AGENT, agent_id=agent_id)


async def produce(
    api: Api, sow_id: str, agent_ids: list[str], **changes: Any
) -> list[dict[str, Any]]:
    data = await api.ok(
        PRODUCE, {"s": sow_id, "a": agent_ids, "t": {**CSA_TERMS, **changes}}, token=staff(api)
    )
    produced: list[dict[str, Any]] = data["produceCsas"]
    return produced


async def setup(
    api: Api, agents: int = 1, client: str = "Acme", **sow_changes: Any
) -> tuple[str, dict[str, Any], list[str]]:
    """A client, a SIGNED SOW of it and `agents` active agents."""
    client_id = await create_client(api, client)
    sow = await signed_sow(api, client_id, **sow_changes)
    agent_ids = [await create_agent(api, f"Agent{i}") for i in range(agents)]
    return client_id, sow, agent_ids


async def step(
    api: Api, name: str, csa: dict[str, Any], token: str, **extra: Any
) -> dict[str, Any]:
    arguments = tuple((key, "String!") for key in extra)
    data = await api.ok(
        transition(name, *arguments), {"id": csa["id"], "v": csa["version"], **extra}, token=token
    )
    result: dict[str, Any] = data[name]
    return result


async def executed(api: Api, csa: dict[str, Any]) -> dict[str, Any]:
    """Sent, signed by its agent, countersigned."""
    csa = await step(api, "sendCsa", csa, staff(api))
    csa = await step(api, "signCsa", csa, agent_token(api, csa["agent"]["id"]))
    return await step(api, "countersignCsa", csa, staff(api))


def refused(error: dict[str, Any], code: str, **extensions: Any) -> None:
    """`error` has `code` and at least these `extensions` (e.g. field, from)."""
    found = error["extensions"]
    assert found["code"] == code, error
    assert {key: found.get(key) for key in extensions} == extensions, error


async def stored(api: Api) -> dict[str, list[dict[str, Any]]]:
    """Every document a write could touch (not the number counters, taken outside writes on
    purpose), to prove a refused or failed operation left everything as it was."""
    db = api.app.state.services.db.db
    return {
        name: [doc async for doc in db[name].find({}).sort("_id", 1)]
        for name in ("sows", "csas", "versions", "events", "agents", "clients")
    }

"""Building SOWs through GraphQL for tests: valid terms and a walk along the status machine."""

from __future__ import annotations

from typing import Any

from domain.party import Role
from tests.conftest import Api, Client
from tests.terms import SOW_TERMS

SOW_FIELDS = "id number status version client { id } terms { title goLiveDate endDate }"

CREATE = f"""
mutation($t: SowTermsInput!, $c: ID) {{ createSow(terms: $t, clientId: $c) {{ {SOW_FIELDS} }} }}
"""


def transition(name: str, *arguments: str) -> str:
    """A status mutation `name(id, expectedVersion, ...)` returning the SOW's fields."""
    declared = "".join(f", ${a}: String!" for a in arguments)
    passed = "".join(f", {a}: ${a}" for a in arguments)
    return (
        f"mutation($id: ID!, $v: Int!{declared}) "
        f"{{ {name}(id: $id, expectedVersion: $v{passed}) {{ {SOW_FIELDS} }} }}"
    )


async def create_client(api: Api, name: str = "Acme") -> str:
    data = await api.ok(
        "mutation($n: String!) { createClient(name: $n) { id } }",
        {"n": name},
        token=api.token(Role.COMPLIANCE),
    )
    client_id: str = data["createClient"]["id"]
    return client_id


async def create_sow(api: Client, client_id: str, **changes: Any) -> dict[str, Any]:
    """A DRAFT SOW of `client_id`, created by the client, with `changes` to the terms."""
    data = await api.ok(
        CREATE,
        {"t": {**SOW_TERMS, **changes}},
        token=api.token(Role.CLIENT, client_id=client_id),
    )
    sow: dict[str, Any] = data["createSow"]
    return sow


async def signed_sow(api: Api, client_id: str, **changes: Any) -> dict[str, Any]:
    """A SIGNED SOW: created and submitted by the client, reviewed and signed by compliance."""
    sow = await create_sow(api, client_id, **changes)
    client = api.token(Role.CLIENT, client_id=client_id)
    staff = api.token(Role.COMPLIANCE)
    for name, token in (("submitSow", client), ("startSowReview", staff), ("signSow", staff)):
        data = await api.ok(transition(name), {"id": sow["id"], "v": sow["version"]}, token=token)
        sow = data[name]
    return sow

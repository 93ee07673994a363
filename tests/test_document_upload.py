"""uploadAgentDocument over the GraphQL multipart request spec: recognised by content, named
safely, size-limited while reading, and nothing stored when refused."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.settings import Settings
from domain.party import Role
from tests.conftest import Api, Clock, configured, serve
from tests.csa_helpers import agent_token, create_agent, staff
from tests.upload_helpers import NOTHING, PDF, PNG, post_file, stored

UPLOAD = """
mutation($a: ID!, $t: String!, $f: Upload!) {
  uploadAgentDocument(agentId: $a, title: $t, file: $f) {
    id kind title fileName contentType size sha256 url
  }
}
"""
LIMIT = 300 * 1024


@pytest.fixture
async def api(settings: Settings, clock: Clock) -> AsyncIterator[Api]:
    async with serve(configured(settings, max_upload_bytes=LIMIT), clock) as running:
        yield running


async def upload(
    api: Api,
    agent_id: str,
    data: bytes,
    name: str = "scan.pdf",
    declared: str = "application/pdf",
    token: str | None = None,
) -> tuple[int, dict[str, Any]]:
    variables = {"a": agent_id, "t": " ID  card "}
    return await post_file(api, UPLOAD, variables, data, token or staff(api), name, declared)


async def test_a_pdf_goes_into_the_agent_folder_under_a_safe_name(api: Api) -> None:
    agent_id = await create_agent(api)
    status, body = await upload(
        api, agent_id, PDF, name="../../Ünïcode évil;.pdf", declared="image/png"
    )
    assert status == 200, body
    document = body["data"]["uploadAgentDocument"]
    assert document["kind"] == "ADMINISTRATIVE"
    assert document["title"] == "ID card"
    # Recognised from the bytes; the declared image/png is not believed.
    assert document["contentType"] == "application/pdf"
    assert document["fileName"] == "Unicode_evil.pdf"
    assert (document["size"], document["sha256"]) == (len(PDF), hashlib.sha256(PDF).hexdigest())

    folder = await api.ok("{ agentFolder { id title } }", token=agent_token(api, agent_id))
    assert folder["agentFolder"] == [{"id": document["id"], "title": "ID card"}]
    got = await api.http.get(
        document["url"], headers={"Authorization": f"Bearer {agent_token(api, agent_id)}"}
    )
    assert got.content == PDF
    match = await api.ok(
        "query($h: String!) { verifyDocument(sha256: $h) { entityType version document { id } } }",
        {"h": document["sha256"]},
        token=staff(api),
    )
    assert match["verifyDocument"] == {
        "entityType": None,
        "version": None,
        "document": {"id": document["id"]},
    }


async def test_a_file_larger_than_a_chunk_streams_back_whole(api: Api) -> None:
    agent_id = await create_agent(api)
    data = PNG + bytes(range(256)) * 1100  # over one 255 KiB GridFS chunk
    status, body = await upload(api, agent_id, data, name="photo.png")
    assert status == 200, body
    document = body["data"]["uploadAgentDocument"]
    assert document["fileName"] == "photo.png"
    assert (await stored(api))["documentFiles.chunks"] == 2
    got = await api.http.get(document["url"], headers={"Authorization": f"Bearer {staff(api)}"})
    assert hashlib.sha256(got.content).hexdigest() == document["sha256"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html><script>alert(1)</script>", "not a PDF, PNG or JPEG"),
        (b"", "empty"),
        (PDF + b"x" * LIMIT, "over"),
    ],
)
async def test_a_refused_upload_stores_nothing(api: Api, data: bytes, reason: str) -> None:
    agent_id = await create_agent(api)
    status, body = await upload(api, agent_id, data)
    assert status == 200
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert reason in error["message"]
    assert await stored(api) == NOTHING


async def test_a_body_far_over_the_limit_is_refused_as_it_arrives(api: Api) -> None:
    agent_id = await create_agent(api)
    status, body = await upload(api, agent_id, PDF + b"x" * (LIMIT + 100 * 1024))
    assert status == 413
    assert body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert await stored(api) == NOTHING


async def test_only_compliance_uploads_and_only_to_an_agent(api: Api) -> None:
    agent_id = await create_agent(api)
    _, body = await upload(api, agent_id, PDF, token=agent_token(api, agent_id))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    client = api.token(Role.CLIENT, client_id="65f0000000000000000000c1")
    _, body = await upload(api, agent_id, PDF, token=client)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, body = await upload(api, "65f0000000000000000000a9", PDF)
    assert body["errors"][0]["extensions"]["field"] == "agentId"
    assert await stored(api) == NOTHING

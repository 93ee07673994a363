"""Evidence of a SOW's deliveries: compliance uploads it (multipart, checked like an agent's
document), fulfils an occurrence with it, and the SOW's client, only, sees and downloads it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from domain.party import Role
from tests.conftest import Api, Clock
from tests.test_obligations import FULFIL, REQUEST, active_sow, client, staff
from tests.upload_helpers import NOTHING, PDF, PNG, post_file, stored

UPLOAD = """
mutation($s: ID!, $t: String!, $f: Upload!) {
  uploadSowEvidence(sowId: $s, title: $t, file: $f) {
    id kind title fileName contentType size sha256 url
  }
}
"""
DOCUMENTS = "query($id: ID!) { sow(id: $id) { documents { id kind title } } }"
OCCURRENCE_EVIDENCE = """
query($id: ID!) { sow(id: $id) { occurrences { edges { node { evidence { id url } } } } } }
"""


async def upload(
    api: Api, sow_id: str, data: bytes = PDF, token: str | None = None, name: str = "calls.pdf"
) -> tuple[int, dict[str, Any]]:
    variables = {"s": sow_id, "t": "Recordings of 2 September"}
    return await post_file(api, UPLOAD, variables, data, token or staff(api), name)


async def evidence(api: Api, sow_id: str, data: bytes = PDF, name: str = "calls.pdf") -> Any:
    status, body = await upload(api, sow_id, data, name=name)
    assert status == 200, body
    assert not body.get("errors"), body
    return body["data"]["uploadSowEvidence"]


async def download(api: Api, url: str, token: str) -> tuple[int, bytes]:
    got = await api.http.get(url, headers={"Authorization": f"Bearer {token}"})
    return got.status_code, got.content


async def test_compliance_fulfils_with_uploaded_evidence_its_client_alone_downloads(
    api: Api, clock: Clock
) -> None:
    client_id, sow = await active_sow(api, clock)
    other_id, _ = await active_sow(api, clock)
    document = await evidence(api, sow["id"])
    assert document | {"id": None, "url": None} == {
        "id": None,
        "kind": "EVIDENCE",
        "title": "Recordings of 2 September",
        "fileName": "calls.pdf",
        "contentType": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "url": None,
    }
    # Any number of them per SOW: evidence is not one per version, as a copy is.
    second = await evidence(api, sow["id"], PNG, name="screen.png")

    listed = await api.ok(DOCUMENTS, {"id": sow["id"]}, token=client(api, client_id))
    assert listed["sow"]["documents"] == [
        {"id": second["id"], "kind": "EVIDENCE", "title": "Recordings of 2 September"},
        {"id": document["id"], "kind": "EVIDENCE", "title": "Recordings of 2 September"},
    ]

    clock.now = datetime(2026, 9, 4, 23, tzinfo=UTC)
    asked = {"s": sow["id"], "k": "recordings"}
    found = (await api.ok(REQUEST, asked, token=client(api, client_id)))["requestObligation"]
    fulfil = {"id": found["id"], "n": "Sent 14 files", "e": document["id"]}
    done = (await api.ok(FULFIL, fulfil, token=staff(api)))["fulfilObligation"]
    assert (done["status"], done["evidence"]) == (
        "FULFILLED",
        {"id": document["id"], "kind": "EVIDENCE"},
    )
    seen = await api.ok(
        OCCURRENCE_EVIDENCE,
        {"id": sow["id"]},
        token=client(api, client_id),
    )
    (edge,) = seen["sow"]["occurrences"]["edges"]
    assert edge["node"]["evidence"] == {"id": document["id"], "url": document["url"]}

    assert await download(api, document["url"], client(api, client_id)) == (200, PDF)
    assert await download(api, document["url"], staff(api)) == (200, PDF)
    # Another client's, an agent's: as if it did not exist.
    assert (await download(api, document["url"], client(api, other_id)))[0] == 404
    agent = api.token(Role.AGENT, agent_id="65f0000000000000000000a1")
    assert (await download(api, document["url"], agent))[0] == 404
    hidden = await api.ok(
        "query($h: String!) { verifyDocument(sha256: $h) { entityId } }",
        {"h": document["sha256"]},
        token=client(api, other_id),
    )
    assert hidden["verifyDocument"] is None
    match = await api.ok(
        "query($h: String!) { verifyDocument(sha256: $h) { entityType entityId version } }",
        {"h": document["sha256"]},
        token=client(api, client_id),
    )
    assert match["verifyDocument"] == {"entityType": "SOW", "entityId": sow["id"], "version": None}


async def test_only_compliance_uploads_evidence_and_a_refused_file_stores_nothing(
    api: Api, clock: Clock
) -> None:
    client_id, sow = await active_sow(api, clock)
    agent = api.token(Role.AGENT, agent_id="65f0000000000000000000a1")
    for token in (agent, client(api, client_id)):
        status, body = await upload(api, sow["id"], token=token)
        assert status == 200
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, body = await upload(api, sow["id"], b"<html><script>alert(1)</script>")
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
    _, body = await upload(api, "65f0000000000000000000f9")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    refused = await api.error(UPLOAD, {"s": sow["id"], "t": "x", "f": "text"}, staff(api))
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
    assert await stored(api) == NOTHING


async def test_evidence_of_another_sow_is_refused(api: Api, clock: Clock) -> None:
    client_id, sow = await active_sow(api, clock)
    _, other = await active_sow(api, clock)
    foreign = await evidence(api, other["id"])
    asked = {"s": sow["id"], "k": "recordings"}
    found = (await api.ok(REQUEST, asked, token=client(api, client_id)))["requestObligation"]
    refused = await api.error(FULFIL, {"id": found["id"], "e": foreign["id"]}, staff(api))
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "field": "evidenceDocumentId"}

"""Signed copies end to end: queued with the signature, rendered and stored in GridFS,
listed on the SOW, the CSA and the agent folder, downloaded within scope, verified by their
SHA-256, and e-mailed through the outbox (`.eml` files, or a real SMTP server)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from bson import ObjectId

from domain.party import Role
from scheduler import delivery
from scheduler.mail import FolderMailer, SmtpMailer
from tests.conftest import Api
from tests.csa_helpers import agent_token, create_agent, executed, produce, setup, staff
from tests.delivery_helpers import (
    Login,
    Received,
    SmtpServer,
    deliver,
    smtp_server,
    tls_smtp_server,
)
from tests.ids import oid, raw
from tests.processes import api_process, contracts_command
from tests.sow_helpers import create_sow, signed_sow, transition

DOCUMENT = "id kind title fileName contentType size sha256 createdAt url"
CSA = f"""
query($id: ID!) {{ csa(id: $id) {{
  status documents {{ {DOCUMENT} }}
  events(first: 50) {{ edges {{ node {{ type recipient version }} }} }}
}} }}
"""
SOW = f"""
query($id: ID!) {{ sow(id: $id) {{
  status documents {{ {DOCUMENT} }}
  events(first: 50) {{ edges {{ node {{ type recipient }} }} }}
}} }}
"""
VERIFY = """
query($h: String!) { verifyDocument(sha256: $h) {
  entityType entityId version document { id kind sha256 }
} }
"""
FOLDER = f"query($a: ID) {{ agentFolder(agentId: $a) {{ {DOCUMENT} }} }}"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from smtp_server()


def written(folder: Path) -> list[Received]:
    """The messages the `.eml` mailer wrote."""
    found = []
    for path in folder.glob("*.eml"):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(mail, EmailMessage)
        found.append(Received([str(mail["To"])], mail))
    return found


def delivered(found: dict[str, Any]) -> list[str]:
    return [
        edge["node"]["recipient"]
        for edge in found["events"]["edges"]
        if edge["node"]["type"] == "FINAL_COPY_DELIVERED"
    ]


async def executed_csa(api: Api) -> tuple[dict[str, Any], str]:
    _, sow, (agent_id,) = await setup(api)
    (csa,) = await produce(api, sow["id"], [agent_id])
    return await executed(api, csa), agent_id


async def csa_details(api: Api, csa_id: str) -> dict[str, Any]:
    data = await api.ok(CSA, {"id": csa_id}, token=staff(api))
    found: dict[str, Any] = data["csa"]
    return found


async def test_an_executed_csa_gets_its_copy_and_each_party_a_mail(
    api: Api, tmp_path: Path
) -> None:
    csa, agent_id = await executed_csa(api)
    before = await csa_details(api, csa["id"])
    # Nothing is claimed before it is sent; the copy is not there yet either.
    assert (before["status"], before["documents"], delivered(before)) == ("EXECUTED", [], [])

    # The CSA's render and two sends, and the same for the SOW signed by `setup`.
    assert await deliver(api, FolderMailer(tmp_path)) == 6
    after = await csa_details(api, csa["id"])
    (copy,) = after["documents"]
    assert copy["kind"] == "CSA_EXECUTED_COPY"
    assert copy["fileName"] == f"{csa['number']}-v1-executed.pdf"
    assert copy["contentType"] == "application/pdf"
    assert copy["url"] == f"/documents/{copy['id']}"
    assert sorted(delivered(after)) == ["AGENT", "OPERATOR"]

    recipients = set()
    for mail in written(tmp_path):
        if mail.attachment()[0] == copy["fileName"]:
            recipients.add(str(mail.message["To"]))
            assert mail.attachment_sha256() == copy["sha256"]
    agent = await api.ok(
        "query($id: ID!) { csa(id: $id) { agent { email } } }",
        {"id": csa["id"]},
        token=staff(api),
    )
    assert recipients == {agent["csa"]["agent"]["email"], delivery_compliance()}

    # A second pass finds nothing to do: each copy and mail once.
    assert await deliver(api, FolderMailer(tmp_path)) == 0
    assert len(delivered(await csa_details(api, csa["id"]))) == 2

    mine = await api.ok(FOLDER, {}, token=agent_token(api, agent_id))
    assert [d["id"] for d in mine["agentFolder"]] == [copy["id"]]


def delivery_compliance() -> str:
    from tests.delivery_helpers import OPTIONS

    return OPTIONS.compliance_email


async def test_the_copy_downloads_within_scope_only(api: Api, tmp_path: Path) -> None:
    csa, agent_id = await executed_csa(api)
    await deliver(api, FolderMailer(tmp_path))
    (copy,) = (await csa_details(api, csa["id"]))["documents"]
    url = copy["url"]

    own = await api.http.get(url, headers=bearer(agent_token(api, agent_id)))
    assert own.status_code == 200
    assert hashlib.sha256(own.content).hexdigest() == copy["sha256"]
    assert own.headers["etag"] == f'"{copy["sha256"]}"'
    assert own.headers["content-type"] == "application/pdf"
    assert own.headers["content-disposition"].startswith(
        f'attachment; filename="{copy["fileName"]}"'
    )
    assert int(own.headers["content-length"]) == copy["size"] == len(own.content)

    again = await api.http.get(
        url, headers={**bearer(staff(api)), "If-None-Match": f'W/"{copy["sha256"]}"'}
    )
    assert (again.status_code, again.content) == (304, b"")

    other = await create_agent(api, "Other")
    client_id = (await setup(api, agents=0, client="Else"))[0]
    for token in (agent_token(api, other), api.token(Role.CLIENT, client_id=client_id)):
        refused = await api.http.get(url, headers=bearer(token))
        assert refused.status_code == 404, refused.text
    assert (
        await api.http.get(f"/documents/{ObjectId()}", headers=bearer(staff(api)))
    ).status_code == 404
    assert (
        await api.http.get("/documents/not-an-id", headers=bearer(staff(api)))
    ).status_code == 404
    assert (await api.http.get(url)).status_code == 401


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_verify_names_the_signed_version_in_scope_only(api: Api, tmp_path: Path) -> None:
    csa, agent_id = await executed_csa(api)
    await deliver(api, FolderMailer(tmp_path))
    (copy,) = (await csa_details(api, csa["id"]))["documents"]

    found = await api.ok(VERIFY, {"h": copy["sha256"].upper()}, token=agent_token(api, agent_id))
    assert found["verifyDocument"] == {
        "entityType": "CSA",
        "entityId": csa["id"],
        "version": 1,
        "document": {"id": copy["id"], "kind": "CSA_EXECUTED_COPY", "sha256": copy["sha256"]},
    }
    stranger = await create_agent(api, "Stranger")
    for token in (agent_token(api, stranger), staff(api)):
        answer = await api.ok(VERIFY, {"h": "0" * 64}, token=token)
        assert answer["verifyDocument"] is None
    hidden = await api.ok(VERIFY, {"h": copy["sha256"]}, token=agent_token(api, stranger))
    assert hidden["verifyDocument"] is None
    error = await api.error(VERIFY, {"h": "abc"}, token=staff(api))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_signed_sow_mails_its_client_and_compliance_over_smtp(
    api: Api, smtp: SmtpServer
) -> None:
    data = await api.ok(
        'mutation { createClient(name: "Acme", notificationEmail: "Ops@Acme.example") '
        "{ id notificationEmail } }",
        token=staff(api),
    )
    client = data["createClient"]
    assert client["notificationEmail"] == "ops@acme.example"
    sow = await signed_sow(api, client["id"])

    assert await deliver(api, SmtpMailer(smtp.url)) == 3
    found = (
        await api.ok(SOW, {"id": sow["id"]}, token=api.token(Role.CLIENT, client_id=client["id"]))
    )["sow"]
    (copy,) = found["documents"]
    assert copy["kind"] == "SOW_SIGNED_COPY"
    assert sorted(delivered(found)) == ["CLIENT", "OPERATOR"]
    received = {tuple(mail.recipients): mail for mail in smtp.inbox.received}
    assert set(received) == {("ops@acme.example",), ("compliance@operator.example",)}
    for mail in received.values():
        assert mail.attachment() == (copy["fileName"], mail.attachment()[1])
        assert mail.attachment_sha256() == copy["sha256"]
        assert copy["sha256"] in str(mail.message.get_body(("plain",)))


async def test_a_client_without_a_notification_address_gets_no_mail(
    api: Api, tmp_path: Path
) -> None:
    client_id = (await setup(api, agents=0))[0]
    sow = (
        await api.ok(
            "query($c: ID!) { sows(filter: {clientId: $c}) { edges { node { id } } } }",
            {"c": client_id},
            token=staff(api),
        )
    )["sows"]["edges"][0]["node"]
    await deliver(api, FolderMailer(tmp_path))
    found = (await api.ok(SOW, {"id": sow["id"]}, token=staff(api)))["sow"]
    assert delivered(found) == ["OPERATOR"]
    assert len(found["documents"]) == 1
    states = await api.app.state.services.store.outbox.states(raw(sow["id"]))
    assert sorted(states) == [
        ("RENDER", None, "DONE"),
        ("SEND", "CLIENT", "SKIPPED"),
        ("SEND", "OPERATOR", "DONE"),
    ]


async def test_a_failed_rendering_keeps_the_signature_and_is_tried_again(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    csa, _ = await executed_csa(api)

    def broken(_: object) -> bytes:
        raise RuntimeError("renderer down")

    monkeypatch.setattr(delivery, "render", broken)
    await deliver(api, FolderMailer(tmp_path))
    stored = await api.app.state.services.db.db.outbox.find_one(
        {"entityId": oid(csa["id"]), "kind": "RENDER"}
    )
    assert stored is not None
    assert (stored["state"], stored["attempts"]) == ("PENDING", 1)
    assert "renderer down" in stored["lastError"]
    found = await csa_details(api, csa["id"])
    assert (found["status"], found["documents"], delivered(found)) == ("EXECUTED", [], [])

    monkeypatch.undo()
    assert await deliver(api, FolderMailer(tmp_path)) == 0  # not due yet: backing off
    clock.advance(minutes=2)
    # Both renders (the CSA's, its SOW's) and their four sends.
    assert await deliver(api, FolderMailer(tmp_path)) == 6
    found = await csa_details(api, csa["id"])
    assert len(found["documents"]) == 1
    assert sorted(delivered(found)) == ["AGENT", "OPERATOR"]


async def test_an_unreachable_smtp_server_is_retried_until_the_limit(api: Api, clock: Any) -> None:
    csa, _ = await executed_csa(api)
    nowhere = SmtpMailer("smtp://127.0.0.1:9?starttls=off", timeout=2)
    await deliver(api, nowhere)
    for _ in range(4):
        clock.advance(hours=2)
        await deliver(api, nowhere)
    states = await api.app.state.services.store.outbox.states(raw(csa["id"]))
    assert sorted(states) == [
        ("RENDER", None, "DONE"),
        ("SEND", "AGENT", "FAILED"),
        ("SEND", "OPERATOR", "FAILED"),
    ]
    assert delivered(await csa_details(api, csa["id"])) == []


async def test_two_senders_at_once_send_each_copy_once(api: Api, smtp: SmtpServer) -> None:
    _, sow, agent_ids = await setup(api, agents=3)
    for csa in await produce(api, sow["id"], agent_ids):
        await executed(api, csa)
    mailer = SmtpMailer(smtp.url)
    worked = await asyncio.gather(
        deliver(api, mailer, owner="process-a"), deliver(api, mailer, owner="process-b")
    )
    # The SOW's copy (render + client skipped + compliance) and three CSAs' (render + 2).
    assert sum(worked) == 3 + 3 * 3
    ids = [mail.message["Message-ID"] for mail in smtp.inbox.received]
    assert len(ids) == len(set(ids)) == 1 + 3 * 2


async def test_a_rejected_sow_draft_queues_nothing(api: Api) -> None:
    client_id = (await setup(api, agents=0))[0]
    draft = await create_sow(api, client_id)
    await api.ok(
        transition("submitSow"),
        {"id": draft["id"], "v": 1},
        token=api.token(Role.CLIENT, client_id=client_id),
    )
    assert await api.app.state.services.store.outbox.states(raw(draft["id"])) == []


async def test_the_verify_command_names_the_copy_of_a_file(api: Api, tmp_path: Path) -> None:
    csa, agent_id = await executed_csa(api)
    await deliver(api, FolderMailer(tmp_path / "mail"))
    (copy,) = (await csa_details(api, csa["id"]))["documents"]
    got = await api.http.get(copy["url"], headers=bearer(agent_token(api, agent_id)))
    pdf = tmp_path / "copy.pdf"
    await asyncio.to_thread(pdf.write_bytes, got.content)

    found = await asyncio.to_thread(
        contracts_command, api.settings, "documents", "verify", str(pdf)
    )
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == {
        "sha256": copy["sha256"],
        "document": {
            "id": copy["id"],
            "kind": "CSA_EXECUTED_COPY",
            "title": copy["title"],
            "fileName": copy["fileName"],
            "createdAt": json.loads(found.stdout)["document"]["createdAt"],
        },
        "entityType": "CSA",
        "entityId": csa["id"],
        "version": 1,
    }
    await asyncio.to_thread(pdf.write_bytes, got.content + b"\n")
    tampered = await asyncio.to_thread(
        contracts_command, api.settings, "documents", "verify", str(pdf)
    )
    assert tampered.returncode == 1
    assert "not a document this service issued" in tampered.stderr


async def test_two_service_processes_send_each_copy_exactly_once(
    api: Api, smtp: SmtpServer
) -> None:
    """Real OS processes, each with its background sender, over one outbox and one SMTP
    server: every message arrives once, and each delivery is recorded once."""
    _, sow, agent_ids = await setup(api, agents=4)
    csas = [await executed(api, csa) for csa in await produce(api, sow["id"], agent_ids)]
    environment = {
        "DELIVERY_ENABLED": "true",
        "DELIVERY_INTERVAL_SECONDS": "0.05",
        "SMTP_URL": smtp.url,
        "COMPLIANCE_EMAIL": "compliance@operator.example",
    }
    outbox = api.app.state.services.db.db.outbox
    async with api_process(api.settings, environment), api_process(api.settings, environment):
        async with asyncio.timeout(60):
            while True:
                left = await outbox.count_documents({"state": {"$in": ["PENDING", "CLAIMED"]}})
                if not left:
                    break
                await asyncio.sleep(0.1)
    ids = [str(mail.message["Message-ID"]) for mail in smtp.inbox.received]
    # The SOW's copy to compliance (its client has no address) and each CSA's to two.
    assert len(ids) == len(set(ids)) == 1 + 2 * len(csas)
    for csa in csas:
        found = await csa_details(api, csa["id"])
        assert sorted(delivered(found)) == ["AGENT", "OPERATOR"]
        (copy,) = found["documents"]
        sent = [m for m in smtp.inbox.received if m.attachment()[0] == copy["fileName"]]
        assert [m.attachment_sha256() for m in sent] == [copy["sha256"]] * 2


async def test_smtp_uses_starttls_and_the_credentials_of_its_url(
    api: Api, tmp_path: Path, clock: Any
) -> None:
    login = Login("mailer", "p@ss:w/rd")
    for server, ca in tls_smtp_server(tmp_path, login):
        await executed_csa(api)
        # Percent-encoded in the URL, as any user or password with @ : / must be.
        credentials = "mailer:" + quote(login.password, safe="")
        url = f"smtp://{credentials}@127.0.0.1:{server.port}?cafile={ca}"
        await deliver(api, SmtpMailer(url, timeout=10))
        assert len(server.inbox.received) == 1 + 2  # the SOW's copy to compliance, the CSA's
        # Without STARTTLS (or with a wrong password) the server takes nothing.
        await executed_csa(api)
        for wrong in (
            f"smtp://{credentials}@127.0.0.1:{server.port}?starttls=off",
            f"smtp://mailer:wrong@127.0.0.1:{server.port}?cafile={ca}",
        ):
            clock.advance(hours=2)
            # A refused login is answered late (aiosmtpd slows guessing down): timed out.
            await deliver(api, SmtpMailer(wrong, timeout=1))
        assert len(server.inbox.received) == 3
        unsent = await api.app.state.services.db.db.outbox.count_documents(
            {"kind": "SEND", "state": "PENDING"}
        )
        assert unsent == 3

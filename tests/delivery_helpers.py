"""Working the outbox in tests: the sender of `scheduler.delivery` run on demand, and a real
SMTP server (aiosmtpd) in this process that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import hashlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from scheduler import delivery
from scheduler.mail import Mailer
from tests.conftest import Api

OPTIONS = delivery.Options(
    mail_from="contracts@operator.example",
    compliance_email="compliance@operator.example",
    retry_seconds=60,
    max_attempts=3,
)


async def deliver(api: Api, mailer: Mailer, owner: str = "test-sender") -> int:
    """One pass of the sender at the app's clock; how many tasks it worked."""
    services = api.app.state.services
    return await delivery.work_once(services.store, mailer, services.now(), OPTIONS, owner)


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    def attachment(self) -> tuple[str, bytes]:
        """The one attachment: its file name and bytes."""
        (part,) = list(self.message.iter_attachments())
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        return str(part.get_filename()), data

    def attachment_sha256(self) -> str:
        return hashlib.sha256(self.attachment()[1]).hexdigest()


@dataclass
class Inbox:
    """aiosmtpd's handler: every message accepted, kept as it arrived."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int

    @property
    def url(self) -> str:
        # Loopback in clear: STARTTLS needs a certificate the test would have to trust.
        return f"smtp://127.0.0.1:{self.port}?starttls=off"


def smtp_server() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(inbox, port)
    finally:
        controller.stop()

"""Working the outbox in tests: the sender of `scheduler.delivery` run on demand, and a real
SMTP server (aiosmtpd) in this process that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import hashlib
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from scheduler import delivery
from scheduler.mail import Mailer
from tests.conftest import Api
from tests.processes import free_port

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


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own authority, and its key: (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    identifier = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(identifier, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(identifier),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Login:
    """aiosmtpd's authenticator: one user and password, as the SMTP URL carries them."""

    user: str
    password: str

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self.user.encode(),
            self.password.encode(),
        )
        return AuthResult(success=ok)


def tls_smtp_server(folder: Path, login: Login) -> Iterator[tuple[SmtpServer, Path]]:
    """A server that refuses mail before STARTTLS and before logging in; with the CA file a
    client must trust."""
    cert, key = self_signed(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=login,
        auth_required=True,
    )
    controller.start()
    try:
        yield SmtpServer(inbox, port), cert
    finally:
        controller.stop()

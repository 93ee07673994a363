"""Where e-mail goes: an SMTP server (`SMTP_URL`), or `.eml` files in the data folder.

`smtp://user:password@host:587` sends with STARTTLS, required: a server that does not offer
it is refused rather than sent the copy in clear. `smtps://…:465` uses TLS from the first
byte. `?starttls=off` sends in clear, for a server on loopback in development and tests;
`?cafile=/path/ca.pem` trusts a private certificate authority besides the system's.
Credentials come from the URL, percent-encoded.
"""

from __future__ import annotations

import asyncio
import os
import re
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

SMTP_TIMEOUT_SECONDS = 30.0
SCHEMES = {"smtp": 587, "smtps": 465}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    def __init__(self, url: str, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError("SMTP_URL must be smtp://[user:password@]host[:port] or smtps://")
        options = parse_qs(parts.query)
        self._hostname = parts.hostname
        self._port = parts.port or SCHEMES[parts.scheme]
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._implicit_tls = parts.scheme == "smtps"
        self._start_tls = not self._implicit_tls and options.get("starttls") != ["off"]
        self._cert_bundle = options["cafile"][0] if "cafile" in options else None
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self._hostname,
            port=self._port,
            username=self._username,
            password=self._password,
            use_tls=self._implicit_tls,
            start_tls=self._start_tls,
            cert_bundle=self._cert_bundle,
            timeout=self._timeout,
        )


class FolderMailer:
    """Each message as `<folder>/<Message-ID>.eml`: what the embedded default shows instead
    of sending. A message written again (same Message-ID) replaces itself."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        name = _UNSAFE.sub("_", str(message["Message-ID"]).strip("<>")) or "message"
        await asyncio.to_thread(self._write, self.folder / f"{name}.eml", message.as_bytes())

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a message.
        partial = path.with_suffix(".partial")
        partial.write_bytes(data)
        os.replace(partial, path)


def mailer_for(smtp_url: str | None, mail_folder: Path) -> Mailer:
    return SmtpMailer(smtp_url) if smtp_url else FolderMailer(mail_folder)


def message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    attachment: bytes,
    file_name: str,
    content_type: str,
    message_id: str,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id
    mail.set_content(body)
    maintype, _, subtype = content_type.partition("/")
    mail.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=file_name)
    return mail

"""Documents: signed copies of SOWs and CSAs, administrative files of an agent's folder,
evidence uploaded for a SOW's obligations, and the rules an uploaded file must pass
(recognised by its bytes, named safely, size-limited).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeIs

from domain.errors import BadUserInput
from domain.events import EntityType
from domain.versioning import SignatureParty

# What an upload may be when no setting says otherwise.
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_TITLE_LENGTH = 200
MAX_FILE_NAME_LENGTH = 120

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
# The bytes each accepted type starts with; the type a client declares is never trusted.
_MAGIC = ((PDF, b"%PDF-"), (PNG, b"\x89PNG\r\n\x1a\n"), (JPEG, b"\xff\xd8\xff"))
# How many leading bytes `recognise` needs.
MAGIC_BYTES = 8


class UploadedFile(Protocol):
    """What the multipart transport hands over for an `Upload` argument: a spooled file."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...

    async def seek(self, offset: int) -> None: ...


def is_uploaded_file(value: object) -> TypeIs[UploadedFile]:
    """A file part of a multipart request (not text sent where the file should be)."""
    return callable(getattr(value, "read", None)) and callable(getattr(value, "seek", None))


class DocumentKind(StrEnum):
    SOW_SIGNED_COPY = "SOW_SIGNED_COPY"
    CSA_EXECUTED_COPY = "CSA_EXECUTED_COPY"
    ADMINISTRATIVE = "ADMINISTRATIVE"
    EVIDENCE = "EVIDENCE"


@dataclass(frozen=True, slots=True)
class Document:
    """A stored file and what it is. `client_id` and `agent_id` are its scope keys: a SOW's
    copy and evidence are its client's, a CSA's copy and an administrative file an agent's."""

    id: str
    kind: DocumentKind
    title: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    # The signed SOW or CSA and the version a copy shows; for evidence its SOW and no
    # version (a copy is one per version, evidence any number); None for an agent's file.
    entity_type: EntityType | None = None
    entity_id: str | None = None
    version: int | None = None
    client_id: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class CopyDue:
    """A signed copy to render and send, decided with the status change that calls for it and
    written in the same transaction (the outbox): a failed rendering or sending later never
    undoes the signature."""

    kind: DocumentKind
    entity_type: EntityType
    entity_id: str
    version: int
    recipients: tuple[SignatureParty, ...]
    at: datetime


COPY_KINDS = {
    EntityType.SOW: DocumentKind.SOW_SIGNED_COPY,
    EntityType.CSA: DocumentKind.CSA_EXECUTED_COPY,
}


def copy_due(
    entity_type: EntityType,
    entity_id: str,
    version: int,
    at: datetime,
    *recipients: SignatureParty,
) -> CopyDue:
    return CopyDue(COPY_KINDS[entity_type], entity_type, entity_id, version, recipients, at)


def recognise(head: bytes) -> str | None:
    """The content type the first bytes of a file show (PDF, PNG, JPEG), or None."""
    for content_type, magic in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str | None, content_type: str, fallback: str = "document") -> str:
    """A file name any file system and any `Content-Disposition` take: ASCII letters, digits,
    `.`, `_` and `-`, no path, no leading dot, bounded, ending in the type's extension."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = _UNSAFE.sub("_", stem).strip("._-")
    extension = EXTENSIONS.get(content_type, "")
    stem = stem[: MAX_FILE_NAME_LENGTH - len(extension)] or fallback
    return stem + extension


def check_title(title: str) -> str:
    text = " ".join(title.split())
    if not 1 <= len(text) <= MAX_TITLE_LENGTH:
        raise BadUserInput(f"title: 1 to {MAX_TITLE_LENGTH} characters", field="title")
    return text


def check_upload(head: bytes, size: int, max_bytes: int) -> str:
    """The content type of an upload of `size` bytes starting with `head`, or the refusal."""
    if size > max_bytes:
        raise BadUserInput(f"file: over {max_bytes} bytes", field="file", maxBytes=max_bytes)
    if size == 0:
        raise BadUserInput("file: empty", field="file")
    content_type = recognise(head)
    if content_type is None:
        raise BadUserInput("file: not a PDF, PNG or JPEG file", field="file")
    return content_type


_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_sha256(value: str) -> str:
    digest = value.strip().lower()
    if not _SHA256.fullmatch(digest):
        raise BadUserInput("sha256: 64 hexadecimal digits", field="sha256")
    return digest

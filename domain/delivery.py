"""The outbox of signed copies: one task renders a copy, one task per recipient sends it.

Tasks are queued in the transaction of the status change (`Change.copies`) and worked by a
background sender in any process: a task is claimed for a lease, so one process at a time
works it; a failed one is tried again later, further apart each time, up to a limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.document import Document, DocumentKind
from domain.events import EntityType
from domain.versioning import SignatureParty

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_RETRY_SECONDS = 30.0
# The longest wait between two attempts, whatever the count.
MAX_RETRY_SECONDS = 3600.0


class TaskKind(StrEnum):
    RENDER = "RENDER"
    SEND = "SEND"


class TaskState(StrEnum):
    PENDING = "PENDING"
    CLAIMED = "CLAIMED"
    DONE = "DONE"
    # A send with no address to send to (a client without a notification address).
    SKIPPED = "SKIPPED"
    # Given up after the last attempt; the error stays on the task for an operator.
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of outbox work, as claimed. A copy's render task and its send tasks share
    `document_id`: the id the rendered copy is stored under, fixed when queued, so a render
    tried again replaces its own half-written file instead of adding another."""

    id: str
    kind: TaskKind
    document_id: str
    copy_kind: DocumentKind
    entity_type: EntityType
    entity_id: str
    version: int
    recipient: SignatureParty | None
    attempts: int


def retry_delay(attempts: int, first_seconds: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling from `first_seconds`."""
    seconds = first_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


def subject(document: Document) -> str:
    return document.title


def body(document: Document, recipient: SignatureParty) -> str:
    """The message text: what is attached and how to check it is the copy that was signed."""
    whose = {
        SignatureParty.AGENT: "your",
        SignatureParty.CLIENT: "your",
        SignatureParty.OPERATOR: "the operator's",
    }[recipient]
    return (
        f"Attached is {whose} copy of {document.title}.\n\n"
        f"File: {document.file_name}\n"
        f"SHA-256: {document.sha256}\n\n"
        "Anyone may check that a file is this copy: its SHA-256 must be the one above, and the "
        "contract service's verifyDocument query (or `contracts documents verify FILE`) names "
        "the agreement and version it belongs to.\n"
    )


def message_id(task: Task, domain: str) -> str:
    """The same for every attempt of a task: a receiver drops a message sent twice (the
    sender stopped between sending and recording it) as a duplicate."""
    return f"<copy-{task.document_id}-{task.recipient}-{task.id}@{domain}>"


def next_due(now: datetime, task: Task, first_seconds: float) -> datetime:
    return now + retry_delay(task.attempts, first_seconds)

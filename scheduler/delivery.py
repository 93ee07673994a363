"""The outbox's worker: renders signed copies and e-mails them, in every serving process.

Each task is claimed by one process at a time (`storage.outbox`). A render stores the PDF
and its record; a send mails the stored copy and records FINAL_COPY_DELIVERED in the same
transaction that marks it done, so the event says what really happened. A failure leaves
the status change as it was and the task is tried again later, further apart each time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import lifecycle
from domain.csa import Csa
from domain.delivery import (
    Task,
    TaskKind,
    TaskState,
    body,
    message_id,
    next_due,
    subject,
)
from domain.document import PDF, Document
from domain.events import EntityType, EventType
from domain.party import SYSTEM
from domain.scope import EVERYTHING
from domain.signed_copy import SignedCopy, csa_copy, render, sow_copy
from domain.sow import Sow
from domain.versioning import SignatureParty
from scheduler import mail
from scheduler.mail import Mailer
from storage.outbox import LostClaim
from storage.store import Store

log = logging.getLogger("contracts.delivery")


@dataclass(frozen=True, slots=True)
class Options:
    """The sender's settings (`api.lifespan.delivery_options`: their defaults are the
    settings')."""

    mail_from: str
    compliance_email: str
    retry_seconds: float
    max_attempts: int
    # Longer than a send can take (the SMTP timeout): a task is only taken over from a
    # process that stopped, never from one still sending.
    lease_seconds: float = 300.0


class Missing(Exception):
    """What a task needs is not there (yet)."""


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def work_once(
    store: Store, mailer: Mailer, now: datetime, options: Options, owner: str
) -> int:
    """Every task due at `now`, one after the other, until none is left; how many were
    worked (done, skipped, or put back for later)."""
    lease = timedelta(seconds=options.lease_seconds)
    worked = 0
    while (task := await store.outbox.claim(owner, now, lease)) is not None:
        worked += 1
        try:
            if task.kind is TaskKind.RENDER:
                await _render(store, task, now, owner)
            else:
                await _send(store, mailer, task, now, options, owner)
        except LostClaim:
            log.warning("outbox: task %s was taken over by another sender", task.id)
        except Exception as exc:
            await _failed(store, task, now, options, owner, exc)
    return worked


async def _failed(
    store: Store, task: Task, now: datetime, options: Options, owner: str, exc: Exception
) -> None:
    error = f"{type(exc).__name__}: {exc}"
    if task.attempts >= options.max_attempts:
        log.error(
            "outbox: %s %s gave up after %d attempts: %s", task.kind, task.id, task.attempts, error
        )
        await store.outbox.give_up(task, owner, now, error)
        return
    log.warning("outbox: %s %s failed (attempt %d): %s", task.kind, task.id, task.attempts, error)
    await store.outbox.release(task, owner, next_due(now, task, options.retry_seconds), error)


async def _sow(store: Store, id: str) -> Sow:
    found = await store.sows.get(id, EVERYTHING)
    if found is None:
        raise Missing(f"SOW {id}")
    return found


async def _csa(store: Store, id: str) -> Csa:
    found = await store.csas.get(id, EVERYTHING)
    if found is None:
        raise Missing(f"CSA {id}")
    return found


async def signed_copy(store: Store, entity_type: EntityType, id: str, number: int) -> SignedCopy:
    """What the copy of version `number` of a SOW or CSA shows, read from the database."""
    version = await store.versions.get(id, number)
    if version is None:
        raise Missing(f"{entity_type} {id} version {number}")
    if entity_type is EntityType.SOW:
        sow = await _sow(store, id)
        clients = await store.parties.clients([sow.client_id])
        if sow.client_id not in clients:
            raise Missing(f"client {sow.client_id}")
        return sow_copy(sow, version, clients[sow.client_id])
    csa = await _csa(store, id)
    agents = await store.parties.agents([csa.agent_id])
    if csa.agent_id not in agents:
        raise Missing(f"agent {csa.agent_id}")
    sow = await _sow(store, csa.sow_id)
    return csa_copy(csa, version, agents[csa.agent_id], sow.number)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _render(store: Store, task: Task, now: datetime, owner: str) -> None:
    if await store.documents.get(task.document_id, EVERYTHING) is not None:
        await store.outbox.finish(task, owner, now)
        return
    copy = await signed_copy(store, task.entity_type, task.entity_id, task.version)
    # A few pages of layout: off the event loop, which other requests share.
    data = await asyncio.to_thread(render, copy)
    entity = await (_sow if task.entity_type is EntityType.SOW else _csa)(store, task.entity_id)
    document = Document(
        id=task.document_id,
        kind=task.copy_kind,
        title=copy.title,
        file_name=copy.file_name,
        content_type=PDF,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=now,
        entity_type=task.entity_type,
        entity_id=task.entity_id,
        version=task.version,
        # A SOW's copy is its client's; a CSA's is its agent's, not the client's.
        client_id=entity.client_id if task.entity_type is EntityType.SOW else None,
        agent_id=entity.agent_id,
    )
    await store.documents.put_file(document.id, document.file_name, _one(data))
    await store.outbox.finish(task, owner, now, document=document)


async def _address(
    store: Store, entity: Sow | Csa, party: SignatureParty, options: Options
) -> str | None:
    if party is SignatureParty.OPERATOR:
        return options.compliance_email
    if party is SignatureParty.AGENT and entity.agent_id is not None:
        agents = await store.parties.agents([entity.agent_id])
        return agents[entity.agent_id].email if entity.agent_id in agents else None
    clients = await store.parties.clients([entity.client_id])
    client = clients.get(entity.client_id)
    return client.notification_email if client else None


async def _send(
    store: Store, mailer: Mailer, task: Task, now: datetime, options: Options, owner: str
) -> None:
    assert task.recipient is not None
    document = await store.documents.get(task.document_id, EVERYTHING)
    if document is None:
        # Not rendered yet: wait for the render without spending an attempt.
        due = now + timedelta(seconds=options.retry_seconds)
        await store.outbox.release(task, owner, due, "the copy is not rendered yet", counts=False)
        return
    entity = await (_sow if task.entity_type is EntityType.SOW else _csa)(store, task.entity_id)
    to = await _address(store, entity, task.recipient, options)
    if to is None:
        await store.outbox.finish(task, owner, now, TaskState.SKIPPED)
        return
    await mailer.send(
        mail.message(
            sender=options.mail_from,
            to=to,
            subject=subject(document),
            body=body(document, task.recipient),
            attachment=await store.documents.read(document),
            file_name=document.file_name,
            content_type=document.content_type,
            message_id=message_id(task, options.mail_from.rpartition("@")[2] or "localhost"),
        )
    )
    delivered = lifecycle.event(
        entity,
        EventType.FINAL_COPY_DELIVERED,
        SYSTEM,
        now,
        version=task.version,
        recipient=task.recipient.value,
    )
    await store.outbox.finish(task, owner, now, event=delivered)


async def deliver_periodically(
    store: Store,
    mailer: Mailer,
    clock: Callable[[], datetime],
    interval_seconds: float,
    options: Options,
) -> None:
    """A pass now, then one every `interval_seconds`, until cancelled (service shutdown);
    a failed pass is logged and the next one still happens."""
    owner = owner_name()
    while True:
        try:
            worked = await work_once(store, mailer, clock(), options, owner)
        except Exception:
            log.exception("outbox pass failed")
        else:
            if worked:
                log.info("outbox pass: %d tasks", worked)
        await asyncio.sleep(interval_seconds)

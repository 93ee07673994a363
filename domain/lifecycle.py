"""The steps every versioned document (SOW, CSA) takes: checks, events, transitions, versions.

Each document module keeps its own status machine (a `domain.machine` table) and policy;
what a step does to any document (who may act, which event it writes, how a new terms
version or signature is recorded) is decided here once.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, ClassVar, Protocol

from domain.access import authorize
from domain.changes import Change
from domain.commands import OnDocument
from domain.errors import BadUserInput
from domain.events import EntityType, EventType, NewEvent
from domain.machine import Transition
from domain.party import Actor, Viewer
from domain.values import Terms
from domain.versioning import Signature, TermsVersion, check_expected_version, party_of

MAX_REASON_LENGTH = 2000


class Document(Protocol):
    """A versioned document as the shared steps see it (a frozen dataclass)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]
    ENTITY_TYPE: ClassVar[EntityType]

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def latest_version(self) -> int: ...
    @property
    def revision(self) -> int: ...
    @property
    def terms_hash(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def signatures(self) -> tuple[Signature, ...]: ...


def admitted(document: Document, command: OnDocument[Any], viewer: Viewer) -> None:
    """What every command on an existing document passes first: the viewer's role may run
    it (`domain.access`), and it was decided on the version in force."""
    authorize(viewer, type(command))
    check_expected_version(command.expected_version, document.version)


def require_reason(reason: str, field: str = "reason") -> str:
    text = reason.strip()
    if not text or len(text) > MAX_REASON_LENGTH:
        raise BadUserInput(f"{field}: 1 to {MAX_REASON_LENGTH} characters", field=field)
    return text


def event(
    document: Document,
    type: EventType,
    actor: Actor,
    at: datetime,
    to_status: str | None = None,
    reason: str | None = None,
    version: int | None = None,
    recipient: str | None = None,
) -> NewEvent:
    """The event of a step from the document's current status (to `to_status`, if it moves)."""
    return NewEvent(
        type=type,
        entity_type=document.ENTITY_TYPE,
        entity_id=document.id,
        from_status=document.status,
        to_status=to_status or document.status,
        version=version or document.version,
        actor=actor,
        at=at,
        reason=reason,
        client_id=document.client_id,
        agent_id=document.agent_id,
        recipient=recipient,
    )


def created[D: Document](document: D, version: TermsVersion, actor: Actor) -> Change[D]:
    """The creation of `document` with its first terms version: CREATED, from no status."""
    first = dataclasses.replace(
        event(document, EventType.CREATED, actor, version.at), from_status=None
    )
    return Change(None, document, (version,), (first,))


def transition[D: Document](
    document: D,
    step: Transition[Any],
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    **fields: Any,
) -> Change[D]:
    """The status change of `step` (with any other `fields` replaced) and its one event."""
    after = dataclasses.replace(
        document, status=step.target, revision=document.revision + 1, updated_at=now, **fields
    )
    moved = event(document, step.event, actor, now, step.target, reason)
    return Change(document, after, (), (moved,))


def explained[D: Document](
    document: D, step: Transition[Any], viewer: Viewer, reason: str, now: datetime, **fields: Any
) -> Change[D]:
    """A transition the viewer must give a reason for; the event records it."""
    return transition(document, step, Actor.of(viewer), now, require_reason(reason), **fields)


def touch[D: Document](document: D) -> Change[D]:
    """`document` unchanged but for its revision, written with changes decided on it (CSAs
    produced or renewed under a SOW): a concurrent change of it (a termination cascading to
    its CSAs) then conflicts with them instead of missing them."""
    return Change(document, dataclasses.replace(document, revision=document.revision + 1))


def then[D: Document](first: Change[D], following: Change[D] | None) -> Change[D]:
    """`first`, then `following` decided on its result: one change with both steps' events."""
    if following is None:
        return first
    return Change(
        first.before,
        following.after,
        first.versions + following.versions,
        first.events + following.events,
        first.copies + following.copies,
    )


def revised[D: Document](
    document: D, terms: Terms, viewer: Viewer, change_summary: str | None, now: datetime
) -> Change[D]:
    """New terms in place: the next version number, effective at once, TERMS_UPDATED."""
    actor = Actor.of(viewer)
    version = TermsVersion.of(
        document.latest_version + 1, terms.canonical(), actor, now, change_summary
    )
    after = dataclasses.replace(
        document,
        terms=terms,
        terms_hash=version.hash,
        version=version.number,
        latest_version=version.number,
        revision=document.revision + 1,
        updated_at=now,
    )
    updated = event(document, EventType.TERMS_UPDATED, actor, now, version=version.number)
    return Change(document, after, (version,), (updated,))


def signed[D: Document](
    document: D, step: Transition[Any], viewer: Viewer, now: datetime
) -> Change[D]:
    """A transition that records the viewer's signature of the exact version in force."""
    actor = Actor.of(viewer)
    mark = Signature(party_of(viewer.role), actor, document.version, document.terms_hash, now)
    return transition(document, step, actor, now, signatures=(*document.signatures, mark))

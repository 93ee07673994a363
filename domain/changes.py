"""What a decision produces: new document states, with their versions and events."""

from __future__ import annotations

from dataclasses import dataclass

from domain.document import CopyDue
from domain.events import NewEvent
from domain.versioning import TermsVersion


@dataclass(frozen=True, slots=True)
class Change[T]:
    """`before` None creates `after`; otherwise `after` replaces `before` if unchanged since.

    `copies` are the signed copies the change calls for, queued in the same transaction."""

    before: T | None
    after: T
    versions: tuple[TermsVersion, ...] = ()
    events: tuple[NewEvent, ...] = ()
    copies: tuple[CopyDue, ...] = ()

"""One kind of scheduled work, and the sweep that applies it to every document due."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.changes import Change
from domain.policy import MIN_ANSWERED_FOR_RENEWAL, SLA_CLOSE_AFTER_DAYS
from storage.store import Store
from storage.writes import Revisioned

log = logging.getLogger("contracts.scheduler")


@dataclass(frozen=True, slots=True)
class Options:
    """Settings of a pass: the renewal notice period and the answered contacts a renewal
    recommendation needs (CSA job), the days after a month ends before its SLA period is
    closed (SLA job), and the documents read at a time, which bounds a pass's memory, not
    its work."""

    renewal_notice_days: int
    sla_close_after_days: int = SLA_CLOSE_AFTER_DAYS
    renewal_min_answered: int = MIN_ANSWERED_FOR_RENEWAL
    batch_size: int = 100


@dataclass
class Report:
    """What a pass did: documents examined, documents changed, events written by type."""

    checked: int = 0
    changed: int = 0
    errors: int = 0
    events: Counter[str] = field(default_factory=Counter)

    def add(self, change: Change[Any]) -> None:
        self.changed += 1
        self.events.update(f"{event.entity_type}:{event.type}" for event in change.events)

    def to_json(self) -> str:
        return json.dumps(
            {
                "checked": self.checked,
                "changed": self.changed,
                "errors": self.errors,
                "events": dict(sorted(self.events.items())),
            }
        )


@dataclass(frozen=True, slots=True)
class Job[T: Revisioned]:
    """Scheduled work on one kind of document.

    `due(store, now, options, after)`: the next batch (at most `options.batch_size`, in id
    order after the id `after`) of documents that may be due; it may over-select, since
    `decide` has the last word. `reload(store, id, now, options)`: the document as it is now.
    `decide(document, now, options)`: the pure domain decision, None when nothing is due. A
    document may come with what its decision needs besides (a period's records, an agent's
    performance): `T` is then that bundle, and the change is on the document inside it. A
    decision may also be several changes committed together (a SOW's recurring occurrences
    opened, with the SOW itself).
    """

    name: str
    due: Callable[[Store, datetime, Options, str | None], Awaitable[Sequence[T]]]
    reload: Callable[[Store, str, datetime, Options], Awaitable[T | None]]
    decide: Callable[[T, datetime, Options], Change[Any] | Sequence[Change[Any]] | None]


async def sweep[T: Revisioned](
    job: Job[T], store: Store, now: datetime, options: Options, report: Report
) -> None:
    """Apply `job` to every document due at `now`, batch by batch; one failure is logged
    and counted, and the others still go ahead."""
    after: str | None = None
    while True:
        batch = await job.due(store, now, options, after)
        for document in batch:
            report.checked += 1
            try:
                changes = await _settle(job, store, document, now, options)
            except Exception:
                report.errors += 1
                log.exception("scheduler: %s %s failed", job.name, document.id)
                continue
            for change in changes:
                report.add(change)
        if len(batch) < options.batch_size:
            return
        after = batch[-1].id


async def _settle[T: Revisioned](
    job: Job[T], store: Store, document: T, now: datetime, options: Options
) -> Sequence[Change[Any]]:
    """Decide on `document` and commit; after a lost race, decide again on a fresh read
    (the winner's write normally leaves nothing due)."""
    # The batch's copy serves the first attempt: no second read for the common case.
    first = [document]

    async def load() -> T | None:
        return first.pop() if first else await job.reload(store, document.id, now, options)

    def decide(current: T | None) -> list[Change[Any]]:
        decided = None if current is None else job.decide(current, now, options)
        if decided is None:
            return []
        return [decided] if isinstance(decided, Change) else list(decided)

    return await store.writer.read_decide_commit(load, decide)

"""The obligations jobs: open each recurring occurrence when its period ends (the SOW
ACTIVE; a SOW that left ACTIVE gets its last ones, then is closed), and mark each open
occurrence OVERDUE once its deadline has passed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain import occurrence as rules
from domain.changes import Change
from domain.occurrence import Occurrence, Schedule
from domain.scope import EVERYTHING
from domain.sow import Sow
from scheduler.job import Job, Options
from storage.store import Store


async def _schedule(store: Store, sow: Sow, now: datetime) -> Schedule:
    needed = rules.versions_needed(sow, now)
    versions = await store.sows.terms_of_versions([(sow.id, number) for number in needed])
    return Schedule(
        sow,
        await store.occurrences.opened_periods(sow.id),
        {number: terms for (_, number), terms in versions.items()},
        store.new_id,
    )


async def _due_sows(
    store: Store, now: datetime, options: Options, after: str | None
) -> Sequence[Schedule]:
    sows = await store.sows.with_recurring_obligations(after, options.batch_size)
    return [await _schedule(store, sow, now) for sow in sows]


async def _reload_sow(store: Store, id: str, now: datetime, options: Options) -> Schedule | None:
    sow = await store.sows.get(id, EVERYTHING)
    return None if sow is None else await _schedule(store, sow, now)


def _open(schedule: Schedule, now: datetime, options: Options) -> list[Change[Any]]:
    return rules.recurring_due(schedule, now)


OPENING: Job[Schedule] = Job("obligations", _due_sows, _reload_sow, _open)


async def _due_overdue(
    store: Store, now: datetime, options: Options, after: str | None
) -> Sequence[Occurrence]:
    return await store.occurrences.due_for_overdue(now, after, options.batch_size)


async def _reload(store: Store, id: str, now: datetime, options: Options) -> Occurrence | None:
    return await store.occurrences.get(id, EVERYTHING)


def _overdue(occurrence: Occurrence, now: datetime, options: Options) -> Change[Occurrence] | None:
    return rules.overdue(occurrence, now)


OVERDUE: Job[Occurrence] = Job("occurrences", _due_overdue, _reload, _overdue)

"""The SOW job: SIGNED -> ACTIVE on go-live, ACTIVE -> EXPIRED on the end date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain import sow as rules
from domain.changes import Change
from domain.schedule import latest_local_date
from domain.scope import EVERYTHING
from domain.sow import Sow
from scheduler.job import Job, Options
from storage.store import Store


async def _due(store: Store, now: datetime, options: Options, after: str | None) -> Sequence[Sow]:
    return await store.sows.due_for_schedule(latest_local_date(now), after, options.batch_size)


async def _reload(store: Store, id: str, now: datetime, options: Options) -> Sow | None:
    return await store.sows.get(id, EVERYTHING)


def _decide(sow: Sow, now: datetime, options: Options) -> Change[Sow] | None:
    return rules.scheduled(sow, now)


JOB: Job[Sow] = Job("sows", _due, _reload, _decide)

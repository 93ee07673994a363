"""The SLA job: close each period `sla_close_after_days` after it ends.

Only periods with a record are closed: those with interval rows (or a close begun by
hand). A month without any row has nothing to bill nor breach; compliance may still close
it with `closeSlaPeriod`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from domain import statement as rules
from domain.changes import Change
from domain.party import SYSTEM
from domain.statement import Closing, SlaPeriod
from scheduler.job import Job, Options
from storage.store import Store


def _closing_after(options: Options) -> timedelta:
    return timedelta(days=options.sla_close_after_days)


async def _due(
    store: Store, now: datetime, options: Options, after: str | None
) -> Sequence[Closing]:
    ids = await store.sla.due_for_close(now - _closing_after(options), after, options.batch_size)
    found = [await store.sla.closing(store.sows, id) for id in ids]
    return [closing for closing in found if closing is not None]


async def _reload(store: Store, id: str, now: datetime, options: Options) -> Closing | None:
    return await store.sla.closing(store.sows, id)


def _decide(closing: Closing, now: datetime, options: Options) -> Change[SlaPeriod] | None:
    record = closing.record
    if record.closed is not None or now < record.ends + _closing_after(options):
        return None
    return rules.close(closing, SYSTEM, now)


JOB: Job[Closing] = Job("sla", _due, _reload, _decide)

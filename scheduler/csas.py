"""The CSA job: EXECUTED -> ACTIVE on the effective date, ACTIVE -> EXPIRED on the
expiration date, and RENEWAL_DUE `renewal_notice_days` before it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from domain import csa as rules
from domain.changes import Change
from domain.csa import Csa
from domain.schedule import latest_local_date
from domain.scope import EVERYTHING
from scheduler.job import Job, Options
from storage.store import Store


async def _due(store: Store, now: datetime, options: Options, after: str | None) -> Sequence[Csa]:
    through = latest_local_date(now)
    notice_through = through + timedelta(days=options.renewal_notice_days)
    return await store.csas.due_for_schedule(through, notice_through, after, options.batch_size)


async def _reload(store: Store, id: str) -> Csa | None:
    return await store.csas.get(id, EVERYTHING)


def _decide(csa: Csa, now: datetime, options: Options) -> Change[Csa] | None:
    return rules.scheduled(csa, now, options.renewal_notice_days)


JOB: Job[Csa] = Job("csas", _due, _reload, _decide)

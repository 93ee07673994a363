"""One pass of the scheduler over every job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scheduler import csas, obligations, sla, sows
from scheduler.job import Job, Options, Report, sweep
from storage.store import Store

# Occurrences are opened before they are marked overdue: a SOW activated late has its past
# periods opened and, where their deadline has passed, marked in the same pass.
JOBS: tuple[Job[Any], ...] = (
    sows.JOB,
    csas.JOB,
    sla.JOB,
    obligations.OPENING,
    obligations.OVERDUE,
)
"""Every kind of scheduled work; a further one is one more `Job` here."""


async def run_once(store: Store, now: datetime, options: Options) -> Report:
    """Every transition and notice due at `now`, each written exactly once even when other
    processes run at the same moment; running it again at the same `now` changes nothing."""
    report = Report()
    for job in JOBS:
        await sweep(job, store, now, options, report)
    return report

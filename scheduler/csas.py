"""The CSA job: EXECUTED -> ACTIVE on the effective date, ACTIVE -> EXPIRED on the
expiration date, and RENEWAL_DUE `renewal_notice_days` before it, carrying the agent's
renewal recommendation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import csa as rules
from domain import sla
from domain.changes import Change
from domain.csa import Csa
from domain.events import EventType
from domain.schedule import latest_local_date
from domain.scope import EVERYTHING
from scheduler.job import Job, Options
from storage.sla import AgentRows
from storage.store import Store


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A CSA and, when its renewal notice is due, the advice the notice carries."""

    csa: Csa
    advice: str | None = None

    @property
    def id(self) -> str:
        return self.csa.id

    @property
    def revision(self) -> int:
        return self.csa.revision


def _gives_notice(csa: Csa, now: datetime, options: Options) -> bool:
    change = rules.scheduled(csa, now, options.renewal_notice_days)
    return change is not None and any(e.type is EventType.RENEWAL_DUE for e in change.events)


async def _advised(
    store: Store, csas: Sequence[Csa], now: datetime, options: Options
) -> list[Scheduled]:
    """Each CSA, with its agent's recommendation where a notice is due: their rows summed in
    one aggregation for the whole batch."""
    noticed = {csa.id: csa for csa in csas if _gives_notice(csa, now, options)}
    ranges = {
        id: AgentRows(c.sow_id, c.agent_id, *sla.agent_bounds(c, now)) for id, c in noticed.items()
    }
    sums = await store.sla.agent_sums(ranges.values()) if ranges else {}
    advised = []
    for csa in csas:
        if csa.id not in noticed:
            advised.append(Scheduled(csa))
            continue
        counts = sums.get(ranges[csa.id], sla.ZERO_COUNTS)
        found = sla.performance(csa, counts, now, options.renewal_min_answered)
        advice = sla.renewal_advice(found.recommendation, counts.answered, found.results)
        advised.append(Scheduled(csa, advice))
    return advised


async def _due(
    store: Store, now: datetime, options: Options, after: str | None
) -> Sequence[Scheduled]:
    through = latest_local_date(now)
    notice_through = through + timedelta(days=options.renewal_notice_days)
    batch = await store.csas.due_for_schedule(through, notice_through, after, options.batch_size)
    return await _advised(store, batch, now, options)


async def _reload(store: Store, id: str, now: datetime, options: Options) -> Scheduled | None:
    csa = await store.csas.get(id, EVERYTHING)
    return None if csa is None else (await _advised(store, [csa], now, options))[0]


def _decide(due: Scheduled, now: datetime, options: Options) -> Change[Csa] | None:
    return rules.scheduled(due.csa, now, options.renewal_notice_days, due.advice)


JOB: Job[Scheduled] = Job("csas", _due, _reload, _decide)

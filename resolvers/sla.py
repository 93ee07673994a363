"""Performance against the contract: record interval rows, read scorecards and statements,
close periods, an agent's performance. Storage reads, `domain.sla` and `domain.statement`
decide."""

from __future__ import annotations

from domain import ids
from domain import sla as rules
from domain import statement as statements
from domain.changes import Change
from domain.commands import CloseSlaPeriod, RecordSlaIntervals
from domain.csa import Csa
from domain.party import Actor, Viewer
from domain.scope import EVERYTHING
from domain.sla import AgentPerformance, Merge, Period, Scorecard
from domain.sow import Sow, SowTerms
from domain.statement import Closing, PeriodFigures, SlaPeriod
from resolvers.context import Context
from storage.sla import AgentRows


async def _sow(ctx: Context, sow_id: str) -> Sow:
    # Compliance only (its rule in domain.access): every SOW is in scope.
    found = await ctx.store.sows.get(sow_id, EVERYTHING)
    if found is None:
        raise ids.not_found("Sow", sow_id)
    return found


async def _versions(ctx: Context, sow: Sow, numbers: frozenset[int]) -> dict[int, SowTerms]:
    keys = [(sow.id, number) for number in sorted(numbers)]
    loaded = await ctx.loaders.sow_terms_version.load_many(keys)
    return {number: terms for (_, number), terms in zip(keys, loaded, strict=True) if terms}


async def record_intervals(ctx: Context, viewer: Viewer, command: RecordSlaIntervals) -> Merge:
    """A batch of rows of one SOW, all or nothing (`domain.sla.check_batch`), each row
    checked against the terms of its own period and the agents' CSAs under the SOW."""
    rules.check_batch_size(len(command.intervals))
    rows = [rules.row_of(item) for item in command.intervals]
    sow = await _sow(ctx, command.sow_id)
    versions = await _versions(ctx, sow, rules.versions_for(sow, rows))
    agents = rules.agents_of(rows)
    csas = await ctx.store.csas.of_sow_and_agents(sow.id, agents) if agents else []
    now = ctx.clock()
    checked = rules.check_batch(
        sow, rows, lambda period: rules.period_terms(sow, period, versions), csas, now
    )
    return await ctx.store.sla.record(sow, rows, checked, ctx.store.new_id)


async def figures(ctx: Context, sow: Sow, first: Period, last: Period) -> list[PeriodFigures]:
    """The figures of each period `first`..`last`: the SOW's period records and the terms
    versions they need, two reads shared by every SLA field of the request."""
    stored: list[SlaPeriod] = await ctx.loaders.sla_periods.load(sow.id) or []
    needed = statements.versions_needed(sow, stored, first, last)
    return statements.ledger(sow, stored, await _versions(ctx, sow, needed), first, last)


def _period(sow: Sow, text: str) -> Period:
    period = Period.parse(text)
    rules.check_period(sow, period)
    return period


async def scorecard(ctx: Context, sow: Sow, period: str) -> Scorecard:
    wanted = _period(sow, period)
    (found,) = await figures(ctx, sow, wanted, wanted)
    return found.scorecard


async def scorecards(
    ctx: Context, sow: Sow, first: str | None, last: str | None
) -> list[Scorecard]:
    """From `first` (default: the go-live month) to `last` (default: this month), within
    the SOW's term and never past this month: later periods have no data yet."""
    term_first, term_last = rules.sow_periods(sow.terms)
    current = Period.of(ctx.clock(), sow.terms.service_hours.time_zone)
    start = max(term_first, Period.parse(first, "from")) if first else term_first
    end = min(term_last, current, *([Period.parse(last, "to")] if last else []))
    if start > end:
        return []
    return [found.scorecard for found in await figures(ctx, sow, start, end)]


async def statement(ctx: Context, sow: Sow, period: str) -> PeriodFigures:
    wanted = _period(sow, period)
    (found,) = await figures(ctx, sow, wanted, wanted)
    return found


async def close_period(ctx: Context, viewer: Viewer, command: CloseSlaPeriod) -> PeriodFigures:
    """Freeze a period's statement with its events; CONFLICT when it is closed already."""
    sow = await _sow(ctx, command.sow_id)
    wanted = Period.parse(command.period)
    now = ctx.clock()
    statements.check_closable(sow, wanted, now)
    await ctx.store.sla.ensure_period(sow, wanted, ctx.store.new_id())
    record = await ctx.store.sla.period(sow.id, wanted)
    assert record is not None

    async def load() -> Closing:
        found = await ctx.store.sla.closing(ctx.store.sows, record.id)
        assert found is not None
        return found

    def decide(state: Closing) -> list[Change[SlaPeriod]]:
        return [statements.close(state, Actor.of(viewer), now)]

    changes = await ctx.store.writer.read_decide_commit(load, decide)
    closed: SlaPeriod = changes[0].after
    assert closed.closed is not None
    return closed.closed


async def performance(ctx: Context, csa: Csa) -> AgentPerformance:
    """The agent's scorecard over the CSA's term so far, from their rows under its SOW."""
    now = ctx.clock()
    starts, ends = rules.agent_bounds(csa, now)
    counts = await ctx.loaders.agent_rows.load(AgentRows(csa.sow_id, csa.agent_id, starts, ends))
    return rules.performance(csa, counts or rules.ZERO_COUNTS, now, ctx.limits.renewal_min_answered)

"""Obligations' occurrences: a client's request, compliance's fulfilment, the lists. Storage
reads, `domain.occurrence` decides."""

from __future__ import annotations

from domain import ids
from domain import occurrence as rules
from domain.changes import Change
from domain.commands import FulfilObligation, RequestObligation
from domain.document import Document
from domain.occurrence import Occurrence
from domain.party import Viewer
from domain.scope import Scope
from domain.sow import Sow
from resolvers import sow as sows
from resolvers.context import Context
from storage.occurrences import OccurrenceQuery, SowList, SowPage
from storage.pages import Page, Window


async def occurrence(ctx: Context, viewer: Viewer, id: str) -> Occurrence:
    found = await ctx.store.occurrences.get(id, Scope.of(viewer))
    if found is None:
        raise ids.not_found("ObligationOccurrence", id)
    return found


async def request(ctx: Context, viewer: Viewer, command: RequestObligation) -> Occurrence:
    """A client's request on its own SOW (another's is not found)."""
    id = ctx.store.new_id()

    async def load() -> Sow:
        return await sows.sow(ctx, viewer, command.sow_id)

    def decide(sow: Sow) -> list[Change[object]]:
        return rules.request(sow, command, viewer, ctx.clock(), id)

    changes = await ctx.store.writer.read_decide_commit(load, decide)
    opened: Occurrence = changes[-1].after
    return opened


async def fulfil(ctx: Context, viewer: Viewer, command: FulfilObligation) -> Occurrence:
    evidence: Document | None = None
    if command.evidence_document_id is not None:
        evidence = await ctx.loaders.document.load(command.evidence_document_id)

    async def load() -> Occurrence:
        return await occurrence(ctx, viewer, command.id)

    def decide(current: Occurrence) -> list[Change[Occurrence]]:
        return [rules.fulfil(current, command, viewer, ctx.clock(), evidence)]

    changes = await ctx.store.writer.read_decide_commit(load, decide)
    fulfilled: Occurrence = changes[0].after
    return fulfilled


async def occurrences(
    ctx: Context, viewer: Viewer, where: OccurrenceQuery, window: Window
) -> Page[Occurrence]:
    """A page of the viewer's occurrences. One SOW's go through the request's loader: the
    `occurrences` of every SOW of a page are read together."""
    scope = Scope.of(viewer)
    if where.sow_id is None:
        return await ctx.store.occurrences.page(scope, where, window)
    key = SowPage(SowList(scope, where.sow_id, where.status), window)
    return await ctx.loaders.sow_occurrences.load(key) or Page([], False)


async def count(ctx: Context, viewer: Viewer, where: OccurrenceQuery) -> int:
    scope = Scope.of(viewer)
    if where.sow_id is None:
        return await ctx.store.occurrences.count(scope, where)
    key = SowList(scope, where.sow_id, where.status)
    return await ctx.loaders.sow_occurrence_count.load(key) or 0


async def evidence(ctx: Context, found: Occurrence) -> Document | None:
    if found.evidence_document_id is None:
        return None
    return await ctx.loaders.document.load(found.evidence_document_id)

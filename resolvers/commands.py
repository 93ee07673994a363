"""The one registry of command handlers: every mutation builds a `domain.commands` command
and hands it here; SOWs, CSAs, parties, documents and performance figures alike.

A handler reads what the command is about, lets the domain decide, and commits through
storage (`Writer.read_decide_commit`). Most are `ChangeOne`: one document in the viewer's
scope and the domain rule for the command; the others move several documents at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from domain import commands
from domain import csa as csa_rules
from domain import sow as sow_rules
from domain.commands import Command
from domain.party import Viewer
from resolvers import csa, document, occurrence, party, sla, sow
from resolvers.changing import ChangeOne
from resolvers.context import Context

type Handler[C, R] = Callable[[Context, Viewer, C], Awaitable[R]]

HANDLERS: Mapping[type[Command[Any]], Handler[Any, Any]] = {
    commands.CreateClient: party.create_client,
    commands.CreateAgent: party.create_agent,
    commands.CreateSow: sow.create_sow,
    commands.UpdateSow: ChangeOne(sow.sow, sow_rules.update),
    commands.SubmitSow: ChangeOne(sow.sow, sow_rules.submit),
    commands.StartSowReview: ChangeOne(sow.sow, sow_rules.start_review),
    commands.RequestSowChanges: ChangeOne(sow.sow, sow_rules.request_changes),
    commands.SignSow: ChangeOne(sow.sow, sow_rules.sign),
    commands.ProposeSowAmendment: ChangeOne(sow.sow, sow_rules.propose_amendment),
    commands.AcceptSowAmendment: ChangeOne(sow.sow, sow_rules.accept_amendment),
    commands.RejectSowAmendment: ChangeOne(sow.sow, sow_rules.reject_amendment),
    commands.TerminateSow: sow.terminate_sow,
    commands.ProduceCsas: csa.produce_csas,
    commands.UpdateCsaDraft: csa.update_csa_draft,
    commands.SendCsa: ChangeOne(csa.csa, csa_rules.send),
    commands.SignCsa: ChangeOne(csa.csa, csa_rules.sign),
    commands.DeclineCsa: ChangeOne(csa.csa, csa_rules.decline),
    commands.CountersignCsa: ChangeOne(csa.csa, csa_rules.countersign),
    commands.WithdrawCsa: ChangeOne(csa.csa, csa_rules.withdraw),
    commands.RenewCsa: csa.renew_csa,
    commands.TerminateCsa: ChangeOne(csa.csa, csa_rules.terminate),
    commands.UploadAgentDocument: document.upload_agent_document,
    commands.UploadSowEvidence: document.upload_sow_evidence,
    commands.RecordSlaIntervals: sla.record_intervals,
    commands.CloseSlaPeriod: sla.close_period,
    commands.RequestObligation: occurrence.request,
    commands.FulfilObligation: occurrence.fulfil,
}


async def handle[R](ctx: Context, viewer: Viewer, command: Command[R]) -> R:
    """Handle `command` for `viewer`: what its handler returns (its `R`)."""
    handler: Handler[Command[R], R] = HANDLERS[type(command)]
    return await handler(ctx, viewer, command)

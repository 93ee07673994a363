"""The one registry of command handlers: every mutation builds a `domain.commands` command
and hands it here; SOWs, CSAs, parties, documents and performance figures alike.

A handler reads what the command is about, lets the domain decide, and commits through
storage (`Writer.read_decide_commit`). Most are `ChangeOne`: one document in the viewer's
scope and the domain rule for the command; the others move several documents at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from domain import commands, ids
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
    commands.ProposeSowAmendment: sow.staffed(sow_rules.propose_amendment),
    commands.AcceptSowAmendment: sow.staffed(sow_rules.accept_amendment),
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


_SOW, _CSA = {"id": "Sow"}, {"id": "Csa"}

# The fields of each command that name objects (their GraphQL argument's name in camelCase),
# by the type they must be of: global ids, or the raw ids accepted until 0.3.0.
IDS: Mapping[type[Command[Any]], Mapping[str, str]] = {
    commands.CreateSow: {"client_id": "Client"},
    commands.UpdateSow: _SOW,
    commands.SubmitSow: _SOW,
    commands.StartSowReview: _SOW,
    commands.RequestSowChanges: _SOW,
    commands.SignSow: _SOW,
    commands.ProposeSowAmendment: _SOW,
    commands.AcceptSowAmendment: _SOW,
    commands.RejectSowAmendment: _SOW,
    commands.TerminateSow: _SOW,
    commands.ProduceCsas: {"sow_id": "Sow", "agent_ids": "Agent"},
    commands.UpdateCsaDraft: _CSA,
    commands.SendCsa: _CSA,
    commands.SignCsa: _CSA,
    commands.DeclineCsa: _CSA,
    commands.CountersignCsa: _CSA,
    commands.WithdrawCsa: _CSA,
    commands.RenewCsa: _CSA,
    commands.TerminateCsa: _CSA,
    commands.UploadAgentDocument: {"agent_id": "Agent"},
    commands.UploadSowEvidence: {"sow_id": "Sow"},
    commands.RecordSlaIntervals: {"sow_id": "Sow"},
    commands.CloseSlaPeriod: {"sow_id": "Sow"},
    commands.RequestObligation: {"sow_id": "Sow"},
    commands.FulfilObligation: {"id": "ObligationOccurrence", "evidence_document_id": "Document"},
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def with_raw_ids[C: Command[Any]](command: C) -> C:
    """`command` with each id it holds made raw; an id of another type is refused
    (BadUserInput naming the argument, `agentIds[2]` in a list)."""
    changed: dict[str, object] = {}
    for name, type_name in IDS.get(type(command), {}).items():
        value = getattr(command, name)
        field = _camel(name)
        if isinstance(value, tuple):
            changed[name] = tuple(
                ids.raw_id(item, type_name, f"{field}[{index}]") for index, item in enumerate(value)
            )
        else:
            changed[name] = ids.optional_raw_id(value, type_name, field)
    return replace(command, **changed) if changed else command


async def handle[R](ctx: Context, viewer: Viewer, command: Command[R]) -> R:
    """Handle `command` for `viewer`: what its handler returns (its `R`)."""
    handler: Handler[Command[R], R] = HANDLERS[type(command)]
    return await handler(ctx, viewer, with_raw_ids(command))

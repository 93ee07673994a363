"""Who may do what: the one table of role rules, keyed by the domain's own operations.

An operation is one of the domain's commands (`domain.commands`, by class) or one of the
reads below. Every GraphQL field that runs one is guarded by it (`schema.access.allowed`),
and a test checks that every field has a guard and every operation here a field: a new
operation cannot ship without a rule. What each role then *sees* is `domain.scope`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from domain import commands
from domain.commands import Command
from domain.errors import BadUserInput, Forbidden, Unauthenticated, a_or_an
from domain.party import Role, Viewer
from domain.scope import Scope


class Read(StrEnum):
    """What may be read, by what it returns."""

    VIEWER = "Viewer"
    CLIENTS = "Clients"
    AGENTS = "Agents"
    AGENT_EMAIL = "AgentEmail"
    SOW = "Sow"
    SOWS = "Sows"
    SOW_CSAS = "SowCsas"
    CSA = "Csa"
    CSAS = "Csas"
    EVENTS = "Events"
    LIVE_EVENTS = "LiveEvents"
    SOW_DOCUMENTS = "SowDocuments"
    CSA_DOCUMENTS = "CsaDocuments"
    AGENT_FOLDER = "AgentFolder"
    # One document: by id (GET /documents/{id}) or by its bytes' hash (verifyDocument).
    DOCUMENT = "Document"
    # Performance against the contract: a SOW's figures, an agent's under a CSA.
    SOW_SCORECARD = "SowScorecard"
    SOW_SCORECARDS = "SowScorecards"
    SOW_STATEMENT = "SowStatement"
    CSA_PERFORMANCE = "CsaPerformance"
    # Obligations' occurrences: one SOW's, and the work queue across SOWs.
    SOW_OCCURRENCES = "SowOccurrences"
    OCCURRENCES = "Occurrences"
    # Any object by its global id (`node`, `nodes`).
    NODE = "Node"


type Operation = Read | type[Command[Any]]

ANYONE = frozenset(Role)
COMPLIANCE = frozenset({Role.COMPLIANCE})
CLIENT = frozenset({Role.CLIENT})
AGENT = frozenset({Role.AGENT})
CLIENT_OR_COMPLIANCE = frozenset({Role.CLIENT, Role.COMPLIANCE})
AGENT_OR_COMPLIANCE = frozenset({Role.AGENT, Role.COMPLIANCE})

RULES: Mapping[Operation, frozenset[Role]] = {
    Read.VIEWER: ANYONE,
    Read.CLIENTS: COMPLIANCE,
    Read.AGENTS: COMPLIANCE,
    # What the parties' table says a client never sees.
    Read.AGENT_EMAIL: AGENT_OR_COMPLIANCE,
    Read.SOW: CLIENT_OR_COMPLIANCE,
    Read.SOWS: CLIENT_OR_COMPLIANCE,
    Read.SOW_CSAS: COMPLIANCE,
    Read.CSA: AGENT_OR_COMPLIANCE,
    Read.CSAS: AGENT_OR_COMPLIANCE,
    Read.EVENTS: ANYONE,
    Read.LIVE_EVENTS: ANYONE,
    # Documents follow their owner: a SOW's copies its client's, a CSA's its agent's, and
    # an agent's folder (executed copies, administrative files) the agent's.
    Read.SOW_DOCUMENTS: CLIENT_OR_COMPLIANCE,
    Read.CSA_DOCUMENTS: AGENT_OR_COMPLIANCE,
    Read.AGENT_FOLDER: AGENT_OR_COMPLIANCE,
    # Anyone may ask; the answer is null (or a 404) for a document outside the scope.
    Read.DOCUMENT: ANYONE,
    # Performance: a client sees its SOWs' figures (queue rows only, no agent data); an
    # agent their own CSAs' performance (the CSA is in their scope), compliance everything.
    Read.SOW_SCORECARD: CLIENT_OR_COMPLIANCE,
    Read.SOW_SCORECARDS: CLIENT_OR_COMPLIANCE,
    Read.SOW_STATEMENT: CLIENT_OR_COMPLIANCE,
    Read.CSA_PERFORMANCE: AGENT_OR_COMPLIANCE,
    # Occurrences follow their SOW: its client's and compliance's, never an agent's.
    Read.SOW_OCCURRENCES: CLIENT_OR_COMPLIANCE,
    Read.OCCURRENCES: CLIENT_OR_COMPLIANCE,
    # Anyone may ask; the answer is null for what is outside the scope, as each type's own
    # query decides it.
    Read.NODE: ANYONE,
    commands.CreateClient: COMPLIANCE,
    commands.CreateAgent: COMPLIANCE,
    commands.CreateSow: CLIENT_OR_COMPLIANCE,
    commands.UpdateSow: CLIENT_OR_COMPLIANCE,
    # Submitting is the client's signature.
    commands.SubmitSow: CLIENT,
    commands.StartSowReview: COMPLIANCE,
    commands.RequestSowChanges: COMPLIANCE,
    commands.SignSow: COMPLIANCE,
    commands.ProposeSowAmendment: CLIENT_OR_COMPLIANCE,
    commands.AcceptSowAmendment: CLIENT_OR_COMPLIANCE,
    commands.RejectSowAmendment: CLIENT_OR_COMPLIANCE,
    commands.TerminateSow: COMPLIANCE,
    commands.ProduceCsas: COMPLIANCE,
    commands.UpdateCsaDraft: COMPLIANCE,
    commands.SendCsa: COMPLIANCE,
    commands.SignCsa: AGENT,
    commands.DeclineCsa: AGENT,
    commands.CountersignCsa: COMPLIANCE,
    commands.WithdrawCsa: COMPLIANCE,
    commands.RenewCsa: COMPLIANCE,
    commands.TerminateCsa: COMPLIANCE,
    commands.UploadAgentDocument: COMPLIANCE,
    commands.UploadSowEvidence: COMPLIANCE,
    commands.RecordSlaIntervals: COMPLIANCE,
    commands.CloseSlaPeriod: COMPLIANCE,
    # The client asks for what the contract lets it ask for; the operator's compliance
    # records the delivery.
    commands.RequestObligation: CLIENT,
    commands.FulfilObligation: COMPLIANCE,
}


def name(operation: Operation) -> str:
    return operation.value if isinstance(operation, Read) else operation.__name__


def authorize(viewer: Viewer | None, operation: Operation) -> Viewer:
    """The viewer, if its role may run `operation`; refused otherwise."""
    if viewer is None:
        raise Unauthenticated("a valid bearer token is required")
    roles = RULES.get(operation)
    if roles is None or viewer.role not in roles:
        raise Forbidden(f"{a_or_an(viewer.role)} may not use {name(operation)}")
    return viewer


def folder_owner(viewer: Viewer, agent_id: str | None) -> str:
    """Whose folder `agentFolder` opens: an agent's own (agentId may be left out); compliance
    names the agent."""
    own = Scope.of(viewer).agent_id
    if own is not None:
        if agent_id is not None and agent_id != own:
            raise Forbidden("an agent opens their own folder only")
        return own
    if agent_id is None:
        raise BadUserInput("agentId: required for compliance", field="agentId")
    return agent_id


def client_of_new_sow(viewer: Viewer, client_id: str | None) -> str:
    """A client creates SOWs for its own company; compliance names the client."""
    own = Scope.of(viewer).client_id
    if own is not None:
        if client_id is not None and client_id != own:
            raise Forbidden("a client creates SOWs for its own company only")
        return own
    if client_id is None:
        raise BadUserInput("clientId: required for compliance", field="clientId")
    return client_id

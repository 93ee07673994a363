"""Who may call what: the one table of role rules, and each role's document scope.

Every root field of the GraphQL schema and every guarded nested field has an entry here;
a field missing from the table is refused (and a test fails), so a new operation cannot
ship without a rule.
"""

from __future__ import annotations

from domain.errors import BadUserInput, Forbidden, Unauthenticated
from domain.party import Role, Viewer

ANYONE = frozenset(Role)
COMPLIANCE = frozenset({Role.COMPLIANCE})
CLIENT_OR_COMPLIANCE = frozenset({Role.CLIENT, Role.COMPLIANCE})
AGENT_OR_COMPLIANCE = frozenset({Role.AGENT, Role.COMPLIANCE})

RULES: dict[str, frozenset[Role]] = {
    "Query.viewer": ANYONE,
    "Query.clients": COMPLIANCE,
    "Query.agents": COMPLIANCE,
    "Query.sow": CLIENT_OR_COMPLIANCE,
    "Query.sows": CLIENT_OR_COMPLIANCE,
    "Query.csa": AGENT_OR_COMPLIANCE,
    "Query.csas": AGENT_OR_COMPLIANCE,
    "Query.events": ANYONE,
    "Mutation.createClient": COMPLIANCE,
    "Mutation.createAgent": COMPLIANCE,
    "Mutation.createSow": CLIENT_OR_COMPLIANCE,
    "Mutation.updateSow": CLIENT_OR_COMPLIANCE,
    "Mutation.submitSow": frozenset({Role.CLIENT}),
    "Mutation.startSowReview": COMPLIANCE,
    "Mutation.requestSowChanges": COMPLIANCE,
    "Mutation.signSow": COMPLIANCE,
    "Mutation.proposeSowAmendment": CLIENT_OR_COMPLIANCE,
    "Mutation.acceptSowAmendment": CLIENT_OR_COMPLIANCE,
    "Mutation.rejectSowAmendment": CLIENT_OR_COMPLIANCE,
    "Mutation.terminateSow": COMPLIANCE,
    "Mutation.produceCsas": COMPLIANCE,
    "Mutation.updateCsaDraft": COMPLIANCE,
    "Mutation.sendCsa": COMPLIANCE,
    "Mutation.signCsa": frozenset({Role.AGENT}),
    "Mutation.declineCsa": frozenset({Role.AGENT}),
    "Mutation.countersignCsa": COMPLIANCE,
    "Mutation.withdrawCsa": COMPLIANCE,
    "Mutation.renewCsa": COMPLIANCE,
    "Mutation.terminateCsa": COMPLIANCE,
    "Query.agentFolder": AGENT_OR_COMPLIANCE,
    # Anyone may ask; the answer is null for a document outside the viewer's scope.
    "Query.verifyDocument": ANYONE,
    "Mutation.uploadAgentDocument": COMPLIANCE,
    "Subscription.contractEvents": ANYONE,
    # Nested fields that show what a role's table row says it never sees.
    "Sow.csas": COMPLIANCE,
    "Agent.email": AGENT_OR_COMPLIANCE,
    # Documents follow their owner: a SOW's copies its client's, a CSA's its agent's.
    "Sow.documents": CLIENT_OR_COMPLIANCE,
    "Csa.documents": AGENT_OR_COMPLIANCE,
    "Agent.folder": AGENT_OR_COMPLIANCE,
}


def authorize(viewer: Viewer | None, operation: str) -> Viewer:
    """The viewer, if allowed to call `operation` (`Type.field`); refused otherwise."""
    if viewer is None:
        raise Unauthenticated("a valid bearer token is required")
    roles = RULES.get(operation)
    if roles is None or viewer.role not in roles:
        raise Forbidden(f"a {viewer.role} may not use {operation}")
    return viewer


def sow_client_scope(viewer: Viewer) -> str | None:
    """The client whose SOWs the viewer sees; None: all (compliance)."""
    if viewer.role is Role.COMPLIANCE:
        return None
    if viewer.role is Role.CLIENT and viewer.client_id is not None:
        return viewer.client_id
    raise Forbidden("agents do not see SOWs")


def csa_agent_scope(viewer: Viewer) -> str | None:
    """The agent whose CSAs the viewer sees; None: all (compliance)."""
    if viewer.role is Role.COMPLIANCE:
        return None
    if viewer.role is Role.AGENT and viewer.agent_id is not None:
        return viewer.agent_id
    raise Forbidden("clients do not see CSAs")


def document_scope(viewer: Viewer) -> tuple[str | None, str | None]:
    """(client, agent) whose documents the viewer sees: a client its SOWs' copies, an agent
    their own folder, compliance (None, None) all."""
    if viewer.role is Role.CLIENT:
        return viewer.client_id, None
    if viewer.role is Role.AGENT:
        return None, viewer.agent_id
    return None, None


def folder_owner(viewer: Viewer, agent_id: str | None) -> str:
    """Whose folder `agentFolder` opens: an agent's own (agentId may be left out); compliance
    names the agent."""
    if viewer.role is Role.AGENT:
        assert viewer.agent_id is not None
        if agent_id is not None and agent_id != viewer.agent_id:
            raise Forbidden("an agent opens their own folder only")
        return viewer.agent_id
    if viewer.role is not Role.COMPLIANCE:
        raise Forbidden("clients have no agent folder")
    if agent_id is None:
        raise BadUserInput("agentId: required for compliance", field="agentId")
    return agent_id


def client_of_new_sow(viewer: Viewer, client_id: str | None) -> str:
    """A client creates SOWs for its own company; compliance names the client."""
    if viewer.role is Role.CLIENT:
        if client_id is not None and client_id != viewer.client_id:
            raise Forbidden("a client creates SOWs for its own company only")
        assert viewer.client_id is not None
        return viewer.client_id
    if client_id is None:
        raise BadUserInput("clientId: required for compliance", field="clientId")
    return client_id

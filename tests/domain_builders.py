"""Documents built by the domain's own rules, in memory: for the pure tests of the domain.

No server, no HTTP: each builder walks a document along its status machine with the same
functions the service calls, from the terms of `tests.terms`.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any

from domain import commands
from domain import csa as csas
from domain import sow as sows
from domain.commands import CountersignCsa, SendCsa, SignCsa, SignSow, StartSowReview, SubmitSow
from domain.csa import Csa, NewCsa
from domain.party import Agent, AgentStatus, Role, Viewer
from domain.policy import DESIGN_CSA_POLICY
from domain.sow import Sow
from tests.terms import CSA_TERMS, SOW_TERMS

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLIENT_ID = "65f0000000000000000000c1"
AGENT_ID = "65f0000000000000000000a1"
CLIENT = Viewer(subject="client-user", role=Role.CLIENT, client_id=CLIENT_ID)
STAFF = Viewer(subject="compliance-user", role=Role.COMPLIANCE)
AGENT = Viewer(subject="agent-user", role=Role.AGENT, agent_id=AGENT_ID)
OTHER_AGENT = Viewer(subject="other-agent", role=Role.AGENT, agent_id="65f0000000000000000000a2")
POLICY = DESIGN_CSA_POLICY
# Every command the domain declares (its bases, which others extend, apart).
COMMANDS: frozenset[type[commands.Command[Any]]] = frozenset(
    value
    for value in vars(commands).values()
    if inspect.isclass(value) and issubclass(value, commands.Command) and not value.__subclasses__()
)


def draft_sow() -> Sow:
    terms = sows.parse_sow_terms(SOW_TERMS)
    return sows.create(
        "65f0000000000000000000f1", "SOW-2026-0001", CLIENT_ID, terms, CLIENT, NOW
    ).after


def signed_sow() -> Sow:
    draft = draft_sow()
    submitted = sows.submit(draft, SubmitSow(id=draft.id, expected_version=1), CLIENT, NOW)
    review = StartSowReview(id=draft.id, expected_version=1)
    reviewed = sows.start_review(submitted.after, review, STAFF, NOW)
    return sows.sign(reviewed.after, SignSow(id=draft.id, expected_version=1), STAFF, NOW).after


def draft_csa(sow: Sow | None = None) -> Csa:
    agent = Agent(AGENT_ID, "Agent", "agent@example.com", AgentStatus.ACTIVE, NOW)
    new = NewCsa("65f0000000000000000000e1", "CSA-2026-0001", AGENT_ID)
    terms = csas.parse_csa_terms(CSA_TERMS)
    (produced,) = csas.produce(
        sow or signed_sow(), [new], {AGENT_ID: agent}, [], terms, STAFF, POLICY, NOW
    )
    return produced.after


def executed_csa() -> Csa:
    draft = draft_csa()
    sent = csas.send(draft, SendCsa(id=draft.id, expected_version=1), STAFF, NOW)
    signed = csas.sign(sent.after, SignCsa(id=draft.id, expected_version=1), AGENT, NOW)
    countersigned = CountersignCsa(id=draft.id, expected_version=1)
    return csas.countersign(signed.after, countersigned, STAFF, NOW).after

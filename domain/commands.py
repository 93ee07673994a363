"""What a caller may ask of the contracts, in the domain's words: one command per request.

A command is plain data, built by the GraphQL layer from a mutation's arguments and handled
by the one registry of `resolvers.commands`; the rules of `domain.sow` and `domain.csa`
decide it. Its name is the name the permission table (`domain.access`) and the status
machines (`domain.sow.MACHINE`, `domain.csa.MACHINE`) know it by. Terms arrive as the
mappings the caller sent (GraphQL names), validated by the rule that uses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only a type here: `domain.csa` decides CSA commands, so it imports this module.
    from domain.csa import CsaTerminationReason

type Patch = Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A request to change the contracts; its class name is its name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OnDocument(Command):
    """A command on one existing document, at the terms version its caller saw."""

    id: str
    expected_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateClient(Command):
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAgent(Command):
    name: str
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSow(Command):
    """`client_id` None: the caller's own company (a client's token)."""

    client_id: str | None
    terms: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateSow(OnDocument):
    patch: Patch
    change_summary: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitSow(OnDocument):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class StartSowReview(OnDocument):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSowChanges(OnDocument):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignSow(OnDocument):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposeSowAmendment(OnDocument):
    patch: Patch
    change_summary: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptSowAmendment(OnDocument):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectSowAmendment(OnDocument):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminateSow(OnDocument):
    """Ends the SOW and, with it, every CSA under it not yet ended."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceCsas(Command):
    sow_id: str
    agent_ids: tuple[str, ...]
    terms: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateCsaDraft(OnDocument):
    patch: Patch
    change_summary: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SendCsa(OnDocument):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SignCsa(OnDocument):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclineCsa(OnDocument):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CountersignCsa(OnDocument):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawCsa(OnDocument):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RenewCsa(OnDocument):
    """A new DRAFT continuing the CSA; `patch` None: the same terms, moved on."""

    patch: Patch | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminateCsa(OnDocument):
    reason: CsaTerminationReason
    note: str | None = None

"""What a caller may ask of the contracts, in the domain's words: one command per request.

A command is plain data, built by the GraphQL layer from a mutation's arguments and handled
by the one registry of `resolvers.commands`; the rules of `domain.sow` and `domain.csa`
decide it. Its name is the name the permission table (`domain.access`) and the status
machines (`domain.sow.MACHINE`, `domain.csa.MACHINE`) know it by. Terms arrive as the
mappings the caller sent (GraphQL names), validated by the rule that uses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Types only, named in quotes: the modules that decide the commands import this one.
    from domain.csa import Csa, CsaTerminationReason
    from domain.document import Document, UploadedFile  # noqa: F401
    from domain.occurrence import Occurrence  # noqa: F401
    from domain.party import Agent, Client  # noqa: F401
    from domain.sla import Merge  # noqa: F401
    from domain.sow import Sow  # noqa: F401
    from domain.statement import PeriodFigures  # noqa: F401

type Patch = Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command[R]:
    """A request to change the contracts; its class name is its name, `R` what handling it
    returns."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OnDocument[R](Command[R]):
    """A command on one existing document, at the terms version its caller saw."""

    id: str
    expected_version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Revise[R](OnDocument[R]):
    """A command giving a document new terms: the fields to change (GraphQL names) and why."""

    patch: Patch
    change_summary: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateClient(Command["Client"]):
    name: str
    # Where the SOWs' signed copies are e-mailed; None: they are not.
    notification_email: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAgent(Command["Agent"]):
    name: str
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSow(Command["Sow"]):
    """`client_id` None: the caller's own company (a client's token)."""

    client_id: str | None
    terms: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateSow(Revise["Sow"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitSow(OnDocument["Sow"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class StartSowReview(OnDocument["Sow"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSowChanges(OnDocument["Sow"]):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignSow(OnDocument["Sow"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposeSowAmendment(Revise["Sow"]):
    """New terms for a SOW in force, with their summary (required), applied once accepted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptSowAmendment(OnDocument["Sow"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectSowAmendment(OnDocument["Sow"]):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminateSow(OnDocument["Sow"]):
    """Ends the SOW and, with it, every CSA under it not yet ended."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProduceCsas(Command[list["Csa"]]):
    sow_id: str
    agent_ids: tuple[str, ...]
    terms: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateCsaDraft(Revise["Csa"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SendCsa(OnDocument["Csa"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SignCsa(OnDocument["Csa"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclineCsa(OnDocument["Csa"]):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CountersignCsa(OnDocument["Csa"]):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawCsa(OnDocument["Csa"]):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RenewCsa(OnDocument["Csa"]):
    """A new DRAFT continuing the CSA (what handling it returns); `patch` None: the same
    terms, moved on."""

    patch: Patch | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminateCsa(OnDocument["Csa"]):
    reason: CsaTerminationReason
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadAgentDocument(Command["Document"]):
    """An administrative file into an agent's folder; `file` is the transport's spooled
    part, checked (size, type by its bytes) by the handler before anything is stored."""

    agent_id: str
    title: str
    file: UploadedFile


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadSowEvidence(Command["Document"]):
    """A file evidencing a SOW's deliveries, for `FulfilObligation` to name; checked like
    `UploadAgentDocument`'s."""

    sow_id: str
    title: str
    file: UploadedFile


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSlaIntervals(Command["Merge"]):
    """A batch of interval rows of one SOW (GraphQL names), recorded all or nothing."""

    sow_id: str
    intervals: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseSlaPeriod(Command["PeriodFigures"]):
    """Freeze the statement of a month (YYYY-MM) of the SOW's term, with its events."""

    sow_id: str
    period: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestObligation(Command["Occurrence"]):
    """The client asks for a delivery of an ON_REQUEST obligation (by key) of an ACTIVE SOW."""

    sow_id: str
    key: str
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FulfilObligation(Command["Occurrence"]):
    """Compliance records an occurrence delivered, optionally with a document of its SOW
    (evidence it uploaded, or a signed copy)."""

    id: str
    note: str | None = None
    evidence_document_id: str | None = None

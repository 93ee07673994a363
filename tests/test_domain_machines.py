"""The status machines as data (`domain.machine`): the tables, the rules that follow them,
and the README's diagrams rendered from them. Pure: no server, no HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from domain import commands
from domain import csa as csas
from domain import occurrence as occurrences
from domain import sow as sows
from domain.changes import Change
from domain.commands import Command
from domain.csa import Csa, CsaStatus, CsaTerminationReason, NewCsa
from domain.errors import InvalidTransition
from domain.machine import Machine, Transition, markdown
from domain.party import Viewer
from domain.sow import Sow, SowStatus
from tests.domain_builders import (
    AGENT,
    CLIENT,
    NOW,
    POLICY,
    STAFF,
    draft_csa,
    draft_sow,
    signed_sow,
)

README = Path(__file__).resolve().parent.parent / "README.md"

type Rule[D] = Callable[[D], Change[Any]]


def applying[D, C: commands.OnDocument[Any]](
    rule: Callable[[D, C, Viewer, datetime], Change[D]], command: C, viewer: Viewer
) -> Rule[D]:
    """`rule` deciding `command` (at version 1) for `viewer` on a given document."""
    return partial(_decide, rule, command, viewer)


def _decide[D, C](
    rule: Callable[[D, C, Viewer, datetime], Change[D]], command: C, viewer: Viewer, document: D
) -> Change[D]:
    return rule(document, command, viewer, NOW)


SOW = "65f0000000000000000000f1"
CSA = "65f0000000000000000000e1"
ANNUAL = {"billingTerm": "ANNUAL"}


def _request(sow: Sow) -> Change[Sow]:
    """A request of an ON_REQUEST obligation the SOW's terms are given: the SOW's change."""
    recordings = {"key": "rec", "title": "Recordings", "kind": "ON_REQUEST", "dueBusinessDays": 3}
    terms = sows.patch_sow_terms(sow.terms, {"obligations": [recordings]})
    command = commands.RequestObligation(sow_id=sow.id, key="rec")
    with_obligation = dataclasses.replace(sow, terms=terms)
    touched, _ = occurrences.request(
        with_obligation, command, CLIENT, NOW, "65f0000000000000000000d1"
    )
    changed: Change[Sow] = touched
    return changed


# Each command of a status machine, decided by its rule on a document at version 1.
SOW_RULES: dict[type[Command[Any]], Rule[Sow]] = {
    commands.UpdateSow: applying(
        sows.update, commands.UpdateSow(id=SOW, expected_version=1, patch=ANNUAL), CLIENT
    ),
    commands.SubmitSow: applying(
        sows.submit, commands.SubmitSow(id=SOW, expected_version=1), CLIENT
    ),
    commands.StartSowReview: applying(
        sows.start_review, commands.StartSowReview(id=SOW, expected_version=1), STAFF
    ),
    commands.RequestSowChanges: applying(
        sows.request_changes,
        commands.RequestSowChanges(id=SOW, expected_version=1, reason="Why?"),
        STAFF,
    ),
    commands.SignSow: applying(sows.sign, commands.SignSow(id=SOW, expected_version=1), STAFF),
    commands.ProposeSowAmendment: applying(
        sows.propose_amendment,
        commands.ProposeSowAmendment(
            id=SOW, expected_version=1, patch=ANNUAL, change_summary="Annual"
        ),
        CLIENT,
    ),
    commands.TerminateSow: applying(
        sows.terminate, commands.TerminateSow(id=SOW, expected_version=1, reason="Exit"), STAFF
    ),
    commands.RequestObligation: _request,
}


def _renew(csa: Csa) -> Change[Csa]:
    new = NewCsa("65f0000000000000000000e2", "CSA-2026-0002", csa.agent_id)
    command = commands.RenewCsa(id=csa.id, expected_version=1)
    linked, _ = csas.renew(csa, signed_sow(), [csa], new, command, STAFF, POLICY, NOW)
    return linked


def _cascade(csa: Csa) -> Change[Csa]:
    changes = csas.cascade([csa], STAFF, NOW)
    if not changes:
        # An ended CSA is passed over, not refused: the table has no row out of it.
        raise InvalidTransition(csa.status, CsaStatus.TERMINATED)
    (ended,) = changes
    return ended


CSA_RULES: dict[type[Command[Any]], Rule[Csa]] = {
    commands.UpdateCsaDraft: applying(
        partial(csas.update_draft, policy=POLICY, sow=signed_sow()),
        commands.UpdateCsaDraft(id=CSA, expected_version=1, patch={"obligations": ["Chats"]}),
        STAFF,
    ),
    commands.SendCsa: applying(csas.send, commands.SendCsa(id=CSA, expected_version=1), STAFF),
    commands.SignCsa: applying(csas.sign, commands.SignCsa(id=CSA, expected_version=1), AGENT),
    commands.DeclineCsa: applying(
        csas.decline, commands.DeclineCsa(id=CSA, expected_version=1, reason="No"), AGENT
    ),
    commands.CountersignCsa: applying(
        csas.countersign, commands.CountersignCsa(id=CSA, expected_version=1), STAFF
    ),
    commands.WithdrawCsa: applying(
        csas.withdraw, commands.WithdrawCsa(id=CSA, expected_version=1, reason="Fewer"), STAFF
    ),
    commands.TerminateCsa: applying(
        csas.terminate,
        commands.TerminateCsa(id=CSA, expected_version=1, reason=CsaTerminationReason.BREACH),
        STAFF,
    ),
    commands.RenewCsa: _renew,
    commands.TerminateSow: _cascade,
}


def cases[S: StrEnum, D](
    machine: Machine[S], statuses: type[S], rules: dict[type[Command[Any]], Rule[D]]
) -> list[tuple[type[Command[Any]], S, Transition[S] | None]]:
    """Every (command, status) pair, with the row the table allows (None: refused)."""
    return [
        (trigger, status, next((r for r in machine.rows(trigger) if r.source == status), None))
        for trigger in rules
        for status in statuses
    ]


def name(value: object) -> str:
    if isinstance(value, Transition):
        return f"{value.source}->{value.target}"
    return getattr(value, "__name__", str(value))


def test_the_readme_diagrams_are_the_tables() -> None:
    expected = markdown([sows.MACHINE, csas.MACHINE, occurrences.MACHINE])
    assert expected in README.read_text(), (
        "README's status diagrams differ from domain/sow.py and domain/csa.py: paste the "
        "output of `python -m domain.machine` in place of them"
    )


STARTS: dict[str, Callable[[], Any]] = {"SOW": signed_sow, "CSA": draft_csa}
RULES: dict[str, dict[type[Command[Any]], Rule[Any]]] = {"SOW": SOW_RULES, "CSA": CSA_RULES}


@pytest.mark.parametrize(
    ("kind", "trigger", "status", "row"),
    [("SOW", *case) for case in cases(sows.MACHINE, SowStatus, SOW_RULES)]
    + [("CSA", *case) for case in cases(csas.MACHINE, CsaStatus, CSA_RULES)],
    ids=name,
)
def test_each_rule_follows_the_table(
    kind: str, trigger: type[Command[Any]], status: StrEnum, row: Transition[Any] | None
) -> None:
    """From every status, each command's rule moves a document as its row says, or refuses."""
    document = dataclasses.replace(STARTS[kind](), status=status)
    rule = RULES[kind][trigger]
    if row is None:
        with pytest.raises(InvalidTransition):
            rule(document)
        return
    change = rule(document)
    assert change.after.status is row.target
    assert change.events[0].type is row.event


def test_every_command_row_has_its_rule_here() -> None:
    for machine, rules in ((sows.MACHINE, SOW_RULES), (csas.MACHINE, CSA_RULES)):
        triggers = {
            row.trigger
            for row in machine.transitions
            if row.source is not None and isinstance(row.trigger, type)
        }
        assert triggers == set(rules), machine.name


def test_a_refusal_names_the_status_the_step_leads_to() -> None:
    with pytest.raises(InvalidTransition) as signing:
        SOW_RULES[commands.SignSow](draft_sow())
    assert signing.value.extensions == {"from": "DRAFT", "to": "SIGNED"}
    # A change in place names the status it stays in; a renewal the new CSA's.
    with pytest.raises(InvalidTransition) as editing:
        SOW_RULES[commands.UpdateSow](signed_sow())
    assert editing.value.extensions == {"from": "SIGNED", "to": "SIGNED"}
    with pytest.raises(InvalidTransition) as renewing:
        _renew(draft_csa())
    assert renewing.value.extensions == {"from": "DRAFT", "to": "DRAFT"}


def test_the_ended_statuses_are_those_no_row_leaves() -> None:
    assert sows.MACHINE.ended == {SowStatus.EXPIRED, SowStatus.TERMINATED}
    assert {
        CsaStatus.EXPIRED,
        CsaStatus.DECLINED,
        CsaStatus.WITHDRAWN,
        CsaStatus.TERMINATED,
    } == csas.ENDED


@pytest.mark.parametrize(
    ("machine", "statuses"),
    [
        (sows.MACHINE, SowStatus),
        (csas.MACHINE, CsaStatus),
        (occurrences.MACHINE, occurrences.OccurrenceStatus),
    ],
    ids=["sow", "csa", "occurrence"],
)
def test_every_status_is_reached_from_creation(
    machine: Machine[Any], statuses: type[StrEnum]
) -> None:
    reached = {row.target for row in machine.transitions if row.source is None}
    while True:
        more = {row.target for row in machine.transitions if row.source in reached} - reached
        if not more:
            break
        reached |= more
    assert reached == set(statuses)

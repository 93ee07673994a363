"""Status machines as data: one table of transitions per document type.

Each row says from which status a trigger (a command, or a date the scheduler watches) takes
a document, to which status, and which event records it. The rules ask the table whether a
step is allowed (`Machine.step`), the scheduler which dates move a document
(`Machine.dated`), and the README shows each table as a Mermaid state diagram (`mermaid`;
`python -m domain.machine` prints them, and a test checks the README against them).

A row whose target is its source changes something else than the status (the terms, a
link, a notice); creation rows have no source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic.alias_generators import to_camel

from domain.commands import Command
from domain.errors import InvalidTransition
from domain.events import EventType


@dataclass(frozen=True, slots=True)
class DateReached:
    """The scheduler moves a document once the date `field` of its terms is reached (local
    to the document's time zone, see `domain.schedule`); with `notice`, that many days
    before it (the configured notice period)."""

    field: str
    notice: bool = False

    @property
    def name(self) -> str:
        """The date's name in the terms as stored and shown: `goLiveDate`."""
        return to_camel(self.field)


type Trigger = type[Command[Any]] | DateReached


@dataclass(frozen=True, slots=True)
class Transition[S: StrEnum]:
    source: S | None
    target: S
    trigger: Trigger
    event: EventType


def moves[S: StrEnum](
    sources: Iterable[S | None], target: S, trigger: Trigger, event: EventType
) -> list[Transition[S]]:
    """A row from each of `sources` to `target` (a source None: the creation)."""
    return [Transition(source, target, trigger, event) for source in sources]


def in_place[S: StrEnum](
    statuses: Iterable[S], trigger: Trigger, event: EventType
) -> list[Transition[S]]:
    """Rows that keep each of `statuses` and change something else."""
    return [Transition(status, status, trigger, event) for status in statuses]


def trigger_name(trigger: Trigger) -> str:
    if isinstance(trigger, DateReached):
        return (
            f"RENEWAL_NOTICE_DAYS before {trigger.name}" if trigger.notice else f"on {trigger.name}"
        )
    return trigger.__name__


class Machine[S: StrEnum]:
    """The transitions of one document type, in the order the scheduler tries them."""

    def __init__(self, name: str, transitions: Sequence[Transition[S]]) -> None:
        self.name = name
        self.transitions = tuple(transitions)

    def rows(self, trigger: Trigger) -> tuple[Transition[S], ...]:
        return tuple(row for row in self.transitions if row.trigger == trigger)

    def sources(self, trigger: Trigger) -> frozenset[S]:
        """The statuses from which `trigger` applies."""
        return frozenset(row.source for row in self.rows(trigger) if row.source is not None)

    def step(self, status: S, trigger: Trigger, detail: str | None = None) -> Transition[S]:
        """The row `trigger` takes from `status`; INVALID_TRANSITION when there is none,
        naming the status it would have gone to (its own, for a change in place)."""
        rows = self.rows(trigger)
        for row in rows:
            if row.source == status:
                return row
        targets = {row.target for row in rows if row.target != row.source}
        target = targets.pop() if len(targets) == 1 else status
        raise InvalidTransition(status, target, detail)

    def created(self, trigger: Trigger) -> Transition[S]:
        (row,) = (row for row in self.rows(trigger) if row.source is None)
        return row

    @property
    def scheduled(self) -> tuple[Transition[S], ...]:
        """The scheduler's rows: those a date triggers."""
        return tuple(row for row in self.transitions if isinstance(row.trigger, DateReached))

    def dated(self, status: S) -> tuple[Transition[S], ...]:
        """The scheduler's rows from `status`, in the order they are tried."""
        return tuple(row for row in self.scheduled if row.source == status)

    @property
    def ended(self) -> frozenset[S]:
        """The statuses no row leaves: the document's life is over."""
        targets = {row.target for row in self.transitions}
        return frozenset(
            status
            for status in targets
            if not any(row.source == status for row in self.transitions)
        )


def mermaid[S: StrEnum](machine: Machine[S]) -> str:
    """The machine as a Mermaid state diagram: one arrow per source and target, labelled
    with every trigger that takes it, in table order; ended statuses lead to the end."""
    labels: dict[tuple[str, str], list[str]] = {}
    for row in machine.transitions:
        source = "[*]" if row.source is None else row.source.value
        names = labels.setdefault((source, row.target.value), [])
        if (name := trigger_name(row.trigger)) not in names:
            names.append(name)
    lines = ["stateDiagram-v2"]
    lines += [f"    {a} --> {b}: {', '.join(names)}" for (a, b), names in labels.items()]
    lines += [f"    {status.value} --> [*]" for status in _in_order(machine, machine.ended)]
    return "\n".join(lines) + "\n"


def _in_order[S: StrEnum](machine: Machine[S], statuses: Iterable[S]) -> list[S]:
    wanted = set(statuses)
    seen: list[S] = []
    for row in machine.transitions:
        if row.target in wanted and row.target not in seen:
            seen.append(row.target)
    return seen


def markdown(machines: Iterable[Machine[Any]]) -> str:
    """The README's diagrams: a titled Mermaid block per machine."""
    return "\n".join(
        f"{machine.name}:\n\n```mermaid\n{mermaid(machine)}```\n" for machine in machines
    )


if __name__ == "__main__":
    # Through the package: run as a script, this file is a second module of its own.
    from domain import csa, machine, occurrence, sow

    print(machine.markdown([sow.MACHINE, csa.MACHINE, occurrence.MACHINE]), end="")

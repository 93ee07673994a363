"""Applies pending migration steps in order, records each one, and reverts them on request.

Every applied step is recorded in the `migrations` collection with the checksum of its
source file: a step whose file changed after it was applied is refused (`ChangedStep`),
since the database no longer matches what the file says. So a step stands alone, its
repetitions included: code it shared with other steps would change what an applied step
means without changing its checksum. Runs hold the migration lock
(`migrations.lock`), so processes starting together apply each step once.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Literal

from pymongo.asynchronous.database import AsyncDatabase

from migrations import steps as default_package
from migrations.lock import MigrationLock
from storage.database import Database, Document

RECORDS = "migrations"

StepAction = Callable[[AsyncDatabase[Document]], Awaitable[None]]


class MigrationError(Exception):
    """The runner refuses to go on; the message names the step."""


class ChangedStep(MigrationError):
    def __init__(self, step_id: str) -> None:
        super().__init__(
            f"migration {step_id} changed after it was applied: restore its file and add "
            "a new step for the change"
        )


class UnknownStep(MigrationError):
    def __init__(self, step_id: str) -> None:
        super().__init__(f"migration {step_id} is recorded as applied but has no step file")


class IrreversibleStep(MigrationError):
    def __init__(self, step_id: str) -> None:
        super().__init__(f"migration {step_id} defines no down: it cannot be reverted")


@dataclass(frozen=True, slots=True)
class Step:
    """One migration: `up` applies it, `down` (when defined) reverts it."""

    id: str
    checksum: str
    up: StepAction
    down: StepAction | None = None


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def step_of(module: ModuleType) -> Step:
    """A step module: `async def up(db)`, optionally `async def down(db)`."""
    assert module.__file__ is not None
    return Step(
        id=module.__name__.rpartition(".")[2],
        checksum=checksum(Path(module.__file__)),
        up=module.up,
        down=getattr(module, "down", None),
    )


def load_steps(package: ModuleType = default_package) -> list[Step]:
    """The steps of `package` (modules named `mNNNN_*`), in the order of their number."""
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name[0] == "m")
    return [step_of(importlib.import_module(f"{package.__name__}.{name}")) for name in names]


@dataclass(frozen=True, slots=True)
class StepStatus:
    id: str
    state: Literal["applied", "pending", "changed", "unknown"]
    applied_at: datetime | None = None
    duration_ms: float | None = None


class Migrator:
    """The runner over one database and one list of steps (tests pass their own)."""

    def __init__(
        self, db: Database, steps: Sequence[Step] | None = None, lock: MigrationLock | None = None
    ) -> None:
        self._db = db
        self._steps = list(load_steps() if steps is None else steps)
        self._lock = lock or MigrationLock(db.db)

    async def status(self) -> list[StepStatus]:
        """Every applied step (with its state) and then every pending one, in order."""
        records = await self._records()
        known = {step.id: step for step in self._steps}
        rows = [
            StepStatus(
                record["_id"],
                _state(known.get(record["_id"]), record),
                record["appliedAt"],
                record["durationMs"],
            )
            for record in records
        ]
        applied = {record["_id"] for record in records}
        rows += [StepStatus(s.id, "pending") for s in self._steps if s.id not in applied]
        return rows

    async def up(self) -> list[str]:
        """Apply every pending step in order; the ids of those applied now."""
        applied_now = []
        async with self._lock.held():
            applied = {record["_id"] for record in await self._checked_records()}
            for step in self._steps:
                if step.id in applied:
                    continue
                started = time.perf_counter()
                await step.up(self._db.db)
                await self._db.db[RECORDS].insert_one(
                    {
                        "_id": step.id,
                        "checksum": step.checksum,
                        "appliedAt": datetime.now(UTC),
                        "durationMs": round((time.perf_counter() - started) * 1000, 1),
                    }
                )
                applied_now.append(step.id)
                await self._lock.renew()
        return applied_now

    async def down(self, to: str | None = None) -> list[str]:
        """Revert the last applied step, or (`to`) every step applied after step `to`.

        Refused, before anything is reverted, when one of them defines no `down`.
        """
        reverted = []
        async with self._lock.held():
            applied = [record["_id"] for record in await self._checked_records()]
            if to is not None and to not in applied:
                raise MigrationError(f"migration {to} is not applied: nothing to revert to")
            targets = applied[applied.index(to) + 1 :] if to is not None else applied[-1:]
            if not targets:
                raise MigrationError("no migration to revert")
            known = {step.id: step for step in self._steps}
            for step_id in targets:
                if known[step_id].down is None:
                    raise IrreversibleStep(step_id)
            for step_id in reversed(targets):
                revert = known[step_id].down
                assert revert is not None
                await revert(self._db.db)
                await self._db.db[RECORDS].delete_one({"_id": step_id})
                reverted.append(step_id)
                await self._lock.renew()
        return reverted

    async def _records(self) -> list[Document]:
        return [doc async for doc in self._db.db[RECORDS].find().sort("_id", 1)]

    async def _checked_records(self) -> list[Document]:
        """The applied records, once every one is known and unchanged."""
        known = {step.id: step for step in self._steps}
        records = await self._records()
        for record in records:
            state = _state(known.get(record["_id"]), record)
            if state == "unknown":
                raise UnknownStep(record["_id"])
            if state == "changed":
                raise ChangedStep(record["_id"])
        return records


def _state(step: Step | None, record: Document) -> Literal["applied", "changed", "unknown"]:
    if step is None:
        return "unknown"
    return "applied" if step.checksum == record.get("checksum") else "changed"


async def migrate(db: Database) -> list[str]:
    """Apply every pending step of `migrations.steps`; the ids of those applied."""
    return await Migrator(db).up()

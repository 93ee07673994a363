"""`contracts sla import --sow <id> FILE.csv`: a CSV file of interval rows of any size, streamed
in batches through the resolver `recordSlaIntervals` calls.

Columns are the `SlaIntervalInput` field names (`agentId` may be left out or empty for a
queue's rows). Each batch is one transaction: on a bad row the import stops, naming its line
and field; the batches before it are stored whole, nothing of the batch it is in.
"""

from __future__ import annotations

import csv
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Final

from domain.commands import RecordSlaIntervals
from domain.errors import DomainError
from domain.party import Role, Viewer
from domain.sla import INPUT_FIELDS, MAX_BATCH_ROWS
from domain.values import Channel
from resolvers.commands import handle
from resolvers.context import Context, Limits
from storage.store import Store

# A spreadsheet's byte order mark is not part of the first column's name.
CSV_ENCODING: Final = "utf-8-sig"
OPTIONAL = frozenset({"agentId"})
INTEGER_FIELDS = frozenset(INPUT_FIELDS) - {"channel", "intervalStart", "agentId"}
_ROW_FIELD = re.compile(r"^intervals\[(\d+)\]\.(\w+)$")
IMPORTER = Viewer(subject="contracts-sla-import", role=Role.COMPLIANCE)


class ImportStopped(Exception):
    """A row was refused (or the file is not such a CSV); the message says where and what
    was stored before it."""


@dataclass
class Imported:
    """The counts of the batches stored so far."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    batches: int = 0
    rows: int = 0
    seconds: float = 0.0
    _started: float = field(default_factory=time.perf_counter, repr=False)

    def add(self, inserted: int, updated: int, unchanged: int) -> None:
        self.inserted += inserted
        self.updated += updated
        self.unchanged += unchanged
        self.batches += 1
        self.rows += inserted + updated + unchanged
        self.seconds = time.perf_counter() - self._started

    def summary(self) -> str:
        return (
            f"{self.rows:,} rows in {self.batches} batch{'es' if self.batches != 1 else ''}: "
            f"{self.inserted:,} inserted, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged"
        )

    def stored_before(self) -> str:
        if not self.batches:
            return "nothing was stored"
        return f"stored before it, whole: {self.summary()}"


def parse_value(name: str, text: str) -> Any:
    """One CSV cell as its `SlaIntervalInput` value; ValueError says what is wrong."""
    text = text.strip()
    if name == "agentId":
        return text or None
    if not text:
        raise ValueError("is empty")
    if name == "channel":
        try:
            return Channel(text)
        except ValueError:
            raise ValueError(f"must be one of {', '.join(Channel)}") from None
    if name == "intervalStart":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                "must be an ISO 8601 date and time, e.g. 2026-11-02T14:00:00Z"
            ) from None
    try:
        return int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None


def _columns(header: list[str]) -> list[str]:
    names = [name.strip() for name in header]
    unknown = [name for name in names if name not in INPUT_FIELDS]
    missing = [name for name in INPUT_FIELDS if name not in names and name not in OPTIONAL]
    if unknown or missing:
        problems = [
            f"{kind} column{'s' if len(names) > 1 else ''} {', '.join(names)}"
            for kind, names in (("unknown", unknown), ("missing", missing))
            if names
        ]
        raise ImportStopped(f"line 1: {'; '.join(problems)} (columns: {', '.join(INPUT_FIELDS)})")
    return names


def rows_of(source: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each data row with its line number, values typed; `ImportStopped` at the first
    cell that cannot be read."""
    reader = csv.reader(source)
    header = next(reader, None)
    if header is None:
        raise ImportStopped("the file is empty: a header line of column names comes first")
    names = _columns(header)
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        if len(cells) != len(names):
            raise ImportStopped(f"line {line}: {len(cells)} cells, {len(names)} columns")
        row: dict[str, Any] = {"agentId": None}
        for name, cell in zip(names, cells, strict=True):
            try:
                row[name] = parse_value(name, cell)
            except ValueError as exc:
                raise ImportStopped(f"line {line}, field {name}: {exc}") from None
        yield line, row


class Progress:
    """A progress bar on standard error, for a terminal only: a pipe or a log gets none."""

    WIDTH = 30

    def __init__(self, total_bytes: int | None, out: IO[str] = sys.stderr) -> None:
        self._total = total_bytes
        self._out = out
        self._shown = out.isatty()

    def update(self, done_bytes: int, imported: Imported) -> None:
        if not self._shown:
            return
        rate = imported.rows / imported.seconds if imported.seconds else 0.0
        counts = f"{imported.rows:,} rows, {rate:,.0f}/s"
        if self._total:
            share = min(1.0, done_bytes / self._total)
            filled = round(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self._out.write(f"\r[{bar}] {share:4.0%}  {counts}")
        else:
            self._out.write(f"\r{counts}")
        self._out.flush()

    def end(self) -> None:
        if self._shown:
            self._out.write("\n")
            self._out.flush()


async def import_rows(
    store: Store,
    limits: Limits,
    sow_id: str,
    rows: Iterator[tuple[int, dict[str, Any]]],
    batch_size: int = MAX_BATCH_ROWS,
    after_batch: Callable[[Imported], None] = lambda _: None,
    clock: Callable[[], datetime] | None = None,
) -> Imported:
    """Record `rows` (line number, values) in batches of `batch_size` through the same
    command handler as `recordSlaIntervals`; `ImportStopped` at the first refused row."""
    if not 1 <= batch_size <= MAX_BATCH_ROWS:
        raise ImportStopped(f"--batch: 1 to {MAX_BATCH_ROWS:,} rows")
    ctx = Context(store=store, viewer=IMPORTER, limits=limits)
    if clock is not None:
        ctx.clock = clock
    imported = Imported()
    batch: list[tuple[int, dict[str, Any]]] = []

    async def send() -> None:
        try:
            values = tuple(row for _, row in batch)
            command = RecordSlaIntervals(sow_id=sow_id, intervals=values)
            merged = await handle(ctx, IMPORTER, command)
        except DomainError as exc:
            raise ImportStopped(_where(exc, batch, imported)) from None
        imported.add(len(merged.inserts), len(merged.updates), merged.unchanged)
        batch.clear()
        after_batch(imported)

    try:
        for numbered in rows:
            batch.append(numbered)
            if len(batch) == batch_size:
                await send()
    except ImportStopped as exc:
        # A cell that cannot be read: the rows before it in its batch were never sent.
        raise ImportStopped(f"{exc}; {imported.stored_before()}") from None
    if batch:
        await send()
    return imported


def _where(exc: DomainError, batch: list[tuple[int, dict[str, Any]]], imported: Imported) -> str:
    """The refusal of a batch, told by the file's line number instead of the row's index."""
    found = _ROW_FIELD.match(str(exc.extensions.get("field", "")))
    if found is None:
        return f"{exc.message}; {imported.stored_before()}"
    line, name = batch[int(found[1])][0], found[2]
    detail = exc.message.split(": ", 1)[-1]
    return (
        f"line {line}, field {name}: {detail} ({exc.code}); {imported.stored_before()}; "
        f"nothing of the batch from line {batch[0][0]} on"
    )

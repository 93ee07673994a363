"""Applies pending migration steps in order and records each one."""

from __future__ import annotations

import importlib
import pkgutil
import time
from datetime import UTC, datetime
from types import ModuleType

from migrations import steps
from storage.database import Database


def load_steps() -> list[tuple[str, ModuleType]]:
    names = sorted(m.name for m in pkgutil.iter_modules(steps.__path__) if m.name[0] == "m")
    return [(name, importlib.import_module(f"{steps.__name__}.{name}")) for name in names]


async def migrate(db: Database) -> list[str]:
    """Apply every pending step; the ids of those applied."""
    applied_now = []
    async with db.access():
        done = {doc["_id"] async for doc in db.db.migrations.find({}, {"_id": 1})}
        for name, module in load_steps():
            if name in done:
                continue
            started = time.perf_counter()
            await module.up(db.db)
            await db.db.migrations.insert_one(
                {
                    "_id": name,
                    "appliedAt": datetime.now(UTC),
                    "durationMs": round((time.perf_counter() - started) * 1000, 1),
                }
            )
            applied_now.append(name)
    return applied_now

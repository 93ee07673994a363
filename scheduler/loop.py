"""The service's background scheduler: `run_once` every interval until cancelled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from scheduler.job import Options
from scheduler.run import run_once
from storage.store import Store

log = logging.getLogger("contracts.scheduler")


async def run_periodically(
    store: Store, clock: Callable[[], datetime], interval_seconds: float, options: Options
) -> None:
    """A pass now, then one every `interval_seconds`; a failed pass is logged and the next
    one still happens. Ends only by cancellation (service shutdown)."""
    while True:
        try:
            report = await run_once(store, clock(), options)
        except Exception:
            log.exception("scheduler pass failed")
        else:
            if report.changed or report.errors:
                log.info("scheduler pass: %s", report.to_json())
        await asyncio.sleep(interval_seconds)

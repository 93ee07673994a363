"""What a process holds while it runs: the database, the embedded server, background tasks."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.errors import PyMongoError

from api.auth import TokenVerifier
from api.rate_limit import SYNC_SECONDS, RateLimiter
from api.settings import Settings
from live import Live
from migrations.runner import migrate
from resolvers.context import utc_now
from scheduler import delivery
from scheduler.job import Options
from scheduler.loop import run_periodically
from scheduler.mail import Mailer, mailer_for
from storage.database import Database
from storage.embedded import EmbeddedOptions, EmbeddedServer
from storage.leases import LEASE_SECONDS
from storage.mongoeco_file import DATA_FILE as LEGACY_DATA_FILE
from storage.mongoeco_file import carry_over
from storage.store import Store

log = logging.getLogger("contracts")


@dataclass
class Services:
    settings: Settings
    db: Database
    store: Store
    verifier: TokenVerifier
    live: Live
    # Replaced by tests that move time (the scheduler's dates, CSA flags).
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()


def embedded_server(settings: Settings) -> EmbeddedServer:
    """The embedded server of `settings`' data folder (started on entering)."""
    return EmbeddedServer(settings.data_dir, EmbeddedOptions(port=settings.embedded_port))


@asynccontextmanager
async def database(
    settings: Settings, client_options: Mapping[str, Any] | None = None
) -> AsyncIterator[Database]:
    """The database of `settings`, open, and nothing else: the embedded server when no
    MONGODB_URI (the one the data folder's `contracts serve` runs, else one started here),
    a mongoeco data file carried over, pending migrations applied when MIGRATE_ON_START.
    Closed after. What the one-shot commands (migrate, seed, schedule, export, import) use.

    `client_options` go to `AsyncMongoClient` (tests and benchmarks add command listeners).
    """
    async with AsyncExitStack() as stack:
        uri = settings.mongodb_uri
        if uri is None:
            # Started from the event loop's thread: the server is bound to this process's
            # life (see storage.embedded), not to a worker thread's.
            uri = stack.enter_context(embedded_server(settings)).uri
        db = Database(uri, settings.mongodb_database, **(client_options or {}))
        stack.push_async_callback(db.close)
        legacy = settings.data_dir / LEGACY_DATA_FILE
        if settings.embedded and legacy.exists():
            # Before migrating: the old file's migration records must land first.
            counts = await carry_over(legacy, db)
            log.info("carried over %d documents from %s", sum(counts.values()), legacy)
        if settings.migrate_on_start:
            await migrate(db)
        yield db


@asynccontextmanager
async def running(
    settings: Settings, client_options: Mapping[str, Any] | None = None
) -> AsyncIterator[Services]:
    """What a serving process holds: the `database`, and its live events following its
    log. Cleaned up in reverse (live events first: their subscriptions complete before the
    database closes)."""
    async with AsyncExitStack() as stack:
        db = await stack.enter_async_context(database(settings, client_options))
        live = await Live.start(db, queue_size=settings.subscriber_queue_size)
        stack.push_async_callback(live.stop)
        yield Services(
            settings=settings,
            db=db,
            store=Store(db),
            verifier=TokenVerifier.from_settings(settings),
            live=live,
        )


def scheduler_options(settings: Settings) -> Options:
    """The scheduler's settings, for the background task and `contracts schedule` alike."""
    return Options(
        renewal_notice_days=settings.renewal_notice_days,
        sla_close_after_days=settings.sla_close_after_days,
        renewal_min_answered=settings.renewal_min_answered,
    )


def mailer(settings: Settings) -> Mailer:
    url = settings.smtp_url.get_secret_value() if settings.smtp_url else None
    return mailer_for(url, settings.mail_dir)


def delivery_options(settings: Settings) -> delivery.Options:
    return delivery.Options(
        mail_from=settings.mail_from,
        compliance_email=settings.compliance_email,
        retry_seconds=settings.delivery_retry_seconds,
        max_attempts=settings.delivery_max_attempts,
    )


@asynccontextmanager
async def _background(
    work: Coroutine[Any, Any, None] | None, name: str
) -> AsyncIterator[asyncio.Task[None] | None]:
    """`work` as a task for as long as the context lasts, cancelled on leaving; nothing
    (None) when disabled."""
    if work is None:
        yield None
        return
    task = asyncio.create_task(work, name=name)
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def delivering(services: Services) -> AbstractAsyncContextManager[asyncio.Task[None] | None]:
    """The outbox's worker of a serving process (when `DELIVERY_ENABLED`), cancelled on
    shutdown. Every process may run it: each task is claimed by one at a time."""
    settings = services.settings
    work = (
        delivery.deliver_periodically(
            services.store,
            mailer(settings),
            services.now,
            settings.delivery_interval_seconds,
            delivery_options(settings),
        )
        if settings.delivery_enabled
        else None
    )
    return _background(work, "delivery")


def scheduling(services: Services) -> AbstractAsyncContextManager[asyncio.Task[None] | None]:
    """The background scheduler of a serving process (when `SCHEDULER_ENABLED`), cancelled
    on shutdown; yields its task, or None when disabled.

    Every process may run it: the passes of several processes do each transition once.
    """
    settings = services.settings
    work = (
        run_periodically(
            services.store,
            services.now,
            settings.scheduler_interval_seconds,
            scheduler_options(settings),
        )
        if settings.scheduler_enabled
        else None
    )
    return _background(work, "scheduler")


async def share_limits(store: Store, limiter: RateLimiter | None) -> None:
    """Keeps this process's part of the shared limits in the database: pushes the requests
    its rate limiter admitted alone, and renews the leases of its connections and
    subscriptions (which stop counting LEASE_SECONDS after the process stops renewing)."""
    renewed = -LEASE_SECONDS
    while True:
        await asyncio.sleep(SYNC_SECONDS)
        try:
            if limiter is not None:
                await limiter.flush()
            if time.monotonic() - renewed >= LEASE_SECONDS / 3:
                await store.leases.renew(utc_now())
                renewed = time.monotonic()
        except PyMongoError as error:
            log.warning("shared limits not kept this time: %r", error)


def sharing_limits(
    services: Services, limiter: RateLimiter | None
) -> AbstractAsyncContextManager[asyncio.Task[None] | None]:
    """`share_limits` for as long as the process serves."""
    return _background(share_limits(services.store, limiter), "shared-limits")

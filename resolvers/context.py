"""What every resolver receives: the viewer, the storage, the clock and per-request loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.errors import Unauthenticated
from domain.party import Viewer
from domain.policy import CsaPolicy
from live import Live
from live.delivery import LiveOperation
from resolvers.loaders import Loaders
from storage.store import Store


def utc_now() -> datetime:
    # BSON keeps milliseconds; truncating here makes what we return equal what we read back.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class Limits:
    """What the settings decide for the resolvers: the largest page, the CSA policy, the
    largest upload, and the answered contacts below which an agent's performance advises
    nothing."""

    max_page_size: int
    csa_policy: CsaPolicy
    max_upload_bytes: int
    renewal_min_answered: int
    # Across every process (leases in the database).
    subscriptions_per_subject: int = 200


@dataclass
class Context:
    store: Store
    viewer: Viewer | None
    limits: Limits
    clock: Callable[[], datetime] = utc_now
    request_id: str | None = None
    auth_error: Unauthenticated | None = None
    # The process's live events; subscriptions need them, queries do not.
    live: Live | None = None
    # The WebSocket operation being run, as live events reach it (None over HTTP).
    operation: LiveOperation | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store)

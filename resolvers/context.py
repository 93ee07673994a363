"""What every resolver receives: the viewer, the storage, the clock and per-request loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.errors import Unauthenticated
from domain.party import Viewer
from resolvers.loaders import Loaders
from storage.event_hub import EventHub
from storage.store import Store


def utc_now() -> datetime:
    # BSON keeps milliseconds; truncating here makes what we return equal what we read back.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class Limits:
    max_page_size: int = 100
    csa_min_term_months: int = 3
    csa_max_term_months: int = 4
    csa_min_lead_days: int = 14
    renewal_notice_days: int = 30


@dataclass
class Context:
    store: Store
    viewer: Viewer | None
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], datetime] = utc_now
    request_id: str | None = None
    auth_error: Unauthenticated | None = None
    # The process's event fan-out; subscriptions need it, queries do not.
    hub: EventHub | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store)

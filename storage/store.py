"""The storage facade the resolvers use: one per process, over one `Database`."""

from __future__ import annotations

from bson import ObjectId

from domain.csa import Csa
from domain.occurrence import Occurrence
from domain.sow import Sow
from domain.statement import SlaPeriod
from storage import csas, occurrences, sla, sows
from storage.csas import CsaStore
from storage.database import Database
from storage.documents import DocumentStore
from storage.events import EventStore
from storage.leases import Leases
from storage.occurrences import OccurrenceStore
from storage.outbox import OutboxStore
from storage.parties import PartyStore
from storage.persisted_queries import PersistedQueryStore
from storage.rate_limits import RateBudgets
from storage.sla import SlaStore
from storage.sows import SowStore
from storage.versions import VersionStore
from storage.writes import Writer


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.parties = PartyStore(db)
        self.sows = SowStore(db)
        self.csas = CsaStore(db)
        self.versions = VersionStore(db)
        self.events = EventStore(db)
        self.sla = SlaStore(db)
        self.documents = DocumentStore(db)
        self.outbox = OutboxStore(db)
        self.occurrences = OccurrenceStore(db)
        self.rate_budgets = RateBudgets(db)
        self.leases = Leases(db)
        self.writer = Writer(
            db,
            {
                Sow: sows.MAPPER,
                Csa: csas.MAPPER,
                SlaPeriod: sla.MAPPER,
                Occurrence: occurrences.MAPPER,
            },
        )
        self.persisted_queries = PersistedQueryStore(db)

    @staticmethod
    def new_id() -> str:
        return str(ObjectId())

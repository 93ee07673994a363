"""Performance against the contract: interval rows (`sla_intervals`) and period records with
their running sums and frozen statements (`sla_statements`).

A scorecard reads its period's record, never the rows: every recording keeps the running
sums of the queue rows of each period it touches, in the same transaction as the rows, so
a month of quarter-hour data costs one small document to read however many rows it has.
The rows stay the truth: closing a period counts them again (`recount`, one aggregation).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from bson import Decimal128, ObjectId
from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError

from domain.events import EntityType
from domain.sla import (
    COUNT_FIELDS,
    IntervalCounts,
    IntervalRow,
    Merge,
    Period,
    RowKey,
    Scorecard,
    SlaResult,
    check_open,
    merge,
)
from domain.sow import Sow
from domain.statement import (
    Closing,
    Credit,
    PeriodFigures,
    SlaPeriod,
    Statement,
    versions_needed,
)
from domain.values import Channel, PricingUnit, SlaMetric
from storage.codec import actor_from_bson, actor_to_bson, object_id, optional_id
from storage.database import Database, Document, RetryTransaction
from storage.parties import DUPLICATE_KEY
from storage.sows import SowStore
from storage.sows import from_bson as sow_from_bson
from storage.writes import Mapper

KIND = "SlaPeriod"


# ---------------------------------------------------------------------------------------------
# Codec


def counts_to_bson(counts: IntervalCounts) -> Document:
    return {key: getattr(counts, name) for name, key in COUNT_FIELDS}


def counts_from_bson(doc: Mapping[str, Any]) -> IntervalCounts:
    return IntervalCounts(**{name: doc[key] for name, key in COUNT_FIELDS})


def row_to_bson(sow_id: str, row: IntervalRow) -> Document:
    return {
        "sowId": ObjectId(sow_id),
        "channel": row.channel.value,
        "intervalStart": row.interval_start.astimezone(UTC),
        "agentId": optional_id(row.agent_id),
        "intervalMinutes": row.interval_minutes,
        "thresholdSeconds": row.threshold_seconds,
        **counts_to_bson(row.counts),
    }


def row_from_bson(doc: Mapping[str, Any]) -> IntervalRow:
    agent = doc.get("agentId")
    return IntervalRow(
        channel=Channel(doc["channel"]),
        interval_start=doc["intervalStart"],
        interval_minutes=doc["intervalMinutes"],
        threshold_seconds=doc["thresholdSeconds"],
        counts=counts_from_bson(doc),
        agent_id=None if agent is None else str(agent),
    )


def _fraction(value: Fraction | None) -> str | None:
    # Exact: "305/4", read back by `Fraction` as the same number.
    return None if value is None else str(value)


def _result_to_bson(result: SlaResult) -> Document:
    return {
        "metric": result.metric.value,
        "target": _fraction(result.target),
        "actual": _fraction(result.actual),
        "met": result.met,
    }


def _result_from_bson(doc: Mapping[str, Any]) -> SlaResult:
    target, actual = doc.get("target"), doc.get("actual")
    return SlaResult(
        SlaMetric(doc["metric"]),
        None if target is None else Fraction(target),
        None if actual is None else Fraction(actual),
        doc.get("met"),
    )


def _money(value: Decimal128) -> Decimal:
    return value.to_decimal()


def _closed_to_bson(figures: PeriodFigures) -> Document:
    owed = figures.statement
    return {
        "closedAt": figures.closed_at,
        "termsVersion": figures.scorecard.terms_version,
        "results": [_result_to_bson(result) for result in figures.scorecard.results],
        "misses": {metric.value: run for metric, run in figures.misses.items()},
        "currency": owed.currency,
        "unit": owed.unit.value,
        "quantity": Decimal128(owed.quantity),
        "fees": Decimal128(owed.fees),
        "credits": [
            {
                "metric": credit.metric.value,
                "consecutiveMisses": credit.consecutive_misses,
                "percent": Decimal128(credit.percent),
                "amount": Decimal128(credit.amount),
            }
            for credit in owed.credits
        ],
        "totalCredits": Decimal128(owed.total_credits),
        "amountDue": Decimal128(owed.amount_due),
    }


def _closed_from_bson(
    doc: Mapping[str, Any], period: Period, counts: IntervalCounts
) -> PeriodFigures:
    results = tuple(_result_from_bson(result) for result in doc["results"])
    owed = Statement(
        currency=doc["currency"],
        unit=PricingUnit(doc["unit"]),
        quantity=_money(doc["quantity"]),
        fees=_money(doc["fees"]),
        credits=tuple(
            Credit(
                SlaMetric(credit["metric"]),
                credit["consecutiveMisses"],
                _money(credit["percent"]),
                _money(credit["amount"]),
            )
            for credit in doc["credits"]
        ),
        total_credits=_money(doc["totalCredits"]),
        amount_due=_money(doc["amountDue"]),
    )
    return PeriodFigures(
        scorecard=Scorecard(period, True, doc["termsVersion"], counts, results),
        statement=owed,
        misses={SlaMetric(metric): run for metric, run in doc["misses"].items()},
        closed_at=doc["closedAt"],
    )


def period_to_bson(record: SlaPeriod) -> Document:
    doc: Document = {
        "_id": ObjectId(record.id),
        "sowId": ObjectId(record.sow_id),
        "clientId": ObjectId(record.client_id),
        "period": str(record.period),
        "starts": record.starts,
        "ends": record.ends,
        "revision": record.revision,
        "counts": counts_to_bson(record.counts),
        "closed": record.closed is not None,
    }
    if record.closed is not None:
        doc["closedBy"] = None if record.closed_by is None else actor_to_bson(record.closed_by)
        doc.update(_closed_to_bson(record.closed))
    return doc


def period_from_bson(doc: Mapping[str, Any]) -> SlaPeriod:
    period = Period.parse(doc["period"])
    counts = counts_from_bson(doc["counts"])
    closed = _closed_from_bson(doc, period, counts) if doc["closed"] else None
    closed_by = doc.get("closedBy")
    return SlaPeriod(
        id=str(doc["_id"]),
        sow_id=str(doc["sowId"]),
        client_id=str(doc["clientId"]),
        period=period,
        starts=doc["starts"],
        ends=doc["ends"],
        revision=doc["revision"],
        counts=counts,
        closed=closed,
        closed_by=None if closed_by is None else actor_from_bson(closed_by),
    )


# Closing replaces the record through `storage.writes`, revision-checked, with its events.
MAPPER: Mapper[SlaPeriod] = Mapper(EntityType.SOW, lambda db: db.db.sla_statements, period_to_bson)


def _sums() -> Document:
    return {key: {"$sum": f"${key}"} for _, key in COUNT_FIELDS}


def _duplicate(exc: BulkWriteError | DuplicateKeyError) -> bool:
    if isinstance(exc, DuplicateKeyError):
        return True
    return any(error.get("code") == DUPLICATE_KEY for error in exc.details.get("writeErrors", ()))


# ---------------------------------------------------------------------------------------------
# Reads and writes


@dataclass(frozen=True, slots=True)
class AgentRows:
    """One agent's rows under one SOW from `starts` (included) to `ends` (excluded)."""

    sow_id: str
    agent_id: str
    starts: datetime
    ends: datetime


class SlaStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def periods(self, sow_ids: list[str]) -> dict[str, list[SlaPeriod]]:
        """Each SOW's period records, oldest first, in one query."""
        found: dict[str, list[SlaPeriod]] = {sow_id: [] for sow_id in sow_ids}
        query = {"sowId": {"$in": [ObjectId(i) for i in sow_ids]}}
        async for doc in self._db.db.sla_statements.find(query).sort("period", 1):
            found[str(doc["sowId"])].append(period_from_bson(doc))
        return found

    async def period_list(self, sow_id: str) -> list[SlaPeriod]:
        return (await self.periods([sow_id]))[sow_id]

    async def period(self, sow_id: str, period: Period) -> SlaPeriod | None:
        doc = await self._db.db.sla_statements.find_one(
            {"sowId": ObjectId(sow_id), "period": str(period)}
        )
        return None if doc is None else period_from_bson(doc)

    async def ensure_period(self, sow: Sow, period: Period, new_id: str) -> None:
        """A record for `period` of `sow`, open and empty unless it exists: what a close of
        a period without rows replaces."""
        blank = period_to_bson(SlaPeriod.open(new_id, sow, period))
        key = {"sowId": blank.pop("sowId"), "period": blank.pop("period")}
        # A duplicate: created meanwhile by a recording or another close, so there it is.
        with suppress(DuplicateKeyError):
            await self._db.db.sla_statements.update_one(key, {"$setOnInsert": blank}, upsert=True)

    async def record(
        self,
        sow: Sow,
        rows: Sequence[IntervalRow],
        periods: Sequence[Period],
        new_id: Callable[[], str],
    ) -> Merge:
        """Store a checked batch (each row with its period) in one transaction: refused
        (`PeriodClosed`) when a row's period is closed; new keys inserted, changed ones
        replaced, identical ones left alone; each touched period's running sums and revision
        moved with them. Nothing written when nothing changed."""
        touched_periods = sorted(set(periods))

        async def work(session: AsyncClientSession) -> Merge:
            records = await self._records(sow.id, touched_periods, session)
            check_open(periods, [record.period for record in records.values() if record.closed])
            merged = merge(rows, periods, await self._stored_rows(sow.id, rows, session))
            if not merged.touched:
                return merged
            try:
                await self._write_periods(sow, records, merged, new_id, session)
                await self._write_rows(sow.id, merged, session)
            except (BulkWriteError, DuplicateKeyError) as exc:
                # A concurrent recording inserted the same key or period first: run again,
                # and it is an update.
                if _duplicate(exc):
                    raise RetryTransaction("a key was inserted concurrently") from exc
                raise
            return merged

        return await self._db.in_transaction(work)

    async def _records(
        self, sow_id: str, periods: list[Period], session: AsyncClientSession
    ) -> dict[Period, SlaPeriod]:
        query = {"sowId": ObjectId(sow_id), "period": {"$in": [str(p) for p in periods]}}
        cursor = self._db.db.sla_statements.find(query, session=session)
        return {(record := period_from_bson(doc)).period: record async for doc in cursor}

    async def _stored_rows(
        self, sow_id: str, rows: Sequence[IntervalRow], session: AsyncClientSession
    ) -> dict[RowKey, tuple[str, IntervalRow]]:
        """The stored rows the batch may replace, in one range query on the batch's agents
        (the queue: null) and channels: a list of every key would be far slower to match."""
        if not rows:
            return {}
        starts = [row.interval_start for row in rows]
        query = {
            "sowId": ObjectId(sow_id),
            "agentId": {"$in": list({optional_id(row.agent_id) for row in rows})},
            "channel": {"$in": list({row.channel.value for row in rows})},
            "intervalStart": {"$gte": min(starts), "$lte": max(starts)},
        }
        found: dict[RowKey, tuple[str, IntervalRow]] = {}
        async for doc in self._db.db.sla_intervals.find(query, session=session):
            row = row_from_bson(doc)
            found[row.key] = (str(doc["_id"]), row)
        return found

    async def _write_periods(
        self,
        sow: Sow,
        records: Mapping[Period, SlaPeriod],
        merged: Merge,
        new_id: Callable[[], str],
        session: AsyncClientSession,
    ) -> None:
        writes: list[InsertOne[Document] | UpdateOne] = []
        for period in sorted(merged.touched):
            delta = merged.queue_deltas.get(period, IntervalCounts())
            record = records.get(period)
            if record is None:
                fresh = dataclasses.replace(SlaPeriod.open(new_id(), sow, period), counts=delta)
                writes.append(InsertOne(period_to_bson(fresh)))
                continue
            increments = {f"counts.{k}": v for k, v in counts_to_bson(delta).items() if v}
            writes.append(
                UpdateOne(
                    {"_id": ObjectId(record.id), "closed": False},
                    {"$inc": {**increments, "revision": 1}},
                )
            )
        await self._db.db.sla_statements.bulk_write(writes, session=session)

    async def _write_rows(self, sow_id: str, merged: Merge, session: AsyncClientSession) -> None:
        writes: list[InsertOne[Document] | UpdateOne] = [
            InsertOne(row_to_bson(sow_id, row)) for row in merged.inserts
        ]
        for id, row in merged.updates:
            values = row_to_bson(sow_id, row)
            writes.append(UpdateOne({"_id": ObjectId(id)}, {"$set": values}))
        await self._db.db.sla_intervals.bulk_write(writes, session=session)

    async def recount(
        self, sow_id: str, time_zone: str, starts: datetime, ends: datetime
    ) -> dict[Period, IntervalCounts]:
        """The sums of the SOW's queue rows from `starts` to `ends`, per month in
        `time_zone`, counted from the rows themselves in one aggregation."""
        pipeline: list[Document] = [
            {
                "$match": {
                    "sowId": ObjectId(sow_id),
                    "agentId": None,
                    "intervalStart": {"$gte": starts, "$lt": ends},
                }
            },
            {
                "$group": {
                    "_id": {
                        "$dateToString": {
                            "format": "%Y-%m",
                            "date": "$intervalStart",
                            "timezone": time_zone,
                        }
                    },
                    **_sums(),
                }
            },
        ]
        cursor = await self._db.db.sla_intervals.aggregate(pipeline)
        return {Period.parse(doc["_id"]): counts_from_bson(doc) async for doc in cursor}

    async def agent_sums(self, wanted: Iterable[AgentRows]) -> dict[AgentRows, IntervalCounts]:
        """The sums of each agent's rows in each range, in one aggregation whatever their
        number (a page of CSAs): each row is grouped under the range it falls in."""
        ranges = [item for item in dict.fromkeys(wanted) if item.starts < item.ends]
        if not ranges:
            return {}
        matches = [
            {
                "sowId": ObjectId(item.sow_id),
                "agentId": ObjectId(item.agent_id),
                "intervalStart": {"$gte": item.starts, "$lt": item.ends},
            }
            for item in ranges
        ]
        # One agent's CSAs under one SOW never overlap: a row falls in one range at most.
        branches = [
            {
                "case": {
                    "$and": [
                        {"$eq": ["$sowId", match["sowId"]]},
                        {"$eq": ["$agentId", match["agentId"]]},
                        {"$gte": ["$intervalStart", item.starts]},
                        {"$lt": ["$intervalStart", item.ends]},
                    ]
                },
                "then": index,
            }
            for index, (item, match) in enumerate(zip(ranges, matches, strict=True))
        ]
        pipeline: list[Document] = [
            {"$match": {"$or": matches}},
            {"$group": {"_id": {"$switch": {"branches": branches, "default": -1}}, **_sums()}},
        ]
        cursor = await self._db.db.sla_intervals.aggregate(pipeline)
        return {
            ranges[doc["_id"]]: counts_from_bson(doc) async for doc in cursor if doc["_id"] >= 0
        }

    async def closing(self, sows: SowStore, record_id: str) -> Closing | None:
        """Everything closing the period of record `record_id` is decided on; None when
        there is no such record or SOW."""
        doc = await self._db.db.sla_statements.find_one({"_id": object_id(record_id, KIND)})
        if doc is None:
            return None
        record = period_from_bson(doc)
        sow_doc = await self._db.db.sows.find_one({"_id": ObjectId(record.sow_id)})
        if sow_doc is None:
            return None
        sow = sow_from_bson(sow_doc)
        stored = [
            period_from_bson(found)
            async for found in self._db.db.sla_statements.find(
                {"sowId": ObjectId(sow.id), "period": {"$lte": str(record.period)}}
            )
        ]
        needed = versions_needed(sow, stored, record.period, record.period)
        versions = await sows.terms_of_versions([(sow.id, number) for number in needed])
        zone = sow.terms.service_hours.time_zone
        recount = await self.recount(sow.id, zone, record.starts, record.ends)
        counted = IntervalCounts.total(recount.values())
        return Closing(sow, record, stored, {n: t for (_, n), t in versions.items()}, counted)

    async def due_for_close(self, through: datetime, after: str | None, limit: int) -> list[str]:
        """Ids of open period records that ended at or before `through`, in id order after
        the id `after` (one batch of the scheduler)."""
        query: Document = {"closed": False, "ends": {"$lte": through}}
        if after is not None:
            query["_id"] = {"$gt": ObjectId(after)}
        cursor = self._db.db.sla_statements.find(query, {"_id": 1}).sort("_id", 1).limit(limit)
        return [str(doc["_id"]) async for doc in cursor]

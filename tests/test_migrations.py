"""Migrations against the real server through the real driver: steps, records, lock, validators."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bson import Decimal128, ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, WriteError

from api.cli import main
from domain.party import Role
from migrations.lock import LOCK_ID, LockError, MigrationLock
from migrations.runner import (
    ChangedStep,
    IrreversibleStep,
    MigrationError,
    Migrator,
    Step,
    UnknownStep,
    load_steps,
)
from migrations.steps.m0001_collections import VALIDATORS
from migrations.steps.m0002_indexes import INDEXES
from migrations.steps.m0003_sla_collections import VALIDATORS as SLA_VALIDATORS
from migrations.steps.m0005_sla_indexes import INDEXES as SLA_INDEXES
from migrations.steps.m0006_obligation_occurrences import INDEXES as OCCURRENCE_INDEXES
from migrations.steps.m0006_obligation_occurrences import VALIDATORS as OCCURRENCE_VALIDATORS
from storage.database import Database, Document
from tests.conftest import Api
from tests.ids import oid
from tests.sow_helpers import create_client, create_sow

LATEST = [
    "m0001_collections",
    "m0002_indexes",
    "m0003_sla_collections",
    "m0004_documents",
    "m0005_sla_indexes",
    "m0006_obligation_occurrences",
    "m0007_shared_limits",
    "m0008_persisted_queries",
    "m0009_sow_evidence",
    "m0010_lease_processes",
    "m0011_lease_slots",
]


@pytest.fixture
async def database(mongo_uri: str) -> AsyncIterator[Database]:
    db = Database(mongo_uri, f"test_{uuid.uuid4().hex[:16]}")
    yield db
    await db.client.drop_database(db.db.name)
    await db.close()


async def index_names(db: Database) -> dict[str, set[str]]:
    return {
        name: {index["name"] async for index in await db.db[name].list_indexes()}
        for name in (*VALIDATORS, *SLA_VALIDATORS, *OCCURRENCE_VALIDATORS)
    }


async def test_an_empty_database_reaches_the_latest_step(database: Database) -> None:
    assert await Migrator(database).up() == LATEST

    collections = {c["name"]: c async for c in await database.db.list_collections()}
    for name in (*VALIDATORS, *SLA_VALIDATORS, *OCCURRENCE_VALIDATORS):
        assert "$jsonSchema" in collections[name]["options"]["validator"], name
    indexes = await index_names(database)
    for name, models in (*INDEXES.items(), *SLA_INDEXES.items(), *OCCURRENCE_INDEXES.items()):
        assert {m.document["name"] for m in models} <= indexes[name], name
    status = await Migrator(database).status()
    assert [(row.id, row.state) for row in status] == [(i, "applied") for i in LATEST]
    assert all(row.applied_at is not None and row.duration_ms is not None for row in status)
    assert await database.db.migration_lock.count_documents({}) == 0


async def test_running_again_changes_nothing(database: Database) -> None:
    await Migrator(database).up()
    records = [doc async for doc in database.db.migrations.find()]
    indexes = await index_names(database)

    assert await Migrator(database).up() == []
    assert [doc async for doc in database.db.migrations.find()] == records
    assert await index_names(database) == indexes


async def test_a_step_changed_after_it_was_applied_is_refused(database: Database) -> None:
    await Migrator(database).up()
    await database.db.migrations.update_one(
        {"_id": "m0002_indexes"}, {"$set": {"checksum": "0" * 64}}
    )

    with pytest.raises(ChangedStep, match="m0002_indexes changed after it was applied"):
        await Migrator(database).up()
    with pytest.raises(ChangedStep, match="m0002_indexes"):
        await Migrator(database).down()
    states = {row.id: row.state for row in await Migrator(database).status()}
    assert states == {**dict.fromkeys(LATEST, "applied"), "m0002_indexes": "changed"}


async def test_an_applied_step_without_its_file_is_refused(database: Database) -> None:
    await Migrator(database).up()
    gone = [step for step in load_steps() if step.id != "m0002_indexes"]

    with pytest.raises(UnknownStep, match="m0002_indexes is recorded as applied but has no"):
        await Migrator(database, gone).up()


def counting_steps(calls: list[str]) -> list[Step]:
    """Steps that record each run and yield mid-way, so that racing runners interleave."""

    def step(step_id: str) -> Step:
        async def up(db: object) -> None:
            calls.append(step_id)
            await asyncio.sleep(0.02)

        return Step(step_id, "checksum-" + step_id, up)

    return [step("m0001_a"), step("m0002_b"), step("m0003_c")]


async def test_two_runners_started_together_apply_each_step_once(
    database: Database, mongo_uri: str
) -> None:
    other = Database(mongo_uri, database.db.name)
    calls: list[str] = []
    steps = counting_steps(calls)
    try:
        first, second = await asyncio.gather(
            Migrator(database, steps).up(), Migrator(other, steps).up()
        )
    finally:
        await other.close()

    assert calls == ["m0001_a", "m0002_b", "m0003_c"]
    assert sorted(first + second) == calls
    assert [] in (first, second)
    assert await database.db.migrations.count_documents({}) == 3
    assert await database.db.migration_lock.count_documents({}) == 0


async def test_a_live_lock_makes_a_runner_wait_and_a_stale_one_is_taken_over(
    database: Database,
) -> None:
    holder = MigrationLock(database.db, owner="host-a:1")
    assert await holder.try_acquire()
    impatient = MigrationLock(database.db, wait=timedelta(seconds=0.2), poll_seconds=0.05)
    with pytest.raises(LockError, match="held by host-a:1 until"):
        await Migrator(database, counting_steps([]), impatient).up()

    await database.db.migration_lock.update_one(
        {"_id": LOCK_ID}, {"$set": {"expiresAt": datetime.now(UTC) - timedelta(seconds=1)}}
    )
    assert await Migrator(database, counting_steps([]), impatient).up() == [
        "m0001_a",
        "m0002_b",
        "m0003_c",
    ]
    with pytest.raises(LockError, match="lost by host-a:1"):
        await holder.renew()


async def backfill_event_client(db: AsyncDatabase[Document]) -> None:
    """A data step: SOW events written before the `clientId` scope key get it from their SOW."""
    old = [e async for e in db.events.find({"entityType": "SOW", "clientId": {"$exists": False}})]
    for event in old:
        sow = await db.sows.find_one({"_id": event["entityId"]}, {"clientId": 1})
        assert sow is not None
        await db.events.update_one({"_id": event["_id"]}, {"$set": {"clientId": sow["clientId"]}})


async def test_a_data_step_upgrades_documents_written_in_the_old_shape(api: Api) -> None:
    db: Database = api.app.state.services.db
    client_id = await create_client(api)
    sow = await create_sow(api, client_id)
    old_shape: Document = {
        "seq": 1000,
        "type": "TERMS_UPDATED",
        "entityType": "SOW",
        "entityId": oid(sow["id"]),
        "version": 1,
        "actor": {"id": "legacy", "role": None},
        "at": datetime(2025, 1, 1, tzinfo=UTC),
    }
    await db.db.events.insert_one(old_shape)
    steps = [*load_steps(), Step("m0003_backfill_event_client", "v1", backfill_event_client)]

    assert await Migrator(db, steps).up() == ["m0003_backfill_event_client"]

    upgraded = await db.db.events.find_one({"seq": 1000})
    assert upgraded is not None
    assert upgraded["clientId"] == oid(client_id)
    query = "{ events(first: 50) { edges { node { type } } } }"
    data = await api.ok(query, token=api.token(Role.CLIENT, client_id=client_id))
    assert {"node": {"type": "TERMS_UPDATED"}} in data["events"]["edges"]


async def test_down_reverts_the_last_step_and_is_refused_where_none_is_defined(
    database: Database,
) -> None:
    await Migrator(database).up()
    with pytest.raises(MigrationError, match="m0099_x is not applied"):
        await Migrator(database).down(to="m0099_x")

    assert await Migrator(database).down() == ["m0011_lease_slots"]
    assert "lease_subject_kind_owner" in {
        index["name"] async for index in await database.db.leases.list_indexes()
    }
    assert await Migrator(database).down() == ["m0010_lease_processes"]
    assert "lease_processes" not in await database.db.list_collection_names()
    assert "lease_subject_kind_expires" in {
        index["name"] async for index in await database.db.leases.list_indexes()
    }
    assert await Migrator(database).down() == ["m0009_sow_evidence"]
    assert "document_entity" not in {
        index["name"] async for index in await database.db.documents.list_indexes()
    }
    assert await Migrator(database).down() == ["m0008_persisted_queries"]
    assert "persisted_queries" not in await database.db.list_collection_names()
    assert await Migrator(database).down() == ["m0007_shared_limits"]
    assert "leases" not in await database.db.list_collection_names()
    assert await Migrator(database).down() == ["m0006_obligation_occurrences"]
    assert (await index_names(database))["occurrences"] == {"_id_"}
    assert await Migrator(database).down() == ["m0005_sla_indexes"]
    assert (await index_names(database))["sla_intervals"] == {"_id_"}
    assert await Migrator(database).down() == ["m0004_documents"]
    assert "document_sha256" not in {
        index["name"] async for index in await database.db.documents.list_indexes()
    }
    with pytest.raises(IrreversibleStep, match="m0003_sla_collections defines no down"):
        await Migrator(database).down()
    # Refused before anything is reverted: m0002 keeps its indexes.
    with pytest.raises(IrreversibleStep, match="m0003_sla_collections defines no down"):
        await Migrator(database).down(to="m0001_collections")
    assert "sow_number_unique" in (await index_names(database))["sows"]
    assert [row.state for row in await Migrator(database).status()] == ["applied"] * 3 + [
        "pending"
    ] * (len(LATEST) - 3)

    assert await Migrator(database).up() == LATEST[3:]
    assert "sla_interval_key_unique" in (await index_names(database))["sla_intervals"]
    assert "document_sha256" in {
        index["name"] async for index in await database.db.documents.list_indexes()
    }
    assert await Migrator(database).down(to="m0003_sla_collections") == [
        "m0011_lease_slots",
        "m0010_lease_processes",
        "m0009_sow_evidence",
        "m0008_persisted_queries",
        "m0007_shared_limits",
        "m0006_obligation_occurrences",
        "m0005_sla_indexes",
        "m0004_documents",
    ]


async def test_evidence_keeps_copies_unique_and_holds_back_its_own_down(
    database: Database,
) -> None:
    await Migrator(database).up()
    documents, sow_id = database.db.documents, ObjectId()
    record = {
        "kind": "SOW_SIGNED_COPY",
        "title": "Signed copy",
        "fileName": "copy.pdf",
        "contentType": "application/pdf",
        "size": 10,
        "sha256": "0" * 64,
        "createdAt": datetime.now(UTC),
        "entityType": "SOW",
        "entityId": sow_id,
        "version": 1,
    }
    await documents.insert_one(dict(record))
    with pytest.raises(DuplicateKeyError):
        await documents.insert_one(dict(record))
    evidence = {**record, "kind": "EVIDENCE", "version": None}
    await documents.insert_many([dict(evidence), dict(evidence)])

    await Migrator(database).down(to="m0009_sow_evidence")
    with pytest.raises(MigrationError, match="while evidence documents exist"):
        await Migrator(database).down()
    states = {row.id: row.state for row in await Migrator(database).status()}
    assert states["m0009_sow_evidence"] == "applied"
    await documents.delete_many({"kind": "EVIDENCE"})
    assert await Migrator(database).down() == ["m0009_sow_evidence"]
    with pytest.raises(WriteError):
        await documents.insert_one(dict(evidence))


async def test_the_validators_refuse_documents_that_break_the_storage_rules(api: Api) -> None:
    db = api.app.state.services.db.db
    client_id = await create_client(api)
    sow = await db.sows.find_one({"_id": oid((await create_sow(api, client_id))["id"])})
    assert sow is not None

    float_rate = {**sow, "terms": {**sow["terms"], "pricing": {**sow["terms"]["pricing"]}}}
    float_rate["terms"]["pricing"]["rate"] = 18.5
    with pytest.raises(WriteError) as refused:
        await db.sows.replace_one({"_id": sow["_id"]}, float_rate)
    assert refused.value.code == 121
    with pytest.raises(WriteError):
        await db.sows.insert_one({**float_rate, "_id": ObjectId(), "number": "SOW-2026-9999"})
    with pytest.raises(WriteError):
        await db.sows.update_one({"_id": sow["_id"]}, {"$set": {"status": "LOST"}})
    with pytest.raises(WriteError):
        await db.agents.insert_one({"_id": ObjectId(), "name": "A", "createdAt": sow["createdAt"]})

    # CSAs: only the stable keys are checked, so the CSA feature's other fields pass.
    csa: Document = {
        "_id": ObjectId(),
        "number": "CSA-2026-0001",
        "agentId": ObjectId(),
        "sowId": sow["_id"],
        "clientId": sow["clientId"],
        "status": "DRAFT",
        "revision": 0,
        "terms": {"payRate": {"amount": Decimal128("21.00")}},
    }
    await db.csas.insert_one(csa)
    with pytest.raises(WriteError):
        await db.csas.insert_one({**csa, "_id": ObjectId(), "agentId": str(csa["agentId"])})


def test_the_migrate_command_lists_applies_and_refuses_to_revert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))

    def serving(*_: object, **__: object) -> None:
        raise AssertionError("`contracts migrate` opened what only a serving process needs")

    # It touches nothing but the database it migrates: no event hub, no change stream.
    monkeypatch.setattr("api.lifespan.running", serving)
    main(["migrate", "status"])
    assert capsys.readouterr().out.split() == [word for i in LATEST for word in ("pending", i)]
    main(["migrate"])
    assert capsys.readouterr().out == f"applied: {', '.join(LATEST)}\n"
    main(["migrate", "down"])
    assert capsys.readouterr().out == "reverted: m0011_lease_slots\n"
    main(["migrate", "down"])
    assert capsys.readouterr().out == "reverted: m0010_lease_processes\n"
    main(["migrate", "down"])
    assert capsys.readouterr().out == "reverted: m0009_sow_evidence\n"
    main(["migrate", "down"])
    assert capsys.readouterr().out == "reverted: m0008_persisted_queries\n"
    main(["migrate", "down"])
    assert capsys.readouterr().out == "reverted: m0007_shared_limits\n"
    main(["migrate", "down"])
    assert capsys.readouterr().out == "reverted: m0006_obligation_occurrences\n"
    main(["migrate", "down"])
    assert capsys.readouterr().out == "reverted: m0005_sla_indexes\n"
    main(["migrate", "down"])
    assert capsys.readouterr().out == "reverted: m0004_documents\n"
    with pytest.raises(SystemExit) as refused:
        main(["migrate", "down"])
    assert refused.value.code == 1
    assert capsys.readouterr().err == (
        "migration refused: migration m0003_sla_collections defines no down: it cannot be "
        "reverted\n"
    )

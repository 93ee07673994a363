"""Carry-over of data folders written by mongoeco 4.11 (tests/fixtures/mongoeco-4.11), read
without mongoeco, into the real server."""

from __future__ import annotations

import hashlib
import lzma
import shutil
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bson import DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import Binary
from bson.code import Code
from pymongo.errors import BulkWriteError

from api.settings import Settings
from domain.party import Role
from storage.database import Database, Document
from storage.mongoeco_file import (
    DATA_FILE,
    CarryOverError,
    LegacyFileError,
    MongoecoFile,
    carry_over,
)
from storage.portable import READ_CODEC
from tests.conftest import serve

FIXTURES = Path(__file__).parent / "fixtures" / "mongoeco-4.11"
SEED_SHA256 = "a2aaf383fe9994de0ab617b0300b4c05b62f6d35e366359620abe159cc40fae2"
SEED_COUNTS = {
    "agents": 10,
    "clients": 2,
    "counters": 3,
    "csas": 40,
    "events": 257,
    "migration_lock": 0,
    "migrations": 2,
    "sows": 16,
    "versions": 56,
}
SEED_INDEXES = {
    "agents": {"agent_email_unique"},
    "clients": set(),
    "counters": set(),
    "csas": {
        "csa_number_unique",
        "csa_agent_page",
        "csa_sow_agent",
        "csa_status_effective",
        "csa_status_expiration",
        "csa_renewal_of_unique",
    },
    "events": {"event_seq_unique", "event_entity_seq", "event_client_seq", "event_agent_seq"},
    "migration_lock": set(),
    "migrations": set(),
    "sows": {
        "sow_number_unique",
        "sow_client_page",
        "sow_status_golive",
        "sow_status_end",
        "sow_golive",
    },
    "versions": {"version_entity_number_unique"},
}
KILLED_COUNTS = {"empty": 0, "other": 5, "typed": 33}


def unpack(fixture: str, folder: Path) -> Path:
    """The fixture's files, decompressed into `folder`; the path of its data file."""
    folder.mkdir(parents=True, exist_ok=True)
    for packed in sorted((FIXTURES / fixture).glob("*.xz")):
        (folder / packed.name.removesuffix(".xz")).write_bytes(lzma.decompress(packed.read_bytes()))
    return folder / DATA_FILE


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def documents(db: Database, name: str) -> dict[object, Document]:
    collection = db.db.get_collection(name, codec_options=READ_CODEC)
    return {repr(d["_id"]): d async for d in collection.find({})}


async def index_names(db: Database, name: str) -> set[str]:
    return {i["name"] async for i in await db.db[name].list_indexes()} - {"_id_"}


async def test_a_release_data_folder_is_carried_over_whole_and_kept_aside(
    settings: Settings, mongo_uri: str, tmp_path: Path
) -> None:
    data_file = unpack("seed", tmp_path / "data")
    assert sha256(data_file) == SEED_SHA256
    target = Database(mongo_uri, settings.mongodb_database)
    try:
        with pytest.raises(CarryOverError, match=r"holds no database 'test_.*' but contracts"):
            await carry_over(data_file, target)
        counts = await carry_over(data_file, target, database="contracts")
        assert counts == SEED_COUNTS
        for name, count in SEED_COUNTS.items():
            assert await target.db[name].count_documents({}) == count
            assert await index_names(target, name) == SEED_INDEXES[name]
        options = {
            info["name"]: info.get("options", {})
            async for info in await target.db.list_collections()
        }
        assert options["sows"]["validator"]["$jsonSchema"]["properties"]["number"]["pattern"]
        assert "validator" not in options["migrations"]
        sow = await target.db["sows"].find_one({"number": "SOW-2026-0001"})
        assert sow is not None
        assert isinstance(sow["_id"], ObjectId)
        assert isinstance(sow["terms"]["pricing"]["rate"], Decimal128)
        assert sow["goLiveDate"] == datetime(2026, 8, 26, tzinfo=UTC)
    finally:
        await target.close()

    assert not data_file.exists()
    kept = data_file.with_name("contracts.sqlite3.migrated")
    assert sha256(kept) == SEED_SHA256  # read, never written

    # The service runs on what was carried over: its migrations find their records.
    async with serve(settings) as api:
        data = await api.ok(
            "{ sows { totalCount } csas { totalCount } }", token=api.token(Role.COMPLIANCE)
        )
    assert data == {"sows": {"totalCount": 16}, "csas": {"totalCount": 40}}


async def test_writes_left_in_the_wal_by_a_killed_process_are_carried_over_with_their_types(
    target: Database, tmp_path: Path
) -> None:
    data_file = unpack("killed", tmp_path)
    assert data_file.stat().st_size == 4096  # everything is in contracts.sqlite3-wal
    counts = await carry_over(data_file, target, database="contracts", batch_size=7)
    assert counts == KILLED_COUNTS
    assert set(await target.db.list_collection_names()) == set(KILLED_COUNTS)  # not `otherdb`

    typed = await documents(target, "typed")
    assert len(typed) == 33

    def value(field: str) -> object:
        return typed[repr(f"f-{field}")][field]

    expected = {
        "int32": 7,
        "int64": Int64(7),
        "bigint": Int64(2**40),
        "double": 2.0,
        "dec": Decimal128("1.10"),
        "decneg0": Decimal128("-0"),
        "str": "héllo ✓",
        "null": None,
        "date": datetime(2026, 3, 2, 9, 0, 0, 123000, tzinfo=UTC),
        "olddate": datetime(1900, 1, 1, tzinfo=UTC),
        "oid": ObjectId("6b12d35c660e3e7d4564fe3a"),
        "bin": b"\x00\x01\xff",
        "bin5": Binary(b"abc", 5),
        "uuid4": Binary(uuid.UUID("12345678-1234-5678-1234-567812345678").bytes, 4),
        "uuid3": Binary(b"0123456789abcdef", 3),
        "ts": Timestamp(1700000000, 3),
        "code": Code("function(){}"),
        "codews": Code("x", {"a": 1}),
        "dbref": DBRef("sows", ObjectId("6b12d35c660e3e7d4564fe3a")),
        "min": MinKey(),
        "max": MaxKey(),
        "nested": {"a": [1, {"b": Int64(2)}, [3.5, "x"]], "empty": {}, "emptyarr": []},
        "looks_tagged": {"$mongoeco": {"type": "int64", "value": 1}},
        "dotted.key": 1,
        "$dollar": 2,
    }
    for field, wanted in expected.items():
        got = value(field)
        assert got == wanted, field
        assert type(got) is type(wanted), field
    regex = value("regex")
    assert isinstance(regex, Regex)
    assert (regex.pattern, regex.flags) == ("^a.b$", Regex("", "im").flags)
    assert value("int32").__class__ is int  # an untagged integer stays int32
    assert "f-nan" not in str(typed)  # refused by mongoeco when written
    ids = {repr(k) for k in ["string-id", ObjectId("6b12d35c660e3e7d4564fe99"), 2.5]}
    ids |= {repr({"compound": 1, "k": "x"}), repr(Int64(2**33))}
    assert ids <= set(typed)
    assert await index_names(target, "typed") == {"compound_idx", "oid_unique", "ttl", "partial"}
    indexes = {i["name"]: i async for i in await target.db["typed"].list_indexes()}
    assert indexes["oid_unique"]["unique"] is True
    assert indexes["oid_unique"]["sparse"] is True
    assert indexes["ttl"]["expireAfterSeconds"] == 2_000_000_000
    assert indexes["partial"]["partialFilterExpression"] == {"str": {"$type": "string"}}
    assert list(indexes["compound_idx"]["key"].items()) == [("int32", 1), ("str", -1)]

    # The kept file still opens whole: its `-wal` moved with it.
    kept = tmp_path / "contracts.sqlite3.migrated"
    assert (tmp_path / "contracts.sqlite3.migrated-wal").exists()
    assert not (tmp_path / "contracts.sqlite3-wal").exists()
    with MongoecoFile(kept) as legacy:
        assert legacy.databases() == ["contracts", "otherdb"]
        assert legacy.count("contracts", "typed") == 33


async def test_an_interrupted_carry_over_is_taken_up_again(
    target: Database, tmp_path: Path
) -> None:
    data_file = unpack("seed", tmp_path)
    with MongoecoFile(data_file) as legacy:
        half = next(legacy.batches("contracts", "events", size=100))
    await target.db["events"].insert_many(half)
    # A collection made before (by migrations, say): it keeps its index by that name.
    await target.db.create_collection("sows")
    await target.db["sows"].create_index("number", name="sow_number_unique")

    counts = await carry_over(data_file, target, database="contracts")
    assert counts == SEED_COUNTS
    assert await target.db["events"].count_documents({}) == 257
    assert await index_names(target, "sows") == SEED_INDEXES["sows"]
    indexes = {i["name"]: i async for i in await target.db["sows"].list_indexes()}
    assert "unique" not in indexes["sow_number_unique"]


async def test_a_target_holding_other_documents_is_refused_before_any_write(
    target: Database, tmp_path: Path
) -> None:
    data_file = unpack("seed", tmp_path)
    await target.db["events"].insert_one({"_id": "not in the file"})
    with pytest.raises(CarryOverError, match="already holds documents in 'events'"):
        await carry_over(data_file, target, database="contracts")
    assert await target.db.list_collection_names() == ["events"]
    assert data_file.exists()

    await target.db["events"].drop()
    await target.db["newer"].insert_one({"_id": 1})
    with pytest.raises(CarryOverError, match="'newer'"):
        await carry_over(data_file, target, database="contracts")
    assert data_file.exists()


async def test_a_failed_copy_leaves_the_file_in_place(target: Database, tmp_path: Path) -> None:
    """The server refuses the copy (a unique index of the target's that the documents break):
    the file stays, to be carried over once the target is fixed."""
    data_file = unpack("killed", tmp_path)
    await target.db["other"].create_index("absent", unique=True, name="absent_unique")
    with pytest.raises(BulkWriteError):
        await carry_over(data_file, target, database="contracts")
    assert data_file.exists()
    assert (tmp_path / "contracts.sqlite3-wal").exists()
    assert not (tmp_path / "contracts.sqlite3.migrated").exists()

    await target.db["other"].drop()
    assert await carry_over(data_file, target, database="contracts") == KILLED_COUNTS


async def test_a_second_carry_over_never_overwrites_a_kept_file(
    target: Database, tmp_path: Path
) -> None:
    data_file = unpack("killed", tmp_path)
    shutil.copy(data_file, tmp_path / "contracts.sqlite3.migrated")
    await carry_over(data_file, target, database="contracts")
    assert (tmp_path / "contracts.sqlite3.migrated-2").exists()
    assert (tmp_path / "contracts.sqlite3.migrated-2-wal").exists()


def test_a_file_that_is_not_mongoeco_s_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    with pytest.raises(LegacyFileError, match="not a mongoeco data file"):
        MongoecoFile(other)
    text = tmp_path / "text.sqlite3"
    text.write_text("hello")
    with pytest.raises(LegacyFileError, match="not a readable SQLite file"):
        MongoecoFile(text)
    with pytest.raises(LegacyFileError, match="no such file"):
        MongoecoFile(tmp_path / "absent")


def test_the_reader_needs_no_mongoeco() -> None:
    blocked = "import sys; sys.modules['mongoeco'] = None; import storage.mongoeco_file"
    done = subprocess.run(
        [sys.executable, "-c", blocked],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent.parent,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


async def test_the_first_start_on_a_release_data_folder_carries_it_over(
    settings: Settings, tmp_path: Path
) -> None:
    """What a user upgrading finds: `./run start` on the folder the mongoeco default wrote."""
    data_file = unpack("seed", tmp_path)
    embedded = settings.model_copy(
        update={"mongodb_uri": None, "data_dir": tmp_path, "mongodb_database": "contracts"}
    )
    async with serve(embedded) as api:
        data = await api.ok(
            "{ sows { totalCount } csas { totalCount } }", token=api.token(Role.COMPLIANCE)
        )
    assert data == {"sows": {"totalCount": 16}, "csas": {"totalCount": 40}}
    assert not data_file.exists()
    assert sha256(data_file.with_name("contracts.sqlite3.migrated")) == SEED_SHA256

"""`contracts export` / `import`: a whole database through one stream, against the real server.

The source is a database the service wrote (migrations, the demo data) plus a collection of
every BSON type; the target a fresh database on the same server.
"""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bson import (
    DBRef,
    Decimal128,
    Int64,
    MaxKey,
    MinKey,
    ObjectId,
    Regex,
    Timestamp,
    json_util,
)
from bson.binary import Binary
from bson.code import Code

from api.settings import Settings
from domain.party import Role
from seed.dataset import DEMO
from seed.load import load
from storage import leases, rate_limits
from storage.database import Database, Document
from storage.leases import Held, Leases
from storage.portable import (
    READ_CODEC,
    CollectionSpec,
    NotEmpty,
    PortableError,
    StreamError,
    StreamWriter,
    canonical,
    export,
    import_,
)
from tests.conftest import Api, Clock
from tests.processes import contracts

TYPED: list[Document] = [
    {
        "_id": 1,
        "int32": 7,
        "int64": Int64(7),
        "big": 2**40,
        "double": 2.0,
        "nan": float("nan"),
        "decimal": Decimal128("1.10"),
        "date": datetime(2026, 3, 2, 9, 0, 0, 123000, tzinfo=UTC),
        "oid": ObjectId("6b12d35c660e3e7d4564fe3a"),
        "bytes": b"\x00\x01",
        "uuid": Binary(b"0123456789abcdef", 4),
        "old_uuid": Binary(b"0123456789abcdef", 3),
        "regex": Regex("^a.b$", "im"),
        "timestamp": Timestamp(1700000000, 3),
        "code": Code("x", {"a": 1}),
        "ref": DBRef("sows", ObjectId("6b12d35c660e3e7d4564fe3a")),
        "min": MinKey(),
        "max": MaxKey(),
        "text": "héllo ✓\nsecond line",
        "nested": {"a": [1, {"b": Int64(2)}, [3.5, None]], "empty": {}, "none": []},
    },
    {"_id": "string-id"},
    {"_id": {"compound": 1, "k": "x"}},
    {"_id": Int64(2**33)},
]


@pytest.fixture
async def source(api: Api, clock: Clock) -> Database:
    """The service's own database: migrated, the demo data loaded, plus every BSON type."""
    services = api.app.state.services
    await load(services.store, DEMO, clock())
    db: Database = services.db
    await db.db.create_collection("typed", validator={"$jsonSchema": {"bsonType": "object"}})
    await db.db["typed"].create_index(
        "oid", name="oid_partial", unique=True, partialFilterExpression={"oid": {"$exists": True}}
    )
    await db.db["typed"].insert_many(TYPED)
    return db


async def snapshot(db: Database) -> dict[str, Any]:
    """Everything an export should carry: per collection its options, its indexes and its
    documents in canonical Extended JSON (which tells every BSON type apart)."""
    state: dict[str, Any] = {}
    async for info in await db.db.list_collections():
        name = info["name"]
        indexes = sorted(
            [
                canonical({k: v for k, v in index.items() if k not in {"v", "ns"}})
                async for index in await db.db[name].list_indexes()
            ]
        )
        collection = db.db.get_collection(name, codec_options=READ_CODEC)
        documents = [canonical(d) async for d in collection.find({}, sort=[("_id", 1)])]
        state[name] = {
            "options": canonical(info.get("options", {})),
            "indexes": indexes,
            "documents": documents,
        }
    return state


async def exported(db: Database) -> bytes:
    out = io.BytesIO()
    await export(db, out)
    return out.getvalue()


def lines_of(stream: bytes) -> list[str]:
    return stream.decode().splitlines()


def edited(stream: bytes, change: Callable[[list[str]], None]) -> io.BytesIO:
    lines = lines_of(stream)
    change(lines)
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def line_index(lines: list[str], predicate: Callable[[Any], bool]) -> int:
    return next(i for i, line in enumerate(lines) if predicate(json_util.loads(line)))


def is_line(kind: str, name: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and value[0] == kind and value[1]["name"] == name


def is_end_of(name: str) -> Callable[[Any], bool]:
    return is_line("end", name)


class Pipe(io.BytesIO):
    """A stream that can be read only once, as from a pipe."""

    def seekable(self) -> bool:
        return False


async def test_export_then_import_gives_the_same_collections_documents_and_indexes(
    source: Database, target: Database
) -> None:
    stream = await exported(source)
    counts = await import_(target, Pipe(stream))
    assert await snapshot(target) == await snapshot(source)
    assert counts["sows"] == DEMO.sows
    assert counts["csas"] == DEMO.csas
    assert counts["typed"] == len(TYPED)
    assert counts["migrations"] >= 2  # bookkeeping collections are collections too
    # The same data give the same text, whichever server holds them.
    again = await exported(target)
    assert lines_of(again)[1:] == lines_of(stream)[1:]  # all but the export's time


async def test_the_running_processes_rate_buckets_and_leases_stay_behind(
    source: Database, target: Database
) -> None:
    # Taken now: the server's TTL monitor removes a lease that expired by its own clock.
    now = datetime.now(UTC)
    assert await Leases(source).take("client-1", Held.CONNECTION, 5, now) is not None

    await import_(target, Pipe(await exported(source)))

    assert await source.db[leases.COLLECTION].count_documents({}) == 1
    assert await target.db[leases.COLLECTION].count_documents({}) == 0
    assert await source.db[leases.PROCESSES].count_documents({}) == 1
    assert await target.db[leases.PROCESSES].count_documents({}) == 0
    assert await target.db[rate_limits.COLLECTION].index_information() == (
        await source.db[rate_limits.COLLECTION].index_information()
    )


async def test_the_stream_is_one_canonical_extended_json_text_per_line(
    source: Database, target: Database
) -> None:
    out = io.StringIO()
    await export(source, out)
    lines = out.getvalue().splitlines()
    first, last = json_util.loads(lines[0]), json_util.loads(lines[-1])
    assert first[0] == "contracts-export"
    assert first[1]["version"] == 1
    assert first[1]["database"] == source.db.name
    names = await source.db.list_collection_names()
    assert last == ["end-of-export", {"collections": len(names), "documents": last[1]["documents"]}]
    header = json_util.loads(lines[line_index(lines, is_line("collection", "typed"))])
    assert header[1]["options"] == {"validator": {"$jsonSchema": {"bsonType": "object"}}}
    assert [index["name"] for index in header[1]["indexes"]] == ["oid_partial"]
    typed = next(line for line in lines if line.startswith('{"_id": {"$numberInt": "1"}'))
    assert '"int64": {"$numberLong": "7"}' in typed
    assert '"decimal": {"$numberDecimal": "1.10"}' in typed
    millis = int(TYPED[0]["date"].timestamp() * 1000)
    assert f'"date": {{"$date": {{"$numberLong": "{millis}"}}}}' in typed
    assert typed.isascii()
    out.seek(0)
    await import_(target, out)  # text as well as bytes
    assert await snapshot(target) == await snapshot(source)


async def test_a_changed_document_is_refused_before_anything_is_written(
    source: Database, target: Database
) -> None:
    stream = await exported(source)

    def rename_a_client(lines: list[str]) -> None:
        at = next(i for i, line in enumerate(lines) if '"name": "Client 000"' in line)
        lines[at] = lines[at].replace("Client 000", "Client 999")

    with pytest.raises(StreamError, match=r"collection 'clients': .* altered"):
        await import_(target, edited(stream, rename_a_client))
    assert await target.db.list_collection_names() == []


async def test_a_wrong_count_or_a_missing_document_is_refused(
    source: Database, target: Database
) -> None:
    stream = await exported(source)

    def miscount(lines: list[str]) -> None:
        at = line_index(lines, is_end_of("sows"))
        end = json_util.loads(lines[at])
        end[1]["count"] += 1
        lines[at] = json_util.dumps(end)

    def drop_a_version(lines: list[str]) -> None:
        del lines[line_index(lines, is_end_of("versions")) - 1]

    with pytest.raises(StreamError, match="collection 'sows': 16 documents in the stream but"):
        await import_(target, edited(stream, miscount))
    with pytest.raises(StreamError, match=r"collection 'versions': .* says"):
        await import_(target, edited(stream, drop_a_version))
    assert await target.db.list_collection_names() == []


async def test_a_changed_index_or_a_truncated_stream_is_refused(
    source: Database, target: Database
) -> None:
    stream = await exported(source)

    def drop_an_index(lines: list[str]) -> None:
        at = line_index(lines, is_line("collection", "agents"))
        header = json_util.loads(lines[at])
        header[1]["indexes"] = []
        lines[at] = json_util.dumps(header, json_options=json_util.CANONICAL_JSON_OPTIONS)

    with pytest.raises(StreamError, match="collection 'agents': its options or indexes"):
        await import_(target, edited(stream, drop_an_index))
    whole = lines_of(stream)
    cut_in_sows = whole[: line_index(whole, is_end_of("sows")) - 3]
    with pytest.raises(StreamError, match=r"ends inside collection 'sows' .* truncated"):
        await import_(target, io.BytesIO("\n".join(cut_in_sows).encode()))
    with pytest.raises(StreamError, match="truncated"):
        await import_(target, io.BytesIO("\n".join(whole[:-1]).encode()))
    assert await target.db.list_collection_names() == []


async def test_a_load_the_server_refuses_is_rolled_back(target: Database) -> None:
    """A well-formed stream the server cannot take (two documents with one `_id`): what was
    loaded before the refusal is dropped."""
    out = io.BytesIO()
    writer = StreamWriter(out)
    writer.begin("elsewhere")
    writer.collection(CollectionSpec("first", indexes=[{"key": {"n": 1}, "name": "n"}]))
    for n in range(2500):
        writer.document({"_id": n, "n": n})
    writer.end()
    writer.collection(CollectionSpec("second"))
    writer.document({"_id": 1})
    writer.document({"_id": 1})
    writer.end()
    writer.finish()
    out.seek(0)
    with pytest.raises(PortableError, match="collection 'second': the server refused"):
        await import_(target, out)
    assert await target.db.list_collection_names() == []


async def test_a_database_holding_documents_is_replaced_only_with_force(
    source: Database, target: Database
) -> None:
    stream = await exported(source)
    await target.db["leftover"].insert_one({"_id": "x"})
    await target.db.create_collection("empty_before")
    with pytest.raises(NotEmpty, match="already holds documents \\(in leftover\\)"):
        await import_(target, io.BytesIO(stream))
    assert await target.db["leftover"].count_documents({}) == 1

    await import_(target, io.BytesIO(stream), force=True)
    assert await snapshot(target) == await snapshot(source)
    assert "leftover" not in await target.db.list_collection_names()


async def test_an_empty_database_round_trips(target: Database, mongo_uri: str) -> None:
    empty = Database(mongo_uri, f"test_{uuid.uuid4().hex[:16]}")
    try:
        stream = await exported(empty)
        last = json_util.loads(lines_of(stream)[-1])
        assert last == ["end-of-export", {"collections": 0, "documents": 0}]
        assert await import_(target, io.BytesIO(stream)) == {}
    finally:
        await empty.close()


# --- the commands, end to end ----------------------------------------------------------


async def run_contracts(
    settings: Settings, database: str, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return await asyncio.to_thread(contracts, settings, database, *args, stdin=stdin)


async def test_the_export_and_import_commands_carry_a_database_to_another(
    api: Api, source: Database, target: Database, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.jsonl"
    name = api.settings.mongodb_database
    dumped = await run_contracts(api.settings, name, "export", str(backup))
    assert dumped.returncode == 0, dumped.stderr.decode()
    report = dumped.stdout.decode()
    assert re.search(rf"^sows +{DEMO.sows}$", report, re.MULTILINE), report
    assert re.search(rf"^exported \d+ documents in \d+ collections to {backup}$", report, re.M)
    assert not (tmp_path / "backup.jsonl.partial").exists()

    loaded = await run_contracts(api.settings, target.db.name, "import", str(backup))
    assert loaded.returncode == 0, loaded.stderr.decode()
    assert "imported" in loaded.stdout.decode()
    assert await snapshot(target) == await snapshot(source)

    again = await run_contracts(api.settings, target.db.name, "import", str(backup))
    assert again.returncode == 1
    assert "import refused: database" in again.stderr.decode()
    forced = await run_contracts(api.settings, target.db.name, "import", str(backup), "--force")
    assert forced.returncode == 0, forced.stderr.decode()

    # Through a pipe: `contracts export | contracts import --force -`.
    piped = await run_contracts(api.settings, name, "export")
    assert piped.returncode == 0, piped.stderr.decode()
    assert piped.stdout.startswith(b'["contracts-export"')
    assert "exported" in piped.stderr.decode()  # the report stays out of the stream
    loaded = await run_contracts(
        api.settings, target.db.name, "import", "-", "--force", stdin=piped.stdout
    )
    assert loaded.returncode == 0, loaded.stderr.decode()
    assert await snapshot(target) == await snapshot(source)

    data = await api.ok("{ sows { totalCount } }", token=api.token(Role.COMPLIANCE))
    assert data["sows"]["totalCount"] == DEMO.sows


async def test_the_import_command_refuses_an_altered_file(
    api: Api, source: Database, target: Database, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.jsonl"
    backup.write_bytes((await exported(source)).replace(b"Client 000", b"Client 999"))
    refused = await run_contracts(api.settings, target.db.name, "import", str(backup))
    assert refused.returncode == 1
    assert "import refused: collection 'clients'" in refused.stderr.decode()
    assert await target.db.list_collection_names() == []
    missing = await run_contracts(api.settings, target.db.name, "import", str(tmp_path / "none"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr.decode()


async def test_a_document_extended_json_cannot_carry_fails_the_export(target: Database) -> None:
    """A sub-document with Extended JSON's own keys would read back as another value."""
    await target.db["queries"].insert_one({"_id": 1, "q": {"$regex": "^a", "$options": "i"}})
    with pytest.raises(PortableError, match="collection 'queries': document 1 does not survive"):
        await exported(target)

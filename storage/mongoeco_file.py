"""Carry-over of the data file of the first embedded server, `mongoeco` 4.11, read with the
standard library's `sqlite3` only: mongoeco itself is no longer installed.

The file (`DATA_DIR/contracts.sqlite3`) is SQLite in WAL mode. What matters here:

- `documents(db_name, coll_name, storage_key, document)`: `document` is compact JSON in which
  every value plain JSON cannot say is tagged `{"$mongoeco": {"type": T, "value": V}}` (an
  ObjectId, a date, a Decimal128, an Int64, ...); a user's sub-document that itself looks
  like a tag is wrapped in a `dict` tag. Untagged integers were BSON int32 (or int64 when
  too large for int32: PyMongo chooses the same way), untagged non-integers doubles.
  `storage_key` is the Python `repr` of mongoeco's normalized `_id` (a key for mongoeco, not
  data: the `_id` is read from the document).
- `collections(db_name, coll_name, options_json)`: each collection, also the empty ones, and
  its creation options (the validator) as JSON with sorted keys.
- `indexes(db_name, coll_name, name, keys, unique_flag, ...)`: the secondary indexes, one
  row each, from which a MongoDB index specification is rebuilt.
- Dates are stored as naive ISO strings in UTC, to the millisecond.

A process killed while running mongoeco leaves committed writes in `contracts.sqlite3-wal`:
SQLite reads them with the main file, and the carry-over renames that file with it, so that
`contracts.sqlite3.migrated` opened later is still the whole database.
"""

from __future__ import annotations

import asyncio
import binascii
import json
import logging
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bson import DBRef, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import Binary, UuidRepresentation
from bson.code import Code
from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from storage.database import Database, Document
from storage.portable import (
    BATCH_SIZE,
    CollectionSpec,
    DocumentDigest,
    collection_digest,
    collection_specs,
    create_collection,
    create_indexes,
)

log = logging.getLogger("contracts.carry_over")

DATA_FILE = "contracts.sqlite3"
MIGRATED_SUFFIX = ".migrated"
# SQLite's companions of a database file, named after it: renamed with it.
SIDE_FILES = ("-wal", "-shm", "-journal")
REQUIRED_TABLES = frozenset({"collections", "documents", "indexes"})
MARKER = "$mongoeco"


class LegacyFileError(Exception):
    """The file cannot be read as a mongoeco data file, or holds a value it cannot convert."""


class CarryOverError(Exception):
    """The carry-over stopped; the legacy file is left where it was. The message says why."""


# --- decoding mongoeco's JSON ----------------------------------------------------------


def _is_tagged(value: dict[str, Any]) -> bool:
    """mongoeco's own test (`DocumentCodec._is_tagged_value`), exactly."""
    if len(value) != 1 or MARKER not in value:
        return False
    payload = value[MARKER]
    return (
        isinstance(payload, dict)
        and len(payload) == 2
        and "type" in payload
        and "value" in payload
        and isinstance(payload["type"], str)
    )


def decode(value: Any) -> Any:
    """A value of mongoeco's stored JSON as the BSON value PyMongo writes back the same."""
    if isinstance(value, dict):
        if _is_tagged(value):
            payload = value[MARKER]
            return _decode_tagged(payload["type"], payload["value"])
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def _decode_tagged(kind: str, value: Any) -> Any:
    match kind:
        case "objectid":
            return ObjectId(value)
        case "datetime":
            moment = datetime.fromisoformat(value)
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        case "decimal128_public" | "decimal128" | "decimal":
            return Decimal128(str(value))
        case "int64":
            return Int64(int(value))
        case "int32":
            return int(value)
        case "double":
            return float(value)
        case "bytes":
            return binascii.unhexlify(value)
        case "binary":
            return Binary(binascii.unhexlify(value["hex"]), int(value["subtype"]))
        case "uuid":
            return Binary.from_uuid(uuid.UUID(value), UuidRepresentation.STANDARD)
        case "regex":
            return Regex(value["pattern"], value["flags"])
        case "timestamp":
            return Timestamp(int(value["time"]), int(value["inc"]))
        case "code":
            scope = value["scope"]
            return Code(value["code"], None if scope is None else decode(scope))
        case "dbref":
            extras = decode(value["extras"]) or {}
            return DBRef(value["collection"], decode(value["id"]), value["database"], **extras)
        case "minkey":
            return MinKey()
        case "maxkey":
            return MaxKey()
        case "undefined":
            # BSON's deprecated undefined: PyMongo reads it as None, and writes None as null.
            return None
        case "dict":
            return {key: decode(item) for key, item in value.items()}
        case "son":
            return {str(key): decode(item) for key, item in value}
    raise LegacyFileError(f"unknown mongoeco value type {kind!r}")


# --- reading the file ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LegacyCollection:
    database: str
    name: str
    options: Document = field(default_factory=dict)
    indexes: list[Document] = field(default_factory=list)

    def spec(self) -> CollectionSpec:
        return CollectionSpec(self.name, "collection", self.options, self.indexes)


def _index_spec(row: sqlite3.Row) -> Document:
    """A MongoDB index specification from a row of mongoeco's `indexes` table."""
    columns = set(row.keys())

    def present(name: str) -> Any:
        return row[name] if name in columns else None

    keys = present("keys")
    pairs = json.loads(keys) if keys else [[name, 1] for name in json.loads(row["fields"])]
    spec: Document = {"key": {str(name): direction for name, direction in pairs}}
    spec["name"] = row["name"]
    for flag, option in (("unique_flag", "unique"), ("sparse_flag", "sparse")):
        if present(flag):
            spec[option] = True
    if present("hidden_flag"):
        spec["hidden"] = True
    for column, option in (
        ("collation_json", "collation"),
        ("partial_filter_json", "partialFilterExpression"),
        ("text_weights_json", "weights"),
    ):
        if (text := present(column)) is not None:
            spec[option] = decode(json.loads(text))
    for column, option in (
        ("expire_after_seconds", "expireAfterSeconds"),
        ("default_language", "default_language"),
        ("language_override", "language_override"),
        ("min_value", "min"),
        ("max_value", "max"),
        ("bucket_size", "bucketSize"),
    ):
        if (setting := present(column)) is not None:
            spec[option] = setting
    return spec


class MongoecoFile:
    """A mongoeco SQLite data file, opened read-only, read in one SQLite transaction: one
    consistent state of it, even should something else still write to it."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise LegacyFileError(f"{path}: no such file")
        self.path = path
        # Not `immutable`: committed writes still in the `-wal` file must be read.
        self._connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,  # batches are fetched on worker threads, in turn
        )
        self._connection.row_factory = sqlite3.Row
        try:
            self._connection.execute("BEGIN")
            tables = {
                row["name"]
                for row in self._connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
        except sqlite3.Error as exc:
            self.close()
            raise LegacyFileError(f"{path}: not a readable SQLite file ({exc})") from None
        if missing := REQUIRED_TABLES - tables:
            self.close()
            raise LegacyFileError(
                f"{path}: not a mongoeco data file (no table {', '.join(sorted(missing))})"
            )

    def __enter__(self) -> MongoecoFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    def databases(self) -> list[str]:
        return [
            row[0]
            for row in self._connection.execute(
                "SELECT db_name FROM collections UNION SELECT db_name FROM documents ORDER BY 1"
            )
        ]

    def collections(self, database: str) -> list[LegacyCollection]:
        """The collections of `database` in name order, the empty ones too."""
        options: dict[str, Document] = {}
        for row in self._connection.execute(
            "SELECT coll_name, options_json FROM collections WHERE db_name = ?", (database,)
        ):
            options[row["coll_name"]] = decode(json.loads(row["options_json"] or "{}"))
        for row in self._connection.execute(
            "SELECT DISTINCT coll_name FROM documents WHERE db_name = ?", (database,)
        ):
            options.setdefault(row["coll_name"], {})
        indexes: dict[str, list[Document]] = {}
        for row in self._connection.execute(
            "SELECT * FROM indexes WHERE db_name = ? ORDER BY rowid", (database,)
        ):
            if row["name"] != "_id_":
                indexes.setdefault(row["coll_name"], []).append(_index_spec(row))
        return [
            LegacyCollection(database, name, options[name], indexes.get(name, []))
            for name in sorted(options)
        ]

    def search_indexes(self, database: str) -> list[str]:
        """Atlas Search indexes, which no carry-over target has: named, to be reported."""
        try:
            rows = self._connection.execute(
                "SELECT coll_name, name FROM search_indexes WHERE db_name = ?", (database,)
            ).fetchall()
        except sqlite3.OperationalError:
            return []
        return [f"{row['coll_name']}.{row['name']}" for row in rows]

    def count(self, database: str, collection: str) -> int:
        row = self._connection.execute(
            "SELECT count(*) FROM documents WHERE db_name = ? AND coll_name = ?",
            (database, collection),
        ).fetchone()
        return int(row[0])

    def batches(
        self, database: str, collection: str, size: int = BATCH_SIZE
    ) -> Iterator[list[Document]]:
        """The documents of a collection in batches of `size`, BSON types restored, in the
        order they were first written."""
        cursor = self._connection.execute(
            "SELECT document FROM documents WHERE db_name = ? AND coll_name = ? ORDER BY rowid",
            (database, collection),
        )
        while rows := cursor.fetchmany(size):
            batch: list[Document] = []
            for row in rows:
                try:
                    batch.append(decode(json.loads(row[0])))
                except (ValueError, KeyError, TypeError, LegacyFileError) as exc:
                    raise LegacyFileError(
                        f"{self.path}: a document of {database}.{collection} cannot be read ({exc})"
                    ) from None
            yield batch


async def _next_batch(batches: Iterator[list[Document]]) -> list[Document] | None:
    """The next batch, read on a worker thread: the event loop keeps serving meanwhile."""
    return await asyncio.to_thread(next, batches, None)


# --- carrying over ---------------------------------------------------------------------


async def carry_over(
    sqlite_path: Path,
    target: Database,
    *,
    database: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> dict[str, int]:
    """Copy every collection (definition, documents, indexes) of `database` (default: the
    target's name) from a mongoeco data file into `target`; returns the documents copied
    per collection.

    Call it before migrations run on `target`: the file's `migrations` records say which
    steps its data have had. Each collection is checked once copied (the server's count and
    digest against the file's) and only when all match is the file renamed
    `<name>.migrated` (kept, never deleted): until then every start tries again. A run
    interrupted half-way is taken up again (what it copied is overwritten by the same
    documents); a target holding any other document is refused (`CarryOverError`), before
    anything is written.
    """
    name = database or target.db.name
    with MongoecoFile(sqlite_path) as legacy:
        others = [db for db in legacy.databases() if db != name]
        if others and name not in legacy.databases():
            # MONGODB_DATABASE changed since: carrying nothing over would leave the data behind.
            raise CarryOverError(
                f"{sqlite_path} holds no database {name!r} but {', '.join(others)}: set "
                "MONGODB_DATABASE to the one the service used"
            )
        if others:
            log.warning(
                "carry-over: %s also holds databases %s, left in the migrated file",
                sqlite_path,
                ", ".join(others),
            )
        if search := legacy.search_indexes(name):
            log.warning("carry-over: search indexes not carried over: %s", ", ".join(search))
        collections = legacy.collections(name)
        resumed = await _check_target(legacy, name, collections, target.db, batch_size)
        existing = {spec.name: spec for spec in await collection_specs(target.db)}
        counts: dict[str, int] = {}
        for collection in collections:
            counts[collection.name] = await _copy(
                legacy,
                collection,
                target.db,
                existing.get(collection.name),
                batch_size,
                resumed=collection.name in resumed,
            )
    kept = _rename_aside(sqlite_path)
    log.info(
        "carried over %d documents in %d collections from %s, kept as %s",
        sum(counts.values()),
        len(counts),
        sqlite_path,
        kept.name,
    )
    return counts


async def _check_target(
    legacy: MongoecoFile,
    database: str,
    collections: list[LegacyCollection],
    db: AsyncDatabase[Document],
    batch_size: int,
) -> set[str]:
    """The target collections already holding documents, each of which must be one of the
    file's (left by an interrupted carry-over); anything else is refused."""
    names = {collection.name for collection in collections}
    held: set[str] = set()
    for spec in await collection_specs(db):
        if spec.is_view or await db[spec.name].find_one({}, {"_id": 1}) is None:
            continue
        if spec.name not in names:
            raise _not_empty(db.name, spec.name)
        held.add(spec.name)
    for name in held:
        in_target = await db[name].count_documents({})
        shared = 0
        batches = legacy.batches(database, name, batch_size)
        while (batch := await _next_batch(batches)) is not None:
            ids = [document["_id"] for document in batch]
            shared += await db[name].count_documents({"_id": {"$in": ids}})
        if shared != in_target:
            raise _not_empty(db.name, name)
    return held


def _not_empty(database: str, collection: str) -> CarryOverError:
    return CarryOverError(
        f"database {database!r} already holds documents in {collection!r} that the mongoeco "
        "file does not: carry over into an empty database, before migrations run (drop it or "
        "set MONGODB_DATABASE to another name)"
    )


async def _copy(
    legacy: MongoecoFile,
    collection: LegacyCollection,
    db: AsyncDatabase[Document],
    existing: CollectionSpec | None,
    batch_size: int,
    *,
    resumed: bool,
) -> int:
    """Copy one collection and check what the target then holds against the file.

    A collection the target already has (its migrations, or an interrupted carry-over, made
    it) keeps its options and the indexes it has by name; the file's other indexes are added.
    """
    if existing is None:
        await create_collection(db, collection.spec())
    target = db[collection.name]
    source = DocumentDigest()
    batches = legacy.batches(collection.database, collection.name, batch_size)
    while (batch := await _next_batch(batches)) is not None:
        for document in batch:
            source.add(document)
        # Validators stay out of it: these documents are what the database held.
        if resumed:
            await target.bulk_write(
                [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in batch],
                bypass_document_validation=True,
            )
        else:
            await target.insert_many(batch, bypass_document_validation=True)
    present = {index["name"] for index in existing.indexes} if existing else set()
    await create_indexes(
        db, collection.name, [spec for spec in collection.indexes if spec["name"] not in present]
    )
    held = await collection_digest(target)
    if held.count != source.count:
        raise CarryOverError(
            f"collection {collection.name!r}: the mongoeco file holds {source.count} documents "
            f"but the target holds {held.count} after the copy"
        )
    if held.hexdigest() != source.hexdigest():
        raise CarryOverError(
            f"collection {collection.name!r}: the target's documents differ from the mongoeco "
            "file's after the copy"
        )
    return source.count


def _rename_aside(path: Path) -> Path:
    """`x.sqlite3` to `x.sqlite3.migrated` (`.migrated-2`, ... should that exist: nothing is
    overwritten), its `-wal` and other companions along, so the kept file opens whole. The
    main file first: should this stop half-way, no later start reads the main file without
    the writes of its `-wal`."""
    moved = path.with_name(path.name + MIGRATED_SUFFIX)
    attempt = 1
    while moved.exists() or any(
        moved.with_name(moved.name + suffix).exists() for suffix in SIDE_FILES
    ):
        attempt += 1
        moved = path.with_name(f"{path.name}{MIGRATED_SUFFIX}-{attempt}")
    path.rename(moved)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(moved.with_name(moved.name + suffix))
    return moved

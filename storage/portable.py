"""A whole database as one portable stream, for backups and for moving between servers.

The embedded server promises no on-disk compatibility between its versions, so users' data
must be able to leave it in a form any MongoDB-compatible server can take back. The stream is
MongoDB canonical Extended JSON, one JSON text per line, so every BSON type survives and a
person can read or `grep` it:

    ["contracts-export", {"version": 1, "database": "contracts", "exportedAt": {...}}]
    ["collection", {"name": "sows", "type": "collection", "options": {...}, "indexes": [...]}]
    {"_id": {"$oid": "..."}, ...}                 one line per document of `sows`
    ["end", {"name": "sows", "count": 16, "sha256Sum": "...", "headerSha256": "..."}]
    ...                                           the next collection
    ["end-of-export", {"collections": 9, "documents": 386}]

Lines that describe the stream are JSON arrays and documents are JSON objects, so no document
can be mistaken for one. `sha256Sum` is the sum, modulo 2**256, of the SHA-256 of each
document's canonical Extended JSON: it does not depend on the order documents are read in, so
the same function checks the stream, what a server holds after an import, and a carry-over
from the first embedded server's file (`storage.mongoeco_file`). `headerSha256` is the
SHA-256 of the collection line's canonical Extended JSON (its options and indexes).

An import reads the stream twice: first to check every collection's count and digest and the
closing line (a truncated or altered stream is refused before anything is written), then to
load it. A failure while loading drops the collections the import created.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, BinaryIO, TextIO, cast

from bson import json_util
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.errors import BSONError
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from storage import leases, rate_limits
from storage.database import Database, Document

FORMAT = "contracts-export"
VERSION = 1
BATCH_SIZE = 1000
SUM_MODULUS = 2**256

# Lossless both ways: dates outside Python's range stay BSON dates (`DatetimeMS`), binary
# subtypes 3 and 4 stay `Binary` rather than becoming `uuid.UUID`.
READ_CODEC: CodecOptions[Document] = CodecOptions(
    tz_aware=True, tzinfo=UTC, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
JSON_OPTIONS = json_util.CANONICAL_JSON_OPTIONS.with_options(
    tz_aware=True, tzinfo=UTC, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)

# Their documents describe the processes running now (rate buckets, open connections) and
# expire on their own: a copy carries the collections and their indexes, not the documents.
PROCESS_STATE = frozenset({rate_limits.COLLECTION, leases.COLLECTION, leases.PROCESSES})

# Stored by the server for itself, not part of an index's definition.
SERVER_INDEX_FIELDS = frozenset({"v", "ns"})


class PortableError(Exception):
    """An export or import could not be done; the message says why (and which collection)."""


class StreamError(PortableError):
    """The stream is not a complete, unaltered export."""


class NotEmpty(PortableError):
    """The target database already holds documents."""


def canonical(document: Document) -> str:
    """The canonical Extended JSON of a document: the same text for the same BSON."""
    return json_util.dumps(document, json_options=JSON_OPTIONS)


class DocumentDigest:
    """A count and an order-independent digest of documents (see the module's docstring)."""

    def __init__(self) -> None:
        self.count = 0
        self._sum = 0

    def add(self, document: Document) -> None:
        self.add_canonical(canonical(document))

    def add_canonical(self, text: str) -> None:
        one = hashlib.sha256(text.encode("utf-8")).digest()
        self._sum = (self._sum + int.from_bytes(one, "big")) % SUM_MODULUS
        self.count += 1

    def hexdigest(self) -> str:
        return f"{self._sum:064x}"


async def collection_digest(collection: AsyncCollection[Document]) -> DocumentDigest:
    """What a server holds in `collection`, read back as losslessly as the driver allows."""
    digest = DocumentDigest()
    async for document in collection.with_options(codec_options=READ_CODEC).find({}):
        digest.add(document)
    return digest


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    """What it takes to create a collection again: its options and secondary indexes."""

    name: str
    kind: str = "collection"  # "view": options only, no documents, no indexes
    options: Document = field(default_factory=dict)
    indexes: list[Document] = field(default_factory=list)

    @property
    def is_view(self) -> bool:
        return self.kind == "view"

    def header(self) -> Document:
        return {
            "name": self.name,
            "type": self.kind,
            "options": self.options,
            "indexes": self.indexes,
        }

    @staticmethod
    def from_header(header: Any, where: str) -> CollectionSpec:
        if not isinstance(header, dict) or not isinstance(header.get("name"), str):
            raise StreamError(f"{where}: a collection header without a name")
        options, indexes = header.get("options", {}), header.get("indexes", [])
        if not isinstance(options, dict) or not isinstance(indexes, list):
            raise StreamError(f"{where}: collection {header['name']!r} has a malformed header")
        return CollectionSpec(
            header["name"], str(header.get("type", "collection")), options, indexes
        )


async def collection_specs(db: AsyncDatabase[Document]) -> list[CollectionSpec]:
    """Every collection and view of `db` (not the server's `system.*`), collections first,
    each in name order, so that an export of unchanged data is the same text."""
    specs: list[CollectionSpec] = []
    async for info in await db.list_collections():
        name = str(info["name"])
        if name.startswith("system."):
            continue
        kind = str(info.get("type", "collection"))
        indexes: list[Document] = []
        if kind != "view":
            async for index in await db[name].list_indexes():
                if index.get("name") != "_id_":
                    indexes.append({k: v for k, v in index.items() if k not in SERVER_INDEX_FIELDS})
        specs.append(CollectionSpec(name, kind, dict(info.get("options", {})), indexes))
    return sorted(specs, key=lambda spec: (spec.is_view, spec.name))


async def holding_documents(db: AsyncDatabase[Document]) -> list[str]:
    """The collections of `db` that hold at least one document."""
    return [
        spec.name
        for spec in await collection_specs(db)
        if not spec.is_view and await db[spec.name].find_one({}, {"_id": 1}) is not None
    ]


async def create_collection(db: AsyncDatabase[Document], spec: CollectionSpec) -> None:
    """Create the collection (or view) of `spec` with its options, as the raw `create`
    command so that options pass through as the source server reported them."""
    await db.command({"create": spec.name, **spec.options})


async def create_indexes(db: AsyncDatabase[Document], name: str, indexes: list[Document]) -> None:
    if indexes:
        await db.command({"createIndexes": name, "indexes": indexes})


# --- export ---------------------------------------------------------------------------


def _line_writer(out: BinaryIO | TextIO) -> Callable[[str], None]:
    # Asked of the stream itself: wrappers (`tempfile`'s, pytest's) hide their class.
    try:
        cast(IO[Any], out).write("")
    except TypeError:
        binary = cast(BinaryIO, out)

        def write_bytes(line: str) -> None:
            binary.write(line.encode("utf-8") + b"\n")

        return write_bytes
    text = cast(TextIO, out)

    def write_text(line: str) -> None:
        text.write(line + "\n")

    return write_text


def _meta(kind: str, body: Document) -> str:
    return json_util.dumps([kind, body], json_options=JSON_OPTIONS)


def _header_digest(header: Document) -> str:
    return hashlib.sha256(canonical(header).encode("utf-8")).hexdigest()


class StreamWriter:
    """Writes the lines of a stream, counting and digesting as it goes: `begin`, then per
    collection `collection`, its `document`s, `end`; then `finish`."""

    def __init__(self, out: BinaryIO | TextIO) -> None:
        self._write = _line_writer(out)
        self._current: CollectionSpec | None = None
        self._digest = DocumentDigest()
        self.counts: dict[str, int] = {}

    def begin(self, database: str) -> None:
        self._write(
            _meta(
                FORMAT,
                {"version": VERSION, "database": database, "exportedAt": datetime.now(UTC)},
            )
        )

    def collection(self, spec: CollectionSpec) -> None:
        self._current, self._digest = spec, DocumentDigest()
        self._write(_meta("collection", spec.header()))

    def document(self, document: Document) -> None:
        text = canonical(document)
        # Extended JSON cannot tell some sub-documents from the values it encodes (one with
        # the keys `$regex` and `$options` reads back as a regular expression): such a stream
        # would be refused on import, so the export fails now, while the data are still here.
        if canonical(json_util.loads(text, json_options=JSON_OPTIONS)) != text:
            assert self._current is not None
            raise PortableError(
                f"collection {self._current.name!r}: document {document.get('_id')!r} does not "
                "survive Extended JSON (a sub-document whose keys Extended JSON reserves)"
            )
        self._digest.add_canonical(text)
        self._write(text)

    def end(self) -> None:
        assert self._current is not None, "end() without collection()"
        name, digest = self._current.name, self._digest
        self._write(
            _meta(
                "end",
                {
                    "name": name,
                    "count": digest.count,
                    "sha256Sum": digest.hexdigest(),
                    "headerSha256": _header_digest(self._current.header()),
                },
            )
        )
        self.counts[name] = digest.count
        self._current = None

    def finish(self) -> None:
        self._write(
            _meta(
                "end-of-export",
                {"collections": len(self.counts), "documents": sum(self.counts.values())},
            )
        )


async def export(db: Database, out: BinaryIO | TextIO) -> dict[str, int]:
    """Write every collection of `db` to `out` as one stream; returns the documents written
    per collection.

    Each collection is read as the server has it while it is read: for one point in time
    across collections, export while nothing writes (the service stopped). The collections
    of `PROCESS_STATE` are written without their documents.
    """
    writer = StreamWriter(out)
    writer.begin(db.db.name)
    for spec in await collection_specs(db.db):
        writer.collection(spec)
        if not spec.is_view and spec.name not in PROCESS_STATE:
            collection = db.db.get_collection(spec.name, codec_options=READ_CODEC)
            # By `_id` so that the same data give the same text (the digest does not care).
            async for document in collection.find({}, sort=[("_id", 1)]):
                writer.document(document)
        writer.end()
    writer.finish()
    return writer.counts


# --- reading a stream ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CollectionEnd:
    """A collection's end line, checked against the documents before it."""

    name: str
    count: int
    digest: str


class StreamReader:
    """The items of a stream in order (a `CollectionSpec`, its documents, its
    `CollectionEnd`, ...), checking the structure as it goes: a collection's count and digest
    are checked at its `end` line, and the stream's completeness at its last line."""

    def __init__(self, lines: Iterable[str | bytes]) -> None:
        self._lines = lines
        self.counts: dict[str, int] = {}

    def items(self) -> Iterator[CollectionSpec | Document | CollectionEnd]:
        current: CollectionSpec | None = None
        digest = DocumentDigest()
        started = finished = False
        for number, raw in enumerate(self._lines, start=1):
            line = (raw.decode("utf-8") if isinstance(raw, bytes) else raw).rstrip("\r\n")
            if not line.strip():
                continue
            where = f"line {number}"
            if finished:
                raise StreamError(f"{where}: data after the end-of-export line")
            value = _parse_line(line, where)
            if isinstance(value, dict):
                if current is None:
                    raise StreamError(f"{where}: a document outside any collection")
                if current.is_view:
                    raise StreamError(f"{where}: a document in view {current.name!r}")
                # Hashed as re-serialized, so reformatting the stream changes nothing but a
                # changed value changes the digest.
                digest.add_canonical(canonical(value))
                yield value
                continue
            kind, body = _meta_line(value, where)
            if not started:
                self._check_start(kind, body, where)
                started = True
            elif kind == "collection":
                if current is not None:
                    raise StreamError(
                        f"{where}: collection {current.name!r} has no end line "
                        "(the stream was cut or altered)"
                    )
                current = CollectionSpec.from_header(body, where)
                if current.name in self.counts:
                    raise StreamError(f"{where}: collection {current.name!r} appears twice")
                digest = DocumentDigest()
                yield current
            elif kind == "end":
                if current is None or body.get("name") != current.name:
                    raise StreamError(f"{where}: an end line for a collection not begun")
                _check_end(current, body, digest, where)
                self.counts[current.name] = digest.count
                yield CollectionEnd(current.name, digest.count, digest.hexdigest())
                current = None
            elif kind == "end-of-export":
                if current is not None:
                    raise StreamError(
                        f"{where}: collection {current.name!r} has no end line "
                        "(the stream was cut or altered)"
                    )
                self._check_finish(body, where)
                finished = True
            else:
                raise StreamError(f"{where}: unknown line kind {kind!r}")
        if not started:
            raise StreamError("the stream is empty: not an export")
        if not finished:
            cut = f" inside collection {current.name!r}" if current is not None else ""
            raise StreamError(f"the stream ends{cut} before its end-of-export line: truncated")

    def _check_start(self, kind: str, body: Document, where: str) -> None:
        if kind != FORMAT:
            raise StreamError(f"{where}: not a {FORMAT} stream")
        if body.get("version") != VERSION:
            raise StreamError(
                f"{where}: stream version {body.get('version')!r}; this release reads {VERSION}"
            )

    def _check_finish(self, body: Document, where: str) -> None:
        if body.get("collections") != len(self.counts) or body.get("documents") != sum(
            self.counts.values()
        ):
            raise StreamError(
                f"{where}: the stream announces {body.get('collections')!r} collections and "
                f"{body.get('documents')!r} documents but holds {len(self.counts)} and "
                f"{sum(self.counts.values())}"
            )


def _parse_line(line: str, where: str) -> Any:
    try:
        return json_util.loads(line, json_options=JSON_OPTIONS)
    except (ValueError, TypeError, BSONError) as exc:
        raise StreamError(f"{where}: not Extended JSON ({exc})") from None


def _meta_line(value: Any, where: str) -> tuple[str, Document]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], str)
        or not isinstance(value[1], dict)
    ):
        raise StreamError(f"{where}: neither a document nor a stream line")
    return value[0], value[1]


def _check_end(spec: CollectionSpec, body: Document, digest: DocumentDigest, where: str) -> None:
    name = spec.name
    if body.get("count") != digest.count:
        raise StreamError(
            f"collection {name!r}: {digest.count} documents in the stream but its end line "
            f"({where}) says {body.get('count')!r}"
        )
    if body.get("sha256Sum") != digest.hexdigest():
        raise StreamError(
            f"collection {name!r}: its documents do not match the digest of its end line "
            f"({where}): the stream was altered"
        )
    if body.get("headerSha256") != _header_digest(spec.header()):
        raise StreamError(
            f"collection {name!r}: its options or indexes do not match the digest of its end "
            f"line ({where}): the stream was altered"
        )


# --- import ----------------------------------------------------------------------------


def _replayable(source: IO[Any], spool: IO[bytes]) -> tuple[Iterable[str | bytes], bool]:
    """Lines of `source` for a first pass; False when they are also copied to `spool`
    for a second (a pipe cannot be read twice)."""
    try:
        seekable = source.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        return source, True

    def copied() -> Iterator[str | bytes]:
        for raw in source:
            spool.write(raw.encode("utf-8") if isinstance(raw, str) else raw)
            yield raw

    return copied(), False


async def import_(
    db: Database, source: BinaryIO | TextIO, *, force: bool = False
) -> dict[str, int]:
    """Load a stream written by `export` into `db`; returns the documents loaded per
    collection.

    Refused (`StreamError`) before anything is written when the stream is truncated or a
    collection's count or digest does not match; refused (`NotEmpty`) when `db` already holds
    documents, unless `force`, which drops every collection of `db` first (after the stream
    has been checked). Documents are loaded without the collections' validators: they are
    what the source database held, and a validator must not make a backup unrestorable.
    Should loading fail (the server refuses a document or an index, the connection drops),
    the collections created so far are dropped and a `PortableError` names the collection.
    """
    if not force:
        _refuse_held(db.db.name, await holding_documents(db.db))
    with tempfile.TemporaryFile() as spool:
        first, seekable = _replayable(source, spool)
        start = source.tell() if seekable else 0
        checked = StreamReader(first)
        for _ in checked.items():
            pass
        if seekable:
            source.seek(start)
            second: Iterable[str | bytes] = source
        else:
            spool.seek(0)
            second = spool
        await _clear(db.db, force)
        return await _load(db.db, StreamReader(second))


def _refuse_held(database: str, held: list[str]) -> None:
    if held:
        raise NotEmpty(
            f"database {database!r} already holds documents (in {', '.join(held)}): "
            "import only into an empty database, or replace its content with --force"
        )


async def _clear(db: AsyncDatabase[Document], force: bool) -> None:
    """Drop what the import replaces: everything with `force`; otherwise only empty
    collections are here (their definitions come again from the stream), checked once more
    since the stream took a while to check."""
    specs = await collection_specs(db)
    if not force:
        _refuse_held(db.name, await holding_documents(db))
    for spec in reversed(specs):
        await db.drop_collection(spec.name)


async def _load(db: AsyncDatabase[Document], reader: StreamReader) -> dict[str, int]:
    created: list[str] = []
    try:
        spec: CollectionSpec | None = None
        batch: list[Document] = []
        for item in reader.items():
            if isinstance(item, CollectionSpec):
                spec = item
                await create_collection(db, spec)
                created.append(spec.name)
            elif isinstance(item, CollectionEnd):
                assert spec is not None
                await _insert(db, spec.name, batch)
                batch = []
                await create_indexes(db, spec.name, spec.indexes)
                if not spec.is_view:
                    await _check_loaded(db, item)
            else:
                batch.append(item)
                if len(batch) >= BATCH_SIZE:
                    assert spec is not None
                    await _insert(db, spec.name, batch)
                    batch = []
    except PyMongoError as exc:
        await _drop(db, created)
        where = f"collection {created[-1]!r}: " if created else ""
        raise PortableError(
            f"{where}the server refused the import ({exc}); what it had loaded was dropped"
        ) from exc
    except BaseException:
        await _drop(db, created)
        raise
    return reader.counts


async def _drop(db: AsyncDatabase[Document], names: list[str]) -> None:
    for name in reversed(names):
        await db.drop_collection(name)


async def _insert(db: AsyncDatabase[Document], name: str, batch: list[Document]) -> None:
    if batch:
        await db[name].insert_many(batch, ordered=True, bypass_document_validation=True)


async def _check_loaded(db: AsyncDatabase[Document], end: CollectionEnd) -> None:
    """What the server now holds must be what the stream held: a server that changed a
    value on the way in (a type, a precision) fails the import rather than passing it."""
    held = await collection_digest(db[end.name])
    if held.count != end.count:
        raise PortableError(
            f"collection {end.name!r}: {end.count} documents loaded but the server holds "
            f"{held.count}"
        )
    if held.hexdigest() != end.digest:
        raise PortableError(
            f"collection {end.name!r}: the server holds documents that differ from the "
            "stream's (it changed a value's type or precision on the way in)"
        )

"""`contracts`: serve, migrate, schedule (one pass), mint dev tokens, export the schema, export
and import the database, import SLA interval data, verify a document."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import io
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO, cast

from api.settings import ConfigError, Settings, load_settings
from api.tokens import DEVELOPMENT_TOKEN_HOURS
from domain.party import Role
from domain.sla import MAX_BATCH_ROWS

if TYPE_CHECKING:
    from migrations.runner import StepStatus

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def export_schema_sdl() -> str:
    from api.app import schema_for

    # The SDL is the same whatever the settings: the defaults do.
    return str(schema_for(Settings.model_construct())) + "\n"


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from api.lifespan import embedded_server
    from api.logging import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    # One embedded server for the whole install, started before the workers (each finds it
    # through the data folder) and stopped after them.
    with embedded_server(settings) if settings.embedded else nullcontext():
        if args.seed:
            seed_demo(settings)
        _run_uvicorn(settings)


def _run_uvicorn(settings: Settings) -> None:
    import uvicorn

    where = f"http://{settings.host}:{settings.port}"
    print(f"contract service listening on {where}  (health: {where}/healthz)", flush=True)
    if settings.graphiql:
        print(f"GraphiQL: {where}/graphql", flush=True)
    else:
        print("GraphiQL is off (GRAPHIQL=true turns it on)", flush=True)
    uvicorn.run(
        "api.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        proxy_headers=True,
        ws_per_message_deflate=False,
    )


def status_lines(rows: Sequence[StepStatus]) -> list[str]:
    """`contracts migrate status`: one aligned line per step."""
    width = max((len(row.id) for row in rows), default=0)
    return [
        f"{row.state:8} {row.id:{width}}"
        + (f"  {row.applied_at:%Y-%m-%d %H:%M:%S}Z  {row.duration_ms} ms" if row.applied_at else "")
        for row in rows
    ] or ["no migration steps"]


def _migrate(settings: Settings, args: argparse.Namespace) -> None:
    from api.lifespan import database
    from migrations.lock import LockError
    from migrations.runner import MigrationError, Migrator

    if args.to is not None and args.action != "down":
        print("--to applies to `migrate down` only", file=sys.stderr)
        raise SystemExit(2)

    async def run() -> list[str]:
        async with database(settings.model_copy(update={"migrate_on_start": False})) as db:
            migrator = Migrator(db)
            if args.action == "status":
                return status_lines(await migrator.status())
            if args.action == "down":
                return ["reverted: " + ", ".join(await migrator.down(args.to))]
            applied = await migrator.up()
            return ["applied: " + (", ".join(applied) if applied else "nothing pending")]

    try:
        lines = asyncio.run(run())
    except (MigrationError, LockError) as exc:
        print(f"migration refused: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print("\n".join(lines))


def _seed(settings: Settings, args: argparse.Namespace) -> None:
    if not seed_demo(settings, force=args.force, scale=args.scale):
        raise SystemExit(1)


def seed_demo(settings: Settings, *, force: bool = False, scale: float | None = None) -> bool:
    """Load the demo data set and print a token per role; False when refused."""
    from api.lifespan import database, delivery_options, mailer
    from api.tokens import mint_token
    from domain.ids import global_id
    from resolvers.context import utc_now
    from scheduler import delivery
    from seed.dataset import DEMO, SLA_SAMPLE_FILE, Scale
    from seed.load import Loaded, NotEmpty, load
    from storage.store import Store

    async def run() -> Loaded:
        async with database(settings) as db:
            store = Store(db)
            if scale is not None:
                return await load(store, Scale.of(scale), utc_now(), force=force)
            loaded = await load(store, DEMO, utc_now(), force=force, documents=True)
            # The demo's copies exist from the start; only renders are queued, no mail.
            rendered = await delivery.work_once(
                store, mailer(settings), utc_now(), delivery_options(settings), "seed"
            )
            return dataclasses.replace(loaded, documents=rendered + 1)

    try:
        loaded = asyncio.run(run())
    except NotEmpty as exc:
        print(f"not seeded: {exc} (`contracts seed --force` seeds it anyway)", file=sys.stderr)
        return False
    print(
        f"seeded {len(loaded.clients)} clients, {len(loaded.agents)} agents, "
        f"{loaded.sows} SOWs, {loaded.csas} CSAs ({loaded.changes} changes), "
        f"{loaded.interval_rows} interval rows, {loaded.documents} documents"
    )
    if loaded.sla_sample_sow is not None:
        print(
            "a month of interval data for the first SOW: contracts sla import "
            f"--sow {global_id('Sow', loaded.sla_sample_sow)} "
            f"{SLA_SAMPLE_FILE.relative_to(Path.cwd(), walk_up=True)}"
        )
    if settings.jwt_secret is None and settings.has_jwt_keys:
        print("public keys only: mint tokens with `contracts token --private-key ...`")
        return True
    client, agent = loaded.clients[0], loaded.agents[0]
    for label, role, client_id, agent_id in (
        (f"client ({client.name})", Role.CLIENT, global_id("Client", client.id), None),
        ("compliance", Role.COMPLIANCE, None, None),
        (f"agent ({agent.name})", Role.AGENT, None, global_id("Agent", agent.id)),
    ):
        token = mint_token(
            settings, role, subject=f"demo-{role}", client_id=client_id, agent_id=agent_id
        )
        header = f'{{"Authorization": "Bearer {token}"}}'
        print(f"\n{label}, valid {DEVELOPMENT_TOKEN_HOURS} hours:\n  {header}")
    return True


def _schedule(settings: Settings, args: argparse.Namespace) -> None:
    from api.lifespan import database, scheduler_options
    from resolvers.context import utc_now
    from scheduler.job import Report
    from scheduler.run import run_once
    from storage.store import Store

    async def run() -> Report:
        async with database(settings) as db:
            return await run_once(Store(db), utc_now(), scheduler_options(settings))

    report = asyncio.run(run())
    print(report.to_json())
    if report.errors:
        raise SystemExit(1)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _documents(settings: Settings, args: argparse.Namespace) -> None:
    """`contracts documents verify FILE`: which document, entity and version FILE is; exit 1
    when it is no document this service issued."""
    from api.lifespan import database
    from domain.document import Document
    from domain.scope import EVERYTHING
    from storage.store import Store

    try:
        digest = file_sha256(Path(args.file))
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(2) from None

    async def run() -> Document | None:
        async with database(settings) as db:
            return await Store(db).documents.by_sha256(digest, EVERYTHING)

    found = asyncio.run(run())
    if found is None:
        print(f"not a document this service issued (sha256 {digest})", file=sys.stderr)
        raise SystemExit(1)
    # The ids `verifyDocument` answers with.
    from schema.ids import entity_id, global_id

    match = {
        "sha256": digest,
        "document": {
            "id": global_id("Document", found.id),
            "kind": found.kind.value,
            "title": found.title,
            "fileName": found.file_name,
            "createdAt": found.created_at.isoformat(),
        },
        "entityType": found.entity_type.value if found.entity_type else None,
        "entityId": entity_id(found.entity_type, found.entity_id),
        "version": found.version,
    }
    print(json.dumps(match, indent=2))


def _token(settings: Settings, args: argparse.Namespace) -> None:
    from api.tokens import mint_token, signing_key

    try:
        print(signing_key(settings, args.private_key, args.kid), file=sys.stderr)
    except ValueError as exc:
        print(f"no token: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(
        mint_token(
            settings,
            Role(args.role),
            subject=args.subject,
            client_id=args.client_id,
            agent_id=args.agent_id,
            lifetime=timedelta(hours=args.hours),
            private_key=args.private_key,
            kid=args.kid,
        )
    )


def _export_schema(settings: Settings, args: argparse.Namespace) -> None:
    args.output.write_text(export_schema_sdl())
    print(f"wrote {args.output}")


def count_lines(counts: dict[str, int], verb: str, where: str) -> list[str]:
    """`contracts export`/`import`: documents per collection, then the totals."""
    width = max((len(name) for name in counts), default=0)
    return [f"{name:{width}}  {count:>8}" for name, count in counts.items()] + [
        f"{verb} {sum(counts.values())} documents in {len(counts)} collections {where}"
    ]


def _unmigrated(settings: Settings) -> Settings:
    # An export takes the database as it is; an import needs it empty, which applying the
    # migrations would not leave it.
    return settings.model_copy(update={"migrate_on_start": False})


def _export(settings: Settings, args: argparse.Namespace) -> None:
    from api.lifespan import database
    from storage.portable import export

    async def run(out: BinaryIO | TextIO) -> dict[str, int]:
        async with database(_unmigrated(settings)) as db:
            return await export(db, out)

    if args.file == "-":
        counts = asyncio.run(run(sys.stdout))
        sys.stdout.flush()
        print("\n".join(count_lines(counts, "exported", "to standard output")), file=sys.stderr)
        return
    # Written aside, then renamed: a failed export never replaces an earlier good one.
    path = Path(args.file)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            counts = asyncio.run(run(out))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    print("\n".join(count_lines(counts, "exported", f"to {path}")))


def _reading[T](file: str, work: Callable[[], T], refusal: type[Exception], said: str) -> T:
    """`work()` on `file`: one that cannot be read exits 2, a `refusal` 1, each told on
    standard error."""
    try:
        return work()
    except OSError as exc:
        print(f"cannot read {file}: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except refusal as exc:
        print(f"{said}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def _import(settings: Settings, args: argparse.Namespace) -> None:
    from api.lifespan import database
    from storage.portable import PortableError, import_

    async def run(source: BinaryIO) -> dict[str, int]:
        async with database(_unmigrated(settings)) as db:
            return await import_(db, source, force=args.force)

    def read() -> dict[str, int]:
        if args.file == "-":
            return asyncio.run(run(sys.stdin.buffer))
        with Path(args.file).open("rb") as source:
            return asyncio.run(run(source))

    counts = _reading(args.file, read, PortableError, "import refused")
    where = "from standard input" if args.file == "-" else f"from {args.file}"
    print("\n".join(count_lines(counts, "imported", where)))


def _sla_import(settings: Settings, args: argparse.Namespace) -> None:
    from api.app import resolver_limits
    from api.lifespan import database
    from api.sla_import import CSV_ENCODING, Imported, ImportStopped, Progress, import_rows, rows_of
    from storage.store import Store

    async def run(text: TextIO, size: int | None) -> Imported:
        progress = Progress(size)
        # Bytes the text layer has taken from the file (it reads ahead a little).
        position = text.buffer.tell if size else (lambda: 0)
        async with database(settings) as db:
            try:
                return await import_rows(
                    Store(db),
                    resolver_limits(settings),
                    args.sow,
                    rows_of(text),
                    args.batch,
                    lambda imported: progress.update(position(), imported),
                )
            finally:
                progress.end()

    def read() -> Imported:
        if args.file == "-":
            stdin = cast(io.TextIOWrapper, sys.stdin)
            stdin.reconfigure(encoding=CSV_ENCODING, newline="")
            return asyncio.run(run(stdin, None))
        path = Path(args.file)
        # newline="": the csv module does its own newline handling.
        with path.open(encoding=CSV_ENCODING, newline="") as text:
            return asyncio.run(run(text, path.stat().st_size))

    imported = _reading(args.file, read, ImportStopped, "import stopped")
    print(f"imported {imported.summary()} into SOW {args.sow} in {imported.seconds:.1f} s")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="contracts", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API (settings from the environment)")
    serve.add_argument(
        "--seed", action="store_true", help="first load the demo data if the database is empty"
    )
    seed = commands.add_parser("seed", help="load demo data and print a development token per role")
    seed.add_argument("--force", action="store_true", help="even into a database with data")
    seed.add_argument("--scale", type=float, help="1: 500 SOWs and 5,000 CSAs (benchmarks)")
    commands.add_parser(
        "schedule",
        help="one scheduler pass (for cron): due transitions and notices, a JSON summary",
    )
    migrate = commands.add_parser("migrate", help="apply, list or revert database migrations")
    migrate.add_argument(
        "action",
        nargs="?",
        choices=["up", "status", "down"],
        default="up",
        help="up (default): apply pending steps; status: list applied and pending steps; "
        "down: revert the last step",
    )
    migrate.add_argument("--to", metavar="ID", help="down: revert every step applied after ID")
    token = commands.add_parser("token", help="mint a development token")
    token.add_argument("role", choices=[role.value for role in Role])
    token.add_argument("--client-id")
    token.add_argument("--agent-id")
    token.add_argument("--subject")
    token.add_argument("--hours", type=float, default=DEVELOPMENT_TOKEN_HOURS)
    token.add_argument("--private-key", type=Path, help="PEM key: RS256 instead of HS256")
    token.add_argument("--kid", help="key id for --private-key")
    dump = commands.add_parser(
        "export", help="write the whole database as one portable stream (Extended JSON lines)"
    )
    dump.add_argument("file", nargs="?", default="-", help="FILE, or - (default): stdout")
    load = commands.add_parser(
        "import", help="load a stream written by `contracts export` into an empty database"
    )
    load.add_argument("file", help="FILE, or -: stdin")
    load.add_argument("--force", action="store_true", help="replace everything the database holds")
    sla = commands.add_parser("sla", help="performance against the contract")
    sla_commands = sla.add_subparsers(dest="sla_command", required=True)
    sla_import = sla_commands.add_parser(
        "import",
        help="record a CSV file of interval rows (columns: the SlaIntervalInput field names) "
        "in batches, each stored whole or not at all",
    )
    sla_import.add_argument("--sow", required=True, metavar="ID", help="the SOW the rows are of")
    sla_import.add_argument("file", help="FILE.csv, or -: stdin")
    sla_import.add_argument(
        "--batch",
        type=int,
        default=MAX_BATCH_ROWS,
        help=f"rows per transaction (at most {MAX_BATCH_ROWS:,})",
    )
    documents = commands.add_parser("documents", help="documents: verify a file")
    document_commands = documents.add_subparsers(dest="action", required=True)
    verify = document_commands.add_parser(
        "verify", help="which signed copy or document FILE is (by its SHA-256); exit 1: none"
    )
    verify.add_argument("file", metavar="FILE")
    export = commands.add_parser("export-schema", help="write the SDL to schema.graphql")
    export.add_argument("--output", type=Path, default=SCHEMA_FILE)
    return root


HANDLERS = {
    "serve": _serve,
    "migrate": _migrate,
    "seed": _seed,
    "schedule": _schedule,
    "token": _token,
    "export-schema": _export_schema,
    "export": _export,
    "import": _import,
    "sla": _sla_import,
    "documents": _documents,
}


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    HANDLERS[args.command](settings, args)


if __name__ == "__main__":
    main()

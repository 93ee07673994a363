"""The embedded default: a SecantusDB server (MongoDB's wire protocol on WiredTiger) run as a
child process on loopback when no MONGODB_URI is configured.

SecantusDB is GPL-2.0-only: the service starts its console script as a separate process and
speaks the MongoDB wire protocol to it, as to any MongoDB server; no module of it is ever
imported here.

A data folder holds the server's files (`wiredtiger/`), its log (`secantusd.log`) and a
state file naming the server process, its port and the process that owns it. The state file
lets a second command of the same install (`contracts seed` beside `contracts serve`) use the
running server instead of failing on WiredTiger's lock, and lets the next start stop a server
whose owner was killed before it could stop it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger("contracts.embedded")

# Pinned exactly in pyproject.toml as well: a beta that promises no on-disk compatibility
# between versions (`contracts export`/`import` carry data across).
SECANTUS_VERSION = "0.7.0b3"
EXECUTABLE = "secantusd-py"
REPLICA_SET = "secantus"
STORAGE_DIR = "wiredtiger"
STATE_FILE = "secantusd.json"
LOG_FILE = "secantusd.log"
# Passed explicitly (empty): a stray `secantusd.toml` in the working directory, `~/.secantus/`
# or `/etc/secantus/` must not change the service's server.
CONFIG_FILE = "secantusd.toml"
CONFIG_TEXT = "# Settings of the embedded server are its command line (storage/embedded.py).\n"

READY_SECONDS = 30.0
STOP_SECONDS = 10.0
PORT_ATTEMPTS = 3
# PyMongo waits 30 s for a server by default: with the embedded server gone, shutdown (a change
# stream's resume, closing the client) would wait that long, twice.
SERVER_SELECTION_MS = 3000
PR_SET_PDEATHSIG = 1


class EmbeddedError(Exception):
    """The embedded server could not be started; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class EmbeddedOptions:
    """How the embedded server runs; defaults for a development or one-machine install."""

    port: int = 0  # 0: a free port
    # The oplog feeds change streams only; bounded, it cannot grow with every write ever made.
    oplog_retention_seconds: int = 3600
    oplog_max_entries: int = 100_000
    cache_size: str = "256M"
    # `configureFailPoint`: for the test suite only; never a serving process.
    test_commands: bool = False


def client_uri(port: int) -> str:
    # Retryable writes make this server slower as their records accumulate; the service's
    # own transaction retries (storage.database) cover what they would.
    return (
        f"mongodb://127.0.0.1:{port}/?replicaSet={REPLICA_SET}&retryWrites=false"
        f"&serverSelectionTimeoutMS={SERVER_SELECTION_MS}"
    )


@dataclass(frozen=True, slots=True)
class _State:
    pid: int
    owner: int
    port: int

    @staticmethod
    def read(path: Path) -> _State | None:
        try:
            raw = json.loads(path.read_text())
            return _State(pid=int(raw["pid"]), owner=int(raw["owner"]), port=int(raw["port"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"pid": self.pid, "owner": self.owner, "port": self.port}))


class EmbeddedServer:
    """The SecantusDB server of one data folder: started here, or already running for it.

    `start()` returns the connection string. When another live process of this install owns
    the folder's server, it is used as it is and left running by `stop()`.
    """

    def __init__(self, data_dir: Path, options: EmbeddedOptions | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.options = options or EmbeddedOptions()
        self.uri = ""
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def storage(self) -> Path:
        return self.data_dir / STORAGE_DIR

    @property
    def owned(self) -> bool:
        """Whether this object started the server (and stops it)."""
        return self._process is not None

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        state = _State.read(self.data_dir / STATE_FILE)
        if state is not None and _serves(state.pid, self.storage):
            if _parent_of(state.pid) == state.owner:
                self.uri = client_uri(state.port)
                log.info("using the embedded server of process %d at %s", state.owner, self.uri)
                return self.uri
            # Its owner is gone (killed before it could stop it): nobody else will.
            log.warning("stopping the embedded server left by process %d", state.owner)
            _terminate(state.pid)
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)
        for attempt in range(PORT_ATTEMPTS):
            port = self.options.port or _free_port()
            try:
                self._launch(port)
                break
            except EmbeddedError:
                # A free port may be taken between choosing it and the server binding it.
                if self.options.port or attempt == PORT_ATTEMPTS - 1:
                    raise
        return self.uri

    def stop(self) -> None:
        """Stop the server if this object started it: SIGTERM, then SIGKILL after 10 s."""
        process, self._process = self._process, None
        if process is None:
            return
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("the embedded server did not stop in %.0f s; killing it", STOP_SECONDS)
            process.kill()
            process.wait()

    def _launch(self, port: int) -> None:
        config = self.data_dir / CONFIG_FILE
        config.write_text(CONFIG_TEXT)
        command = [
            _executable(),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            str(self.storage),
            # Contracts and signatures are not data to lose: a commit is on disk when acked.
            "--sync-on-commit",
            "--oplog-retention-seconds",
            str(self.options.oplog_retention_seconds),
            "--oplog-max-entries",
            str(self.options.oplog_max_entries),
            "--cache-size",
            self.options.cache_size,
            "--log-level",
            "WARNING",
        ]
        if self.options.test_commands:
            command.append("--enable-test-commands")
        log_path = self.data_dir / LOG_FILE
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(  # noqa: S603 (our own executable, fixed arguments)
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                cwd=self.data_dir,
                preexec_fn=_die_with_parent(os.getpid()),
                start_new_session=True,
            )
        uri = client_uri(port)
        try:
            _wait_until_ready(process, uri)
        except BaseException:
            process.kill()
            process.wait()
            raise
        self._process = process
        self.uri = uri
        _State(pid=process.pid, owner=os.getpid(), port=port).write(self.data_dir / STATE_FILE)
        log.info("embedded server (SecantusDB %s) at %s", SECANTUS_VERSION, uri)


@contextlib.contextmanager
def embedded_server(data_dir: Path, options: EmbeddedOptions | None = None) -> Iterator[str]:
    """The connection string of the data folder's server while the block runs."""
    with EmbeddedServer(data_dir, options) as server:
        yield server.uri


def _executable() -> str:
    # The console script installed beside this interpreter (the project's virtualenv).
    beside = Path(sys.executable).parent / EXECUTABLE
    found = str(beside) if beside.exists() else shutil.which(EXECUTABLE)
    if found is None:
        raise EmbeddedError(
            f"{EXECUTABLE} not found: install the project (`./run start`) or set MONGODB_URI"
        )
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A `preexec_fn` that has Linux stop the server when the process that started it dies,
    however it dies (a SIGKILL included), so no server outlives its service."""

    def arm() -> None:
        if sys.platform != "linux":
            return
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return arm


def _wait_until_ready(process: subprocess.Popen[bytes], uri: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    client: MongoClient[dict[str, object]] = MongoClient(
        uri, serverSelectionTimeoutMS=250, connectTimeoutMS=250
    )
    try:
        while True:
            if process.poll() is not None:
                raise EmbeddedError(
                    f"the embedded server exited with status {process.returncode}"
                    " (see its log, secantusd.log in the data folder; another server may be"
                    " using the folder)"
                )
            try:
                client.admin.command("ping")
                return
            except PyMongoError:
                if time.monotonic() > deadline:
                    raise EmbeddedError(
                        f"the embedded server did not answer in {READY_SECONDS:.0f} s"
                    ) from None
    finally:
        client.close()


def _serves(pid: int, storage: Path) -> bool:
    """Whether process `pid` is a SecantusDB server of `storage` (not a reused pid)."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(EXECUTABLE.encode() in part for part in arguments) and (
        str(storage).encode() in arguments
    )


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return int(stat.rsplit(")", 1)[1].split()[1])


def running(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (an exited child not yet reaped by
    its parent still has a pid: a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while running(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.05)

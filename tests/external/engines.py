"""Start and stop real SPARQL engines on 127.0.0.1, each with its own ports
and folders: Oxigraph server and Virtuoso Open Source 7. Used by the fixtures
of tests/external and by bench/bench_external.py (so it needs no pytest).

Readiness is polled (the query endpoint answers ``ASK {}``), never slept for.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from newsgraph.external import open_client
from newsgraph.external.client import StoreClient
from newsgraph.external.credentials import Credentials

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"  # the password of a new Virtuoso database


class EngineError(RuntimeError):
    """An engine did not start; the message holds the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Engine:
    """A running engine: its name (= its dialect's), query endpoint, process."""

    name: str
    query: str
    process: subprocess.Popen
    log: Path
    credentials: Credentials | None
    started_in_s: float = 0.0

    def client(self, **kwargs: object) -> StoreClient:
        return open_client(self.query, credentials=self.credentials, **kwargs)  # type: ignore[arg-type]

    def env(self) -> dict[str, str]:
        """The environment of a ``newsgraph publish`` to this store (credentials in it)."""
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        if self.credentials:
            env["NEWSGRAPH_STORE_USER"] = self.credentials.user
            env["NEWSGRAPH_STORE_PASSWORD"] = self.credentials.password
        return env

    def cpu_seconds(self) -> float:
        """User and system CPU the engine's process has used (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def stop(self) -> float:
        """Stop the engine (SIGTERM, then SIGKILL after a while); seconds it took."""
        began = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return time.monotonic() - began


def _start(name: str, argv: list[str], query: str, folder: Path,
           credentials: Credentials | None) -> Engine:
    log = folder / f"{name}.log"
    began = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=folder,
                                   start_new_session=True)
    engine = Engine(name, query, process, log, credentials)
    deadline = began + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EngineError(f"{name} exited with {process.returncode}:\n{engine.log_tail()}")
        try:
            if requests.get(query, params={"query": "ASK {}"}, timeout=2,
                            headers={"Accept": "application/sparql-results+json"}
                            ).status_code == 200:
                engine.started_in_s = time.monotonic() - began
                return engine
        except requests.RequestException:
            pass
        time.sleep(0.05)  # polling a condition: the engine answers
    engine.stop()
    raise EngineError(f"{name} did not answer within {START_TIMEOUT_S:g} s:\n"
                      f"{engine.log_tail()}")


def oxigraph_binary() -> str | None:
    return shutil.which("oxigraph")


def start_oxigraph(folder: Path) -> Engine:
    """``oxigraph serve`` with its data in ``folder``."""
    binary = oxigraph_binary()
    if binary is None:
        raise EngineError("the oxigraph command is not installed (pip install oxigraph==0.5.13)")
    port = free_port()
    return _start("oxigraph", [binary, "serve", "--location", str(folder / "data"),
                               "--bind", f"127.0.0.1:{port}"],
                  f"http://127.0.0.1:{port}/query", folder, None)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {db}
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {www}
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10

[SPARQL]
; the ini Virtuoso ships says 10000: answers longer than that are cut
ResultSetMaxRows = 10000
MaxQueryExecutionTime = 60
"""


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t") or next(
        (p for p in ("/usr/bin/virtuoso-t", "/usr/sbin/virtuoso-t") if os.access(p, os.X_OK)),
        None)


def start_virtuoso(folder: Path, buffers: int = 10_000) -> Engine:
    """``virtuoso-t +foreground`` with a generated ini and its database in
    ``folder``; ``buffers`` of 8 KB pages (10,000: 80 MB, enough for the tests)."""
    binary = virtuoso_binary()
    if binary is None:
        raise EngineError("virtuoso-t is not installed "
                          "(apt-get install virtuoso-opensource-7-bin)")
    db, www = folder / "db", folder / "www"
    db.mkdir(parents=True)
    www.mkdir()
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=db, www=www, http_port=http_port, sql_port=sql_port,
                                       buffers=buffers, dirty=buffers * 3 // 4))
    return _start("virtuoso", [binary, "+foreground", "+configfile", str(ini)],
                  f"http://127.0.0.1:{http_port}/sparql", folder,
                  Credentials(VIRTUOSO_USER, VIRTUOSO_PASSWORD))

"""Real SPARQL engines for tests/external, started once a session on 127.0.0.1.

* ``oxigraph`` — Oxigraph server (the ``oxigraph`` command of the PyPI package
  ``oxigraph``, in the test extra), ``oxigraph serve`` on a free port with its
  data in a temporary folder;
* ``virtuoso`` — Virtuoso Open Source 7 (Debian's ``virtuoso-opensource-7-bin``,
  installed by scripts/test) with a generated ``virtuoso.ini``: its own ports,
  its folders in a temporary folder, ``ResultSetMaxRows`` at the 10,000 of the
  ini Virtuoso ships, so cut answers are exercised.

Both are waited for by polling their query endpoint, and stopped at the end.
Where an engine is missing the tests that need it are skipped with the reason
locally, and fail in CI (``CI`` set): CI must run them.

Every test here is in one xdist group, so one worker starts the engines.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from newsgraph import release
from newsgraph.external import open_client
from newsgraph.external.client import StoreClient
from newsgraph.external.credentials import Credentials

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"  # the password of a new Virtuoso database
SYNTHETIC_BASE = "https://example.org/synthetic/"

sys.path.insert(0, str(REPO / "bench"))
import synthetic  # noqa: E402  (bench/synthetic.py: newsgraph-shaped N-Quads)


@dataclass
class Engine:
    """A running engine: its name (= its dialect's), query endpoint, process."""

    name: str
    query: str
    process: subprocess.Popen
    log: Path
    credentials: Credentials | None
    started_in_s: float

    def client(self, **kwargs: object) -> StoreClient:
        return open_client(self.query, credentials=self.credentials, **kwargs)  # type: ignore[arg-type]

    def env(self) -> dict[str, str]:
        """The environment for a ``newsgraph publish`` of this store (credentials in it)."""
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        if self.credentials:
            env["NEWSGRAPH_STORE_USER"] = self.credentials.user
            env["NEWSGRAPH_STORE_PASSWORD"] = self.credentials.password
        return env

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}, and CI must run the external-store tests")
    pytest.skip(what)


def _wait_ready(engine: Engine) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if engine.process.poll() is not None:
            pytest.fail(f"{engine.name} exited with {engine.process.returncode}:\n"
                        f"{engine.log_tail()}")
        try:
            if requests.get(engine.query, params={"query": "ASK {}"}, timeout=2,
                            headers={"Accept": "application/sparql-results+json"}
                            ).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)  # polling a condition: the engine answers
    _stop(engine.process)
    pytest.fail(f"{engine.name} did not answer within {START_TIMEOUT_S:g} s:\n"
                f"{engine.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(name: str, argv: list[str], query: str, folder: Path,
           credentials: Credentials | None) -> Engine:
    log = folder / f"{name}.log"
    began = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=folder,
                                   start_new_session=True)
    engine = Engine(name, query, process, log, credentials, 0.0)
    _wait_ready(engine)
    engine.started_in_s = time.monotonic() - began
    return engine


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    command = shutil.which("oxigraph")
    if command is None:
        _missing("the oxigraph command is not installed (pip install oxigraph==0.5.13)")
    folder = tmp_path_factory.mktemp("oxigraph")
    port = free_port()
    engine = _start("oxigraph", [command, "serve", "--location", str(folder / "data"),
                                 "--bind", f"127.0.0.1:{port}"],
                    f"http://127.0.0.1:{port}/query", folder, None)
    yield engine
    _stop(engine.process)


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
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
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


def start_virtuoso(folder: Path) -> Engine:
    """A Virtuoso of its own in ``folder`` (also used by bench/bench_external.py)."""
    binary = virtuoso_binary()
    assert binary is not None
    db, www = folder / "db", folder / "www"
    db.mkdir(parents=True)
    www.mkdir()
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=db, www=www, http_port=http_port, sql_port=sql_port))
    return _start("virtuoso", [binary, "+foreground", "+configfile", str(ini)],
                  f"http://127.0.0.1:{http_port}/sparql", folder,
                  Credentials(VIRTUOSO_USER, VIRTUOSO_PASSWORD))


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if virtuoso_binary() is None:
        _missing("virtuoso-t is not installed (apt-get install virtuoso-opensource-7-bin)")
    engine = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield engine
    _stop(engine.process)


@pytest.fixture(scope="session", params=["oxigraph", "virtuoso"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn."""
    return request.getfixturevalue(request.param)


# ------------------------------------------------------------------ releases


def write_release(folder: Path, nquads: bytes, base: str = SYNTHETIC_BASE,
                  store_nquads: bytes | None = None) -> Path:
    """A release holding ``nquads`` (one quad a line, grouped by graph), written
    with newsgraph.release's helpers as the build writes one: the manifest's
    per-graph counts are the dump's lines, so a dump that repeats a quad gives
    a release whose counts no store can match. ``store_nquads``: what its
    store holds, where the dump is meant not to parse."""
    folder.mkdir(parents=True)
    graphs: dict[str, int] = {}
    triples = set()
    for line in nquads.splitlines():
        head, _, graph = line[:-2].rpartition(b" <")
        graphs[graph[:-1].decode()] = graphs.get(graph[:-1].decode(), 0) + 1
        triples.add(head)
    ontology = folder.parent / f"{folder.name}-ontology"
    ontology.mkdir()
    files = release.content_files({release.NQUADS: nquads}, b"{}\n", ontology, [])
    manifest = release.build_manifest(files, base, quads=sum(graphs.values()),
                                      triples=len(triples), graphs=graphs)
    for name, (_role, body) in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        release.write_file(folder / name, body)
    store = ox.Store(str(folder / release.STORE))
    store.bulk_load(nquads if store_nquads is None else store_nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    release.write_file(folder / release.STATISTICS, b"{}\n")
    release.write_manifest(folder, release.with_store(manifest, folder))
    release.verify(folder)
    return folder


def synthetic_nquads(articles: int) -> bytes:
    """bench/synthetic.py's N-Quads, under a base of their own (so they never
    replace the seed release's graphs in a shared store), grouped by graph."""
    lines = {line.replace(synthetic.BASE, SYNTHETIC_BASE) for line in
             synthetic.generate(articles=articles)}  # a set: the generator repeats a few
    return "".join(sorted(lines, key=lambda line: (line.rsplit(" ", 2)[-2], line))).encode()


@pytest.fixture(scope="session")
def seed_release(built_dist: Path) -> Path:
    """The project's release, built once for the session (tests/conftest.py)."""
    return built_dist.resolve()


def publish(engine: Engine, folder: Path, state: Path, *args: str,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``newsgraph publish`` of ``folder`` to ``engine``, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "newsgraph", "publish", "--to", engine.query,
         "--release", str(folder), "--state", str(state), *args],
        capture_output=True, text=True, timeout=600, env=env or engine.env(), cwd=folder)



def _seed(engine: Engine, seed_release: Path, state: Path) -> Engine:
    result = publish(engine, seed_release, state)
    if result.returncode != 0:
        pytest.fail(f"publishing the seed release to {engine.name} failed:\n{result.stderr}")
    return engine


@pytest.fixture(scope="session")
def oxigraph_seeded(oxigraph: Engine, seed_release: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """Oxigraph with the seed release published into it."""
    return _seed(oxigraph, seed_release, tmp_path_factory.mktemp("state") / "seed.json")


@pytest.fixture(scope="session")
def virtuoso_seeded(virtuoso: Engine, seed_release: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """Virtuoso with the seed release published into it."""
    return _seed(virtuoso, seed_release, tmp_path_factory.mktemp("state") / "seed.json")


@pytest.fixture(scope="session", params=["oxigraph", "virtuoso"])
def seeded(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn, with the seed release published into it."""
    return request.getfixturevalue(f"{request.param}_seeded")


BIG_GRAPH = "urn:x-newsgraph-test:big"
BIG_ROWS = 12_000  # more than Virtuoso's 10,000 rows an answer


def with_big_graph(engine: Engine) -> Engine:
    """``engine`` holding a synthetic graph of ``BIG_ROWS`` triples."""
    body = "".join(f'<urn:x:s{i}> <urn:x:n> "{i}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
                   for i in range(BIG_ROWS)).encode()
    with engine.client() as client:
        client.put_graph(BIG_GRAPH, body, client.dialect.put_media_type)
    return engine

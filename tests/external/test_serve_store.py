"""``newsgraph serve --store URL``: the same site from an external store.

The seed release is published to a fresh Oxigraph server and a fresh
Virtuoso; ``serve --store`` runs on each as a real server process on
127.0.0.1, beside ``serve`` on the embedded store of the same release, and
every request of :mod:`.replay` (the linked-data and SPARQL HTTP checks) is
asked of both and compared. Then what only a store can do wrong: a store
without the release is refused before serving, a query longer than
Virtuoso's ResultSetMaxRows is refused (never cut), a description and a page
cost a bounded number of round trips, and a store that fails mid-way gives
a 502 in one line, never part of a page.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from newsgraph import release as release_layout
from newsgraph.config import load_settings
from newsgraph.external import dialect_named
from newsgraph.server.store import RemoteSpec, open_data
from newsgraph.server.web import create_app

from . import replay
from .conftest import BIG_GRAPH, BIG_ROWS, _missing, _seed, _started, publish, with_big_graph
from .engines import (
    REPO,
    Engine,
    oxigraph_binary,
    start_oxigraph,
    start_virtuoso,
    virtuoso_binary,
)

Server = Any  # tests/conftest.py's Server: what start_server returns
pytestmark = pytest.mark.xdist_group("external")

# What a description and a page may cost against a remote store, in HTTP
# requests (docs/external-stores.md). A description: whether the thing
# exists, its own triples and nodes (describe.py's steps), its links, the
# names of what it links to: at most 8. A page adds its card, read a step at a
# time (profiles.Near: each step one query of up to 200 IRIs), and the notes
# that tell namesakes apart: a person's, the largest card, took 21 on the seeds.
# The name index is read once per release, before (it is not a page's cost).
DESCRIPTION_BOUND = 8
PAGE_BOUND = 30


@pytest.fixture(scope="module")
def release_things(seed_release: Path) -> tuple[list[str], list[str]]:
    store = ox.Store()
    store.load(path=str(seed_release / "newsgraph.nq"), format=ox.RdfFormat.N_QUADS)
    things = sorted({q.subject.value.split("#", 1)[0] for q in store
                     if isinstance(q.subject, ox.NamedNode)
                     and q.subject.value.startswith(replay.BASE + "id/")})
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return things, graphs


# Fresh engines of this module's own (the session's hold what other tests
# loaded, which would be part of their union default graph), each with the
# seeds' release published into it. These override the session's fixtures.
def _fresh(kind: str, seed_release: Path, folder: Path) -> Engine:
    binary, start = ((oxigraph_binary, start_oxigraph) if kind == "oxigraph"
                     else (virtuoso_binary, start_virtuoso))
    if binary() is None:
        _missing(f"{kind} is not installed (see tests/external/engines.py)")
    engine = _started(start, folder)
    return _seed(engine, seed_release, folder / "state.json")


@pytest.fixture(scope="module")
def oxigraph_seeded(seed_release: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[Engine]:
    engine = _fresh("oxigraph", seed_release, tmp_path_factory.mktemp("fresh-oxigraph"))
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def virtuoso_seeded(seed_release: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[Engine]:
    engine = _fresh("virtuoso", seed_release, tmp_path_factory.mktemp("fresh-virtuoso"))
    yield engine
    engine.stop()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def seeded(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue(f"{request.param}_seeded")


@pytest.fixture(scope="module")
def embedded_server(seed_release: Path, start_server: Callable[..., Server]) -> Server:
    return start_server(seed_release)


@pytest.fixture(scope="module")
def store_server(seeded: Engine, seed_release: Path,
                 start_server: Callable[..., Server]) -> Server:
    """``serve --store`` on each engine in turn (anonymous reads: no credentials),
    the store holding the release alone (other tests add a graph of their own)."""
    with seeded.client() as client:
        client.delete_graph(BIG_GRAPH)  # added by a test below, on the same engine
    return start_server(seed_release, serve_args=("--store", seeded.query),
                        env={"NEWSGRAPH_STORE_USER": "", "NEWSGRAPH_STORE_PASSWORD": ""})


def test_serve_store_answers_every_request_as_the_embedded_store(
        embedded_server, store_server, release_things):
    things, graphs = release_things
    differences = []
    asked = replay.requests_for(things, graphs)
    for req in asked:
        want = replay.send(embedded_server.url, req)
        got = replay.send(store_server.url, req)
        why = replay.difference(req, want, got)
        if why:
            differences.append(why)
    assert len(asked) > 300
    assert not differences, f"{len(differences)} of {len(asked)} differ:\n" + "\n".join(
        differences[:10]) + "\n" + store_server.log_tail()


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc): the master and its workers."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], []))
    return found


def test_web_workers_hold_no_data(store_server):
    """No process of the server opens the release's store or its dumps."""
    store_server.get("/doc/person/wang-xiaohong")  # workers up and serving
    family = _family(store_server.process.pid)
    assert len(family) >= 2  # the master and its workers
    for pid in family:
        try:
            opened = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue  # gone meanwhile (a worker that restarted)
        held = [p for p in opened if f"/{release_layout.STORE}/" in p or p.endswith(".nq")]
        assert not held, (pid, held)


def test_a_store_without_the_release_is_refused_before_serving(
        oxigraph_seeded: Engine, seed_release: Path, tmp_path: Path):
    """One graph of the release dropped from the store: serve --store exits 2 in one line."""
    oxigraph = oxigraph_seeded
    with oxigraph.client() as client:
        client.update("DROP SILENT GRAPH <https://w3id.org/newsgraph/graph/entities>")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "newsgraph", "--project", str(REPO), "serve", "--no-build",
             "--data", str(seed_release), "--store", oxigraph.query, "--port", "1"],
            capture_output=True, text=True, timeout=120, env=oxigraph.env())
    finally:
        # the module's other tests want it back
        assert publish(oxigraph, seed_release, tmp_path / "state.json").returncode == 0
    assert result.returncode == 2, result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1, result.stderr
    assert "newsgraph publish --to" in error[0] and "graph/entities" in error[0]
    assert "Traceback" not in result.stderr


def test_an_unreachable_store_is_one_line(seed_release: Path):
    result = subprocess.run(
        [sys.executable, "-m", "newsgraph", "--project", str(REPO), "serve", "--no-build",
         "--data", str(seed_release), "--store", "http://127.0.0.1:9/query",
         "--dialect", "oxigraph", "--port", "1"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error: cannot reach the store at http://127.0.0.1:9/query" in result.stderr


def test_a_generic_store_needs_its_graph_store_endpoint(seed_release: Path):
    result = subprocess.run(
        [sys.executable, "-m", "newsgraph", "--project", str(REPO), "serve", "--no-build",
         "--data", str(seed_release), "--store", "http://127.0.0.1:9/sparql",
         "--dialect", "generic", "--port", "1"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "give --gsp URL" in result.stderr


def test_a_query_over_virtuosos_row_cap_is_refused_not_cut(
        virtuoso_seeded: Engine, seed_release: Path, start_server: Callable[..., Server]):
    with_big_graph(virtuoso_seeded)
    server = start_server(seed_release, serve_args=("--store", virtuoso_seeded.query),
                          env={"NEWSGRAPH_SPARQL_MAX_ROWS": str(BIG_ROWS * 2)})
    # a graph besides the release's is served, with a warning at start
    assert "holds 1 graph(s) besides the release's" in server.log.read_text()
    query = f"SELECT ?s ?n FROM <{BIG_GRAPH}> WHERE {{ ?s ?p ?n }}"
    # the graph is not the release's: FROM of it is refused by the guard...
    assert server.get("/sparql", params={"query": query}).status_code == 400
    # ...so a query of the release's data that is as long: the data crossed with itself
    query = ("SELECT ?a ?b WHERE { ?a a ?t . ?b a ?u } LIMIT " + str(BIG_ROWS))
    resp = server.get("/sparql", params={"query": query},
                      headers={"Accept": "application/sparql-results+json"})
    assert resp.status_code == 400, resp.text[:300]
    assert "nothing was cut" in resp.text and "10000" in resp.text
    # and within the cap, answered in full
    small = server.get("/sparql", params={"query": query.replace(str(BIG_ROWS), "9000")},
                       headers={"Accept": "application/sparql-results+json"})
    assert small.status_code == 200
    assert len(small.json()["results"]["bindings"]) == 9000
    # and the query page says so
    page = server.get("/sparql", headers={"Accept": "text/html"})
    assert "returns at most 10000 rows an answer" in page.text


def test_the_time_limit_holds_through_the_store(virtuoso_seeded: Engine, seed_release: Path,
                                                start_server: Callable[..., Server]):
    """A query past --sparql-timeout is answered 503 with Retry-After, the wait
    ended by the HTTP timeout and the work by Virtuoso's own (its ``timeout``);
    the next query is answered as usual."""
    server = start_server(seed_release, serve_args=("--store", virtuoso_seeded.query,
                                                     "--sparql-timeout", "1"))
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    resp = server.get("/sparql", params={"query": runaway})
    assert resp.status_code == 503, resp.text[:300]
    assert resp.headers.get("Retry-After") and "time limit of 1 s" in resp.text
    after = server.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert after.status_code == 200 and after.json()["boolean"] is True


def test_a_long_answer_is_refused_before_the_worker_holds_it(
        oxigraph_seeded: Engine, seed_release: Path, start_server: Callable[..., Server]):
    """The web worker reads at most a few times the answer cap from the store."""
    server = start_server(seed_release, serve_args=("--store", oxigraph_seeded.query),
                          env={"NEWSGRAPH_SPARQL_MAX_ANSWER_BYTES": "2000"})
    resp = server.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert resp.status_code == 400 and "larger than 2000 bytes" in resp.text
    small = server.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"})
    assert small.status_code == 200 and len(small.json()["results"]["bindings"]) == 3


# ---------------------------------------------------------------- round trips

class Counting:
    """Counts the HTTP requests a client's session sends (each is one round trip)."""

    def __init__(self, session: object) -> None:
        self.sent = 0
        self._request = session.request  # type: ignore[attr-defined]
        session.request = self  # type: ignore[attr-defined]

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.sent += 1
        return self._request(*args, **kwargs)


@pytest.fixture(scope="module")
def counted_app(oxigraph_seeded: Engine, seed_release: Path):
    settings = load_settings(root=REPO)
    spec = RemoteSpec(oxigraph_seeded.query, dialect_named("oxigraph"))
    opened = open_data(seed_release, remote=spec)
    settings = settings.with_overrides(base=opened.base)
    app = create_app(settings, seed_release, remote=spec)
    backend = app.extensions["newsgraph"]["backend"]
    return app, Counting(backend.client._session)


def test_a_description_and_a_page_cost_a_bounded_number_of_round_trips(
        counted_app, release_things):
    app, counter = counted_app
    client = app.test_client()
    client.get("/search?q=wang")  # the name index: once per release, not per page
    worst = {"description": (0, ""), "page": (0, "")}
    things, _ = release_things
    for iri in things:
        path = "/doc/" + iri.split("/id/", 1)[1]
        before = counter.sent
        resp = client.get(path, headers={"Accept": "text/turtle"})
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        description = counter.sent - before
        assert description >= 1  # it did go to the store
        before = counter.sent
        assert client.get(path + ".html").status_code == 200
        page = description + counter.sent - before  # a page is the description and its card
        worst["description"] = max(worst["description"], (description, path))
        worst["page"] = max(worst["page"], (page, path))
        before = counter.sent
        assert client.get(path + ".jsonld").status_code == 200
        assert counter.sent == before  # another format of a cached description: none
    assert worst["description"][0] <= DESCRIPTION_BOUND, worst
    assert worst["page"][0] <= PAGE_BOUND, worst


def test_a_failing_store_gives_a_502_in_one_line_never_part_of_a_page(
        counted_app, monkeypatch):
    app, _ = counted_app
    backend = app.extensions["newsgraph"]["backend"]
    from newsgraph.external import ExternalStoreError, TruncatedAnswer

    def cut(*args: object, **kwargs: object) -> object:
        raise TruncatedAnswer("refused an incomplete answer from the store: test")

    monkeypatch.setattr(backend.client, "solutions", cut)
    resp = app.test_client().get("/doc/person/li-qiang-nobody-cached",
                                 headers={"Accept": "text/turtle"})
    assert resp.status_code == 502
    body = resp.get_data(as_text=True)
    assert body.count("\n") == 1 and "incomplete answer" in body
    assert resp.mimetype == "text/plain"

    def down(*args: object, **kwargs: object) -> object:
        raise ExternalStoreError("cannot reach the store at http://127.0.0.1:1/query")

    monkeypatch.setattr(backend.client, "solutions", down)
    for path in ("/id/person/another-one-never-asked", "/tables/statements.csv"):
        resp = app.test_client().get(path, headers={"Accept": "text/turtle"})
        body = resp.get_data(as_text=True)
        # a table is asked before its first byte: never a table cut short under a 200
        assert resp.status_code == 502, (path, resp.status_code)
        assert "cannot reach the store" in body and "Traceback" not in body


def test_a_new_release_is_swapped_in_only_once_the_store_holds_it(
        oxigraph_seeded: Engine, seed_release: Path, tmp_path: Path, monkeypatch):
    """``dist`` pointed at a release the store lacks: the old one goes on being
    served; once published, the new one is."""
    from newsgraph.server import store as store_module
    from newsgraph.server.store import DataHolder

    from .releases import write_release

    # look at dist, and ask the store again, on every call
    monkeypatch.setattr(store_module, "RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(store_module, "STORE_RECHECK_SECONDS", 0.0)
    dist = tmp_path / "dist"
    dist.symlink_to(seed_release)
    spec = RemoteSpec(oxigraph_seeded.query, dialect_named("oxigraph"))
    holder = DataHolder(dist, remote=spec)
    first = holder.current()
    assert first.release_id == release_layout.read_manifest(seed_release)["release"]
    body = (b'<urn:x:swap> <https://schema.org/name> "swapped" '
            b'<https://example.org/synthetic/graph/swap-test> .\n')
    second = write_release(tmp_path / "second", body)
    dist.unlink()
    dist.symlink_to(second)
    assert holder.current() is first  # not in the store: refused, the old one served
    state = tmp_path / "state.json"
    try:
        assert publish(oxigraph_seeded, second, state).returncode == 0
        swapped = holder.current()
        assert swapped is not first and swapped.manifest["graphs"] == json.loads(
            (second / "manifest.json").read_text())["graphs"]
        assert swapped.has_subject("urn:x:swap")
    finally:
        with oxigraph_seeded.client() as client:
            client.delete_graph("https://example.org/synthetic/graph/swap-test")

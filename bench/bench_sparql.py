"""Benchmark the SPARQL endpoint against Oxigraph server and rdflib-endpoint, in one run.

    python bench/bench_sparql.py                      # ~130k triples, 4 clients, 5 s per query
    python bench/bench_sparql.py --articles 800 --clients 8 --seconds 10 --json out.json

It generates a synthetic news graph shaped like ours (``bench/synthetic.py``),
loads the same N-Quads into each server, and runs the same query mix against
each, one query kind at a time, with N client processes on keep-alive
connections. Each request draws its parameter (a person, a word) at random
from the same pools, so no server can answer from a cache of one query.

Servers (all on 127.0.0.1, all on the union default graph):

* ``newsgraph`` — ``newsgraph serve`` (gunicorn, default settings: 2 workers)
  over an on-disk store made with ``bulk_load``, as ``newsgraph build`` makes it;
* ``oxigraph`` — ``oxigraph serve-read-only --union-default-graph`` over an
  on-disk store made with ``oxigraph load`` (pip package ``oxigraph``);
* ``rdflib-endpoint`` — ``rdflib-endpoint serve`` (pip ``rdflib-endpoint[cli]``):
  rdflib's in-memory Dataset with a union default graph, under uvicorn.

Before timing, every server must give the same answer to each query (row or
triple counts): a fast wrong answer does not count.

Printed: requests per second, p50 and p99 latency per query and server; the
ratios newsgraph/Oxigraph (p50 latency) and newsgraph/rdflib-endpoint
(throughput) per query and their geometric means. The targets from issue 4:
latency at most 1.5x Oxigraph's, throughput at least 10x rdflib-endpoint's.

At scale, on a release ``newsgraph build`` made (its own store, and its
``newsgraph.nq`` dump loaded into Oxigraph: the same data):

    python bench/bench_sparql.py --release /path/to/dist --servers newsgraph,oxigraph --deref

``--deref`` adds the dereferencing mix, side by side: a random person's
description from newsgraph (``GET /doc/person/….ttl``, which the server
builds from a few queries, cached once built) and from Oxigraph (``DESCRIBE``
of the same IRI, Turtle); each server's RSS is printed after its start and
after the whole mix.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from bench_deref import rss_mb  # noqa: E402  (a server's memory, its workers' included)
from synthetic import generate  # noqa: E402

PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX ng: <https://w3id.org/newsgraph/def#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""

JSON = "application/sparql-results+json"
TURTLE = "text/turtle"


@dataclass(frozen=True)
class QueryKind:
    name: str
    template: str  # {person} / {word} filled per request
    accept: str
    param: str  # "person", "word" or "" (the same query each time)


QUERIES = (
    QueryKind("lookup", "SELECT ?p ?o WHERE {{ <{person}> ?p ?o }}", JSON, "person"),
    QueryKind("describe", "DESCRIBE <{person}>", TURTLE, "person"),
    QueryKind(
        "meetings",
        PREFIXES + """SELECT ?meeting ?date ?other ?name WHERE {{
  ?meeting schema:attendee <{person}> ; schema:startDate ?date ; schema:attendee ?other .
  ?other schema:name ?name .
}} ORDER BY ?date ?name""",
        JSON,
        "person",
    ),
    QueryKind(
        "two-hop",
        PREFIXES + """SELECT DISTINCT ?p2 ?name WHERE {{
  ?m1 schema:attendee <{person}>, ?p1 .
  ?m2 schema:attendee ?p1, ?p2 .
  ?p2 schema:name ?name .
  FILTER(?p2 != <{person}>)
}} ORDER BY ?p2""",
        JSON,
        "person",
    ),
    QueryKind(
        "per-country",
        PREFIXES + """SELECT ?country ?name (COUNT(DISTINCT ?m) AS ?meetings) WHERE {
  ?m a ng:Meeting ; schema:location ?place .
  ?place schema:containedInPlace ?country .
  ?country a schema:Country ; schema:name ?name .
} GROUP BY ?country ?name ORDER BY DESC(?meetings) ?country""",
        JSON,
        "",
    ),
    QueryKind(
        "text-filter",
        PREFIXES + """SELECT ?statement ?text WHERE {{
  ?statement a ng:Statement ; schema:text ?text .
  FILTER(CONTAINS(LCASE(STR(?text)), "{word}"))
}} ORDER BY ?statement LIMIT 50""",
        JSON,
        "word",
    ),
)

WORD_POOL = ("minister", "security", "trade", "energy", "port", "treaty", "forum", "aid")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(port: int, path: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path + "?query=" + urllib.parse.quote("ASK {}"),
                         headers={"Accept": JSON})
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on {port} did not answer in {timeout}s")


@dataclass
class Server:
    name: str
    port: int
    path: str
    proc: subprocess.Popen

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_newsgraph(tmp: Path, nquads: Path, workers: int, cache: bool,
                    release: Path | None = None) -> Server:
    """``newsgraph serve`` over a release of the synthetic graph, published as
    ``newsgraph build`` publishes one (dumps, store, manifest), or over
    ``release``, one already built."""
    import pyoxigraph as ox

    from newsgraph.config import load_settings
    from newsgraph.pipeline.publish import publish

    dist = release or tmp / "newsgraph-dist"
    if not dist.exists():
        settings = load_settings()
        quads = sorted(ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS),
                       key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                                      str(q.object)))
        publish(quads, dist, settings.base, ontology_dir=settings.ontology_dir,
                shape_folders=settings.shape_folders())
    port = free_port()
    env = dict(os.environ)
    if not cache:
        env["NEWSGRAPH_SPARQL_CACHE_BYTES"] = "0"
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsgraph", "--project", str(REPO), "serve", "--no-build",
         "--data", str(dist), "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO, env=env,
    )
    wait_http(port, "/sparql", proc)
    return Server("newsgraph" if cache else "newsgraph-nocache", port, "/sparql", proc)


def start_oxigraph_memory(nquads: Path) -> Server:
    """``oxigraph serve`` without --location: an in-memory store, loaded over HTTP."""
    port = free_port()
    proc = subprocess.Popen(
        ["oxigraph", "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_http(port, "/query", proc)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("POST", "/store", body=nquads.read_bytes(),
                 headers={"Content-Type": "application/n-quads"})
    resp = conn.getresponse()
    resp.read()
    if resp.status not in (200, 201, 204):
        raise RuntimeError(f"oxigraph in memory: loading answered {resp.status}")
    return Server("oxigraph-memory", port, "/query", proc)


def start_oxigraph(tmp: Path, nquads: Path) -> Server:
    location = tmp / "oxigraph"
    subprocess.run(["oxigraph", "load", "--location", str(location), "--file", str(nquads)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    proc = subprocess.Popen(
        ["oxigraph", "serve-read-only", "--location", str(location), "--bind",
         f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_http(port, "/query", proc)
    return Server("oxigraph", port, "/query", proc)


def start_rdflib_endpoint(tmp: Path, nquads: Path) -> Server:
    port = free_port()
    exe = shutil.which("rdflib-endpoint")
    cmd = [exe] if exe else [sys.executable, "-m", "rdflib_endpoint"]
    proc = subprocess.Popen(
        [*cmd, "serve", str(nquads), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_http(port, "/", proc, timeout=600)
    return Server("rdflib-endpoint", port, "/", proc)


def fill(kind: QueryKind, rng: random.Random, people: list[str]) -> str:
    if kind.param == "person":
        return kind.template.format(person=rng.choice(people))
    if kind.param == "word":
        return kind.template.format(word=rng.choice(WORD_POOL))
    return kind.template


def ask(conn: http.client.HTTPConnection, path: str, query: str, accept: str) -> bytes:
    conn.request("GET", path + "?query=" + urllib.parse.quote(query),
                 headers={"Accept": accept})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status}: {body[:300]!r}")
    return body


def client(args: tuple) -> tuple[list[float], int]:
    port, path, kind, people, seconds, seed = args
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies: list[float] = []
    errors = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        query = fill(kind, rng, people)
        started = time.perf_counter()
        try:
            ask(conn, path, query, kind.accept)
        except (OSError, RuntimeError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            continue
        latencies.append(time.perf_counter() - started)
    conn.close()
    return latencies, errors


def answer_size(server: Server, kind: QueryKind, query: str) -> int:
    """Rows (JSON) or triples (Turtle, counted by parsing) of one answer."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    body = ask(conn, server.path, query, kind.accept)
    conn.close()
    if kind.accept == JSON:
        return len(json.loads(body)["results"]["bindings"])
    import pyoxigraph as ox

    # rdflib-endpoint answers DESCRIBE in RDF/XML whatever was asked
    fmt = ox.RdfFormat.RDF_XML if body.lstrip().startswith(b"<?xml") else ox.RdfFormat.TURTLE
    return len(list(ox.parse(body, format=fmt)))


def deref_client(args: tuple) -> tuple[list[float], int]:
    """Dereferencing: newsgraph's description of a random person, or Oxigraph's
    DESCRIBE of the same IRI."""
    port, name, base, people, seconds, seed = args
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies: list[float] = []
    errors = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        person = rng.choice(people)
        started = time.perf_counter()
        try:
            if name.startswith("newsgraph"):
                conn.request("GET", "/doc/" + person[len(base) + 3:] + ".ttl")
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}")
            else:
                ask(conn, "/query", f"DESCRIBE <{person}>", TURTLE)
        except (OSError, RuntimeError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            continue
        latencies.append(time.perf_counter() - started)
    conn.close()
    return latencies, errors


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def people_in_meetings(nquads: Path) -> list[str]:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    rows = store.query(
        "SELECT DISTINCT ?p WHERE { GRAPH ?g { ?m <https://schema.org/attendee> ?p } }"
    )
    return sorted(row[0].value for row in rows)


def geomean(values: list[float]) -> float:
    values = [v for v in values if v > 0 and math.isfinite(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400, help="size of the synthetic graph")
    parser.add_argument("--data", type=Path, help="use this N-Quads file instead")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0, help="per query and server")
    parser.add_argument("--workers", type=int, default=2, help="newsgraph's gunicorn workers")
    parser.add_argument(
        "--servers",
        default="newsgraph,newsgraph-nocache,oxigraph,oxigraph-memory,rdflib-endpoint",
        help="newsgraph (default settings, answer cache on), newsgraph-nocache, oxigraph "
             "(on disk, read-only), oxigraph-memory, rdflib-endpoint")
    parser.add_argument("--queries", default=",".join(q.name for q in QUERIES))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--release", type=Path,
                        help="a release newsgraph build made: newsgraph serves it, the others "
                             "load its newsgraph.nq dump")
    parser.add_argument("--deref", action="store_true",
                        help="also the dereferencing mix (newsgraph /doc vs Oxigraph DESCRIBE)")
    args = parser.parse_args()

    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    kinds = [q for q in QUERIES if q.name in args.queries.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench-sparql-"))
    servers: list[Server] = []
    try:
        nquads = args.data
        if args.release is not None:
            nquads = args.release.resolve() / "newsgraph.nq"
        if nquads is None:
            nquads = tmp / "synthetic.nq"
            with nquads.open("w", encoding="utf-8") as out:
                out.writelines(generate(args.articles))
        people = people_in_meetings(nquads)
        quads = sum(1 for _ in nquads.open(encoding="utf-8"))
        print(f"data: {quads} quads ({nquads.name}), {len(people)} people in meetings; "
              f"{args.clients} clients, {args.seconds:g} s per query; {os.cpu_count()} cores",
              flush=True)
        starters = {
            "newsgraph": lambda: start_newsgraph(tmp, nquads, args.workers, cache=True,
                                                 release=args.release),
            "newsgraph-nocache": lambda: start_newsgraph(tmp, nquads, args.workers, cache=False,
                                                         release=args.release),
            "oxigraph": lambda: start_oxigraph(tmp, nquads),
            "oxigraph-memory": lambda: start_oxigraph_memory(nquads),
            "rdflib-endpoint": lambda: start_rdflib_endpoint(tmp, nquads),
        }
        for name in names:
            t0 = time.perf_counter()
            servers.append(starters[name]())
            print(f"started {name} in {time.perf_counter() - t0:.1f} s, "
                  f"RSS {rss_mb(servers[-1].proc):.0f} MB", flush=True)

        # the same answers everywhere first
        rng = random.Random(1)
        for kind in kinds:
            query = fill(kind, rng, people)
            sizes = {s.name: answer_size(s, kind, query) for s in servers}
            if len(set(sizes.values())) != 1:
                print(f"DIFFERENT ANSWERS for {kind.name}: {sizes}", file=sys.stderr)
                return 1

        figures: dict[str, dict[str, dict[str, float]]] = {}
        for kind in kinds:
            figures[kind.name] = {}
            for server in servers:
                # warm up (caches, first-query costs) outside the timing
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
                for i in range(3):
                    ask(conn, server.path, fill(kind, random.Random(i), people), kind.accept)
                conn.close()
                jobs = [(server.port, server.path, kind, people, args.seconds, 1000 + i)
                        for i in range(args.clients)]
                started = time.perf_counter()
                with multiprocessing.get_context("fork").Pool(args.clients) as pool:
                    results = pool.map(client, jobs)
                elapsed = time.perf_counter() - started
                latencies = [lat for lats, _ in results for lat in lats]
                errors = sum(e for _, e in results)
                figures[kind.name][server.name] = {
                    "requests": len(latencies),
                    "errors": errors,
                    "rps": len(latencies) / max(elapsed, args.seconds),
                    "p50_ms": percentile(latencies, 50) * 1000,
                    "p99_ms": percentile(latencies, 99) * 1000,
                    "mean_ms": (statistics.fmean(latencies) * 1000) if latencies else float("nan"),
                }
                f = figures[kind.name][server.name]
                print(f"{kind.name:12} {server.name:16} {f['rps']:9.1f} req/s  p50 "
                      f"{f['p50_ms']:8.2f} ms  p99 {f['p99_ms']:8.2f} ms  errors {errors}",
                      flush=True)
        if args.deref:
            from newsgraph.config import load_settings

            base = load_settings().base
            figures["deref"] = {}
            for server in servers:
                if server.name not in ("newsgraph", "newsgraph-nocache", "oxigraph",
                                       "oxigraph-memory"):
                    continue
                jobs = [(server.port, server.name, base, people, args.seconds, 2000 + i)
                        for i in range(args.clients)]
                started = time.perf_counter()
                with multiprocessing.get_context("fork").Pool(args.clients) as pool:
                    results = pool.map(deref_client, jobs)
                elapsed = time.perf_counter() - started
                latencies = [lat for lats, _ in results for lat in lats]
                f = figures["deref"][server.name] = {
                    "requests": len(latencies),
                    "errors": sum(e for _, e in results),
                    "rps": len(latencies) / max(elapsed, args.seconds),
                    "p50_ms": percentile(latencies, 50) * 1000,
                    "p99_ms": percentile(latencies, 99) * 1000,
                }
                print(f"{'deref':12} {server.name:16} {f['rps']:9.1f} req/s  p50 "
                      f"{f['p50_ms']:8.2f} ms  p99 {f['p99_ms']:8.2f} ms  errors "
                      f"{f['errors']}", flush=True)
            kinds.append(QueryKind("deref", "", TURTLE, "person"))
        for server in servers:
            print(f"RSS after the mix: {server.name} {rss_mb(server.proc):.0f} MB", flush=True)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    summary = summarise(figures, [k.name for k in kinds])
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "summary": summary,
                                         "clients": args.clients, "seconds": args.seconds,
                                         "quads": quads}, indent=2))
    return 0


def summarise(figures: dict, kinds: list[str]) -> dict:
    """Ratios of each newsgraph variant to each baseline, per query and geometric mean."""
    servers = {name for row in figures.values() for name in row}
    ours = [s for s in ("newsgraph", "newsgraph-nocache") if s in servers]
    summary: dict[str, float] = {}
    for mine in ours:
        for base in [b for b in ("oxigraph", "oxigraph-memory") if b in servers]:
            both = [k for k in kinds if mine in figures[k] and base in figures[k]]
            lat = [figures[k][mine]["p50_ms"] / figures[k][base]["p50_ms"] for k in both]
            lat99 = [figures[k][mine]["p99_ms"] / figures[k][base]["p99_ms"] for k in both]
            print(f"\n{mine} / {base}: p50 latency ratio (target <= 1.5x on the geometric mean)")
            print("| query | p50 ratio | p99 ratio |\n|---|---|---|")
            for k, a, b in zip(both, lat, lat99, strict=True):
                print(f"| {k} | {a:.2f}x | {b:.2f}x |")
            summary[f"{mine}/{base} p50"] = geomean(lat)
            summary[f"{mine}/{base} p99"] = geomean(lat99)
            print(f"| geometric mean | {geomean(lat):.2f}x | {geomean(lat99):.2f}x |")
        if "rdflib-endpoint" in servers:
            kinds = [k for k in kinds if "rdflib-endpoint" in figures[k]]
            thr = [figures[k][mine]["rps"] / figures[k]["rdflib-endpoint"]["rps"]
                   for k in kinds if figures[k]["rdflib-endpoint"]["rps"]]
            print(f"\n{mine} / rdflib-endpoint: throughput ratio (target >= 10x on the "
                  "geometric mean)")
            print("| query | throughput ratio |\n|---|---|")
            for k in kinds:
                r = figures[k]["rdflib-endpoint"]["rps"]
                ratio = figures[k][mine]["rps"] / r if r else float("nan")
                print(f"| {k} | {ratio:.1f}x |")
            summary[f"{mine}/rdflib-endpoint throughput"] = geomean(thr)
            print(f"| geometric mean | {geomean(thr):.1f}x |")
    return summary


if __name__ == "__main__":
    sys.exit(main())

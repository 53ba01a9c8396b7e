"""How fast `newsgraph publish` loads a release into external SPARQL stores.

Writes a project of N synthetic articles in the real seed format (the corpus
of bench/bench_build.py), builds it with `newsgraph build`, starts a fresh
Oxigraph server (written to by its bulk path, and in a second one by one
Graph Store Protocol PUT a graph) and a fresh Virtuoso (each on 127.0.0.1 with its own ports and
folders, as tests/external start them) and publishes the release into each
with `newsgraph publish`. Then it edits one article, rebuilds, and publishes
again: the republish latency of one article. With ``--serve`` it then starts
`newsgraph serve` on the embedded store and `newsgraph serve --store` on each
engine (real server processes on 127.0.0.1) and times the same mix on each:
dereferencing (the 303, then the description as Turtle and as HTML) of a
sample of things, first asked and asked again, and SPARQL queries (the answer
cache off).

    python bench/bench_external.py                     # N = 1000
    python bench/bench_external.py --articles 100      # quicker
    python bench/bench_external.py --large             # N = 10000 (a long build)
    python bench/bench_external.py --workdir DIR       # keep the built projects in DIR
    python bench/bench_external.py --synthetic         # bench/synthetic.py's heavier articles
    python bench/bench_external.py --serve --engines oxigraph virtuoso   # and the read mix

Prints, per engine: quads, wall seconds, quads per second of wall time, per
CPU-second of the engine's process and per CPU-second of `newsgraph publish`
(ours), the engine's start and stop times, and the republish's wall and CPU
seconds and graphs sent.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "bench"), str(REPO)]

from tests.external.engines import (  # noqa: E402
    Engine,
    EngineError,
    start_oxigraph,
    start_virtuoso,
)
from tests.external.releases import (  # noqa: E402
    SYNTHETIC_BASE,
    synthetic_nquads,
    write_release,
)

import bench_build  # noqa: E402  (the seed-format corpus)

STARTERS = {"oxigraph": start_oxigraph,
            # the same engine written to by one Graph Store Protocol PUT a graph
            "oxigraph-put": start_oxigraph,
            "virtuoso": lambda folder: start_virtuoso(folder, buffers=100_000)}
EXTRA_ARGS = {"oxigraph-put": lambda engine: [
    "--dialect", "generic", "--update", engine.query.rsplit("/", 1)[0] + "/update",
    "--gsp", engine.query.rsplit("/", 1)[0] + "/store"]}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def built_project(workdir: Path, n: int) -> Path:
    """The project of ``n`` articles, generated and built unless already there."""
    root = workdir / f"articles-{n}"
    if not (root / "dist" / "manifest.json").is_file():
        if not (root / "newsgraph.toml").is_file():
            bench_build.generate(root, n)
        began, cpu = time.monotonic(), _children_cpu()
        subprocess.run([sys.executable, "-m", "newsgraph", "build"], cwd=root, env=_env(),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"built {n} articles in {time.monotonic() - began:.0f} s "
              f"({_children_cpu() - cpu:.0f} CPU-s)", flush=True)
    return root


def built_releases(workdir: Path, n: int) -> tuple[Path, Callable[[], Path]]:
    """A built project's release, and how to make the next one: one article
    edited, then `newsgraph build` again (with the build's cache)."""
    root = built_project(workdir, n)

    def after_one_edit() -> Path:
        bench_build.edit_one(root, n)
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", "newsgraph", "build"], cwd=root, env=_env(),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"rebuilt after one edit in {time.monotonic() - began:.1f} s", flush=True)
        return (root / "dist").resolve()

    return (root / "dist").resolve(), after_one_edit


def synthetic_releases(workdir: Path, n: int) -> tuple[Path, Callable[[], Path]]:
    """A release of bench/synthetic.py's N-Quads (heavier articles, no build),
    and the next one: a quad added to one article."""
    body = synthetic_nquads(n)
    folder = workdir / f"synthetic-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    first = write_release(folder / "first", body)

    def after_one_edit() -> Path:
        graph = f"{SYNTHETIC_BASE}graph/article-{n // 2}"
        line = f'<{graph}#edit> <https://schema.org/name> "edited" <{graph}> .\n'.encode()
        # after the graph's first line, so that the graph stays in one piece
        at = body.index(f"<{graph}> .\n".encode()) + len(graph) + 5
        return write_release(folder / "second", body[:at] + line + body[at:])

    return first, after_one_edit


def publish(engine: Engine, folder: Path, state: Path, extra: list[str]) -> dict[str, float]:
    """One `newsgraph publish` of the release in ``folder``; its timings."""
    before_engine, before_ours = engine.cpu_seconds(), _children_cpu()
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "newsgraph", "publish", "--to", engine.query,
         "--release", str(folder), "--state", str(state), *extra],
        cwd=folder, env=engine.env(), capture_output=True, text=True)
    wall = time.monotonic() - began
    if result.returncode != 0:
        raise SystemExit(f"publish to {engine.name} failed:\n{result.stderr[-2000:]}")
    last = result.stderr.strip().splitlines()[-1]
    sent = int(last.split("(", 1)[1].split(" sent", 1)[0])
    return {"wall": wall, "engine_cpu": engine.cpu_seconds() - before_engine,
            "our_cpu": _children_cpu() - before_ours, "sent": sent}


SERVE_START_TIMEOUT_S = 120.0
# the SPARQL part of the mix: what readers ask (tests/external/replay.py's checks)
SPARQL_MIX = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "PREFIX schema: <https://schema.org/> SELECT ?p ?n WHERE { ?p a schema:Person ; "
    "schema:name ?n } ORDER BY ?n LIMIT 100",
    "SELECT ?c (COUNT(?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c ORDER BY ?c",
    "PREFIX schema: <https://schema.org/> PREFIX prov: <http://www.w3.org/ns/prov#> "
    "SELECT ?m ?d WHERE { ?m prov:qualifiedAssociation/prov:agent ?a ; schema:startDate ?d } "
    "ORDER BY ?d LIMIT 50",
    "ASK { ?s <https://schema.org/name> \"Xi Jinping\"@en }",
]


def start_serve(release: Path, log: Path, store: str | None) -> tuple[subprocess.Popen, str]:
    """`newsgraph serve` of ``release`` (with ``--store``: from that store); its URL
    once it answers."""
    import requests

    sock = __import__("socket").socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    cmd = [sys.executable, "-m", "newsgraph", "--project", str(REPO), "serve", "--no-build",
           "--data", str(release), "--host", "127.0.0.1", "--port", str(port),
           *(["--store", store] if store else [])]
    env = {**_env(), "NEWSGRAPH_SPARQL_CACHE_BYTES": "0", "NEWSGRAPH_SPARQL_MAX_ROWS": "100000"}
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVE_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if requests.get(url + "/", timeout=5).status_code == 200:
                return process, url
        except requests.RequestException:
            pass
        time.sleep(0.2)  # polling a condition: the server answers
    process.kill()
    raise SystemExit(f"serve did not answer within {SERVE_START_TIMEOUT_S:g} s")


def read_mix(url: str, things: list[str], base: str) -> dict[str, list[float]]:
    """Seconds per request of each part of the mix, against the server at ``url``."""
    import requests

    session = requests.Session()
    times: dict[str, list[float]] = {"303": [], "turtle first": [], "html first": [],
                                     "turtle again": [], "sparql": []}

    def timed(part: str, path: str, **kwargs: object) -> None:
        began = time.perf_counter()
        resp = session.get(url + path, allow_redirects=False, timeout=120, **kwargs)
        times[part].append(time.perf_counter() - began)
        if resp.status_code not in (200, 303):
            raise SystemExit(f"{url}{path}: {resp.status_code} {resp.text[:300]}")

    for iri in things:
        path = "/" + iri[len(base):]
        timed("303", path, headers={"Accept": "text/turtle"})
        timed("turtle first", path.replace("/id/", "/doc/", 1),
              headers={"Accept": "text/turtle"})
        timed("html first", path.replace("/id/", "/doc/", 1), headers={"Accept": "text/html"})
    for iri in things:  # the descriptions are kept by each web worker
        for _ in range(2):
            timed("turtle again", "/" + iri[len(base):].replace("id/", "doc/", 1),
                  headers={"Accept": "text/turtle"})
    for _ in range(4):
        for query in SPARQL_MIX:
            timed("sparql", "/sparql", params={"query": query},
                  headers={"Accept": "application/sparql-results+json"})
    return times


def serve_mix(release: Path, engines: dict[str, Engine], workdir: Path,
              sample: int) -> dict[str, dict[str, list[float]]]:
    """The read mix through `serve` (embedded) and `serve --store` on each engine."""

    manifest = json.loads((release / "manifest.json").read_text())
    base = manifest["base"]
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    out: dict[str, dict[str, list[float]]] = {}
    try:
        servers["embedded"] = start_serve(release, workdir / "serve-embedded.log", None)
        # the things of the release as its statistics list them: a SELECT of all
        # of them would pass the endpoint's answer cap at 10,000 articles
        counted = json.loads((release / "statistics.json").read_text())
        things = sorted(iri for rows in counted["entities_by_kind"].values() for iri, _ in rows)
        things = random.Random(13).sample(things, min(sample, len(things)))
        for name, engine in engines.items():
            if name in ("oxigraph", "virtuoso"):
                servers[name] = start_serve(release, workdir / f"serve-{name}.log", engine.query)
        for name, (_, url) in servers.items():
            before = engines[name].cpu_seconds() if name in engines else 0.0
            out[name] = read_mix(url, things, base)
            if name in engines:
                out[name]["engine cpu"] = [engines[name].cpu_seconds() - before]
            print(f"{name}: read mix done", flush=True)
    finally:
        for process, _ in servers.values():
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    return out


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.1f}"


def print_mix(mix: dict[str, dict[str, list[float]]], n: int, sample: int) -> None:
    print()
    print(f"Read mix, N = {n} articles, {sample} things: milliseconds a request, median / p90 "
          "(sparql: 5 queries x 4, answer cache off)")
    parts = ["303", "turtle first", "html first", "turtle again", "sparql"]
    print("| serve | " + " | ".join(parts) + " | total wall s | engine CPU s |")
    print("|---|" + "---|" * (len(parts) + 2))
    for name, times in mix.items():
        cells = [f"{_ms(times[p], 0.5)} / {_ms(times[p], 0.9)}" for p in parts]
        total = sum(sum(times[p]) for p in parts)
        cpu = times.get("engine cpu", [float("nan")])[0]
        label = "embedded" if name == "embedded" else f"--store {name}"
        print(f"| {label} | " + " | ".join(cells) + f" | {total:.1f} | {cpu:.2f} |")
    if "embedded" in mix:
        for name, times in mix.items():
            if name != "embedded":
                med = {p: statistics.median(times[p]) / statistics.median(mix["embedded"][p])
                       for p in parts}
                print(f"{name} / embedded (medians): "
                      + ", ".join(f"{p} {v:.1f}x" for p, v in med.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--large", action="store_true", help="N = 10000 (a long build)")
    parser.add_argument("--synthetic", action="store_true",
                        help="Publish bench/synthetic.py's articles (about 290 quads each) "
                             "written straight into a release, instead of a built project")
    parser.add_argument("--engines", nargs="+", default=list(STARTERS), choices=STARTERS)
    parser.add_argument("--serve", action="store_true",
                        help="Then time the read mix through serve and serve --store")
    parser.add_argument("--sample", type=int, default=100,
                        help="Things dereferenced in the read mix (default 100)")
    parser.add_argument("--workdir", type=Path,
                        help="Keep the generated and built projects here (default: a temp dir)")
    args = parser.parse_args()
    n = 10_000 if args.large else args.articles

    with tempfile.TemporaryDirectory(prefix="bench-external-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        first_release, next_release = (synthetic_releases if args.synthetic
                                        else built_releases)(workdir, n)
        manifest = json.loads((first_release / "manifest.json").read_text())
        quads, graphs = manifest["quads"], len(manifest["graphs"])
        print(f"release: {n} {'synthetic ' if args.synthetic else ''}articles, {graphs} graphs, "
              f"{quads:,} quads, "
              f"{(first_release / 'newsgraph.nq').stat().st_size / 1e6:.0f} MB of N-Quads",
              flush=True)
        engines: dict[str, Engine] = {}
        rows: dict[str, dict[str, float]] = {}
        try:
            for name in args.engines:
                folder = Path(tmp) / name
                folder.mkdir()
                engines[name] = engine = STARTERS[name](folder)
                extra = EXTRA_ARGS.get(name, lambda _engine: [])(engine)
                first = publish(engine, first_release, Path(tmp) / f"{name}.state", extra)
                rows[name] = {**first, "start": engine.started_in_s}
                print(f"{name}: loaded in {first['wall']:.1f} s", flush=True)
            # one article changed: each engine is sent what changed
            second_release = next_release()
            for name, engine in engines.items():
                extra = EXTRA_ARGS.get(name, lambda _engine: [])(engine)
                again = publish(engine, second_release, Path(tmp) / f"{name}.state", extra)
                rows[name].update({f"re_{k}": v for k, v in again.items()})
            mix = {}
            if args.serve:
                try:
                    mix = serve_mix(second_release, engines, workdir, args.sample)
                except (SystemExit, OSError, ValueError) as exc:  # the loads still print
                    print(f"the read mix did not run: {exc}", flush=True)
        finally:
            for name, engine in engines.items():
                stop = engine.stop()
                if name in rows:
                    rows[name]["stop"] = stop

    print()
    print(f"N = {n} articles, {graphs} graphs, {quads:,} quads")
    print("| engine | load wall s | quads/s wall | quads per engine CPU-s | quads per our "
          "CPU-s | start s | stop s | republish wall s | republish our CPU s | "
          "republish engine CPU s | graphs sent |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['wall']:.1f} | {quads / r['wall']:,.0f} | "
              f"{quads / max(r['engine_cpu'], 1e-3):,.0f} | "
              f"{quads / max(r['our_cpu'], 1e-3):,.0f} | "
              f"{r['start']:.1f} | {r.get('stop', float('nan')):.1f} | {r['re_wall']:.2f} | "
              f"{r['re_our_cpu']:.2f} | {r['re_engine_cpu']:.2f} | {r['re_sent']:.0f} |")
    if mix:
        print_mix(mix, n, args.sample)


if __name__ == "__main__":
    try:
        main()
    except EngineError as exc:
        raise SystemExit(f"error: {exc}") from None

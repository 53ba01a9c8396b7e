"""How fast `newsgraph publish` loads a release into external SPARQL stores.

Writes a project of N synthetic articles in the real seed format (the corpus
of bench/bench_build.py), builds it with `newsgraph build`, starts a fresh
Oxigraph server (written to by its bulk path, and in a second one by one
Graph Store Protocol PUT a graph) and a fresh Virtuoso (each on 127.0.0.1 with its own ports and
folders, as tests/external start them) and publishes the release into each
with `newsgraph publish`. Then it edits one article, rebuilds, and publishes
again: the republish latency of one article.

    python bench/bench_external.py                     # N = 1000
    python bench/bench_external.py --articles 100      # quicker
    python bench/bench_external.py --large             # N = 10000 (a long build)
    python bench/bench_external.py --workdir DIR       # keep the built projects in DIR

Prints, per engine: quads, wall seconds, quads per second of wall time, per
CPU-second of the engine's process and per CPU-second of `newsgraph publish`
(ours), the engine's start and stop times, and the republish's wall and CPU
seconds and graphs sent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "bench"), str(REPO)]

from tests.external.engines import (  # noqa: E402
    Engine,
    EngineError,
    start_oxigraph,
    start_virtuoso,
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


def publish(engine: Engine, root: Path, state: Path, extra: list[str]) -> dict[str, float]:
    """One `newsgraph publish` of the project's release; its timings."""
    before_engine, before_ours = engine.cpu_seconds(), _children_cpu()
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "newsgraph", "publish", "--to", engine.query,
         "--release", str((root / "dist").resolve()), "--state", str(state), *extra],
        cwd=root, env=engine.env(), capture_output=True, text=True)
    wall = time.monotonic() - began
    if result.returncode != 0:
        raise SystemExit(f"publish to {engine.name} failed:\n{result.stderr[-2000:]}")
    last = result.stderr.strip().splitlines()[-1]
    sent = int(last.split("(", 1)[1].split(" sent", 1)[0])
    return {"wall": wall, "engine_cpu": engine.cpu_seconds() - before_engine,
            "our_cpu": _children_cpu() - before_ours, "sent": sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--large", action="store_true", help="N = 10000 (a long build)")
    parser.add_argument("--engines", nargs="+", default=list(STARTERS), choices=STARTERS)
    parser.add_argument("--workdir", type=Path,
                        help="Keep the generated and built projects here (default: a temp dir)")
    args = parser.parse_args()
    n = 10_000 if args.large else args.articles

    with tempfile.TemporaryDirectory(prefix="bench-external-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        root = built_project(workdir, n)
        manifest = json.loads((root / "dist" / "manifest.json").read_text())
        quads, graphs = manifest["quads"], len(manifest["graphs"])
        print(f"release: {n} articles, {graphs} graphs, {quads:,} quads, "
              f"{(root / 'dist' / 'newsgraph.nq').stat().st_size / 1e6:.0f} MB of N-Quads",
              flush=True)
        engines: dict[str, Engine] = {}
        rows: dict[str, dict[str, float]] = {}
        try:
            for name in args.engines:
                folder = Path(tmp) / name
                folder.mkdir()
                engines[name] = engine = STARTERS[name](folder)
                extra = EXTRA_ARGS.get(name, lambda _engine: [])(engine)
                first = publish(engine, root, Path(tmp) / f"{name}.state", extra)
                rows[name] = {**first, "start": engine.started_in_s}
                print(f"{name}: loaded in {first['wall']:.1f} s", flush=True)
            # one article changed: rebuild (cached), then each engine gets one graph
            bench_build.edit_one(root, n)
            began = time.monotonic()
            subprocess.run([sys.executable, "-m", "newsgraph", "build"], cwd=root, env=_env(),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rebuild = time.monotonic() - began
            for name, engine in engines.items():
                extra = EXTRA_ARGS.get(name, lambda _engine: [])(engine)
                again = publish(engine, root, Path(tmp) / f"{name}.state", extra)
                rows[name].update({f"re_{k}": v for k, v in again.items()})
        finally:
            for name, engine in engines.items():
                stop = engine.stop()
                if name in rows:
                    rows[name]["stop"] = stop

    print()
    print(f"N = {n} articles, {graphs} graphs, {quads:,} quads; rebuild after one edit "
          f"{rebuild:.1f} s (not part of the figures below)")
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


if __name__ == "__main__":
    try:
        main()
    except EngineError as exc:
        raise SystemExit(f"error: {exc}") from None

"""What counting a release's statistics costs as the data grows: the one pass
over the store (newsgraph.statistics.count_statistics) against the SPARQL
counting it replaced (``SELECT DISTINCT`` over the union of the graphs), each
in a fresh process on the same on-disk store, so that peak RSS is the count's.

The data is bench_publish.py's parts (bench/synthetic.py's graphs, replicated
with fresh IRIs beyond 1,000 articles), loaded into a store once per size.
The baseline is ``count_statistics`` of a named commit, taken from git.

    python bench/bench_statistics.py                       # N = 1000, 10000
    python bench/bench_statistics.py --sizes 1000 --baseline-commit 5ee58e2

Prints, per size and counter: wall and CPU seconds, RSS after opening the
store and at the peak (MB), whether both counted the same, and the ratios
baseline / this.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASE = "https://w3id.org/newsgraph/"
# the last commit whose statistics were counted by SPARQL over the union
BASELINE_COMMIT = "5ee58e2"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _baseline_module(commit: str):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(HERE))
    import bench_publish

    return bench_publish.module_at(commit, "src/newsgraph/statistics.py", "baseline_statistics")


def child(kind: str, store_dir: str, commit: str) -> None:
    import pyoxigraph as ox

    from newsgraph import statistics

    module = _baseline_module(commit) if kind == "baseline" else statistics
    store = ox.Store.read_only(store_dir)
    opened = _rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    counted = module.count_statistics(store, BASE)
    out = {
        "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
        "rss_open": opened, "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "result": statistics.stats_to_json(counted).decode("utf-8"),
    }
    print(json.dumps(out))


def make_store(folder: Path, n: int) -> tuple[Path, int]:
    sys.path.insert(0, str(HERE))
    import pyoxigraph as ox

    import bench_publish

    parts = folder / "parts"
    bench_publish.make_parts(parts, n)
    store_dir = folder / "store"
    store = ox.Store(str(store_dir))
    for _, file in json.loads((parts / "parts.json").read_text()):
        store.bulk_load(path=str(parts / file), format=ox.RdfFormat.N_QUADS)
    quads = len(store)
    store.flush()
    del store
    (folder / "store-complete").touch()
    return store_dir, quads


def _kept_store(folder: Path) -> tuple[Path, int] | None:
    """The store a previous run with --workdir made, if it is complete."""
    import pyoxigraph as ox

    if not (folder / "store-complete").exists():
        return None
    return folder / "store", len(ox.Store.read_only(str(folder / "store")))


def run(kind: str, store_dir: Path, commit: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(store_dir), commit],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the {kind} count failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _grown(r: dict) -> float:
    return r["rss_peak"] - r["rss_open"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT)
    parser.add_argument("--workdir", type=Path,
                        help="keep each size's store here and reuse it in the next run "
                             "(making the 10,000-article one takes minutes)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"baseline: count_statistics at {args.baseline_commit} (SPARQL over the union)")
    print("| counter | N | quads | wall s | CPU s | RSS open MB | RSS peak MB | same |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = (args.workdir / str(n)) if args.workdir else Path(tmp)
            store_dir, quads = _kept_store(folder) or make_store(folder, n)
            old = run("baseline", store_dir, args.baseline_commit)
            new = run("this", store_dir, args.baseline_commit)
            same = old["result"] == new["result"]
            for label, r in (("baseline", old), ("one pass", new)):
                print(f"| {label} | {n:,} | {quads:,} | {r['wall']:.2f} | {r['cpu']:.2f} | "
                      f"{r['rss_open']:.0f} | {r['rss_peak']:.0f} | {same} |", flush=True)
            def grown(r: dict) -> float:
                return r["rss_peak"] - r["rss_open"]

            print(f"  N={n:,}: baseline / this: CPU {old['cpu'] / new['cpu']:.2f}x, memory "
                  f"grown while counting {grown(old):.0f} / {grown(new):.0f} MB", flush=True)


if __name__ == "__main__":
    main()

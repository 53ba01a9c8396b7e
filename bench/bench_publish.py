"""How publishing grows with the data: a cold publish and a publish after one
graph changed, at N articles, each in a fresh process (so peak RSS is that run's).

The parts are synthetic (bench/synthetic.py: the register and one named graph
per article, shaped like newsgraph's) made at 1,000 articles and, for larger N,
replicated with every article's IRIs renumbered; the register stays that of
1,000 articles. Each graph's part is a file, as a build cache would hold it,
so the publisher holds one graph at a time. The incremental run appends one
triple to one article's graph and publishes over the cold run's release.
The baseline is the publisher before per-graph parts (from git, at commit
BEFORE_PARTS: sort every quad, render four whole dumps in memory, JSON-LD
through rdflib), timed in the same run at the smallest size.

    python bench/bench_publish.py                    # N = 1000, 10000
    python bench/bench_publish.py --sizes 1000 --baseline-sizes 1000
    python bench/bench_publish.py --sizes 1000 10000 30000   # 30000: about 10 M quads

Prints wall and CPU seconds, peak RSS, the split (dumps, store, statistics),
the growth exponent of CPU between sizes, and baseline / this at the same N.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import importlib.util
import json
import math
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SOURCE = 1000  # articles generated; larger sizes replicate them
_ARTICLE = re.compile(rb"article-([0-9]+)")
PEAKS: dict[str, float] = {}
# the last commit whose publisher sorted every quad and rendered whole dumps
BEFORE_PARTS = "412d672"  # peak RSS (MB) of the process at the end of each step


# ---------------------------------------------------------------- the parts


def make_parts(folder: Path, n: int) -> None:
    """One file per graph of ``n`` articles (canonical N-Quads), and parts.json."""
    sys.path.insert(0, str(HERE))
    import synthetic
    from newsgraph.config import load_settings
    from newsgraph.pipeline import publish
    from newsgraph.rdf_files import read_folder

    by_graph: dict[str, list[str]] = {}
    for line in synthetic.generate(min(n, SOURCE)):
        graph = line.rsplit(" ", 2)[-2][1:-1]
        by_graph.setdefault(graph, []).append(line)
    folder.mkdir(parents=True)
    names: list[list[str]] = []

    def keep(name: str, body: bytes) -> None:
        path = folder / f"{len(names)}.nq"
        path.write_bytes(body)
        names.append([name, path.name])

    onto = publish.ontology_part(read_folder(load_settings().ontology_dir))
    keep(onto.name, onto.data())
    for graph, lines in by_graph.items():
        body = b"".join(sorted(set(line.encode() for line in lines)))
        if "/graph/article-" not in graph:
            keep(graph, body)
            continue
        for copy in range(math.ceil(n / SOURCE)):
            number = int(graph.rsplit("-", 1)[1]) + copy * SOURCE
            if number >= n:
                continue
            renamed = body if copy == 0 else _ARTICLE.sub(
                lambda m, c=copy: b"article-%d" % (int(m[1]) + c * SOURCE), body)
            # renumbering changes the order of lines: sort again (canonical form)
            keep(graph.rsplit("-", 1)[0] + f"-{number}",
                 b"".join(sorted(renamed.splitlines(keepends=True))))
    (folder / "parts.json").write_text(json.dumps(names))


def load_parts(folder: Path) -> list:
    from newsgraph.pipeline.publish import GraphPart

    return [GraphPart(name, folder / file)
            for name, file in json.loads((folder / "parts.json").read_text())]


def edit_one(folder: Path) -> None:
    """Append one triple to the first article's graph."""
    for name, file in json.loads((folder / "parts.json").read_text()):
        if "/graph/article-" in name:
            path = folder / file
            subject = f"<{name.replace('/graph/', '/id/article/')}>"
            line = (f'{subject} <https://schema.org/description> "edited"@en <{name}> .\n'
                    .encode())
            path.write_bytes(b"".join(sorted([*path.read_bytes().splitlines(True), line])))
            return


# ---------------------------------------------------------------- the runs


def _timed(module: object, name: str, into: dict[str, list[float]], label: str) -> None:
    real = getattr(module, name)

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        PEAKS[f"before {label}"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            spent = into.setdefault(label, [0.0, 0.0])
            spent[0] += time.perf_counter() - wall
            spent[1] += time.process_time() - cpu
            PEAKS[label] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    setattr(module, name, wrapper)


def module_at(commit: str, path: str, name: str):  # type: ignore[no-untyped-def]
    """The module ``path`` of the repository as it was at ``commit`` (from git),
    imported as ``name``: a baseline measured in the same run."""
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{commit}:{path}"],
                            capture_output=True, text=True, check=True).stdout
    file = Path(tempfile.mkdtemp()) / f"{name}.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def _old_publish():  # type: ignore[no-untyped-def]
    """The publisher before per-graph parts, from git (BEFORE_PARTS)."""
    return module_at(BEFORE_PARTS, "src/newsgraph/pipeline/publish.py", "old_publish")


def child(kind: str, parts_dir: Path, dist: Path) -> None:
    import pyoxigraph as ox

    from newsgraph.config import load_settings
    from newsgraph.pipeline import publish

    settings = load_settings()
    phases: dict[str, list[float]] = {}
    extra: dict[str, object] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    if kind == "baseline":
        old = _old_publish()
        _timed(old, "render_dumps", phases, "dumps")
        _timed(old, "count_statistics", phases, "statistics")
        _timed(old, "_write_store", phases, "store")
        quads = sorted((q for part in load_parts(parts_dir) for q in part.quads()),
                       key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                                      str(q.object)))
        phases["sort"] = [time.perf_counter() - wall, time.process_time() - cpu]
        done = old.publish(quads, dist, settings.base, ontology_dir=settings.ontology_dir,
                           shape_folders=settings.shape_folders())
    elif kind == "turtle-merge":
        # the alternative to per-graph Turtle blocks: one sorted, deduplicated union
        parts = publish._ordered(load_parts(parts_dir))

        def triples(part):  # type: ignore[no-untyped-def]
            for line in part.data().splitlines(keepends=True):
                yield line[:line.rindex(b"<")].rstrip() + b" .\n"
        last, lines, total = None, [], 0
        for line in heapq.merge(*(triples(p) for p in parts)):
            total += 1
            if line != last:
                lines.append(line)
                last = line
        dist.parent.mkdir(parents=True, exist_ok=True)
        out = dist.parent / "merged.ttl"
        ox.serialize(ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES), output=str(out),
                     format=ox.RdfFormat.TURTLE, prefixes=publish.PREFIXES)
        extra = {"quads": total, "distinct": len(lines), "bytes": out.stat().st_size}
        done = None
    else:
        for name, label in (("write_dumps", "dumps"), ("_load_store", "store"),
                            ("_update_store", "store"), ("count_statistics", "statistics")):
            _timed(publish, name, phases, label)
        done = publish.publish(load_parts(parts_dir), dist, settings.base,
                               ontology_dir=settings.ontology_dir,
                               shape_folders=settings.shape_folders())
        extra = {"rendered": done.counts.rendered, "reused": done.counts.reused,
                 "store_from": done.counts.store_from}
    if "store" in phases and "statistics" in phases:
        phases["store"] = [s - c for s, c in zip(phases["store"], phases["statistics"],
                                                 strict=True)]
    result = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
              "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "phases": phases, "peaks": PEAKS, **extra}
    if done is not None:
        result.update(quads=done.manifest["quads"], release=done.release_id,
                      dump_mb={name: rec["bytes"] / 1e6 for name, rec in done.manifest["files"]
                               .items() if rec["role"] == "dump"})
    print(json.dumps(result))


def run(kind: str, parts_dir: Path, dist: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--parts", str(parts_dir),
                          "--dist", str(dist)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(label: str, n: int, r: dict) -> str:
    split = "  ".join(f"{k} {v[1]:6.2f}" for k, v in sorted(r.get("phases", {}).items()))
    peaks = r.get("peaks", {})
    if "dumps" in peaks:
        split += f"  (peak RSS MB: after the dumps {peaks['dumps']:.0f}"
        if "before statistics" in peaks:  # the store is loaded, the counting not begun
            split += (f", after the store load {peaks['before statistics']:.0f}, after the "
                      f"statistics {peaks['statistics']:.0f}")
        split += ")"
    return (f"{label:<20} {n:>6} {r.get('quads', 0):>9} {r['wall']:8.2f} {r['cpu']:8.2f} "
            f"{r['rss_mb']:8.0f}   {split}")


def _digest(folder: Path) -> str:
    """The bytes of a release but its store's files and the manifest."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if rel.parts[0] != "store" and rel.name != "manifest.json":
            digest.update(str(rel).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--baseline-sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--no-identity", action="store_true",
                        help="skip the clean build of the edited data (byte-identity check)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--parts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dist", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.parts, args.dist)
        return
    print(f"{'run':<20} {'N':>6} {'quads':>9} {'wall s':>8} {'cpu s':>8} {'rss MB':>8}   "
          "cpu s per step")
    results: dict[str, dict[int, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        for n in sorted(args.sizes):
            parts = Path(tmp) / f"parts-{n}"
            make_parts(parts, n)
            if n in args.baseline_sizes:
                r = results.setdefault("baseline", {})[n] = run(
                    "baseline", parts, Path(tmp) / f"old-{n}" / "dist")
                print(_row("baseline (before)", n, r), flush=True)
                r = run("turtle-merge", parts, Path(tmp) / f"merge-{n}" / "dist")
                print(f"{'turtle k-way merge':<20} {n:>6} {r['quads']:>9} {r['wall']:8.2f} "
                      f"{r['cpu']:8.2f} {r['rss_mb']:8.0f}   distinct triples {r['distinct']} "
                      f"({100 * (1 - r['distinct'] / r['quads']):.2f}% duplicates), "
                      f"{r['bytes'] / 1e6:.1f} MB", flush=True)
            dist = Path(tmp) / f"new-{n}" / "dist"
            r = results.setdefault("cold", {})[n] = run("publish", parts, dist)
            print(_row("cold publish", n, r) + "   dumps MB " + " ".join(
                f"{k.split('.')[-1]} {v:.0f}" for k, v in sorted(r["dump_mb"].items())),
                  flush=True)
            edit_one(parts)
            r = results.setdefault("incremental", {})[n] = run("publish", parts, dist)
            print(_row("after 1 edit", n, r) + f"   rendered {r['rendered']}, "
                  f"store from {r['store_from']}", flush=True)
            if not args.no_identity:
                clean = Path(tmp) / f"clean-{n}" / "dist"
                c = run("publish", parts, clean)
                same = (c["release"] == r["release"]
                        and _digest(clean.resolve()) == _digest(dist.resolve()))
                print(f"{'clean of the edit':<20} {n:>6} {c['quads']:>9} {c['wall']:8.2f} "
                      f"{c['cpu']:8.2f} {c['rss_mb']:8.0f}   byte-identical to the "
                      f"incremental release: {same}", flush=True)
                import shutil
                shutil.rmtree(clean.parent)
            import shutil
            shutil.rmtree(dist.parent)
            shutil.rmtree(parts)
    print("\ngrowth exponent of CPU between sizes (1 = linear)")
    for label, by_n in results.items():
        ns = sorted(by_n)
        for n1, n2 in zip(ns, ns[1:], strict=False):
            e = math.log(by_n[n2]["cpu"] / by_n[n1]["cpu"]) / math.log(n2 / n1)
            print(f"  {label:<12} {n1:>6} -> {n2:<6} {e:5.2f}")
    print("\nbaseline / this at the same N (cold publish)")
    for n, old in sorted(results.get("baseline", {}).items()):
        new = results["cold"][n]
        print(f"  N = {n:>6}: cpu {old['cpu']:.2f} / {new['cpu']:.2f} s = "
              f"{old['cpu'] / new['cpu']:.1f}x, peak RSS {old['rss_mb']:.0f} / "
              f"{new['rss_mb']:.0f} MB; after 1 edit cpu "
              f"{old['cpu'] / results['incremental'][n]['cpu']:.1f}x less than the baseline")


if __name__ == "__main__":
    main()

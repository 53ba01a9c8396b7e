"""Releases for tests/external and bench/bench_external.py, written with
newsgraph.release's helpers as the build writes them, from bench/synthetic.py's
newsgraph-shaped N-Quads (no build needed, so any size is quick to make)."""

from __future__ import annotations

import sys
from pathlib import Path

import pyoxigraph as ox

from newsgraph import release
from newsgraph.statistics import count_statistics, stats_to_json

REPO = Path(__file__).resolve().parents[2]
SYNTHETIC_BASE = "https://example.org/synthetic/"

sys.path.insert(0, str(REPO / "bench"))
import synthetic  # noqa: E402  (bench/synthetic.py)


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
    # counted as the build counts them, so the release can be served as it is
    counted = stats_to_json(count_statistics(store, base))
    del store
    release.write_file(folder / release.STATISTICS, counted)
    release.write_manifest(folder, release.with_store(manifest, folder))
    release.verify(folder)
    return folder


def synthetic_nquads(articles: int) -> bytes:
    """bench/synthetic.py's N-Quads, under a base of their own (so they never
    replace the seed release's graphs in a shared store), grouped by graph."""
    lines = {line.replace(synthetic.BASE, SYNTHETIC_BASE) for line in
             synthetic.generate(articles=articles)}  # a set: the generator repeats a few
    return "".join(sorted(lines, key=lambda line: (line.rsplit(" ", 2)[-2], line))).encode()

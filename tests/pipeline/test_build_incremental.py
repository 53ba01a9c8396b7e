"""Reading seeds/ again: an unchanged annotation file is not parsed again, and a
damaged, foreign or hostile entry of the parsed-YAML cache is parsed afresh,
never trusted."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import pytest

from newsgraph.config import load_settings
from newsgraph.pipeline import build
from newsgraph.pipeline.cache import CACHE_DIR
from pipeline.conftest import bench_build

N = 6



@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    bench_build().generate(root, N)
    return root


def run(root: Path) -> dict:
    assert build.run_build(load_settings(root), echo=None) == build.EXIT_OK
    return dict(build.CACHE_COUNTS)


def release_of(root: Path) -> tuple[str, dict[str, bytes]]:
    folder = (root / "dist").resolve()
    manifest = json.loads((folder / "manifest.json").read_text())
    return manifest["release"], {p.name: p.read_bytes() for p in folder.iterdir()
                                 if p.name.startswith("newsgraph.")}


def clean_release(root: Path, tmp: Path) -> tuple[str, dict[str, bytes]]:
    other = tmp / "clean"
    shutil.copytree(root, other, ignore=shutil.ignore_patterns(CACHE_DIR, "dist", ".dist*"))
    assert run(other)["parsed_files"] == N + 1
    return release_of(other)


def test_only_the_changed_annotation_file_is_parsed_again(corpus, tmp_path):
    assert run(corpus)["parsed_files"] == N + 1  # the register and each article
    assert run(corpus)["parsed_files"] == 0
    path = corpus / "seeds" / "article-00002" / "annotations.yaml"
    path.write_text(path.read_text("utf-8").replace("Ministers meet", "Ministers met"),
                    encoding="utf-8")
    counts = run(corpus)
    assert counts["parsed_files"] == 1 and counts["mapped"] == ["article-00002"]
    assert release_of(corpus) == clean_release(corpus, tmp_path)


class _Boom:
    """What a planted entry would run when unpickled: it makes a file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (self.marker.touch, ())


def test_a_damaged_foreign_or_hostile_entry_is_parsed_afresh(corpus, tmp_path):
    run(corpus)
    entries = sorted((corpus / CACHE_DIR / "yaml").glob("*.pickle"))
    assert len(entries) == N + 1
    damaged, foreign, hostile = entries[:3]
    data = bytearray(damaged.read_bytes())
    data[-5] ^= 0xFF  # a byte changed behind the cache's back
    damaged.write_bytes(bytes(data))
    shutil.copy(entries[3], foreign)  # intact, but another file's
    key, _, _ = hostile.read_bytes().split(b"\n", 2)
    marker = tmp_path / "ran"
    payload = pickle.dumps(_Boom(marker))
    # right key, right hash: only what it would build is wrong
    hostile.write_bytes(key + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n"
                        + payload)
    assert run(corpus)["parsed_files"] == 3
    assert not marker.exists()
    assert release_of(corpus) == clean_release(corpus, tmp_path)
    assert run(corpus)["parsed_files"] == 0  # and the entries were rewritten


def test_a_cached_graph_reads_back_as_the_same_rdflib_terms():
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import XSD

    from newsgraph.pipeline.cache import graph_text, read_graph

    s, p = URIRef("https://example.org/s"), URIRef("https://example.org/p")
    objects = [Literal("plain"), Literal("tagged", lang="en"), Literal(7),
               Literal("2025-06-01", datatype=XSD.date), Literal("ünï \"quoted\"\n"),
               URIRef("https://example.org/o#char=0,4")]
    # the first read by Oxigraph, the others by rdflib's parser (see read_graph)
    for extra in ([], [Literal("typed", datatype=XSD.string)], [Literal("x", lang="en-GB")]):
        graph = Graph()
        for o in objects + extra:
            graph.add((s, p, o))
        again = read_graph(graph_text(graph))
        assert sorted(again) == sorted(graph)
        assert {type(o) for o in again.objects()} == {Literal, URIRef}
        assert {(o, o.datatype, o.language) for o in again.objects() if isinstance(o, Literal)} \
            == {(o, o.datatype, o.language) for o in graph.objects() if isinstance(o, Literal)}

"""Publishing again after a change redoes the work for the changed graphs only,
and gives the release a clean build gives: the same id, the same bytes in every
file but the store's, the same statistics (docs/release.md, "Publishing
again")."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from newsgraph import release
from newsgraph.config import load_settings
from newsgraph.pipeline import publish
from newsgraph.statistics import count_statistics, stats_from_json

from .conftest import BASE, assert_serves_a_complete_release, leftovers

SCHEMA_NAME = ox.NamedNode("https://schema.org/name")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SAME_AS = ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs")


def _graph(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"{BASE}graph/{name}")


def _extra(version: int) -> list[ox.Quad]:
    """Graphs of made-up articles, some sharing triples with each other and
    with the register (a shared type, a second name for a register entity, a
    Wikidata link), in a form that changes with ``version``."""
    person = ox.NamedNode(f"{BASE}id/person/extra-person")
    quads = []
    for k in range(4):
        g = _graph(f"extra-{k}")
        article = ox.NamedNode(f"{BASE}id/article/extra-{k}")
        quads += [ox.Quad(article, RDF_TYPE, ox.NamedNode("https://schema.org/NewsArticle"), g),
                  ox.Quad(article, SCHEMA_NAME, ox.Literal(f"Extra {k}", language="en"), g),
                  ox.Quad(person, RDF_TYPE, ox.NamedNode("https://schema.org/Person"), g),
                  ox.Quad(person, SAME_AS, ox.NamedNode("http://www.wikidata.org/entity/Q1"), g)]
    # version 1 renames the person in one graph, drops a graph and adds one
    label = "Aaron Extra" if version == 0 else "Zed Extra"
    quads.append(ox.Quad(person, SCHEMA_NAME, ox.Literal(label, language="en"), _graph("extra-1")))
    if version == 0:
        quads.append(ox.Quad(person, SCHEMA_NAME, ox.Literal("Mid Extra"), _graph("extra-3")))
    else:
        quads = [q for q in quads if q.graph_name != _graph("extra-3")]
        new = ox.NamedNode(f"{BASE}id/article/extra-9")
        quads.append(ox.Quad(new, RDF_TYPE, ox.NamedNode("https://schema.org/NewsArticle"),
                             _graph("extra-9")))
        quads.append(ox.Quad(person, SAME_AS, ox.NamedNode("http://www.wikidata.org/entity/Q2"),
                             _graph("extra-9")))
    return quads


def _parts(built_nquads: Path, version: int) -> list[publish.GraphPart]:
    quads = list(ox.parse(path=str(built_nquads), format=ox.RdfFormat.N_QUADS))
    return publish.parts_from_quads(quads + _extra(version))


def _publish(parts, dist: Path, **kwargs) -> publish.PublishedRelease:
    settings = load_settings()
    return publish.publish(parts, dist, BASE, ontology_dir=settings.ontology_dir,
                           shape_folders=settings.shape_folders(), **kwargs)


def _content(folder: Path) -> dict[str, bytes]:
    """Every file of a release but the store's and the manifest."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.relative_to(folder).parts[0] != release.STORE
            and p.name != release.MANIFEST}


def _without_store(manifest: dict) -> dict:
    return {**manifest, "files": {k: v for k, v in manifest["files"].items()
                                  if v["role"] != release.STORE_ROLE}}


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory, built_nquads: Path) -> dict:
    """Version 0 published, then version 1 published over it (incremental), and
    version 1 published alone into an empty folder (clean)."""
    root = tmp_path_factory.mktemp("incremental")
    first = _publish(_parts(built_nquads, 0), root / "site" / "dist")
    again = _publish(_parts(built_nquads, 1), root / "site" / "dist")
    clean = _publish(_parts(built_nquads, 1), root / "clean" / "dist")
    return {"first": first, "again": again, "clean": clean, "root": root}


def test_publishing_again_redoes_only_the_changed_graphs(releases):
    first, again = releases["first"], releases["again"]
    assert first.counts.store_from is None and first.counts.reused == 0
    assert again.counts.store_from == first.release_id  # the store was updated, not loaded
    # extra-1 changed, extra-9 is new, extra-3 is gone: two graphs, three renderings each
    assert again.counts.rendered == 2 * 3
    assert again.counts.reused == 3 * (len(again.manifest["graphs"]) - 2)


def test_the_release_published_again_is_the_clean_one_byte_for_byte(releases):
    again, clean = releases["again"], releases["clean"]
    assert again.release_id == clean.release_id
    assert _content(again.path) == _content(clean.path)  # dumps, statistics, ontology, shapes…
    assert _without_store(again.manifest) == _without_store(clean.manifest)
    for published in (again, clean):
        assert_serves_a_complete_release(published.path.parent.parent / "dist")
        assert leftovers(published.path.parent.parent / "dist") == []
    # the updated store, like a loaded one, is not changed by being opened read-only
    release.verify(again.path, full=True)


def test_updated_statistics_are_those_counted_on_the_updated_store(releases):
    again = releases["again"]
    carried = stats_from_json(json.loads((again.path / release.STATISTICS).read_text()))
    store = ox.Store.read_only(str(release.store_dir(again.path)))
    assert carried == count_statistics(store, BASE)
    assert carried.quads == len(store) == again.manifest["quads"]
    person = f"{BASE}id/person/extra-person"
    assert (person, "Zed Extra") in carried.entities_by_kind["person"]
    assert f"{BASE}graph/extra-3" not in carried.named_graphs


def test_the_dumps_hold_the_parts_and_nquads_are_sorted_as_before(releases, built_nquads):
    folder = releases["again"].path
    quads = sorted((q for p in _parts(built_nquads, 1) for q in p.quads()),
                   key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                                  str(q.object)))
    assert (folder / release.NQUADS).read_bytes() == ox.serialize(
        quads, format=ox.RdfFormat.N_QUADS)
    expected = Dataset()
    expected.parse(data=(folder / release.NQUADS).read_bytes(), format="nquads")
    for name, fmt in ((release.TRIG, "trig"), (release.JSONLD, "json-ld")):
        got = Dataset()
        got.parse(data=(folder / name).read_bytes(), format=fmt)
        assert {str(g.identifier) for g in got.graphs() if len(g)} == {
            str(g.identifier) for g in expected.graphs() if len(g)}, name
        for graph in expected.graphs():
            if len(graph):
                assert isomorphic(got.graph(graph.identifier), graph), (name, graph.identifier)
    union = Graph()
    for graph in expected.graphs():
        for triple in graph:
            union.add(triple)
    turtle = Graph().parse(data=(folder / release.TURTLE).read_bytes(), format="turtle")
    assert isomorphic(turtle, union)


def test_a_damaged_previous_store_is_never_the_start_of_the_next(tmp_path, built_nquads):
    dist = tmp_path / "dist"
    first = _publish(_parts(built_nquads, 0), dist)
    name, rec = max(release.files_of(first.manifest, release.STORE_ROLE).items(),
                    key=lambda item: item[1]["bytes"])
    path = first.path / name
    body = bytearray(path.read_bytes())
    body[len(body) // 2] ^= 0xFF  # same size: only a checksum tells
    path.write_bytes(bytes(body))
    again = _publish(_parts(built_nquads, 1), dist)
    assert again.counts.store_from is None  # loaded from the dump instead
    clean = _publish(_parts(built_nquads, 1), tmp_path / "clean" / "dist")
    assert again.release_id == clean.release_id
    assert_serves_a_complete_release(dist)


def test_a_damaged_rendering_in_the_cache_is_rendered_again(tmp_path, built_nquads):
    dist = tmp_path / "dist"
    _publish(_parts(built_nquads, 0), dist)
    cache = publish.chunk_cache_dir(dist)
    entries = sorted(cache.iterdir())
    assert entries
    for entry in entries[::2]:
        body = bytearray(entry.read_bytes())
        body[-2] ^= 0x01
        entry.write_bytes(bytes(body))
    entries[1].write_bytes(b"")  # torn
    shutil.rmtree(dist.resolve())  # publish the same again from the cache alone
    again = _publish(_parts(built_nquads, 0), dist, incremental=False)
    assert again.counts.rendered == len(entries[::2]) + 1
    clean = _publish(_parts(built_nquads, 0), tmp_path / "clean" / "dist")
    assert _content(again.path) == _content(clean.path)


def test_a_graph_given_twice_is_refused(tmp_path):
    part = publish.canonical_part(f"{BASE}graph/a", [ox.Triple(
        ox.NamedNode(f"{BASE}id/place/a"), SCHEMA_NAME, ox.Literal("A"))])
    with pytest.raises(publish.PublishError, match="given twice"):
        _publish([part, part], tmp_path / "dist")


def test_a_part_is_canonical_whoever_made_it():
    a, b = ox.NamedNode(f"{BASE}id/place/a"), ox.NamedNode(f"{BASE}id/place/b")
    triples = [ox.Triple(b, SCHEMA_NAME, ox.Literal("B", language="en")),
               ox.Triple(a, SCHEMA_NAME, ox.Literal('A "quoted"\n')),
               ox.Triple(a, SCHEMA_NAME, ox.Literal('A "quoted"\n'))]
    part = publish.canonical_part(f"{BASE}graph/g", triples)
    text = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    assert publish.part_from_ntriples(f"{BASE}graph/g", text) == part
    assert part.data().count(b"\n") == 2
    assert part.data() == b"".join(sorted(part.data().splitlines(keepends=True)))

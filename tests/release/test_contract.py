"""The release is self-contained and its manifest is the one schema
(docs/release.md): everything the server needs is in it and listed."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from newsgraph import release
from newsgraph.config import load_settings
from newsgraph.resources import CONTEXT_FILE
from newsgraph.statistics import count_statistics, stats_from_json

from .conftest import BASE, publish_quads, quads_of


@pytest.fixture(scope="module")
def folder(built_dist: Path) -> Path:
    return built_dist.resolve()


@pytest.fixture(scope="module")
def manifest(folder: Path) -> dict:
    return json.loads((folder / release.MANIFEST).read_text(encoding="utf-8"))


def test_the_manifest_states_its_format_base_generator_and_counts(manifest, folder):
    assert manifest["format_version"] == release.FORMAT_VERSION == 1
    assert manifest["base"] == BASE
    assert manifest["generator"].startswith("newsgraph ")
    assert manifest["release"] == folder.name == release.release_id(manifest)
    quads = list(ox.parse(path=str(folder / release.NQUADS), format=ox.RdfFormat.N_QUADS))
    assert manifest["quads"] == len(quads) == sum(manifest["graphs"].values())
    assert manifest["triples"] == len({(q.subject, q.predicate, q.object) for q in quads})
    per_graph: dict[str, int] = {}
    for q in quads:
        per_graph[q.graph_name.value] = per_graph.get(q.graph_name.value, 0) + 1
    assert manifest["graphs"] == per_graph


def test_every_file_of_the_release_is_listed_with_its_size_checksum_and_role(manifest, folder):
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk - {release.MANIFEST} == set(manifest["files"])
    for name, rec in manifest["files"].items():
        body = (folder / name).read_bytes()
        assert rec["bytes"] == len(body)
        assert rec["sha256"] == hashlib.sha256(body).hexdigest()
        assert rec["role"] in release.ROLES and rec["mediaType"]
    roles = {rec["role"] for rec in manifest["files"].values()}
    assert roles == set(release.ROLES)


def test_the_release_carries_the_ontology_shapes_and_context_the_build_used(folder):
    settings = load_settings()
    manifest = release.verify(folder)
    ontology = {p.name: p.read_bytes() for p in release.paths_of(folder, manifest, "ontology")}
    assert ontology == {p.name: p.read_bytes() for p in settings.ontology_dir.glob("*.ttl")}
    shapes = release.paths_of(folder, manifest, "shapes")
    shipped = sorted(settings.shapes_dir.glob("*.ttl"))
    assert [p.read_bytes() for p in shapes] == [p.read_bytes() for p in shipped]
    assert json.loads((folder / release.CONTEXT).read_text()) == json.loads(
        CONTEXT_FILE.read_text())


def test_the_statistics_are_those_of_the_store(folder, manifest):
    counted = count_statistics(ox.Store.read_only(str(release.store_dir(folder))),
                               manifest["base"])
    carried = stats_from_json(json.loads((folder / release.STATISTICS).read_text()))
    assert carried == counted
    assert carried.quads == manifest["quads"] and carried.triples == manifest["triples"]
    assert carried.entities > 0 and carried.named_graphs == sorted(manifest["graphs"])


def test_shapes_folders_with_files_of_the_same_name_do_not_collide(tmp_path, built_nquads):
    settings = load_settings()
    project_shapes = tmp_path / "project-shapes"
    project_shapes.mkdir()
    shipped = next(settings.shapes_dir.glob("*.ttl"))
    mine = (b"@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
            b"<https://example.org/S> a sh:NodeShape .\n")
    (project_shapes / shipped.name).write_bytes(mine)
    published = publish_quads(quads_of(built_nquads), tmp_path / "dist",
                              shape_folders=(settings.shapes_dir, project_shapes))
    shapes = release.paths_of(published.path, published.manifest, "shapes")
    assert [p.read_bytes() for p in shapes] == [shipped.read_bytes(), mine]
    assert len({p.parent for p in shapes}) == 2


def test_the_release_id_changes_with_the_shapes_and_the_base(tmp_path, built_nquads):
    settings = load_settings()
    quads = quads_of(built_nquads)
    plain = publish_quads(quads, tmp_path / "a" / "dist")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "more.ttl").write_text("<https://example.org/s> <https://example.org/p> 1 .\n")
    more = publish_quads(quads, tmp_path / "b" / "dist", shape_folders=(settings.shapes_dir, extra))
    other = publish_quads(quads, tmp_path / "c" / "dist", base="https://news.example.org/")
    assert len({plain.release_id, more.release_id, other.release_id}) == 3
    again = publish_quads(quads, tmp_path / "d" / "dist")
    assert again.release_id == plain.release_id  # the store's files do not count


def test_opening_the_store_read_only_changes_none_of_its_files(tmp_path, folder):
    copy = tmp_path / "release"
    shutil.copytree(folder, copy)
    store = ox.Store.read_only(str(release.store_dir(copy)))
    assert len(list(store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"))) > 0
    second = ox.Store.read_only(str(release.store_dir(copy)))
    assert len(second) == len(store)
    del store, second
    release.verify(copy, full=True)


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.update(format_version=2), "release format version 2"),
    (lambda m: m.pop("format_version"), "no format_version"),
    (lambda m: m.update(quads=m["quads"] + 1), "does not match its release id"),
    (lambda m: m.update(base="https://elsewhere.example/"), "does not match its release id"),
    (lambda m: m["files"].update({"../outside.nq": m["files"][release.NQUADS]}),
     "does not stay inside the release"),
    (lambda m: m["files"][release.NQUADS].update(role="store"), "not where a store file belongs"),
    (lambda m: m["files"][release.NQUADS].pop("sha256"), "needs bytes, sha256 and mediaType"),
])
def test_a_manifest_off_the_schema_is_refused_with_one_line(tmp_path, folder, change, message):
    copy = tmp_path / "release"
    shutil.copytree(folder, copy)
    manifest = json.loads((copy / release.MANIFEST).read_text())
    change(manifest)
    (copy / release.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(release.ReleaseError) as info:
        release.verify(copy, full=False)
    text = str(info.value)
    assert message in text and "\n" not in text and str(copy / release.MANIFEST) in text

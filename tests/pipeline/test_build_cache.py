"""The build's cache (.newsgraph-cache/): an unchanged article is neither mapped
nor validated again, a rebuild publishes what a clean build publishes, and a
damaged or foreign entry is recomputed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsgraph.config import load_settings
from newsgraph.pipeline import build
from newsgraph.pipeline.cache import CACHE_DIR, BuildCache
from pipeline.conftest import bench_build

pytestmark = pytest.mark.slow

N = 8  # articles 1 and 7 share person-1, as every sixth article shares one



@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    bench_build().generate(root, N)
    return root


def run(root: Path, dist: Path | None = None) -> dict:
    settings = load_settings(root)
    if dist is not None:
        settings = settings.with_overrides(dist=dist)
    assert build.run_build(settings, echo=None) == build.EXIT_OK
    return dict(build.CACHE_COUNTS)


def release_of(dist: Path) -> tuple[str, dict[str, bytes]]:
    folder = dist.resolve()
    manifest = json.loads((folder / "manifest.json").read_text())
    dumps = {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("newsgraph.")}
    return manifest["release"], dumps


def clean_build(root: Path, tmp: Path) -> tuple[str, dict[str, bytes]]:
    """A build of the same seeds in a fresh copy without a cache."""
    other = tmp / "clean"
    shutil.copytree(root, other, ignore=shutil.ignore_patterns(CACHE_DIR, "dist", ".dist*"))
    counts = run(other)
    assert len(counts["mapped"]) == N and len(counts["validated"]) == N
    return release_of(other / "dist")


def test_a_rebuild_touches_only_the_edited_article_and_publishes_what_a_clean_build_does(
        corpus, tmp_path):
    first = run(corpus)
    assert len(first["mapped"]) == N and len(first["validated"]) == N
    again = run(corpus)
    assert again["mapped"] == [] and again["validated"] == []
    bench_build().edit_one(corpus, N)
    edited = f"article-{N // 2:05d}"
    counts = run(corpus)
    assert counts["mapped"] == [edited] and counts["validated"] == [edited]
    assert release_of(corpus / "dist") == clean_build(corpus, tmp_path)


def _edit_name(root: Path, person: str, name: str) -> None:
    path = root / "seeds" / "entities.yaml"
    lines = path.read_text("utf-8").splitlines()
    at = lines.index(f"  {person}:")
    assert lines[at + 1].startswith("    name: ")
    lines[at + 1] = f"    name: {name}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_editing_a_register_record_revalidates_exactly_the_articles_that_reference_it(
        corpus, tmp_path):
    run(corpus)
    _edit_name(corpus, "person-1", "Renamed Person")  # shared by articles 1 and 7
    counts = run(corpus)
    assert counts["register_mapped"]
    assert counts["mapped"] == []  # their graphs name the person, not her name
    assert sorted(counts["validated"]) == ["article-00001", "article-00007"]
    _edit_name(corpus, "person-9", "Another Name")  # the new person of article 3
    assert run(corpus)["validated"] == ["article-00003"]
    assert release_of(corpus / "dist") == clean_build(corpus, tmp_path)


def test_a_damaged_or_foreign_cache_entry_is_recomputed_not_trusted(corpus, tmp_path):
    run(corpus)
    articles = corpus / CACHE_DIR / "articles"
    # a triple changed behind the cache's back: the N-Quads' hash no longer matches
    nquads = articles / "article-00002.nq"
    nquads.write_bytes(nquads.read_bytes().replace(b"Ministers meet", b"Nobody met"))
    # another article's entry, intact, in the place of this one: its key differs
    shutil.copy(articles / "article-00004.json", articles / "article-00005.json")
    # findings dropped from an entry: its own hash no longer matches
    entry = json.loads((articles / "article-00006.json").read_text())
    assert entry["body"]["findings"]
    entry["body"]["findings"] = []
    (articles / "article-00006.json").write_text(json.dumps(entry))
    (corpus / CACHE_DIR / "register.json").write_text("{not json")
    # the register's graph changed behind the cache's back
    register = corpus / CACHE_DIR / "register.nq"
    register.write_bytes(register.read_bytes().replace(b"Outlet 0", b"Outlet 9"))
    counts = run(corpus)
    redone = ["article-00002", "article-00005", "article-00006"]
    assert counts["mapped"] == redone and counts["validated"] == redone
    assert counts["register_mapped"]
    assert counts["reused_findings"] == N - len(redone)  # the register's was damaged too
    assert release_of(corpus / "dist") == clean_build(corpus, tmp_path)
    # and the entries were rewritten: the next build reuses everything
    again = run(corpus)
    assert again["mapped"] == [] and again["reused_findings"] == N + 1
    assert not again["register_mapped"]


def test_an_article_whose_graph_is_cached_but_not_its_findings_is_only_validated(corpus):
    run(corpus)
    entry = corpus / CACHE_DIR / "articles" / "article-00003.json"
    body = json.loads(entry.read_text())["body"]
    body["findings_key"] = "stale"
    BuildCache(corpus / CACHE_DIR, "", "").store("articles/article-00003", body)
    counts = run(corpus)
    assert counts["mapped"] == [] and counts["validated"] == ["article-00003"]


def test_a_changed_shapes_file_revalidates_every_article(corpus, tmp_path):
    run(corpus)
    shapes = corpus / "shapes"
    shapes.mkdir()
    (shapes / "extra.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:example:shape> a sh:NodeShape ; sh:targetNode <urn:example:nothing> .\n")
    counts = run(corpus)
    assert counts["mapped"] == [] and len(counts["validated"]) == N

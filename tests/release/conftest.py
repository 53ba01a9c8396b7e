"""Fixtures for the release tests: releases published as the build publishes
them, a build process that can be killed at a named step, and a check that
``dist`` serves a complete release."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest

from newsgraph import release
from newsgraph.config import load_settings
from newsgraph.pipeline import publish

BASE = "https://w3id.org/newsgraph/"

# a build process publishing the quads of an N-Quads file, killed at CRASH_AT
CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    import pyoxigraph as ox
    from newsgraph.config import load_settings
    from newsgraph.pipeline import publish

    crash_at, nquads, dist, base = sys.argv[1:5]
    publish.CRASH_AT = crash_at or None
    settings = load_settings()
    quads = list(ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS))
    publish.publish(quads, Path(dist), base, ontology_dir=settings.ontology_dir,
                    shape_folders=settings.shape_folders())
""")


def quads_of(nquads: Path, extra: int = 0) -> list[ox.Quad]:
    """The quads of a dump, with ``extra`` marker quads (another release's content)."""
    quads = list(ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS))
    for i in range(extra):
        quads.append(ox.Quad(ox.NamedNode(f"{BASE}id/place/marker-{i}"),
                             ox.NamedNode("https://schema.org/name"), ox.Literal(f"marker {i}"),
                             ox.NamedNode(f"{BASE}graph/markers")))
    return sorted(quads, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                                        str(q.object)))


def publish_quads(quads: list[ox.Quad], dist: Path, base: str = BASE,
                  shape_folders: tuple[Path, ...] | None = None) -> publish.PublishedRelease:
    settings = load_settings()
    return publish.publish(quads, dist, base, ontology_dir=settings.ontology_dir,
                           shape_folders=shape_folders or settings.shape_folders())


def write_nquads(quads: list[ox.Quad], path: Path) -> Path:
    path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    return path


def publish_in_child(nquads: Path, dist: Path, crash_at: str | None,
                     base: str = BASE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, crash_at or "", str(nquads), str(dist),
                           base], capture_output=True, text=True, timeout=120)


def assert_serves_a_complete_release(dist: Path) -> dict:
    """``dist`` points at a release whose every file matches the manifest, and
    whose store opens with as many quads as the manifest says."""
    assert dist.is_symlink() and dist.resolve().is_dir(), f"{dist} points nowhere"
    manifest = release.verify(dist.resolve(), full=True)
    store = ox.Store.read_only(str(release.store_dir(dist.resolve())))
    assert len(store) == manifest["quads"]
    return manifest


def leftovers(dist: Path) -> list[str]:
    """What a build leaves only while it runs, and incomplete release folders."""
    found = [p.name for p in dist.parent.glob(f".{dist.name}.link-*")]
    releases = publish.releases_dir(dist)
    if releases.is_dir():
        for path in releases.iterdir():
            if path.name.startswith("."):
                found.append(path.name)
            else:
                try:
                    release.verify(path, full=True)
                except release.ReleaseError as exc:
                    found.append(f"{path.name} ({exc})")
    return sorted(found)


@pytest.fixture(scope="session")
def built_nquads(built_dist: Path) -> Path:
    return built_dist / release.NQUADS

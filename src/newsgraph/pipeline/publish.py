"""Write a release (newsgraph.release: its layout and manifest) and point
``dist`` at it, all or nothing.

A release is a folder named after its id (a hash of its manifest's content),
written beside the published path under a temporary name, fsynced, then
renamed into place; the published path (``dist/``) is a symbolic link that is
replaced in one ``os.replace``. A failure or a kill at any point leaves the
previous release and the link as they were: a reader of ``dist/`` sees the
complete old or the complete new release.

A release folder is complete or absent: its manifest is written last, an
existing one is verified against its checksums before it is reused, and one
being removed is first renamed aside. The next build removes what a killed
build left: staging folders, links and folders renamed aside whose process is
gone, and release folders without a valid manifest.

The same input gives byte-identical dumps: quads are sorted before writing and
no timestamp is written anywhere.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import shutil
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import to_canonical_graph

from newsgraph import iris, jsonld, release
from newsgraph.release import JSONLD, NQUADS, STORE, TRIG, TURTLE, ReleaseError
from newsgraph.resources import CONTEXT_FILE
from newsgraph.statistics import count_statistics, stats_to_json

KEEP_RELEASES = 3  # the current one, and older ones a running server may still hold open

# names of what a build leaves only while it runs: .ID.tmp-PID (staging),
# .ID.trash-PID (being deleted), .DIST.link-PID (the next link)
_DEBRIS = re.compile(r"\.(?P<what>.+)\.(?:tmp|trash|link)-(?P<pid>[0-9]+)")

# Test-only fault point: a test sets this to a step's name in a build process
# to have that process SIGKILLed there; None (always, outside such tests) does nothing.
CRASH_AT: str | None = None


def _crash_point(step: str) -> None:
    if CRASH_AT == step:
        os.kill(os.getpid(), signal.SIGKILL)


class PublishError(Exception):
    """Publishing failed; the previous release is untouched."""


@dataclass(frozen=True)
class PublishedRelease:
    path: Path
    release_id: str
    manifest: dict


def context() -> dict:
    """The JSON-LD context shipped with the package (never fetched)."""
    return json.loads(CONTEXT_FILE.read_text("utf-8"))


def releases_dir(dist: Path) -> Path:
    """Where the release folders of ``dist`` live: beside it, hidden."""
    return dist.parent / f".{dist.name}.releases"


def sorted_quads(ds: Dataset, ontology: Graph) -> list[ox.Quad]:
    """Every quad of the dataset plus the ontology graph, in a stable order."""
    full = Dataset()
    for graph in ds.graphs():
        if len(graph) == 0:
            continue
        target = full.graph(graph.identifier)
        for triple in graph:
            target.add(triple)
    data_nodes = full.serialize(format="nquads", encoding="utf-8")
    quads = list(ox.parse(data_nodes, format=ox.RdfFormat.N_QUADS))
    if any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
           for q in quads):
        # a data node without an IRI cannot be dereferenced or named in a report
        raise PublishError("the data holds blank nodes; every node needs an IRI")
    # OWL needs blank nodes for its lists and axioms; canonical labels keep dumps identical
    onto = Dataset()
    onto_graph = onto.graph(URIRef(iris.ontology_graph()))
    for triple in to_canonical_graph(ontology):
        onto_graph.add(triple)
    quads += ox.parse(onto.serialize(format="nquads", encoding="utf-8"),
                      format=ox.RdfFormat.N_QUADS)
    return sorted(quads, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                                        str(q.object)))


def _jsonld(quads: list[ox.Quad]) -> bytes:
    """The JSON-LD dump, written by the one JSON-LD writer graph by graph."""
    # the writer takes graphs in order; quads that come sorted stay as they are (a
    # stable sort of a sorted list is one pass)
    ordered = sorted(quads, key=lambda q: str(q.graph_name))
    out = io.BytesIO()
    jsonld.write_dataset(out, itertools.groupby(ordered, key=lambda q: q.graph_name))
    return out.getvalue()


def render_dumps(quads: list[ox.Quad]) -> dict[str, bytes]:
    prefixes = {k: v for k, v in iris.PREFIXES.items() if k != "sh"}
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads},
                     key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return {
        NQUADS: ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
        TRIG: ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes),
        TURTLE: ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes),
        JSONLD: _jsonld(quads),
    }


def context_file() -> bytes:
    """The context as the release carries it beside the JSON-LD dump."""
    return (json.dumps(context(), indent=2) + "\n").encode("utf-8")


def build_manifest(dumps: dict[str, bytes], quads: list[ox.Quad], base: str,
                   ontology_dir: Path, shape_folders: Sequence[Path],
                   license: str | None = None
                   ) -> tuple[dict, dict[str, tuple[str, bytes]]]:
    """The manifest (store files not yet listed) and the files it lists."""
    per_graph: dict[str, int] = {}
    for q in quads:
        per_graph[q.graph_name.value] = per_graph.get(q.graph_name.value, 0) + 1
    files = release.content_files(dumps, context_file(), ontology_dir, shape_folders)
    manifest = release.build_manifest(
        files, base, quads=len(quads),
        triples=len({(q.subject, q.predicate, q.object) for q in quads}), graphs=per_graph,
        license=license)
    return manifest, files


def _write_store(folder: Path, nquads: bytes, base: str) -> bytes:
    """Write the on-disk store; returns the statistics counted on it."""
    store = ox.Store(str(folder))
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    counted = stats_to_json(count_statistics(store, base))
    del store  # closes RocksDB: its files are final from here on
    return counted


def current_release(dist: Path) -> Path | None:
    return dist.resolve() if dist.is_symlink() and dist.exists() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftovers from an earlier publish in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _discard(path: Path) -> None:
    """Remove a release folder so that it is never seen half-deleted: renamed
    aside first (one atomic step), then deleted under the name of debris."""
    trash = path.parent / f".{path.name}.trash-{os.getpid()}"
    _remove_tree(trash)
    os.replace(path, trash)
    _crash_point("discarding")
    _remove_tree(trash)


def _is_intact(folder: Path, full: bool) -> bool:
    try:
        release.verify(folder, full=full)
    except ReleaseError:
        return False
    return True


def _reusable(final: Path) -> dict | None:
    """The manifest of ``final`` if it is an intact release of that id, else None."""
    if not final.is_dir() or final.is_symlink():
        return None
    try:
        manifest = release.verify(final, full=True)
    except ReleaseError:
        return None
    return manifest if manifest["release"] == final.name else None


def remove_debris(dist: Path) -> list[str]:
    """Remove what killed builds left beside ``dist``; returns the names removed.

    Staging folders, links and folders renamed aside whose process is gone go;
    so does a release folder that is not complete (no valid manifest, or a file
    missing or of the wrong size), unless ``dist`` points at it.
    """
    removed: list[str] = []
    releases = releases_dir(dist)
    current = current_release(dist)
    candidates = [*dist.parent.glob(f".{dist.name}.link-*")]
    if releases.is_dir():
        candidates += list(releases.iterdir())
    for path in candidates:
        match = _DEBRIS.fullmatch(path.name)
        if match:
            if not _alive(int(match["pid"])):
                _remove_tree(path)
                removed.append(path.name)
        elif (path.parent == releases and not path.name.startswith(".") and path.is_dir()
              and not path.is_symlink() and path.resolve() != current
              and not _is_intact(path, full=False)):
            _discard(path)
            removed.append(path.name)
    return removed


def publish(quads: list[ox.Quad], dist: Path, base: str, *, ontology_dir: Path,
            shape_folders: Sequence[Path], license: str | None = None) -> PublishedRelease:
    """Write a release for ``quads`` (with the ontology and shapes it was checked
    with, and the licence its data is published under) and point ``dist`` at
    it, all or nothing."""
    if dist.exists() and not dist.is_symlink():
        raise PublishError(
            f"{dist} exists and is not a newsgraph release link; move it away and build again"
        )
    dumps = render_dumps(quads)
    try:
        manifest, files = build_manifest(dumps, quads, base, ontology_dir, shape_folders,
                                         license)
    except OSError as exc:
        raise PublishError(f"cannot read {exc.filename}: {exc.strerror or exc}") from exc
    releases = releases_dir(dist)
    final = releases / manifest["release"]
    staging = releases / f".{manifest['release']}.tmp-{os.getpid()}"
    link_tmp = dist.parent / f".{dist.name}.link-{os.getpid()}"
    try:
        releases.mkdir(parents=True, exist_ok=True)
        remove_debris(dist)
        _crash_point("debris-removed")
        # reused only if every file matches its checksum: a damaged one is rebuilt
        existing = _reusable(final)
        if existing is not None:
            manifest = existing
            os.utime(final)  # the newest release again, as far as pruning goes
        else:
            _stage(staging, files, dumps[NQUADS], manifest)
            _crash_point("before-rename")
            if final.exists() or final.is_symlink():
                _discard(final)  # damaged or incomplete: never kept over a complete one
            os.replace(staging, final)
            release.fsync_dir(releases)
            manifest = release.read_manifest(final)
            _crash_point("renamed")
        with contextlib.suppress(FileNotFoundError):
            link_tmp.unlink()
        os.symlink(os.path.relpath(final, dist.parent), link_tmp)
        _crash_point("before-link-swap")
        os.replace(link_tmp, dist)
        release.fsync_dir(dist.parent)
        _crash_point("swapped")
    except (OSError, ReleaseError) as exc:
        _remove_tree(staging)
        with contextlib.suppress(OSError):
            link_tmp.unlink()
        why = (exc.strerror or exc) if isinstance(exc, OSError) else exc
        raise PublishError(f"could not write the release to {releases}: {why}; "
                           f"{dist} still serves the previous release") from exc
    _prune(releases, keep=final)
    return PublishedRelease(final, manifest["release"], manifest)


def _stage(staging: Path, files: dict[str, tuple[str, bytes]], nquads: bytes,
           manifest: dict) -> None:
    """Write the whole release under its staging name, the manifest last: a
    folder without a valid manifest is incomplete and never used."""
    _remove_tree(staging)
    staging.mkdir()
    for name, (_, body) in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        _write_file(staging / name, body)
    _crash_point("staged-files")
    _write_file(staging / release.STATISTICS, _write_store(staging / STORE, nquads,
                                                           manifest["base"]))
    _crash_point("staged-store")
    complete = release.with_store(manifest, staging)
    release.write_manifest(staging, complete)
    _crash_point("manifest-written")
    for folder in release.folders_to_sync(staging, complete):
        release.fsync_dir(folder)


def _write_file(path: Path, body: bytes) -> None:
    release.write_file(path, body)


def _prune(releases: Path, keep: Path) -> None:
    """Drop the oldest complete releases beyond KEEP_RELEASES (never the current
    one); each is renamed aside before it is deleted."""
    done: list[tuple[float, Path]] = []
    for path in releases.iterdir():
        if path.is_dir() and not path.is_symlink() and not path.name.startswith("."):
            with contextlib.suppress(FileNotFoundError):  # another build's pruning
                done.append((path.stat().st_mtime, path))
    done.sort(reverse=True)
    for _, old in done[KEEP_RELEASES:]:
        if old != keep:
            with contextlib.suppress(OSError):
                _crash_point("pruning")
                _discard(old)

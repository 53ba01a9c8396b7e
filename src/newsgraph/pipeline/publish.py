"""Write the dataset: dumps, manifest and the embedded store, swapped in atomically.

A release is a folder named after the hash of its content, written beside the
published path under a temporary name, fsynced, then renamed into place; the
published path (``dist/``) is a symbolic link that is replaced in one
``os.replace``. A failure at any point (a Violation upstream, a full disk, a
permission) leaves the previous release and the link exactly as they were, and
a reader of ``dist/`` sees the complete old or the complete new release.

The same input gives byte-identical dumps: quads are sorted before writing and
no timestamp is written anywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from newsgraph import __version__, iris
from newsgraph.resources import CONTEXT_FILE

NQUADS = "newsgraph.nq"
TRIG = "newsgraph.trig"
TURTLE = "newsgraph.ttl"
JSONLD = "newsgraph.jsonld"
CONTEXT = "context.jsonld"
MANIFEST = "manifest.json"
STORE = "store"

MEDIA_TYPES = {
    NQUADS: "application/n-quads",
    TRIG: "application/trig",
    TURTLE: "text/turtle",
    JSONLD: "application/ld+json",
    CONTEXT: "application/ld+json",
}
KEEP_RELEASES = 3  # the current one, and older ones a running server may still hold open


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


def _rdflib_term(term: object) -> Node:
    """The rdflib twin of a pyoxigraph term, blank node labels kept (re-parsing renames them)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        return RdfLiteral(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unexpected term {term!r}")


def _jsonld(quads: list[ox.Quad]) -> bytes:
    """Compact JSON-LD with the shipped context, named graphs kept, keys sorted."""
    ds = Dataset()
    for q in quads:
        ds.graph(_rdflib_term(q.graph_name)).add(
            (_rdflib_term(q.subject), _rdflib_term(q.predicate), _rdflib_term(q.object)))
    ctx = context()["@context"]
    raw = ds.serialize(format="json-ld", context=ctx, auto_compact=True, encoding="utf-8")
    doc = json.loads(raw)
    doc["@context"] = ctx  # inline: a reader never has to fetch anything

    def normalise(value: object) -> object:
        if isinstance(value, dict):
            # an @list is ordered: keep its items where they are
            return {k: ([normalise(i) for i in v] if k == "@list" and isinstance(v, list)
                        else normalise(v)) for k, v in sorted(value.items())}
        if isinstance(value, list):
            items = [normalise(v) for v in value]
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        return value

    body = {k: normalise(v) for k, v in doc.items() if k != "@context"}
    out = {"@context": ctx, **body}
    return (json.dumps(out, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def render_dumps(quads: list[ox.Quad]) -> dict[str, bytes]:
    prefixes = {k: v for k, v in iris.PREFIXES.items() if k != "sh"}
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads},
                     key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return {
        NQUADS: ox.serialize(quads, format=ox.RdfFormat.N_QUADS),
        TRIG: ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes),
        TURTLE: ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes),
        JSONLD: _jsonld(quads),
        CONTEXT: (json.dumps(context(), indent=2) + "\n").encode("utf-8"),
    }


def build_manifest(dumps: dict[str, bytes], quads: list[ox.Quad], base: str) -> dict:
    per_graph: dict[str, int] = {}
    for q in quads:
        per_graph[q.graph_name.value] = per_graph.get(q.graph_name.value, 0) + 1
    release_id = hashlib.sha256(dumps[NQUADS]).hexdigest()[:16]
    return {
        "generator": f"newsgraph {__version__}",
        "release": release_id,
        "base": base,
        "quads": len(quads),
        "triples": len({(q.subject, q.predicate, q.object) for q in quads}),
        "graphs": dict(sorted(per_graph.items())),
        "files": {
            name: {
                "bytes": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
                "mediaType": MEDIA_TYPES[name],
            }
            for name, body in sorted(dumps.items())
        },
    }


def _write_file(path: Path, body: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_store(folder: Path, nquads: bytes) -> None:
    store = ox.Store(str(folder))
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    del store


def current_release(dist: Path) -> Path | None:
    return dist.resolve() if dist.is_symlink() and dist.exists() else None


def publish(quads: list[ox.Quad], dist: Path, base: str) -> PublishedRelease:
    """Write a release for ``quads`` and point ``dist`` at it, all or nothing."""
    if dist.exists() and not dist.is_symlink():
        raise PublishError(
            f"{dist} exists and is not a newsgraph release link; move it away and build again"
        )
    dumps = render_dumps(quads)
    manifest = build_manifest(dumps, quads, base)
    releases = releases_dir(dist)
    final = releases / manifest["release"]
    staging = releases / f".{manifest['release']}.tmp-{os.getpid()}"
    link_tmp = dist.parent / f".{dist.name}.link-{os.getpid()}"
    try:
        releases.mkdir(parents=True, exist_ok=True)
        if not (final / MANIFEST).is_file():
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            for name, body in dumps.items():
                _write_file(staging / name, body)
            _write_store(staging / STORE, dumps[NQUADS])
            # the manifest last: a release folder without one is incomplete
            _write_file(staging / MANIFEST,
                        (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
            _fsync_dir(staging)
            if final.exists():
                shutil.rmtree(final)
            os.replace(staging, final)
            _fsync_dir(releases)
        with contextlib.suppress(FileNotFoundError):
            link_tmp.unlink()
        os.symlink(os.path.relpath(final, dist.parent), link_tmp)
        os.replace(link_tmp, dist)
        _fsync_dir(dist.parent)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            link_tmp.unlink()
        raise PublishError(f"could not write the release to {releases}: {exc.strerror or exc}; "
                           f"{dist} still serves the previous release") from exc
    _prune(releases, keep=final)
    return PublishedRelease(final, manifest["release"], manifest)


def _prune(releases: Path, keep: Path) -> None:
    """Drop the oldest releases beyond KEEP_RELEASES (never the current one)."""
    done = [p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")]
    done.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in done[KEEP_RELEASES:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)

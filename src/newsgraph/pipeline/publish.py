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
import hashlib
import inspect
import json
import os
import queue
import re
import shutil
import signal
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from newsgraph import iris, jsonld, release
from newsgraph.release import JSONLD, NQUADS, STORE, TRIG, TURTLE, ReleaseError
from newsgraph.resources import CONTEXT_FILE
from newsgraph.statistics import (
    STATISTICS_VERSION,
    Statistics,
    Tally,
    count_statistics,
    stats_from_json,
    stats_to_json,
)

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
class PublishCounts:
    """What a publish did, for tests and benchmarks: graph renderings made and
    taken from the chunk cache, and the release whose store was updated."""

    rendered: int = 0
    reused: int = 0
    store_from: str | None = None


@dataclass(frozen=True)
class PublishedRelease:
    path: Path
    release_id: str
    manifest: dict
    counts: PublishCounts = PublishCounts()


def context() -> dict:
    """The JSON-LD context shipped with the package (never fetched)."""
    return json.loads(CONTEXT_FILE.read_text("utf-8"))


def releases_dir(dist: Path) -> Path:
    """Where the release folders of ``dist`` live: beside it, hidden."""
    return dist.parent / f".{dist.name}.releases"


# ------------------------------------------------------------------ the parts


@dataclass(frozen=True)
class GraphPart:
    """One named graph as the publisher takes it: its IRI and its canonical
    N-Quads (every line of that graph, sorted, distinct, each ending in a
    newline), held in memory or in a file (a build cache's entry), so that the
    publisher holds one graph at a time, never the corpus."""

    name: str
    nquads: bytes | Path

    def data(self) -> bytes:
        return self.nquads if isinstance(self.nquads, bytes) else self.nquads.read_bytes()

    def quads(self) -> list[ox.Quad]:
        return list(ox.parse(self.data(), format=ox.RdfFormat.N_QUADS))


def canonical_part(name: str, triples: Iterable[ox.Triple | ox.Quad]) -> GraphPart:
    """The part of graph ``name`` holding ``triples`` (or quads: their graph is
    replaced by ``name``), in the one canonical form: pyoxigraph's N-Quads lines,
    sorted bytewise (the order of (subject, predicate, object) written out) and
    distinct. The same triples give the same bytes, whoever made them."""
    graph = ox.NamedNode(name)
    body = ox.serialize((ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples),
                        format=ox.RdfFormat.N_QUADS)
    lines = sorted(set(body.splitlines(keepends=True)))
    return GraphPart(name, b"".join(lines))


def part_from_ntriples(name: str, text: str | bytes) -> GraphPart:
    """The part of graph ``name`` from N-Triples (the build cache keeps an
    article's graph so: ``cache.graph_text``)."""
    return canonical_part(name, ox.parse(text, format=ox.RdfFormat.N_TRIPLES))


def _ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unexpected term {term!r}")


def part_from_graph(name: str, graph: Graph, allow_blank_nodes: bool = False) -> GraphPart:
    """The part of graph ``name`` from an rdflib graph (one graph, never the corpus)."""
    triples = []
    for s, p, o in graph:
        if not allow_blank_nodes and (isinstance(s, BNode) or isinstance(o, BNode)):
            # a data node without an IRI cannot be dereferenced or named in a report
            raise PublishError("the data holds blank nodes; every node needs an IRI")
        triples.append(ox.Triple(_ox_term(s), _ox_term(p), _ox_term(o)))
    return canonical_part(name, triples)


def ontology_part(ontology: Graph) -> GraphPart:
    """The ontology's graph: OWL needs blank nodes for its lists and axioms;
    canonical labels keep the dumps identical from build to build."""
    return part_from_graph(iris.ontology_graph(), to_canonical_graph(ontology),
                           allow_blank_nodes=True)


def parts_from_dataset(ds: Dataset, ontology: Graph) -> list[GraphPart]:
    """The parts of a mapped dataset (every non-empty graph) and of the ontology:
    what ``newsgraph build`` publishes. One graph is converted at a time."""
    parts = [part_from_graph(str(graph.identifier), graph)
             for graph in ds.graphs() if len(graph) and isinstance(graph.identifier, URIRef)]
    return [*parts, ontology_part(ontology)]


def parts_from_quads(quads: Iterable[ox.Quad]) -> list[GraphPart]:
    """Parts of a list of quads, by graph (tests and benchmarks publish quads)."""
    by_graph: dict[str, list[ox.Quad]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name.value, []).append(q)
    return [canonical_part(name, qs) for name, qs in by_graph.items()]


def sorted_quads(ds: Dataset, ontology: Graph) -> list[ox.Quad]:
    """Every quad of the dataset plus the ontology graph, in the dumps' order.
    Holds the corpus in memory: for tests; the build publishes parts."""
    return [q for part in _ordered(parts_from_dataset(ds, ontology)) for q in part.quads()]


def part_count(parts: Sequence[GraphPart]) -> int:
    """Quads in the parts (each line of a part is one)."""
    return sum(part.data().count(b"\n") for part in parts)


def _graph_order(name: str) -> str:
    # the order quads sorted by str(graph name) had: "<iri>", so that "…/def#x" < "…/def"
    return f"<{name}>"


def _ordered(parts: Iterable[GraphPart]) -> list[GraphPart]:
    """The parts in the dumps' order; an empty graph is no graph (as in a store)."""
    ordered = sorted((p for p in parts if not isinstance(p.nquads, bytes) or p.nquads),
                     key=lambda p: _graph_order(p.name))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.name == b.name:
            raise PublishError(f"the graph {a.name} is given twice")
    return ordered


# ------------------------------------------------------------------ rendering

PREFIXES = {k: v for k, v in iris.PREFIXES.items() if k != "sh"}
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# per dump: what comes before the first graph and after the last
_DUMMY = ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:x"), ox.NamedNode("urn:x"),
                 ox.NamedNode("urn:x"))


def _prefix_header(fmt: ox.RdfFormat) -> bytes:
    body = ox.serialize([_DUMMY] if fmt == ox.RdfFormat.TRIG else [_DUMMY.triple],
                        format=fmt, prefixes=PREFIXES)
    return b"".join(line for line in body.splitlines(keepends=True)
                    if line.startswith(b"@prefix "))


def _without_header(body: bytes, header: bytes) -> bytes:
    if not body.startswith(header):
        raise PublishError("pyoxigraph wrote a prefix header of another form than expected")
    return body[len(header):]


def _trig_block(name: str, quads: list[ox.Quad]) -> bytes:
    if not quads:
        return b""
    return _without_header(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES),
                           _HEADERS[TRIG])


def _turtle_block(name: str, quads: list[ox.Quad]) -> bytes:
    """The graph's triples as Turtle statements; the Turtle dump, the union of
    the graphs, is these blocks one after the other (a triple that two graphs
    hold is written twice, and read as one)."""
    if not quads:
        return b""
    return _without_header(ox.serialize([q.triple for q in quads], format=ox.RdfFormat.TURTLE,
                                        prefixes=PREFIXES), _HEADERS[TURTLE])


def _jsonld_graph(graph_name: str, quads: list[ox.Quad]) -> bytes:
    """One named graph of the JSON-LD dump, as the one JSON-LD writer makes it."""
    return jsonld.graph_item(ox.NamedNode(graph_name), quads)


_RENDER = {TRIG: _trig_block, TURTLE: _turtle_block, JSONLD: _jsonld_graph}
_HEADERS: dict[str, bytes] = {}
_HEADERS[TRIG] = _prefix_header(ox.RdfFormat.TRIG)
_HEADERS[TURTLE] = _prefix_header(ox.RdfFormat.TURTLE)


def _jsonld_head() -> bytes:
    return jsonld.dataset_head()


# what a cached rendering depends on besides the graph itself: the code that
# renders (these functions' source, not the rest of this module), the prefixes
# and the context, pyoxigraph
_RENDER_VERSION = hashlib.sha256(b"\0".join(
    [*(inspect.getsource(f).encode() for f in (
        _prefix_header, _without_header, _trig_block, _turtle_block,
        _jsonld_graph, _jsonld_head)), inspect.getsource(jsonld).encode(),
     json.dumps(PREFIXES, sort_keys=True).encode(), CONTEXT_FILE.read_bytes(),
     ox.__version__.encode()])).hexdigest()


class ChunkCache:
    """Each graph's rendering in TriG, Turtle and JSON-LD, by the SHA-256 of its
    N-Quads (content-addressed: an unchanged graph is never rendered again).

    Beside ``dist``, in ``.dist.chunks/``; safe to delete. An entry holds the
    SHA-256 of its body before the body, and is used only if they agree: a torn
    or damaged entry is rendered again, never trusted."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.used: set[str] = set()
        self.rendered = 0
        self.reused = 0

    def _path(self, key: str, dump: str) -> Path:
        assert self.folder is not None
        digest = hashlib.sha256(f"{_RENDER_VERSION}\0{dump}\0{key}".encode()).hexdigest()
        self.used.add(digest)
        return self.folder / digest

    def get(self, key: str, dump: str) -> bytes | None:
        if self.folder is None:
            return None
        try:
            raw = self._path(key, dump).read_bytes()
        except OSError:
            return None
        body = raw[64:]
        if raw[:64] != hashlib.sha256(body).hexdigest().encode("ascii"):
            return None
        return body

    def put(self, key: str, dump: str, body: bytes) -> None:
        if self.folder is None:
            return
        path = self._path(key, dump)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        with contextlib.suppress(OSError):  # a cache: failing to keep an entry costs time only
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(hashlib.sha256(body).hexdigest().encode("ascii") + body)
            os.replace(tmp, path)

    def prune(self) -> None:
        """Drop the entries this publish did not use."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name not in self.used:
                with contextlib.suppress(OSError):
                    path.unlink()


def chunk_cache_dir(dist: Path) -> Path:
    return dist.parent / f".{dist.name}.chunks"


class _Sink:
    """A dump being written: its SHA-256 and size counted as it is written, in a
    thread of its own (hashing and writing release the GIL, so the four dumps
    and the reading of the parts share the cores). A few chunks wait at most."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.digest = hashlib.sha256()
        self.size = 0
        self.error: BaseException | None = None
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self.thread = threading.Thread(target=self._drain, name=f"dump {path.name}",
                                       daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while (body := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.fh.write(body)
                    self.digest.update(body)
                except BaseException as exc:  # raised again by close()
                    self.error = exc

    def write(self, body: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.size += len(body)
        self.queue.put(body)

    def close(self) -> dict:
        self.queue.put(None)
        self.thread.join()
        try:
            if self.error is not None:
                raise self.error
            self.fh.flush()
            os.fsync(self.fh.fileno())
        finally:
            self.fh.close()
        return {"bytes": self.size, "sha256": self.digest.hexdigest(),
                "mediaType": release.DUMP_MEDIA_TYPES[self.path.name], "role": release.DUMP}


@dataclass
class Written:
    """What writing the dumps gave: their records, and per graph its quads and
    the SHA-256 of its N-Quads."""

    records: dict[str, dict]
    graphs: dict[str, int]
    graph_sha256: dict[str, str]


def write_dumps(parts: Sequence[GraphPart], folder: Path, chunks: ChunkCache) -> Written:
    """Write the four dumps into ``folder`` graph by graph, in graph order: one
    graph in memory at a time, whatever the size of the data."""
    sinks = {name: _Sink(folder / name) for name in (NQUADS, TRIG, TURTLE, JSONLD)}
    graphs: dict[str, int] = {}
    digests: dict[str, str] = {}
    try:
        sinks[TRIG].write(_HEADERS[TRIG])
        sinks[TURTLE].write(_HEADERS[TURTLE])
        sinks[JSONLD].write(_jsonld_head())
        jsonld_items = 0
        for part in parts:
            data = part.data()
            lines = data.count(b"\n")
            # every line a quad of this graph: a part is never another graph's
            if (data and not data.endswith(b"\n")) or data.count(
                    f" <{part.name}> .\n".encode()) != lines:
                raise PublishError(f"the part of {part.name} is not that graph's N-Quads")
            key = hashlib.sha256(data).hexdigest()
            graphs[part.name] = lines
            digests[part.name] = key
            sinks[NQUADS].write(data)
            quads: list[ox.Quad] | None = None
            for dump, render in _RENDER.items():
                body = chunks.get(key, dump)
                if body is None:
                    if quads is None:
                        quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
                    body = render(part.name, quads)
                    chunks.put(key, dump, body)
                    chunks.rendered += 1
                else:
                    chunks.reused += 1
                if dump == JSONLD:
                    if body and jsonld_items:
                        sinks[dump].write(jsonld.ITEM_SEPARATOR)
                    jsonld_items += bool(body)
                sinks[dump].write(body)
        sinks[JSONLD].write(jsonld.dataset_tail(empty=not jsonld_items))
    finally:
        records, failed = {}, None
        for name, sink in sinks.items():
            try:
                records[name] = sink.close()
            except BaseException as exc:  # every file closed; the first failure told
                failed = failed or exc
        if failed is not None:
            raise failed
    return Written(records, graphs, digests)


def context_file() -> bytes:
    """The context as the release carries it beside the JSON-LD dump."""
    return (json.dumps(context(), indent=2) + "\n").encode("utf-8")


# ------------------------------------------------------------------ the store


@dataclass
class StoreBuilt:
    statistics: bytes
    updated_from: str | None  # the release whose store was copied and updated, if any
    verified: dict[release.FileIdentity, str]  # SHA-256 of files checked as copied


_LOAD_BLOCK = 32 << 20


def _load_store(folder: Path, nquads: Path, base: str) -> bytes:
    """Write the on-disk store from the N-Quads dump on disk; returns the
    statistics counted on it."""
    store = ox.Store(str(folder))
    # in blocks of whole lines: one bulk_load of the whole file holds memory
    # that grows with it (1.9 GB at 2.9 M quads), blocks of 32 MB about 240 MB
    with nquads.open("rb") as fh:
        rest = b""
        while block := fh.read(_LOAD_BLOCK):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                store.bulk_load(block[:cut], format=ox.RdfFormat.N_QUADS)
        if rest:
            store.bulk_load(rest, format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    counted = stats_to_json(count_statistics(store, base))
    del store  # closes RocksDB: its files are final from here on
    return counted


def _previous(dist: Path, base: str) -> tuple[Path, dict, Statistics] | None:
    """The release ``dist`` serves, if its store may be the start of this one's:
    intact by sizes, for the same base, with the SHA-256 of each of its graphs
    and statistics that match the manifest."""
    folder = current_release(dist)
    if folder is None:
        return None
    try:
        manifest = release.verify(folder, full=False)
        stats_rec = manifest["files"][release.STATISTICS]
        raw = (folder / release.STATISTICS).read_bytes()
        counted = json.loads(raw)
        if (manifest["base"] != base or not isinstance(manifest.get("graph_sha256"), dict)
                or hashlib.sha256(raw).hexdigest() != stats_rec["sha256"]
                or counted.get("version") != STATISTICS_VERSION):  # counted as this code counts
            return None
        return folder, manifest, stats_from_json(counted)
    except (ReleaseError, OSError, ValueError, KeyError, TypeError):
        return None


# what RocksDB makes anew in a copy: its lock and its random identity
_NOT_COPIED = ("LOCK", "IDENTITY")


def _copy_store(folder: Path, manifest: dict, target: Path
                ) -> dict[release.FileIdentity, str]:
    """Copy a release's store (closed: its files are a consistent snapshot) into
    ``target``, each file checked against its SHA-256 as it is read (a damaged
    release is never the start of another). Copies, not hard links: a release
    stays independent of the others, so damage to one never reaches another.
    Returns the SHA-256 of each copied table file by its identity (name,
    device, inode, size, time): RocksDB never changes a table file, so the manifest need
    not hash them again (the time and size tell a new file that reuses a
    deleted one's inode)."""
    known: dict[release.FileIdentity, str] = {}
    target.mkdir()
    for name, rec in release.files_of(manifest, release.STORE_ROLE).items():
        source = folder / name
        inside = Path(name).relative_to(release.STORE)
        if inside.name in _NOT_COPIED:
            continue
        copy = target / inside
        copy.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with source.open("rb") as src, copy.open("wb") as dst:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        if digest.hexdigest() != rec["sha256"]:
            raise ReleaseError(f"{source}: its SHA-256 differs from the manifest's")
        if copy.suffix == ".sst":
            known[release.file_identity(copy)] = rec["sha256"]
    return known


def _update_store(target: Path, previous: tuple[Path, dict, Statistics],
                  parts: Sequence[GraphPart], written: Written, base: str,
                  checked: Future | None = None) -> StoreBuilt:
    """The previous release's store, copied, with the graphs that changed taken out and put in
    again; the statistics updated for those graphs only. ``checked``: the
    previous store's files being copied meanwhile (:func:`_check_previous`)."""
    folder, manifest, stats = previous
    known = checked.result() if checked is not None else _copy_store(folder, manifest, target)
    old: dict[str, str] = manifest["graph_sha256"]
    new = written.graph_sha256
    store = ox.Store(str(target))
    tally = Tally(stats, base)
    for name in sorted(old):
        if new.get(name) != old[name]:
            tally.drop_graph(store, ox.NamedNode(name))
    for part in parts:
        if old.get(part.name) != new[part.name]:
            tally.add_graph(store, ox.NamedNode(part.name), part.quads())
    store.flush()
    counted = stats_to_json(tally.result(store))
    del store
    return StoreBuilt(counted, folder.name, known)


def _check_previous(dist: Path, staging: Path, base: str, incremental: bool
                    ) -> tuple[tuple[Path, dict, Statistics] | None, Future | None]:
    """The previous release to update the store from, and its store being
    copied into ``staging`` and checked in a thread, while the dumps are written."""
    previous = _previous(dist, base) if incremental else None
    if previous is None:
        return None, None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-store")
    checked = pool.submit(_copy_store, previous[0], previous[1], staging / STORE)
    pool.shutdown(wait=False)
    return previous, checked


def _write_store(staging: Path, dist: Path, base: str, parts: Sequence[GraphPart],
                 written: Written, incremental: bool = True,
                 previous: tuple[tuple[Path, dict, Statistics] | None, Future | None]
                 | None = None) -> StoreBuilt:
    """The release's store and statistics: updated from the previous release's
    when there is a usable one, else bulk-loaded from the N-Quads dump."""
    target = staging / STORE
    found, checked = previous if previous is not None else _check_previous(
        dist, staging, base, incremental)
    if found is not None:
        try:
            return _update_store(target, found, parts, written, base, checked)
        except (ReleaseError, OSError, RuntimeError, ValueError):
            _remove_tree(target)  # the previous store is damaged: load from scratch
    return StoreBuilt(_load_store(target, staging / NQUADS, base), None, {})


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


def publish(parts: Sequence[GraphPart] | Sequence[ox.Quad], dist: Path, base: str, *,
            ontology_dir: Path, shape_folders: Sequence[Path],
            chunk_cache: Path | None = None, incremental: bool = True,
            license: str | None = None) -> PublishedRelease:
    """Write a release of ``parts`` (one per named graph; quads are accepted and
    split by graph) with the ontology and shapes it was checked with, and point
    ``dist`` at it, all or nothing.

    Streaming: one graph is held at a time. Incremental: a graph's TriG, Turtle
    and JSON-LD come from ``chunk_cache`` (default ``.dist.chunks/`` beside
    ``dist``) when its N-Quads are unchanged, and the store is the previous
    release's, copied, with only the changed graphs replaced (``incremental``
    False loads it from scratch). Either way the release is the same, byte for
    byte, but for the store's files (docs/release.md). ``license``: the IRI of
    the licence the data is published under, stated in the manifest.
    """
    if dist.exists() and not dist.is_symlink():
        raise PublishError(
            f"{dist} exists and is not a newsgraph release link; move it away and build again"
        )
    if parts and isinstance(parts[0], ox.Quad):
        parts = parts_from_quads(parts)  # type: ignore[arg-type]
    ordered = _ordered(parts)  # type: ignore[arg-type]
    try:
        content = release.content_files({}, context_file(), ontology_dir, shape_folders)
    except OSError as exc:
        raise PublishError(f"cannot read {exc.filename}: {exc.strerror or exc}") from exc
    releases = releases_dir(dist)
    staging = releases / f".staging.tmp-{os.getpid()}"
    link_tmp = dist.parent / f".{dist.name}.link-{os.getpid()}"
    chunks = ChunkCache(chunk_cache or chunk_cache_dir(dist))
    store_from: str | None = None
    try:
        releases.mkdir(parents=True, exist_ok=True)
        remove_debris(dist)
        _crash_point("debris-removed")
        manifest, store_from = _stage(staging, ordered, content, chunks, dist, base,
                                      incremental, license)
        final = releases / manifest["release"]
        # reused only if every file matches its checksum: a damaged one is rebuilt
        existing = _reusable(final)
        if existing is not None:
            _remove_tree(staging)
            manifest = existing
            os.utime(final)  # the newest release again, as far as pruning goes
        else:
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
    except BaseException:
        _remove_tree(staging)
        raise
    _prune(releases, keep=final)
    chunks.prune()
    return PublishedRelease(final, manifest["release"], manifest,
                            PublishCounts(chunks.rendered, chunks.reused, store_from))


def _stage(staging: Path, parts: Sequence[GraphPart], content: dict[str, tuple[str, bytes]],
           chunks: ChunkCache, dist: Path, base: str, incremental: bool,
           license: str | None = None) -> tuple[dict, str | None]:
    """Write the whole release under its staging name, the manifest last: a
    folder without a valid manifest is incomplete and never used. Returns the
    manifest and the release whose store was updated (None: loaded afresh)."""
    _remove_tree(staging)
    staging.mkdir()
    previous = _check_previous(dist, staging, base, incremental)
    try:
        written = write_dumps(parts, staging, chunks)
        records = dict(written.records)
        for name, (role, body) in content.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            _write_file(staging / name, body)
            records[name] = release.record(body, release.media_type(name, role), role)
        _crash_point("staged-files")
        built = _write_store(staging, dist, base, parts, written, incremental, previous)
        _write_file(staging / release.STATISTICS, built.statistics)
        counted = json.loads(built.statistics)
        _crash_point("staged-store")
        manifest = release.manifest_of(records, base, quads=sum(written.graphs.values()),
                                       triples=counted["triples"], graphs=written.graphs,
                                       graph_sha256=written.graph_sha256, license=license)
        complete = release.with_store(manifest, staging, known=built.verified)
        release.write_manifest(staging, complete)
        _crash_point("manifest-written")
        for folder in release.folders_to_sync(staging, complete):
            release.fsync_dir(folder)
    except BaseException:
        # the previous store is being copied into staging in a thread: let it
        # finish before staging is removed, or it writes there again afterwards
        copying = previous[1]
        if copying is not None:
            with contextlib.suppress(BaseException):
                copying.result()
        raise
    return complete, built.updated_from


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

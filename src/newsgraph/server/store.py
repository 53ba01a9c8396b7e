"""The data the server reads: opened once per process, swapped whole on reload.

Two sources are served:

* a release (``dist/``, the symlink the build swaps, or a release folder):
  verified against its manifest (newsgraph.release), its on-disk pyoxigraph
  store opened read-only, and its dumps, ontology and shapes read from the
  same folder, never from the working directory or the settings;
* one N-Quads, TriG, Turtle or N-Triples file: loaded into an in-memory store;
* a release whose data is in an external SPARQL store (``serve --store URL``):
  the folder gives the manifest, statistics, ontology, shapes and context, the
  store the data (``newsgraph.server.backends``). No store is opened here.

Every reader reaches the data through ``OpenRelease.backend``
(``newsgraph.server.backends.DataStore``), never a pyoxigraph store directly.

A :class:`OpenRelease` never changes once opened. :class:`DataHolder` hands out the
current one and, when the source changes (the ``dist`` symlink points to a new
release, the file is rewritten), opens the new one beside it and swaps the
reference: a request that started on the old release finishes on it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

from newsgraph import release
from newsgraph.external import Credentials, Dialect, open_client
from newsgraph.resources import ONTOLOGY_DIR, SHAPES_DIR
from newsgraph.server.backends import (
    DataStore,
    EmbeddedStore,
    RemoteStore,
    check_store_holds,
)
from newsgraph.server.lru import LRU  # the one cache, shared with the SPARQL answers
from newsgraph.statistics import stats_from_json

T = TypeVar("T")
log = logging.getLogger(__name__)

# media types of the single RDF files that may be served, by extension
DUMP_MEDIA_TYPES: dict[str, str] = {
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
}
# formats a single data file may be given in (no JSON-LD: it may name remote contexts)
FILE_FORMATS: dict[str, ox.RdfFormat] = {
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
}
# a changed source is noticed within this many seconds
RECHECK_SECONDS = 1.0
# a new release the external store does not hold yet is asked about again this often
STORE_RECHECK_SECONDS = 10.0


def sparql_term(term: ox.NamedNode | ox.Literal) -> str:
    """A term written into a query: pyoxigraph's own N-Triples form, which escapes
    what would end an IRI or a string early."""
    return str(term)


class DataError(Exception):
    """The data cannot be served; the message says which file and why."""


class StoreLacksRelease(DataError):
    """The external store does not hold (all of) a release yet."""


@dataclass(frozen=True)
class Dump:
    name: str
    path: Path
    media_type: str
    size: int
    sha256: str
    role: str = release.DUMP  # or release.CONTEXT_ROLE: served, but not a dump of the data


@dataclass(frozen=True)
class RemoteSpec:
    """The external store a release is served from (``serve --store``)."""

    query_url: str
    dialect: Dialect
    credentials: Credentials | None = None
    gsp_url: str | None = None
    timeout_s: float = 60.0

    def backend(self, manifest: dict[str, Any]) -> RemoteStore:
        """A backend of this store for the release of ``manifest`` (no request made)."""
        client = open_client(self.query_url, dialect=self.dialect, gsp_url=self.gsp_url,
                             update_url=self.query_url, credentials=self.credentials,
                             timeout_s=self.timeout_s, auth_reads=True)
        return RemoteStore(client, manifest.get("graphs") or {})


@dataclass(eq=False)
class OpenRelease:
    """One immutable version of the data and what was published with it."""

    backend: DataStore
    release_id: str
    modified: datetime
    dumps: dict[str, Dump]
    manifest: dict[str, Any]
    source: Path
    cache: LRU[Any] = field(default_factory=lambda: LRU(4096))
    base: str | None = None  # the base IRI a release was built for; None for a file
    ontology: tuple[Path, ...] = ()  # the Turtle files /def documents
    shapes: tuple[Path, ...] = ()  # the Turtle files /shapes documents
    store_path: Path | None = None  # the on-disk store of a release
    statistics: dict[str, Any] | None = None  # a release's statistics.json; None for a file
    _memo: dict[Hashable, Any] = field(default_factory=dict)
    _memo_locks: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _memo_guard: threading.Lock = field(default_factory=threading.Lock)

    @property
    def store(self) -> ox.Store:
        """The embedded pyoxigraph store (a release's or a file's); a release
        served from an external store has none (read through :attr:`backend`)."""
        if isinstance(self.backend, EmbeddedStore):
            return self.backend.store
        raise DataError(f"{self.source}: the data is in an external store, not in this "
                        "process")

    def has_subject(self, iri: str) -> bool:
        # kept like a description: asked before every answer about a thing, and
        # a round trip each time to a remote store
        return self.cached(("has-subject", iri), lambda: self.backend.has_subject(iri))

    def query(self, query: str) -> Any:
        """A query over the union of all graphs (terms enter it through
        :func:`sparql_term`): the one way the pages and descriptions read the
        data, so that a remote store costs one round trip per call."""
        return self.backend.query(query, use_default_graph_as_union=True)

    def graph_triples(self, iri: str) -> list[ox.Triple] | None:
        """The triples of named graph ``iri`` (None: no such graph)."""
        return self.backend.graph_triples(iri)

    def select(self, query: str) -> list[ox.QuerySolution]:
        """The rows of a SELECT (see :meth:`query`)."""
        return list(self.query(query))

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value kept while there is room (descriptions, pages: one per thing)."""
        return self.cache.get_or_compute(key, compute)

    def once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value computed once for the life of the release and never evicted
        (statistics, the vocabulary documentation, indexes: a few per release)."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        with self._memo_guard:
            lock = self._memo_locks.setdefault(key, threading.Lock())
        # one lock per key: one computation however many threads ask, and a
        # computation may itself ask for other keys
        with lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]


def open_dist(dist: Path, cache_size: int = 4096, full_check: bool = False,
              base: str | None = None, remote: RemoteSpec | None = None) -> OpenRelease:
    """Open a release folder (or the ``dist`` symlink to one) read-only, once it
    is verified (newsgraph.release): every file the manifest lists is there with
    its size, and with ``full_check`` its SHA-256 too. With ``base``, a release
    built for another base IRI is refused. With ``remote``, its data is read
    from that store and its own store is never opened."""
    folder = dist.resolve()
    try:
        manifest = release.verify(folder, full=full_check)
    except release.ReleaseError as exc:
        raise DataError(str(exc)) from None
    if base is not None and manifest["base"] != base:
        raise DataError(f"{folder}: built for base {manifest['base']}, not {base}")
    store_dir = release.store_dir(folder)
    backend: DataStore
    if remote is not None:
        backend = remote.backend(manifest)
    else:
        try:
            backend = EmbeddedStore(ox.Store.read_only(str(store_dir)))
        except Exception as exc:  # RocksDB reports damage as OSError or others
            raise DataError(f"{store_dir}: cannot open the store read-only ({exc}); "
                            "rebuild the release (newsgraph build)") from None
    try:
        counted = json.loads((folder / release.STATISTICS).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{folder / release.STATISTICS}: cannot read ({exc}); "
                        "rebuild the release (newsgraph build)") from None
    try:  # read now, so that a file of another shape is refused here, not on a request
        stats_from_json(counted)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{folder / release.STATISTICS}: not the statistics this server "
                        f"reads (no {exc} in it); rebuild the release (newsgraph build)"
                        ) from None
    dumps = {
        name: Dump(name, folder / name, rec["mediaType"], rec["bytes"], rec["sha256"], role)
        for role in (release.DUMP, release.CONTEXT_ROLE)
        for name, rec in release.files_of(manifest, role).items()
    }
    return OpenRelease(
        backend=backend,
        release_id=manifest["release"],
        modified=datetime.fromtimestamp(int((folder / release.MANIFEST).stat().st_mtime), UTC),
        dumps=dumps,
        manifest=manifest,
        source=folder,
        cache=LRU(cache_size),
        base=manifest["base"],
        ontology=tuple(release.paths_of(folder, manifest, release.ONTOLOGY_ROLE)),
        shapes=tuple(release.paths_of(folder, manifest, release.SHAPES_ROLE)),
        store_path=store_dir if remote is None else None,
        statistics=counted,
    )


def open_file(path: Path, cache_size: int = 4096) -> OpenRelease:
    """Load one RDF file into an in-memory store; it is also the one dump."""
    path = path.resolve()
    fmt = FILE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"{path}: cannot tell the format from the extension; "
            f"expected one of {', '.join(sorted(FILE_FORMATS))}"
        )
    store = ox.Store()
    try:
        store.load(path=str(path), format=fmt)
    except SyntaxError as exc:
        raise DataError(f"{path}: not valid {fmt.name}: {exc}") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc
    sha = release.sha256_of(path)
    dump = Dump(path.name, path, DUMP_MEDIA_TYPES[path.suffix.lower()], path.stat().st_size, sha)
    return OpenRelease(
        backend=EmbeddedStore(store),
        release_id=sha[:16],
        modified=datetime.fromtimestamp(int(path.stat().st_mtime), UTC),
        dumps={dump.name: dump},
        manifest={},
        source=path,
        cache=LRU(cache_size),
        # a file carries no vocabulary: the package's own (never the working directory's)
        ontology=tuple(sorted(ONTOLOGY_DIR.glob("*.ttl"))),
        shapes=tuple(sorted(SHAPES_DIR.glob("*.ttl"))),
    )


def open_data(source: Path, cache_size: int = 4096, full_check: bool = False,
              base: str | None = None, remote: RemoteSpec | None = None) -> OpenRelease:
    """Open a release folder (see :func:`open_dist`) or a single RDF file
    (never with ``remote``: a file has no manifest to check a store against)."""
    if source.is_dir():
        return open_dist(source, cache_size, full_check, base, remote)
    if remote is not None:
        raise DataError(f"{source}: an external store is served with the release folder it "
                        "was published from (--data DIR), not a single file")
    if source.is_file():
        return open_file(source, cache_size)
    raise DataError(f"{source}: no such file or folder")


def _check_store_holds(opened: OpenRelease) -> None:
    """A new release read from an external store is swapped in only once the
    store holds it (``newsgraph publish`` first, then point ``dist`` at it)."""
    assert isinstance(opened.backend, RemoteStore)
    differ = check_store_holds(opened.backend.client, opened.manifest)
    if differ:
        raise StoreLacksRelease(f"the store does not hold release {opened.release_id} yet "
                        f"({len(differ)} graphs differ, e.g. {differ[0]}); run "
                        f"`newsgraph publish --to {opened.backend.client.endpoints.query}`")


def _fingerprint(source: Path) -> tuple[object, ...]:
    """What changes when a new release is published: the folder the symlink
    resolves to (a rebuilt folder of the same name is a new inode), its manifest,
    or the file's size and modification time."""
    if source.is_dir():
        folder = source.resolve()
        st = folder.stat()
        try:
            mf = (folder / release.MANIFEST).stat()
            manifest: tuple[int, ...] = (mf.st_ino, mf.st_mtime_ns, mf.st_size)
        except FileNotFoundError:
            manifest = ()
        return ("dir", str(folder), st.st_dev, st.st_ino, *manifest)
    st = source.stat()
    return ("file", st.st_mtime_ns, st.st_size)


class DataHolder:
    """Hands out the current :class:`OpenRelease`; opens it lazily in each worker
    (after the fork: the store must not cross a fork) and swaps it on change.

    A new release is verified before the swap (sizes, manifest, the store
    opens); one that fails is logged once and not tried again until the source
    changes again, while the old release goes on being served. ``fallback`` is
    the release the server verified when it started: a worker that starts
    (or restarts) while the source points at a bad release serves that one.
    """

    def __init__(self, source: Path, cache_size: int = 4096, base: str | None = None,
                 fallback: Path | None = None, remote: RemoteSpec | None = None) -> None:
        self.source = source
        self.remote = remote
        self.cache_size = cache_size
        self.base = base
        self.fallback = fallback
        self._release: OpenRelease | None = None
        self._fingerprint: tuple[object, ...] | None = None
        self._refused: tuple[object, ...] | None = None
        self._retry_at = float("inf")  # when a refused release is looked at again
        self._checked = 0.0
        self._lock = threading.Lock()

    def _open(self, source: Path) -> OpenRelease:
        return open_data(source, self.cache_size, base=self.base, remote=self.remote)

    def current(self) -> OpenRelease:
        held = self._release
        now = time.monotonic()
        if held is not None and now - self._checked < RECHECK_SECONDS:
            return held
        with self._lock:
            if self._release is not None and now - self._checked < RECHECK_SECONDS:
                return self._release
            self._checked = now
            try:
                fingerprint = _fingerprint(self.source)
            except OSError:
                fingerprint = self._fingerprint  # source gone for a moment: keep serving
            if self._release is None:
                try:
                    self._release = self._open(self.source)
                    self._fingerprint = fingerprint
                except DataError as exc:
                    if self.fallback is None or _fingerprint(self.fallback) == fingerprint:
                        raise
                    self._release = self._open(self.fallback)
                    self._fingerprint = _fingerprint(self.fallback)
                    self._refused = fingerprint
                    log.warning("not serving the new release, still serving %s: %s",
                                self._release.release_id, exc)
            elif fingerprint not in (self._fingerprint, self._refused) or (
                    fingerprint == self._refused and now >= self._retry_at):
                try:
                    fresh = self._open(self.source)
                    if isinstance(fresh.backend, RemoteStore):
                        _check_store_holds(fresh)
                except StoreLacksRelease as exc:
                    # it may be being published: asked again now and then
                    if fingerprint != self._refused:
                        log.warning("not serving the new release yet, still serving %s: %s",
                                    self._release.release_id, exc)
                    self._refused, self._retry_at = fingerprint, now + STORE_RECHECK_SECONDS
                except Exception as exc:  # whatever it is, the old release stays served
                    self._refused, self._retry_at = fingerprint, float("inf")
                    log.warning("not serving the new release, still serving %s: %s",
                                self._release.release_id, exc)
                else:
                    self._release, self._fingerprint = fresh, fingerprint
            return self._release

"""The data the server reads: opened once per process, swapped whole on reload.

Two sources are served:

* a built ``dist/`` folder (usually a symlink to a release folder): its
  on-disk pyoxigraph store opens read-only, its dumps and ``manifest.json``
  are read from the same release folder;
* one N-Quads, TriG, Turtle or N-Triples file: loaded into an in-memory store.

A :class:`OpenRelease` never changes once opened. :class:`DataHolder` hands out the
current one and, when the source changes (the ``dist`` symlink points to a new
release, the file is rewritten), opens the new one beside it and swaps the
reference: a request that started on the old release finishes on it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

T = TypeVar("T")

# media types of the files a release may publish, by extension
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


def sparql_term(term: ox.NamedNode | ox.Literal) -> str:
    """A term written into a query: pyoxigraph's own N-Triples form, which escapes
    what would end an IRI or a string early."""
    return str(term)


class DataError(Exception):
    """The data cannot be served; the message says which file and why."""


@dataclass(frozen=True)
class Dump:
    name: str
    path: Path
    media_type: str
    size: int
    sha256: str


class LRU:
    """A small thread-safe LRU of computed values (descriptions, pages)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(0, capacity)
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()  # outside the lock: two threads may compute once each, harmlessly
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return value


@dataclass(eq=False)
class OpenRelease:
    """One immutable version of the data and what was published with it."""

    store: ox.Store
    release_id: str
    modified: datetime
    dumps: dict[str, Dump]
    manifest: dict[str, Any]
    source: Path
    cache: LRU = field(default_factory=lambda: LRU(4096))
    _memo: dict[Hashable, Any] = field(default_factory=dict)
    _memo_locks: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _memo_guard: threading.Lock = field(default_factory=threading.Lock)

    def has_subject(self, iri: str) -> bool:
        return (
            next(iter(self.store.quads_for_pattern(ox.NamedNode(iri), None, None)), None)
            is not None
        )

    def select(self, query: str) -> list[ox.QuerySolution]:
        """A SELECT over the union of all graphs (terms enter it through :func:`sparql_term`)."""
        return list(self.store.query(query, use_default_graph_as_union=True))

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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest_files(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{name: {"bytes": n, "sha256": h}}`` whether the manifest lists files as a
    mapping or as a list of records with a name/path."""
    files = manifest.get("files") or {}
    if isinstance(files, list):
        named = {}
        for rec in files:
            if isinstance(rec, dict):
                name = rec.get("name") or rec.get("path")
                if isinstance(name, str):
                    named[name] = rec
        return named
    return (
        {k: v for k, v in files.items() if isinstance(v, dict)} if isinstance(files, dict) else {}
    )


def _size_of(record: dict[str, Any]) -> int | None:
    for key in ("bytes", "size", "byte_size", "byteSize"):
        if isinstance(record.get(key), int):
            return record[key]
    return None


def _dumps_of_release(folder: Path, manifest: dict[str, Any]) -> dict[str, Dump]:
    """The release's dump files: those the manifest lists (falling back to the
    known extensions), each a regular file directly inside the release folder."""
    listed = _manifest_files(manifest)
    names = list(listed) or sorted(
        p.name
        for p in folder.iterdir()
        if p.suffix in DUMP_MEDIA_TYPES and p.name != "manifest.json"
    )
    dumps: dict[str, Dump] = {}
    for name in names:
        path = folder / name
        # only plain names of regular files: the manifest cannot point outside the release
        if "/" in name or name.startswith(".") or path.suffix not in DUMP_MEDIA_TYPES:
            continue
        if not path.is_file():
            continue
        rec = listed.get(name, {})
        size = _size_of(rec)
        sha = rec.get("sha256") if isinstance(rec.get("sha256"), str) else None
        dumps[name] = Dump(
            name=name,
            path=path,
            media_type=DUMP_MEDIA_TYPES[path.suffix],
            size=size if size is not None else path.stat().st_size,
            sha256=sha or _sha256(path),
        )
    return dumps


def _release_time(manifest: dict[str, Any], fallback: Path) -> datetime:
    for key in ("created", "built_at", "published", "modified", "issued"):
        raw = manifest.get(key)
        if isinstance(raw, str):
            try:
                stamp = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                continue
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(fallback.stat().st_mtime), UTC)


def open_dist(dist: Path, cache_size: int = 4096) -> OpenRelease:
    """Open a built release folder (or the ``dist`` symlink to one) read-only."""
    folder = dist.resolve()
    store_dir = folder / "store"
    if not store_dir.is_dir():
        raise DataError(
            f"{dist}: no store/ folder in it; build the dataset first (newsgraph build)"
        )
    manifest_path = folder / "manifest.json"
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        try:
            loaded = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"{manifest_path}: not valid JSON ({exc})") from exc
        if isinstance(loaded, dict):
            manifest = loaded
    try:
        store = ox.Store.read_only(str(store_dir))
    except OSError as exc:
        raise DataError(f"{store_dir}: cannot open the store read-only ({exc})") from exc
    release_id = manifest.get("release") or manifest.get("release_id") or folder.name
    return OpenRelease(
        store=store,
        release_id=str(release_id),
        modified=_release_time(manifest, manifest_path if manifest_path.exists() else store_dir),
        dumps=_dumps_of_release(folder, manifest),
        manifest=manifest,
        source=folder,
        cache=LRU(cache_size),
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
    sha = _sha256(path)
    dump = Dump(path.name, path, DUMP_MEDIA_TYPES[path.suffix.lower()], path.stat().st_size, sha)
    return OpenRelease(
        store=store,
        release_id=sha[:16],
        modified=datetime.fromtimestamp(int(path.stat().st_mtime), UTC),
        dumps={dump.name: dump},
        manifest={},
        source=path,
        cache=LRU(cache_size),
    )


def open_data(source: Path, cache_size: int = 4096) -> OpenRelease:
    if source.is_dir():
        return open_dist(source, cache_size)
    if source.is_file():
        return open_file(source, cache_size)
    raise DataError(f"{source}: no such file or folder")


def _fingerprint(source: Path) -> tuple[object, ...]:
    """What changes when a new release is published: the folder the symlink
    resolves to, or the file's size and modification time."""
    if source.is_dir():
        return ("dir", str(source.resolve()))
    st = source.stat()
    return ("file", st.st_mtime_ns, st.st_size)


class DataHolder:
    """Hands out the current :class:`OpenRelease`; opens it lazily in each worker
    (after the fork: the store must not cross a fork) and swaps it on change."""

    def __init__(self, source: Path, cache_size: int = 4096) -> None:
        self.source = source
        self.cache_size = cache_size
        self._release: OpenRelease | None = None
        self._fingerprint: tuple[object, ...] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def current(self) -> OpenRelease:
        release = self._release
        now = time.monotonic()
        if release is not None and now - self._checked < RECHECK_SECONDS:
            return release
        with self._lock:
            if self._release is not None and now - self._checked < RECHECK_SECONDS:
                return self._release
            self._checked = now
            try:
                fingerprint = _fingerprint(self.source)
            except OSError:
                fingerprint = self._fingerprint  # source gone for a moment: keep serving
            if self._release is None or fingerprint != self._fingerprint:
                try:
                    fresh = open_data(self.source, self.cache_size)
                except DataError:
                    if self._release is None:
                        raise
                else:
                    self._release, self._fingerprint = fresh, fingerprint
            assert self._release is not None
            return self._release

"""Settings read once, in one place, and passed down.

Every tunable of the pipeline and the server lives here with its documented
default. A project's ``newsgraph.toml`` sets some of them, ``NEWSGRAPH_*``
environment variables override the file, and command-line options override
both. Nothing else in the code reads the environment.
"""

from __future__ import annotations

import functools
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from newsgraph.resources import ONTOLOGY_DIR, SHAPES_DIR

DEFAULT_BASE = "https://w3id.org/newsgraph/"


class SettingsError(ValueError):
    """A setting has a value it cannot take; the message names where it came from."""


@dataclass(frozen=True)
class Settings:
    # the project folder (newsgraph.toml, seeds/, optional shapes/); None only where
    # a command needs no project (serving or exporting an explicit data file)
    root: Path | None = None
    # the vocabulary and the shapes the package ships; a project cannot change them
    # (never read from newsgraph.toml or the environment; tests pass copies)
    ontology_dir: Path = ONTOLOGY_DIR
    shapes_dir: Path = SHAPES_DIR
    base: str = DEFAULT_BASE
    # who publishes the dataset, for its description (VoID/DCAT)
    publisher_name: str | None = None
    publisher_url: str | None = None
    # where the build writes; a symlink swapped atomically to a release folder
    dist: Path | None = None
    # SPARQL endpoint limits (documented in docs/http.md)
    sparql_timeout_s: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_max_query_bytes: int = 64 * 1024
    sparql_max_body_bytes: int = 256 * 1024
    sparql_max_nesting: int = 64
    # operators and chained clauses (UNION, OPTIONAL, MINUS, FILTER, BIND) one
    # inside another: the engine recurses once per link, and a flat chain of a
    # few thousand overflowed a query process's stack
    sparql_max_chain: int = 500
    # the most bytes one answer may take as written (any format); a larger one
    # is refused with 400 while it is being written, like the row cap, so that a
    # query process never holds more than about this much of answer
    sparql_max_answer_bytes: int = 16 * 1024 * 1024
    # queries evaluated at once per server process (each gunicorn worker has its
    # own query processes); kept below its 4 threads so pages are still served
    # while every query slot is busy
    sparql_max_concurrent: int = 2
    # how long a query waits for a free slot before 503; at most 4x the slots wait
    sparql_queue_wait_s: float = 1.0
    # query processes hold the data in memory (heavy queries 5-10x faster than on
    # disk) when the release has at most this many quads (~320 bytes each, per
    # process); larger releases are read from the on-disk store
    sparql_memory_max_quads: int = 1_000_000
    # memory one query may take in its query process on top of the loaded data
    # (RLIMIT_DATA set once the data is in); more is refused with 400 and the
    # process replaced; 0 leaves queries bounded only by the time limit
    sparql_worker_memory_mb: int = 512
    # answers kept per server process, by bytes (the data only changes on rebuild;
    # a new release starts an empty cache); 0 turns the cache off
    sparql_cache_bytes: int = 64 * 1024 * 1024
    # ...and by count: a key holds the whole query (up to sparql_max_query_bytes),
    # so keys are counted in the bytes above as well as here
    sparql_cache_entries: int = 4096
    # SERVICE endpoints a query may call; empty means none (the default)
    service_allow_list: tuple[str, ...] = ()
    # /reconcile: queries in one batch (more: 413), characters of a name or a
    # property value once normalised (NFKD can make one character 18; more:
    # 400), and CPU seconds one request may spend scoring (then 503)
    reconcile_max_queries: int = 50
    reconcile_max_text: int = 300
    reconcile_cpu_s: float = 5.0
    # incoming links shown in one description before a "more" link
    max_incoming_links: int = 200
    # rendered descriptions and pages kept per server process (they change only on rebuild)
    description_cache_size: int = 4096
    # the licence the dataset description (VoID/DCAT) states for the data
    data_license: str = "https://creativecommons.org/licenses/by/4.0/"
    # Wikidata, asked only by `newsgraph link` (never by the build or the server)
    wikidata_url: str = "https://www.wikidata.org"
    wikidata_timeout_s: float = 15.0
    # at least this long between two requests, as Wikimedia's API etiquette asks
    wikidata_min_interval_s: float = 1.0

    @property
    def project(self) -> Path:
        if self.root is None:
            raise SettingsError("this needs a project folder (newsgraph.toml), and none was given")
        return self.root

    @property
    def seeds(self) -> Path:
        return self.project / "seeds"

    def project_shapes(self) -> Path | None:
        """The project's own ``shapes/`` folder, if it has any ``*.ttl``; not the
        shipped one (this repository's top-level shapes/ is the package's)."""
        if self.root is None:
            return None
        folder = self.root / "shapes"
        if not folder.is_dir() or folder.resolve() == self.shapes_dir.resolve():
            return None
        files = {p.name: p.read_bytes() for p in folder.glob("*.ttl")}
        shipped = {p.name: p.read_bytes() for p in self.shapes_dir.glob("*.ttl")}
        # a checkout of newsgraph run with an installed package holds the shipped
        # shapes themselves: they are not a project's additions
        return folder if files and files != shipped else None

    def shape_folders(self) -> tuple[Path, ...]:
        """Every folder of shapes the build validates with and the release carries:
        the shipped shapes first, then any the project adds."""
        extra = self.project_shapes()
        return (self.shapes_dir,) if extra is None else (self.shapes_dir, extra)

    @property
    def dist_dir(self) -> Path:
        return self.dist if self.dist is not None else self.project / "dist"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


# Never configurable: where the project is comes from the command line or the
# working directory, and the ontology and shapes are the package's.
NOT_CONFIGURABLE = frozenset({"root", "ontology_dir", "shapes_dir"})

# Values where 0 means nothing would work (a 0 s timeout, a 0-row answer).
_POSITIVE = frozenset({
    "sparql_timeout_s", "sparql_max_rows", "sparql_max_query_bytes", "sparql_max_body_bytes",
    "sparql_max_nesting", "sparql_max_concurrent", "wikidata_timeout_s",
    "sparql_max_chain", "sparql_max_answer_bytes", "reconcile_max_queries",
    "reconcile_max_text", "reconcile_cpu_s",
})
_IRIS = frozenset({"base", "data_license", "publisher_url", "wikidata_url"})


def configurable() -> tuple[str, ...]:
    """The fields newsgraph.toml and ``NEWSGRAPH_*`` may set."""
    return tuple(f.name for f in fields(Settings) if f.name not in NOT_CONFIGURABLE)


@functools.cache
def kind_of(name: str) -> type:
    """The type a field holds: ``str | None`` -> ``str``, ``tuple[str, ...]`` -> ``tuple``."""
    hint = typing.get_type_hints(Settings)[name]
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return typing.get_origin(hint) or hint


def expected(name: str) -> str:
    """What a field takes, in words, for error messages."""
    kind = kind_of(name)
    if name in _IRIS:
        return "an absolute http(s) IRI in quotes"
    if kind is bool:
        return "true or false"
    if kind is int:
        return "a whole number" + (" of at least 1" if name in _POSITIVE else " of at least 0")
    if kind is float:
        return "a number" + (" above 0" if name in _POSITIVE else " of at least 0")
    if kind is tuple:
        return "a list of strings"
    if kind is Path:
        return "a path in quotes"
    return "a non-empty string in quotes"


def check_value(name: str, value: object) -> object:
    """``value`` as field ``name`` holds it; ValueError (saying what is expected)
    if it has the wrong type or range. Takes what TOML gives (numbers, lists)."""
    kind = kind_of(name)
    wrong = ValueError(expected(name))
    if isinstance(value, bool) and kind is not bool:
        raise wrong
    if kind is float and isinstance(value, int | float):
        if value < 0 or (name in _POSITIVE and value == 0):
            raise wrong
        return float(value)
    if kind is int and isinstance(value, int):
        if value < (1 if name in _POSITIVE else 0):
            raise wrong
        return value
    if kind is tuple and isinstance(value, list | tuple):
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise wrong
        return tuple(item.strip() for item in value)
    if kind is Path and isinstance(value, str | Path) and str(value):
        return Path(value)
    if kind is str and isinstance(value, str) and value.strip():
        if name in _IRIS:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or any(
                    c.isspace() or c in '<>"{}|\\^`' for c in value):
                raise wrong
        if name == "base" and not value.endswith("/"):
            value += "/"  # paths are appended to the base
        return value
    raise wrong


def _from_text(name: str, raw: str) -> object:
    """An environment variable's text as the value ``check_value`` takes."""
    kind = kind_of(name)
    if kind is tuple:
        return [part for part in raw.split(",") if part.strip()]
    if kind in (int, float):
        try:
            return int(raw) if kind is int else float(raw)
        except ValueError:
            raise ValueError(expected(name)) from None
    return raw


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """The settings ``NEWSGRAPH_<FIELD>`` variables give; SettingsError names a bad one."""
    environ = os.environ if environ is None else environ
    out: dict[str, object] = {}
    for name in configurable():
        variable = f"NEWSGRAPH_{name.upper()}"
        raw = environ.get(variable)
        if raw is None:
            continue
        try:
            out[name] = check_value(name, _from_text(name, raw))
        except ValueError as exc:
            raise SettingsError(f"{variable}={raw!r}: expected {exc}") from None
    return out


def load_settings(root: Path | None = None, from_file: Mapping[str, object] | None = None,
                  **overrides: object) -> Settings:
    """Defaults, then ``from_file`` (a project's newsgraph.toml, already checked),
    then ``NEWSGRAPH_<FIELD>`` environment variables, then ``overrides`` (the
    command line; ``None`` values are ignored)."""
    values: dict[str, object] = {**(from_file or {}), **from_environment()}
    for name, value in overrides.items():
        if value is None:
            continue
        try:
            values[name] = check_value(name, value) if name in _IRIS else value
        except ValueError as exc:
            raise SettingsError(f"--{name.replace('_', '-')} {value}: expected {exc}") from None
    return Settings(root=root, **values)  # type: ignore[arg-type]

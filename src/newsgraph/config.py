"""Settings read once, in one place, and passed down.

Every tunable of the pipeline and the server lives here with its documented
default; command-line options and ``NEWSGRAPH_*`` environment variables override
them. Nothing else in the code reads the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from newsgraph.resources import ONTOLOGY_DIR, SHAPES_DIR

DEFAULT_BASE = "https://w3id.org/newsgraph/"


def find_project_root(start: Path | None = None) -> Path:
    """The folder holding ``ontology/`` and ``shapes/``: the working directory or
    one of its parents, else the checkout this package was installed from."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "ontology").is_dir() and (candidate / "shapes").is_dir():
            return candidate
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=find_project_root)
    # the vocabulary and the shapes the package ships (tests point them at copies)
    ontology_dir: Path = ONTOLOGY_DIR
    shapes_dir: Path = SHAPES_DIR
    base: str = DEFAULT_BASE
    # where the build writes; a symlink swapped atomically to a release folder
    dist: Path | None = None
    # SPARQL endpoint limits (documented in docs/http.md)
    sparql_timeout_s: float = 10.0
    sparql_max_rows: int = 10_000
    sparql_max_query_bytes: int = 64 * 1024
    sparql_max_body_bytes: int = 256 * 1024
    sparql_max_nesting: int = 64
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
    # answers kept per server process, by bytes (the data only changes on rebuild;
    # a new release starts an empty cache); 0 turns the cache off
    sparql_cache_bytes: int = 64 * 1024 * 1024
    # SERVICE endpoints a query may call; empty means none (the default)
    service_allow_list: tuple[str, ...] = ()
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
    def seeds(self) -> Path:
        return self.root / "seeds"


    def shape_folders(self) -> tuple[Path, ...]:
        """Every folder of shapes the build validates with and the release carries:
        the shipped shapes first, then any the project adds."""
        return (self.shapes_dir,)

    @property
    def dist_dir(self) -> Path:
        return self.dist if self.dist is not None else self.root / "dist"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(kind: type, raw: str) -> object:
    if kind is float:
        return float(raw)
    if kind is int:
        return int(raw)
    if kind is tuple:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind is Path:
        return Path(raw)
    return raw


def load_settings(**overrides: object) -> Settings:
    """Defaults, then ``NEWSGRAPH_<FIELD>`` environment variables, then ``overrides``."""
    settings = Settings()
    from_env: dict[str, object] = {}
    for f in fields(Settings):
        raw = os.environ.get(f"NEWSGRAPH_{f.name.upper()}")
        if raw is None:
            continue
        default = getattr(settings, f.name)
        kind = Path if default is None or isinstance(default, Path) else type(default)
        from_env[f.name] = _coerce(kind, raw)
    settings = replace(settings, **from_env)
    base = overrides.get("base")
    if isinstance(base, str) and not base.endswith("/"):
        overrides["base"] = base + "/"
    return settings.with_overrides(**overrides)

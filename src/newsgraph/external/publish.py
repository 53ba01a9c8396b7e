"""``newsgraph publish``: load a built release into an external SPARQL store.

Each named graph of the release (every article's, the register's, the
ontology's) replaces the store's graph of the same IRI, by the engine's bulk
path where it has one. A small state file remembers, per store, the SHA-256 of
each graph as last loaded; a graph is sent again only when its content changed
or the store no longer holds its quads, so running twice leaves the same
store, a run killed halfway is finished by the next, and republishing one
article sends one graph. Graphs published before but no longer in the release
are dropped. Afterwards every graph's quad count in the store is compared with
the manifest's; each difference is one line, and the exit status is 1.

The release is read through :mod:`newsgraph.release` only: its manifest
(verified in full first), the N-Quads dump it lists, its per-graph counts.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from newsgraph import release
from newsgraph.external.client import StoreClient
from newsgraph.external.errors import ExternalStoreError
from newsgraph.external.nquads import GraphBody, graphs_of_dump

STATE_VERSION = 1
NQUADS_MEDIA_TYPE = "application/n-quads"


def default_state_path(client: StoreClient, environ: dict[str, str] | None = None) -> Path:
    """Where the state of publishing to this store is kept: the user's state
    folder (``$XDG_STATE_HOME``, else ``~/.local/state``), one file a store."""
    env = os.environ if environ is None else environ
    root = Path(env["XDG_STATE_HOME"]) if env.get("XDG_STATE_HOME") else \
        Path.home() / ".local" / "state"
    key = hashlib.sha256(f"{client.endpoints.query}\n{client.endpoints.gsp}".encode()
                         ).hexdigest()[:16]
    return root / "newsgraph" / "publish" / f"{key}.json"


@dataclass
class State:
    """What was last loaded into one store: graph IRI → SHA-256 of its N-Quads."""

    path: Path
    store: str
    graphs: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, store: str) -> State:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path, store)
        except (OSError, ValueError):
            # a damaged state only costs a full reload: every graph is sent again
            return cls(path, store)
        if (not isinstance(data, dict) or data.get("version") != STATE_VERSION
                or data.get("store") != store or not isinstance(data.get("graphs"), dict)):
            return cls(path, store)
        return cls(path, store, {str(k): str(v) for k, v in data["graphs"].items()})

    def save(self) -> None:
        """Written whole to a temporary file, then renamed: never half a state."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": STATE_VERSION, "store": self.store,
                                       "graphs": dict(sorted(self.graphs.items()))},
                                      indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise ExternalStoreError(f"cannot write the publish state {self.path}: "
                                     f"{exc.strerror or exc}") from None


class Progress:
    """One line on a terminal, rewritten in place; silent when not a terminal."""

    def __init__(self, total_graphs: int, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.on = self.stream.isatty()
        self.total = total_graphs
        self.start = time.monotonic()
        self.last = 0.0

    def show(self, done: int, sent_graphs: int, sent_quads: int, force: bool = False) -> None:
        now = time.monotonic()
        if not self.on or (not force and now - self.last < 0.2):
            return
        self.last = now
        rate = sent_quads / max(now - self.start, 1e-6)
        self.stream.write(f"\r{done}/{self.total} graphs, {sent_graphs} sent "
                          f"({sent_quads:,} quads, {rate:,.0f} quads/s)\x1b[K")
        self.stream.flush()

    def end(self) -> None:
        if self.on:
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class Outcome:
    graphs: int = 0
    sent_graphs: int = 0
    sent_quads: int = 0
    dropped: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    seconds: float = 0.0


def nquads_dump(folder: Path, manifest: dict[str, Any]) -> Path:
    """The release's N-Quads dump, found by role and media type."""
    for name, rec in release.files_of(manifest, release.DUMP).items():
        if rec.get("mediaType") == NQUADS_MEDIA_TYPE:
            return folder / name
    raise ExternalStoreError(f"{folder}: the release lists no N-Quads dump to publish")


def publish_release(folder: Path, client: StoreClient, state_path: Path,
                    batch_quads: int | None = None,
                    progress_stream: TextIO | None = None) -> Outcome:
    """Load the release in ``folder`` into the store of ``client``; raises
    :class:`ExternalStoreError` (or :class:`release.ReleaseError`) on failure."""
    started = time.monotonic()
    manifest = release.verify(folder, full=True)
    expected: dict[str, int] = dict(manifest["graphs"])
    dump = nquads_dump(folder, manifest)
    state = State.load(state_path, client.endpoints.gsp)
    outcome = Outcome(graphs=len(expected))

    stale = sorted(set(state.graphs) - set(expected))
    in_store = client.graph_counts(sorted(expected))
    if stale:
        client.drop_graphs(stale)
        for iri in stale:
            del state.graphs[iri]
        state.save()
        outcome.dropped = stale

    limit = batch_quads if batch_quads is not None else client.dialect.bulk_batch_quads()
    progress = Progress(len(expected), progress_stream)
    batch: list[GraphBody] = []
    done = 0

    def send() -> None:
        client.replace_graphs(batch)
        for graph in batch:
            state.graphs[graph.iri] = graph.digest()
        state.save()
        outcome.sent_graphs += len(batch)
        outcome.sent_quads += sum(g.quads for g in batch)
        batch.clear()

    seen: set[str] = set()
    for graph in graphs_of_dump(dump):
        want = expected.get(graph.iri)
        if want is None or want != graph.quads:
            raise release.ReleaseError(
                f"{dump}: graph <{graph.iri}> has {graph.quads} quads where the manifest says "
                f"{want if want is not None else 'none'}; rebuild the release (newsgraph build)")
        seen.add(graph.iri)
        done += 1
        if state.graphs.get(graph.iri) == graph.digest() and in_store.get(graph.iri) == want:
            progress.show(done, outcome.sent_graphs, outcome.sent_quads)
            continue
        batch.append(graph)
        if sum(g.quads for g in batch) >= limit:
            send()
        progress.show(done, outcome.sent_graphs, outcome.sent_quads)
    if batch:
        send()
    progress.show(done, outcome.sent_graphs, outcome.sent_quads, force=True)
    progress.end()
    missing = sorted(set(expected) - seen)
    if missing:
        raise release.ReleaseError(f"{dump}: graph <{missing[0]}> of the manifest is not in "
                                   "the dump; rebuild the release (newsgraph build)")

    counted = client.graph_counts(sorted(expected))
    for iri, want in sorted(expected.items()):
        if counted.get(iri, 0) != want:
            outcome.differences.append(f"graph <{iri}>: {counted.get(iri, 0)} quads in the "
                                       f"store, {want} in the release")
    outcome.seconds = time.monotonic() - started
    return outcome


def run_publish(folder: Path, client: StoreClient, state_path: Path | None,
                echo: Callable[[str], None], batch_quads: int | None = None) -> int:
    """The command: 0 published and verified, 1 the store's counts differ, 2 an error."""
    try:
        path = state_path or default_state_path(client)
        echo(f"publishing {folder} to {client.endpoints.query} ({client.dialect.name}; "
             f"writes to {client.endpoints.gsp})")
        outcome = publish_release(folder, client, path, batch_quads)
    except (ExternalStoreError, release.ReleaseError) as exc:
        echo(f"error: {exc}")
        return 2
    finally:
        client.close()
    for iri in outcome.dropped:
        echo(f"dropped graph <{iri}>: no longer in the release")
    for line in outcome.differences:
        echo(f"error: {line}")
    if outcome.differences:
        echo(f"error: {len(outcome.differences)} of {outcome.graphs} graphs differ from the "
             "release after loading; run `newsgraph publish` again, and if they still differ, "
             "check the store")
        return 1
    echo(f"published {outcome.graphs} graphs ({outcome.sent_graphs} sent, "
         f"{outcome.sent_quads:,} quads) in {outcome.seconds:.1f} s; every graph's quad count "
         "matches the release")
    return 0

"""The N-Quads dump of a release, one named graph at a time, as bytes.

The dump (written by the build with pyoxigraph: one quad a line, sorted by
graph) is cut into its graphs without parsing it: a line ends with
`` <graph> .``, and an IRI holds no space, so the graph starts at the line's
last `` <``. The engine parses what it is sent, and the counts of each graph
are checked against the manifest here and in the store afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsgraph.external.errors import ExternalStoreError


@dataclass(frozen=True)
class GraphBody:
    """One named graph of the dump: its IRI, its lines (N-Quads), how many."""

    iri: str
    nquads: bytes
    quads: int

    def ntriples(self) -> bytes:
        """The same lines without the graph, for a Graph Store Protocol PUT.
        A line cannot hold a raw newline, so the suffix matches only at ends."""
        return self.nquads.replace(b" <" + self.iri.encode("utf-8") + b"> .\n", b" .\n")

    def digest(self) -> str:
        return hashlib.sha256(self.nquads).hexdigest()


def graphs_of_dump(path: Path) -> Iterator[GraphBody]:
    """Each named graph of the N-Quads file ``path``, in the file's order."""
    seen: set[str] = set()
    lines: list[bytes] = []
    current: bytes | None = None

    def flush() -> GraphBody:
        iri = current.decode("utf-8")  # type: ignore[union-attr]
        if iri in seen:
            raise ExternalStoreError(f"{path}: graph <{iri}> is not in one piece; the dump "
                                     "was not written by newsgraph build")
        seen.add(iri)
        return GraphBody(iri, b"".join(lines), len(lines))

    try:
        with path.open("rb") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip() or line.startswith(b"#"):
                    continue
                start = line.rfind(b" <")
                if not line.endswith(b"> .\n") or start < 0:
                    raise ExternalStoreError(f"{path}:{number}: not a quad in a named graph")
                graph = line[start + 2:-4]
                if graph != current:
                    if current is not None:
                        yield flush()
                    current, lines = graph, []
                lines.append(line)
    except OSError as exc:
        raise ExternalStoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    if current is not None:
        yield flush()

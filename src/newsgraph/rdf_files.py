"""Read RDF files we are handed (ontology, shapes, data to serve) without surprises.

rdflib follows remote and ``file:`` JSON-LD contexts, expands RDF/XML entities
(quadratic time on tiny inputs) and chokes on a UTF-8 BOM with an unhelpful
message. Everything that reaches a parser goes through here first, so the
answer to such input is a clear error that names the file, and nothing is
fetched.
"""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import Dataset, Graph
from rdflib.namespace import OWL

FORMATS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
}


class RdfFileError(ValueError):
    """The file cannot be used; the message names it and says why."""


def _check_context(value: object, where: str) -> None:
    """Only inline context objects are allowed: a string is a reference to fetch."""
    if isinstance(value, str):
        raise RdfFileError(f"{where}: remote JSON-LD @context {value!r} refused; inline the "
                           "context (newsgraph never fetches contexts)")
    if isinstance(value, list):
        for item in value:
            _check_context(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "@import":
                raise RdfFileError(f"{where}: JSON-LD @import refused")
            if isinstance(item, dict) and "@context" in item:
                _check_context(item["@context"], where)


def _walk_contexts(doc: object, where: str) -> None:
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "@context":
                _check_context(value, where)
            else:
                _walk_contexts(value, where)
    elif isinstance(doc, list):
        for item in doc:
            _walk_contexts(item, where)


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raise RdfFileError(f"{path.name}: starts with a byte order mark; save as UTF-8 without BOM")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RdfFileError(f"{path.name}: invalid UTF-8 at byte {exc.start}") from None


def parse_file(path: Path, into: Graph | None = None, allow_imports: bool = False) -> Graph:
    """Parse one RDF file safely into ``into`` (a Dataset for quad formats)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RdfFileError(f"{path.name}: unknown RDF format (use {', '.join(sorted(FORMATS))})")
    text = read_text(path)
    if fmt == "json-ld":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RdfFileError(f"{path.name}: not JSON: {exc}") from None
        _walk_contexts(doc, path.name)
    if fmt == "xml" and "<!DOCTYPE" in text.upper():
        raise RdfFileError(f"{path.name}: RDF/XML with a DOCTYPE refused (entity expansion)")
    graph = into if into is not None else (Dataset() if fmt in ("nquads", "trig") else Graph())
    try:
        graph.parse(data=text, format=fmt, publicID="urn:newsgraph:no-base:")
    except Exception as exc:  # rdflib raises many types; all mean "cannot parse"
        raise RdfFileError(f"{path.name}: cannot parse as {fmt}: {exc}") from None
    if not allow_imports and (None, OWL.imports, None) in graph:
        raise RdfFileError(f"{path.name}: owl:imports refused (nothing is fetched at build time)")
    return graph


def read_folder(folder: Path, pattern: str = "*.ttl") -> Graph:
    """Every matching file of ``folder`` in one graph, in name order."""
    graph = Graph()
    files = sorted(folder.glob(pattern))
    if not files:
        raise RdfFileError(f"{folder.name}/: no {pattern} files")
    for path in files:
        parse_file(path, into=graph)
    return graph

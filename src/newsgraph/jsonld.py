"""The one JSON-LD writer: descriptions, SPARQL graph answers and the dataset dump.

Every JSON-LD newsgraph writes is compacted against the shipped context
(``resources/context.jsonld``, the namespace table of :mod:`newsgraph.iris`),
inlined in each document so no reader fetches anything, and written in one
shape: node objects sorted by ``@id``, their keys and values sorted, so the same
triples give the same bytes.

The shipped context holds prefix definitions only (no type coercion, no
containers), so compaction is small and exact and done here rather than by a
general processor: an IRI becomes ``prefix:local`` under the longest namespace
that covers it (unless the local part is empty or starts with ``//``, which a
reader would not expand back), ``rdf:type`` becomes ``@type``, an
``xsd:string`` literal a plain string, any other literal a value object; a key
with one value holds it bare, with several an array. Blank nodes keep their
labels as ``_:label``.

:func:`write_dataset` writes a dataset graph by graph as each arrives, so the
memory it needs is that of the largest graph, whatever the number of graphs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import BinaryIO

import pyoxigraph as ox

from newsgraph.resources import CONTEXT_FILE

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

Subject = ox.NamedNode | ox.BlankNode
GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph
Node = dict[str, object]


@cache
def context() -> dict[str, object]:
    """The shipped context's body (what ``@context`` holds in every document)."""
    return json.loads(CONTEXT_FILE.read_text("utf-8"))["@context"]


@cache
def _prefixes() -> tuple[tuple[str, str], ...]:
    """(prefix, namespace) of the context, longest namespace first."""
    found = [(p, ns) for p, ns in context().items()
             if not p.startswith("@") and isinstance(ns, str)]
    return tuple(sorted(found, key=lambda item: (-len(item[1]), item[0])))


def compact_iri(iri: str) -> str:
    """The IRI as the shipped context writes it: ``prefix:local``, or whole."""
    for prefix, ns in _prefixes():
        local = iri[len(ns):]
        if iri.startswith(ns) and local and not local.startswith("//"):
            return f"{prefix}:{local}"
    scheme = iri.split(":", 1)[0]
    if scheme in context() or ":" not in iri:
        # a reader would expand it as a CURIE or resolve it against the document
        raise ValueError(f"{iri!r} cannot be written as an absolute IRI in JSON-LD here")
    return iri


def _ref(term: Subject) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else compact_iri(term.value)


def _value(term: object) -> object:
    if isinstance(term, ox.Literal):
        if term.language:
            out: Node = {"@value": term.value, "@language": term.language}
            direction = getattr(term, "direction", None)
            if direction is not None:
                out["@direction"] = str(getattr(direction, "value", direction))
            return out
        if term.datatype.value == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": compact_iri(term.datatype.value)}
    if isinstance(term, ox.NamedNode | ox.BlankNode):
        return {"@id": _ref(term)}
    raise TypeError(f"JSON-LD 1.1 has no form for {term!r}")


def _sort_key(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def nodes(triples: Iterable[ox.Triple | ox.Quad]) -> list[Node]:
    """The node objects of ``triples`` (graph names ignored), in a stable order."""
    found: dict[str, dict[str, list[object]]] = {}
    for t in triples:
        node = found.setdefault(_ref(t.subject), {})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(compact_iri(t.object.value))
        else:
            node.setdefault(compact_iri(t.predicate.value), []).append(_value(t.object))
    out = []
    for key in sorted(found):
        node: Node = {"@id": key}
        for prop in sorted(found[key]):
            values = sorted({_sort_key(v): v for v in found[key][prop]}.items())
            node[prop] = values[0][1] if len(values) == 1 else [v for _, v in values]
        out.append(node)
    return out


def document(triples: Iterable[ox.Triple | ox.Quad]) -> dict[str, object]:
    """A graph (a description, a CONSTRUCT answer) as one compacted document."""
    return {"@context": context(), "@graph": nodes(triples)}


def dumps(doc: object, *, compact: bool = False) -> str:
    """The text of a document: indented by one space, or on one line."""
    if compact:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(doc, ensure_ascii=False, indent=1)


def graph_bytes(triples: Iterable[ox.Triple | ox.Quad]) -> bytes:
    """A graph as the bytes of a JSON-LD document (a final newline included)."""
    return (dumps(document(triples)) + "\n").encode("utf-8")


def _graph_key(name: GraphName) -> tuple[int, str]:
    # the N-Quads form (str of the term), the order a sort of quads gives
    return (0, "") if isinstance(name, ox.DefaultGraph) else (1, str(name))


# A dataset document is dataset_head(), then each graph's graph_item() with
# ITEM_SEPARATOR between them, then dataset_tail(): a writer holding each graph's
# item already (a build cache) puts the same bytes together as write_dataset.
ITEM_SEPARATOR = b","


def dataset_head() -> bytes:
    """A dataset document up to its first graph: the context inline, then ``"@graph": [``."""
    head = dumps({"@context": context()})[:-2]  # the document up to its closing "}"
    return f'{head},\n "@graph": ['.encode()


def graph_item(name: GraphName, triples: Iterable[ox.Quad | ox.Triple]) -> bytes:
    """One graph of a dataset document: a named graph as ``{"@id", "@graph"}``,
    the default graph as its nodes, each item on lines of its own."""
    items: list[object] = nodes(triples)
    if not isinstance(name, ox.DefaultGraph):
        items = [{"@id": _ref(name), "@graph": items}]  # type: ignore[arg-type]
    return ITEM_SEPARATOR.join(
        ("\n  " + dumps(item).replace("\n", "\n  ")).encode() for item in items)


def dataset_tail(empty: bool = False) -> bytes:
    return b"]\n}\n" if empty else b"\n ]\n}\n"


def write_dataset(out: BinaryIO,
                  graphs: Iterable[tuple[GraphName, Iterable[ox.Quad | ox.Triple]]]) -> None:
    """Write a dataset to ``out`` as one JSON-LD document, one graph at a time.

    ``graphs`` yields (graph name, its quads or triples), each graph once, the
    default graph first if at all and the named ones ascending by their N-Quads
    form, ``str(name)``, as sorting quads by it gives; otherwise a ``ValueError``
    (the order is what makes two builds byte-identical). Only one graph is held
    at a time. The bytes are those of :func:`dumps` on the whole document, with
    a final newline."""
    out.write(dataset_head())
    last: tuple[int, str] | None = None
    first = True
    for name, quads in graphs:
        key = _graph_key(name)
        if last is not None and key <= last:
            raise ValueError(f"graph {key[1] or 'default'} out of order or repeated")
        last = key
        item = graph_item(name, quads)
        if item:
            out.write(item if first else ITEM_SEPARATOR + item)
            first = False
    out.write(dataset_tail(empty=first))

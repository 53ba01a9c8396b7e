"""One renderer per output format (as Datasette does): a view builds its data
once; negotiation only picks which of these turns it into bytes.

Every renderer takes a :class:`View` (the triples, plus how to draw the HTML
page) and returns the response body. RDF is written by pyoxigraph; JSON-LD is
compacted here against the project's own context, written inline in each
document, so no client ever needs to fetch a remote context.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from newsgraph.iris import PREFIXES
from newsgraph.server.web.negotiation import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, Format

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# the data's prefixes, and FOAF, which only descriptions use (to say what the
# document is); kept out of newsgraph.iris so the dumps stay as they are
DESCRIPTION_PREFIXES = {**PREFIXES, "foaf": "http://xmlns.com/foaf/0.1/"}


@dataclass(frozen=True)
class View:
    """What every renderer needs: the triples, and the HTML page drawn around
    the JSON-LD that is embedded in it."""

    triples: list[ox.Triple]
    page: Callable[[str], str]


def _used_prefixes(triples: Iterable[ox.Triple]) -> dict[str, str]:
    text = " ".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
    return {p: ns for p, ns in DESCRIPTION_PREFIXES.items() if ns in text}


def turtle(view: View) -> bytes:
    return ox.serialize(
        view.triples, format=ox.RdfFormat.TURTLE, prefixes=_used_prefixes(view.triples)
    )


def ntriples(view: View) -> bytes:
    return ox.serialize(view.triples, format=ox.RdfFormat.N_TRIPLES)


def rdfxml(view: View) -> bytes:
    return ox.serialize(
        view.triples, format=ox.RdfFormat.RDF_XML, prefixes=_used_prefixes(view.triples)
    )


def _compact(iri: str, context: dict[str, str]) -> str:
    """``prefix:local`` where a namespace of the context covers the IRI, else the IRI."""
    best = ""
    for prefix, ns in context.items():
        if iri.startswith(ns) and len(iri) > len(ns) and len(ns) > len(context.get(best, "")):
            best = prefix
    if not best:
        return iri
    local = iri[len(context[best]) :]
    # "//" right after the colon would read as an absolute IRI; keep those whole
    return iri if local.startswith("//") else f"{best}:{local}"


def _node_ref(term: ox.NamedNode | ox.BlankNode, context: dict[str, str]) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else _compact(term.value, context)


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal, context: dict[str, str]) -> object:
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": _compact(term.datatype.value, context)}
    return {"@id": _node_ref(term, context)}


def jsonld_document(triples: list[ox.Triple]) -> dict[str, object]:
    """Compacted JSON-LD: one node object per subject under ``@graph``."""
    context = _used_prefixes(triples)
    nodes: dict[str, dict[str, object]] = {}
    for t in triples:
        key = _node_ref(t.subject, context)
        node = nodes.setdefault(key, {"@id": key})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(_compact(t.object.value, context))  # type: ignore[union-attr]
        else:
            node.setdefault(_compact(t.predicate.value, context), []).append(  # type: ignore[union-attr]
                _value(t.object, context)
            )
    return {"@context": context, "@graph": list(nodes.values())}


def jsonld(view: View) -> bytes:
    return json.dumps(jsonld_document(view.triples), ensure_ascii=False, indent=1).encode("utf-8")


def jsonld_for_script(triples: list[ox.Triple]) -> str:
    """JSON-LD safe inside ``<script type="application/ld+json">``: no ``<``, ``>``
    or ``&`` survives, so ``</script>`` in a literal cannot close the element."""
    text = json.dumps(jsonld_document(triples), ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def html(view: View) -> bytes:
    return view.page(jsonld_for_script(view.triples)).encode("utf-8")


RENDERERS: dict[Format, Callable[[View], bytes]] = {
    HTML: html,
    TURTLE: turtle,
    JSONLD: jsonld,
    NTRIPLES: ntriples,
    RDFXML: rdfxml,
}


def render(fmt: Format, view: View) -> bytes:
    return RENDERERS[fmt](view)

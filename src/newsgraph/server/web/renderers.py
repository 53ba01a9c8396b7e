"""One renderer per output format (as Datasette does): a view builds its data
once; negotiation only picks which of these turns it into bytes.

Every renderer takes a :class:`View` (the triples, plus how to draw the HTML
page) and returns the response body. RDF is written by pyoxigraph; JSON-LD by
newsgraph.jsonld, the one JSON-LD writer, compacted against the shipped
context, written inline in each document, so no client ever needs to fetch a
remote context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from newsgraph import jsonld as jsonld_writer
from newsgraph.iris import PREFIXES
from newsgraph.server.web.negotiation import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, Format


@dataclass(frozen=True)
class View:
    """What every renderer needs: the triples, and the HTML page drawn around
    the JSON-LD that is embedded in it."""

    triples: list[ox.Triple]
    page: Callable[[str], str]


def _used_prefixes(triples: Iterable[ox.Triple]) -> dict[str, str]:
    text = " ".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
    return {p: ns for p, ns in PREFIXES.items() if ns in text}


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


def jsonld_document(triples: list[ox.Triple]) -> dict[str, object]:
    """Compacted JSON-LD with the shipped context (newsgraph.jsonld, the one writer)."""
    return jsonld_writer.document(triples)


def jsonld(view: View) -> bytes:
    return jsonld_writer.graph_bytes(view.triples)


def jsonld_for_script(triples: list[ox.Triple]) -> str:
    """JSON-LD safe inside ``<script type="application/ld+json">``: no ``<``, ``>``
    or ``&`` survives, so ``</script>`` in a literal cannot close the element."""
    text = jsonld_writer.dumps(jsonld_document(triples), compact=True)
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

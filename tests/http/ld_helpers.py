"""Helpers for the HTTP tests: parsers for every format a description comes in
(rdflib, independent of the pyoxigraph serialisers the server uses), HTML
readers, and requests sent byte for byte as written."""

from __future__ import annotations

import http.client
import json
from html.parser import HTMLParser

from rdflib import Graph, URIRef

BASE = "https://w3id.org/newsgraph/"
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}
EXTENSIONS = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._current: dict[str, str | None] | None = None
        self._data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._current, self._data = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._data.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append((self._current, "".join(self._data)))
            self._current = None


def scripts_of(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Scripts()
    parser.feed(html)
    return parser.scripts


def embedded_jsonld(html: str) -> str:
    blocks = [b for attrs, b in scripts_of(html) if attrs.get("type") == "application/ld+json"]
    assert len(blocks) == 1, f"expected one JSON-LD block, found {len(blocks)}"
    json.loads(blocks[0])  # must be valid JSON as it stands
    return blocks[0]


def parse_rdf(body: bytes, content_type: str | None) -> Graph:
    """The graph of a response, whatever its RDF format (HTML: its embedded JSON-LD)."""
    mtype = media_type(content_type)
    graph = Graph()
    if mtype == "text/html":
        graph.parse(data=embedded_jsonld(body.decode("utf-8")), format="json-ld")
    else:
        graph.parse(data=body, format=RDF_FORMATS[mtype])
    return graph


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])  # type: ignore[arg-type]
        if found.get("id"):
            self.ids.append(found["id"])  # type: ignore[arg-type]


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def ids_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.ids


class _Sections(HTMLParser):
    """The text of each element that has an id, including its descendants."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "col", "area", "base", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.texts: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        ident = dict(attrs).get("id")
        self.stack.append(ident)
        if ident:
            self.texts.setdefault(ident, [])

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for ident in self.stack:
            if ident:
                self.texts[ident].append(data)


def sections_of(html: str) -> dict[str, str]:
    parser = _Sections()
    parser.feed(html)
    return {k: " ".join("".join(v).split()) for k, v in parser.texts.items()}


def raw_request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> http.client.HTTPResponse:
    """A request with the path sent exactly as given (no client-side normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest(method, path, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response



def path_of(iri: str) -> str:
    assert iri.startswith(BASE)
    return "/" + iri[len(BASE):]


def own_triples(graph: Graph, iri: str) -> set[tuple]:
    """The triples of a thing and of its hash sub-nodes."""
    return {
        (s, p, o) for s, p, o in graph
        if isinstance(s, URIRef) and (str(s) == iri or str(s).startswith(iri + "#"))
    }

"""The linked-data and SPARQL HTTP checks as a list of requests, replayed on two
servers and compared answer by answer: status, Content-Type, Location, and
the body as what it means — RDF parsed back (isomorphic graphs), SPARQL
results as rows of terms (datatypes and languages included), text as text.

What is asked is what tests/http and tests/sparql ask of the embedded store:
every thing's 303 and its description (Turtle and HTML for all, every format
for one thing of each kind), the named graphs, the pages and lists, the
dataset and service descriptions, and the SPARQL protocol (forms, formats,
datasets by FROM and by the protocol, ASK, CONSTRUCT, errors).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic, to_isomorphic

BASE = "https://w3id.org/newsgraph/"
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}
RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
# headers whose values must be equal (others, such as Date or ETag, may not be)
COMPARED_HEADERS = ("Location", "Content-Location", "Vary", "Allow", "Link", "Retry-After")

ARTICLE_GRAPH = f"{BASE}graph/cubaheadlines-309517"
ENTITIES_GRAPH = f"{BASE}graph/entities"
WANG = f"{BASE}id/person/wang-xiaohong"
PREFIXES = ("PREFIX schema: <https://schema.org/>\n"
            "PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>\n"
            "PREFIX org: <http://www.w3.org/ns/org#>\n")

# (name, query, extra parameters, headers): each SPARQL check of tests/sparql
# whose answer is the data's (limits and processes are tested there)
SPARQL_CHECKS: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    ("count of the union", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {}, {}),
    ("graphs", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g", {}, {}),
    ("names with languages", PREFIXES + "SELECT ?x ?name WHERE { ?x schema:name ?name } "
     "ORDER BY ?x ?name", {}, {}),
    # (LANG first: Virtuoso 7.2 gives a language-tagged string no DATATYPE)
    ("typed literals", PREFIXES + "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && "
     "LANG(?o) = '' && DATATYPE(?o) != <http://www.w3.org/2001/XMLSchema#string>) } "
     "ORDER BY ?s ?p ?o", {}, {}),
    ("language tags", PREFIXES + "SELECT DISTINCT ?l WHERE { ?s ?p ?o BIND(LANG(?o) AS ?l) } "
     "ORDER BY ?l", {}, {}),
    ("offsets", PREFIXES + "SELECT ?x ?b ?e WHERE { ?x nif:beginIndex ?b ; nif:endIndex ?e } "
     "ORDER BY ?x", {}, {}),
    ("aggregate by class", "SELECT ?c (COUNT(?x) AS ?n) WHERE { ?x a ?c } GROUP BY ?c "
     "ORDER BY ?c", {}, {}),
    ("optional and unbound", PREFIXES + "SELECT ?p ?same WHERE { ?p a schema:Person "
     "OPTIONAL { ?p <http://www.w3.org/2002/07/owl#sameAs> ?same } } ORDER BY ?p", {}, {}),
    ("from a graph", PREFIXES + f"SELECT ?x ?name FROM <{ENTITIES_GRAPH}> WHERE "
     "{ ?x schema:name ?name } ORDER BY ?x ?name", {}, {}),
    ("from named", f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{ARTICLE_GRAPH}> WHERE "
     "{ GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", {}, {}),
    ("default-graph-uri", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
     {"default-graph-uri": ARTICLE_GRAPH}, {}),
    ("named-graph-uri", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
     {"named-graph-uri": ENTITIES_GRAPH}, {}),
    ("ask yes", f"ASK {{ <{WANG}> ?p ?o }}", {}, {}),
    ("ask no", "ASK { <http://nowhere.example/x> ?p ?o }", {},
     {"Accept": "application/sparql-results+xml"}),
    ("construct a graph", f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ARTICLE_GRAPH}> "
     "{ ?s ?p ?o } }", {}, {"Accept": "text/turtle"}),
    ("construct as n-triples", PREFIXES + "CONSTRUCT { ?p <http://example.org/named> ?n } "
     "WHERE { ?p a schema:Person ; schema:name ?n }", {}, {"Accept": "application/n-triples"}),
    ("select as xml", PREFIXES + "SELECT ?p ?n WHERE { ?p a schema:Person ; schema:name ?n } "
     "ORDER BY ?p ?n", {}, {"Accept": "application/sparql-results+xml"}),
    ("select as tsv", PREFIXES + "SELECT ?p ?n WHERE { ?p a schema:Person ; schema:name ?n } "
     "ORDER BY ?p ?n", {}, {"Accept": "text/tab-separated-values"}),
    ("select as csv", PREFIXES + "SELECT ?p ?n WHERE { ?p a schema:Person ; schema:name ?n } "
     "ORDER BY ?p ?n", {"format": "csv"}, {}),
    ("relative IRI against the base", "SELECT ?n WHERE { <id/person/wang-xiaohong> "
     "<https://schema.org/name> ?n } ORDER BY ?n", {}, {}),
    ("values and bind", PREFIXES + f"SELECT ?x ?l WHERE {{ VALUES ?x {{ <{WANG}> }} "
     "?x schema:name ?n BIND(LANG(?n) AS ?l) } ORDER BY ?l", {}, {}),
    ("update refused", "", {"update": "DROP ALL"}, {}),
    ("service refused", "SELECT * WHERE { SERVICE <http://example.org/sparql> "
     "{ ?s ?p ?o } }", {}, {}),
    ("from outside the dataset", "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
     {}, {}),
    ("unacceptable format", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", {},
     {"Accept": "image/png"}),
]


@dataclass
class Request:
    name: str
    path: str
    method: str = "GET"
    params: dict[str, Any] | list[tuple[str, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | bytes | None = None


def requests_for(things: list[str], graphs: list[str]) -> list[Request]:
    """Every request of the replay, for the release's ``things`` (IRIs) and graphs."""
    out: list[Request] = []
    one_of_each: dict[str, str] = {}
    for iri in things:
        path = "/" + iri[len(BASE):]
        doc = path.replace("/id/", "/doc/", 1)
        kind = path.split("/")[2]
        one_of_each.setdefault(kind, iri)
        out.append(Request(f"303 {path}", path, headers={"Accept": "text/turtle"}))
        out.append(Request(f"{doc} as turtle", doc, headers={"Accept": "text/turtle"}))
        out.append(Request(f"{doc} as html", doc, headers={"Accept": "text/html"}))
    for iri in one_of_each.values():
        doc = "/" + iri[len(BASE):].replace("id/", "doc/", 1)
        for accept in ("application/ld+json", "application/n-triples", "application/rdf+xml"):
            out.append(Request(f"{doc} as {accept}", doc, headers={"Accept": accept}))
    for graph in graphs:
        slug = graph.rsplit("/", 1)[-1]
        if "/graph/" not in graph:
            continue  # the ontology is /def, from the release's files
        out.append(Request(f"graph {slug}.nt", f"/graph/{slug}.nt"))
        out.append(Request(f"graph {slug} page", f"/graph/{slug}", headers={"Accept": "text/html"}))
    out.append(Request("no such graph", "/graph/nothing-here.nt"))
    out.append(Request("no such thing", "/id/person/nobody-at-all",
                       headers={"Accept": "text/turtle"}))
    for path in ("/", "/meetings", "/network", "/tables", "/dataset", "/dumps",
                 "/search?q=wang", "/search?q=cuba", "/browse/person", "/browse/organization",
                 "/suggest/entity?prefix=wan"):
        out.append(Request(f"page {path}", path, headers={"Accept": "text/html"}))
    out.append(Request("dataset as turtle", "/dataset", headers={"Accept": "text/turtle"}))
    for table in ("people", "meetings", "statements", "mentions"):
        out.append(Request(f"table {table}.csv", f"/tables/{table}.csv"))
        out.append(Request(f"table {table}.json", f"/tables/{table}.json"))
    out.append(Request("service description", "/sparql", headers={"Accept": "text/turtle"}))
    for name, query, params, headers in SPARQL_CHECKS:
        fields = {**({"query": query} if query else {}), **params}
        out.append(Request(f"sparql GET {name}", "/sparql", params=fields, headers=headers))
    name, query, _, headers = SPARQL_CHECKS[2]
    out.append(Request("sparql POST form", "/sparql", "POST", data={"query": query}))
    out.append(Request("sparql POST direct", "/sparql", "POST", data=query.encode(),
                       headers={"Content-Type": "application/sparql-query"}))
    return out


def send(base_url: str, req: Request) -> requests.Response:
    return requests.request(req.method, base_url + req.path, params=req.params,
                            headers=req.headers, data=req.data, allow_redirects=False,
                            timeout=60)


def _media(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


XSD = "http://www.w3.org/2001/XMLSchema#"
# The one known difference of datatypes (tests/external/test_answers.py): the
# embedded store, like Oxigraph server, reads xsd:nonNegativeInteger and the
# other integer subtypes back as xsd:integer; Virtuoso keeps the release's.
INTEGER_SUBTYPES = {f"{XSD}{t}" for t in (
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


def _term(term: object) -> tuple[str, ...] | None:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in INTEGER_SUBTYPES:
            datatype = f"{XSD}integer"
        return ("literal", term.value, datatype, term.language or "")
    if isinstance(term, ox.BlankNode):
        return ("bnode",)  # labels are the engine's own
    return ("iri", getattr(term, "value", str(term)))


def _integers(graph: Graph) -> Graph:
    """``graph`` with the integer subtypes read as xsd:integer (see INTEGER_SUBTYPES)."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype is not None and str(o.datatype) in \
                INTEGER_SUBTYPES:
            o = Literal(str(o), datatype=URIRef(f"{XSD}integer"))
        out.add((s, p, o))
    return out


def meaning(response: requests.Response) -> object:
    """What the body says, in a form two engines' answers can be compared in."""
    media = _media(response)
    body = response.content
    if response.status_code >= 400:
        return None  # messages may name the engine; the status says what happened
    if media in RDF_TYPES:
        graph = Graph()
        if media in ("application/n-quads", "application/trig"):
            from rdflib import Dataset

            ds = Dataset()
            ds.parse(data=body, format=RDF_TYPES[media])
            for s, p, o, _ in ds.quads():
                graph.add((s, p, o))
        else:
            graph.parse(data=body, format=RDF_TYPES[media])
        return to_isomorphic(_integers(graph))
    if media in RESULT_TYPES:
        answer = ox.parse_query_results(body, format=RESULT_TYPES[media])
        if isinstance(answer, ox.QueryBoolean):
            return bool(answer)
        names = [v.value for v in answer.variables]
        return names, [tuple(_term(row[n]) for n in names) for row in answer]
    if media == "text/csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8"))))
    if media == "application/json":
        return json.loads(body)
    return body.decode("utf-8", errors="replace")


def difference(req: Request, want: requests.Response, got: requests.Response) -> str | None:
    """Why ``got`` is not the answer ``want`` is (None: it is)."""
    if want.status_code != got.status_code:
        return f"{req.name}: status {got.status_code}, not {want.status_code}: {got.text[:300]}"
    if want.headers.get("Content-Type") != got.headers.get("Content-Type"):
        return (f"{req.name}: Content-Type {got.headers.get('Content-Type')}, not "
                f"{want.headers.get('Content-Type')}")
    for name in COMPARED_HEADERS:
        if want.headers.get(name) != got.headers.get(name):
            return f"{req.name}: {name} {got.headers.get(name)!r}, not {want.headers.get(name)!r}"
    a, b = meaning(want), meaning(got)
    if isinstance(a, Graph) and isinstance(b, Graph):
        if not isomorphic(a, b):
            return f"{req.name}: graphs differ ({len(b)} triples, {len(a)} wanted)"
        return None
    if isinstance(a, tuple) and isinstance(b, tuple) and "ORDER BY" not in (
            str(req.params or "") + str(req.data or "")):
        a, b = (a[0], Counter(a[1])), (b[0], Counter(b[1]))  # no order asked: a multiset
    if a != b:
        return f"{req.name}: answers differ:\n{str(b)[:600]}\nwanted:\n{str(a)[:600]}"
    return None

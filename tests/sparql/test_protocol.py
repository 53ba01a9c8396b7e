"""The SPARQL 1.1 Protocol over real HTTP against ``newsgraph serve`` on the built data.

Answers are read back (SPARQL results by pyoxigraph's parsers, graphs by rdflib)
and compared with what the dump holds, not matched as strings.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from .conftest import SPARQL_JSON

pytestmark = pytest.mark.http

BASE = "https://w3id.org/newsgraph/"
ARTICLE_GRAPH = BASE + "graph/cubaheadlines-309517"
ENTITIES_GRAPH = BASE + "graph/entities"
WANG = BASE + "id/person/wang-xiaohong"
NAME = f"SELECT ?name WHERE {{ <{WANG}> <https://schema.org/name> ?name }}"


@pytest.fixture(scope="module")
def dump(built_dist) -> Dataset:
    ds = Dataset()
    ds.parse(built_dist / "newsgraph.nq", format="nquads")
    return ds


XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_SUBTYPES = {XSD + t for t in ("nonNegativeInteger", "positiveInteger", "negativeInteger",
                                      "nonPositiveInteger", "long", "int", "short", "byte",
                                      "unsignedLong", "unsignedInt", "unsignedShort",
                                      "unsignedByte")}


def as_stored(graph: Graph) -> Graph:
    """The graph as the store answers it: pyoxigraph keeps integer subtypes (our span
    offsets are xsd:nonNegativeInteger) as xsd:integer (oxigraph#526)."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and str(o.datatype) in INTEGER_SUBTYPES:
            o = Literal(str(o), datatype=URIRef(XSD + "integer"))
        out.add((s, p, o))
    return out


def rows(resp) -> list[dict]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith(SPARQL_JSON)
    return resp.json()["results"]["bindings"]


def test_query_by_get_post_form_and_post_direct_give_the_same_answer(live_server):
    by_get = live_server.get("/sparql", params={"query": NAME})
    by_form = live_server.request("POST", "/sparql", data={"query": NAME})
    by_direct = live_server.request("POST", "/sparql", data=NAME.encode(),
                                    headers={"Content-Type": "application/sparql-query"})
    answers = [rows(r) for r in (by_get, by_form, by_direct)]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0] == [{"name": {"type": "literal", "value": "Wang Xiaohong",
                                    "xml:lang": "en"}}]


def test_the_default_graph_is_the_union_of_the_named_graphs(live_server, dump):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = int(rows(live_server.get("/sparql", params={"query": count}))[0]["n"]["value"])
    distinct = {(s, p, o) for s, p, o, _ in dump.quads((None, None, None, None))}
    assert union == len(distinct)
    graphs = rows(live_server.get("/sparql", params={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}))
    named = {str(g.identifier) for g in dump.graphs() if len(g)}
    assert {b["g"]["value"] for b in graphs} == named - {"urn:x-rdflib:default"}


def test_each_article_graph_can_be_queried_by_name(live_server, dump):
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ARTICLE_GRAPH}> {{ ?s ?p ?o }} }}"
    resp = live_server.get("/sparql", params={"query": query}, headers={"Accept": "text/turtle"})
    assert resp.status_code == 200
    got = Graph().parse(data=resp.text, format="turtle")
    expected = Graph()
    for triple in dump.graph(URIRef(ARTICLE_GRAPH)):
        expected.add(triple)
    assert len(expected) > 100
    assert isomorphic(got, as_stored(expected))


def test_default_graph_uri_makes_the_default_graph(live_server):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_article = rows(live_server.get("/sparql", params={
        "query": count, "default-graph-uri": ARTICLE_GRAPH}))[0]["n"]["value"]
    in_register = rows(live_server.get("/sparql", params={
        "query": count, "default-graph-uri": ENTITIES_GRAPH}))[0]["n"]["value"]
    both = rows(live_server.get("/sparql", params=[
        ("query", count), ("default-graph-uri", ARTICLE_GRAPH),
        ("default-graph-uri", ENTITIES_GRAPH)]))[0]["n"]["value"]
    assert int(both) == int(in_article) + int(in_register)
    # Wang's name is in the register, not in the article's graph
    assert rows(live_server.get("/sparql", params={"query": NAME,
                                                   "default-graph-uri": ARTICLE_GRAPH})) == []
    assert len(rows(live_server.get("/sparql", params={"query": NAME,
                                                       "default-graph-uri": ENTITIES_GRAPH}))) == 1


def test_named_graph_uri_limits_the_named_graphs(live_server):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    got = rows(live_server.request("POST", "/sparql?named-graph-uri=" + ENTITIES_GRAPH,
                                   data=query.encode(),
                                   headers={"Content-Type": "application/sparql-query"}))
    assert [b["g"]["value"] for b in got] == [ENTITIES_GRAPH]
    # with only named graphs given, the default graph is empty
    assert rows(live_server.get("/sparql", params={"query": NAME,
                                                   "named-graph-uri": ENTITIES_GRAPH})) == []


def test_from_in_the_query_names_graphs_of_the_dataset(live_server):
    query = NAME.replace("WHERE", f"FROM <{ENTITIES_GRAPH}> WHERE")
    assert len(rows(live_server.get("/sparql", params={"query": query}))) == 1
    query = query.replace(ENTITIES_GRAPH, ARTICLE_GRAPH)
    assert rows(live_server.get("/sparql", params={"query": query})) == []


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        (None, SPARQL_JSON, ox.QueryResultsFormat.JSON),
        ("*/*", SPARQL_JSON, ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", "application/sparql-results+xml",
         ox.QueryResultsFormat.XML),
        ("text/tab-separated-values", "text/tab-separated-values", ox.QueryResultsFormat.TSV),
        ("application/json;q=0.5, application/sparql-results+xml;q=0.9",
         "application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ],
)
def test_select_answers_in_each_results_format(live_server, accept, media_type, fmt):
    query = ("SELECT ?person ?name WHERE { ?person a <https://schema.org/Person> ; "
             "<https://schema.org/name> ?name } ORDER BY ?person")
    headers = {"Accept": accept} if accept else {}
    resp = live_server.get("/sparql", params={"query": query}, headers=headers)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].split(";")[0] == media_type
    assert "Accept" in resp.headers["Vary"]
    parsed = list(ox.parse_query_results(resp.content, fmt))
    names = {row["name"].value for row in parsed}
    assert "Wang Xiaohong" in names and len(parsed) >= 5


def test_select_answers_in_csv(live_server):
    import csv
    import io

    resp = live_server.get("/sparql", params={"query": NAME, "format": "csv"})
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert list(csv.reader(io.StringIO(resp.text))) == [["name"], ["Wang Xiaohong"]]


def test_ask_answers_a_boolean(live_server):
    yes = live_server.get("/sparql", params={"query": f"ASK {{ <{WANG}> ?p ?o }}"})
    assert yes.json() == {"head": {}, "boolean": True}
    no = live_server.get("/sparql", params={"query": "ASK { <http://nowhere/x> ?p ?o }"},
                         headers={"Accept": "application/sparql-results+xml"})
    assert bool(ox.parse_query_results(no.content, ox.QueryResultsFormat.XML)) is False


@pytest.mark.parametrize(
    ("accept", "media_type", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("text/turtle;charset=utf-8", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ('application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"',
         "application/ld+json", "json-ld"),
    ],
)
def test_describe_answers_the_same_graph_in_each_rdf_format(live_server, dump, accept,
                                                            media_type, rdflib_format):
    headers = {"Accept": accept} if accept else {}
    resp = live_server.get("/sparql", params={"query": f"DESCRIBE <{WANG}>"}, headers=headers)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].split(";")[0] == media_type
    got = Graph().parse(data=resp.content, format=rdflib_format)
    expected = Graph()
    for s, p, o, _ in dump.quads((URIRef(WANG), None, None, None)):
        expected.add((s, p, o))
    assert len(expected) >= 3
    assert isomorphic(got, as_stored(expected))


def test_construct_answers_turtle_by_default(live_server):
    query = ("CONSTRUCT { ?p <http://example.org/named> ?name } WHERE { ?p a "
             "<https://schema.org/Person> ; <https://schema.org/name> ?name }")
    resp = live_server.request("POST", "/sparql", data={"query": query})
    assert resp.headers["Content-Type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=resp.text, format="turtle")
    assert (URIRef(WANG), URIRef("http://example.org/named"), None) in graph


def test_unsupported_accept_is_406_listing_what_is_supported(live_server):
    resp = live_server.get("/sparql", params={"query": NAME}, headers={"Accept": "image/png"})
    assert resp.status_code == 406
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert "application/sparql-results+json" in resp.text and "text/csv" in resp.text


def test_service_description_on_a_get_without_query(live_server):
    resp = live_server.get("/sparql", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/turtle")
    sd = Graph().parse(data=resp.text, format="turtle")
    SD = "http://www.w3.org/ns/sparql-service-description#"
    # named by the public base, not by the address this client used (no reflection)
    endpoint = URIRef(BASE + "sparql")
    assert (endpoint, URIRef(SD + "endpoint"), endpoint) in sd
    assert (endpoint, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in sd
    assert (endpoint, URIRef(SD + "feature"), URIRef(SD + "UnionDefaultGraph")) in sd
    names = {str(o) for o in sd.objects(None, URIRef(SD + "name"))}
    assert {ARTICLE_GRAPH, ENTITIES_GRAPH, BASE[:-1] + "/def"} <= names
    formats = {str(o) for o in sd.objects(endpoint, URIRef(SD + "resultFormat"))}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_CSV" in formats


@pytest.mark.parametrize(("accept", "rdflib_format"), [("application/ld+json", "json-ld"),
                                                       ("application/rdf+xml", "xml"),
                                                       ("application/n-triples", "nt")])
def test_service_description_in_other_rdf_formats(live_server, accept, rdflib_format):
    turtle = Graph().parse(data=live_server.get("/sparql", headers={"Accept": "text/turtle"}).text,
                           format="turtle")
    resp = live_server.get("/sparql", headers={"Accept": accept})
    assert resp.headers["Content-Type"].split(";")[0] == accept
    assert isomorphic(Graph().parse(data=resp.content, format=rdflib_format), turtle)


def test_a_browser_gets_the_query_page(live_server):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = live_server.get("/sparql", headers={"Accept": browser_accept})
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert 'id="query-form"' in page.text
    assert "PREFIX schema: &lt;https://schema.org/&gt;" in page.text
    # a link with a query opens the page with that query in the editor
    linked = live_server.get("/sparql", params={"query": NAME}, headers={"Accept": browser_accept})
    assert linked.headers["Content-Type"].startswith("text/html")
    assert "data-autorun" in linked.text and WANG in linked.text
    # curl and libraries asking */* get data
    assert live_server.get("/sparql", params={"query": NAME}).headers[
        "Content-Type"].startswith(SPARQL_JSON)


def test_every_example_query_on_the_page_answers(live_server):
    from newsgraph.server.sparql.examples import EXAMPLES

    for example in EXAMPLES:
        resp = live_server.request("POST", "/sparql", data={"query": example.query},
                                   headers={"Accept": SPARQL_JSON + ", application/n-triples"})
        assert resp.status_code == 200, (example.slug, resp.text)
        if resp.headers["Content-Type"].startswith(SPARQL_JSON):
            assert resp.json()["results"]["bindings"], example.slug
        else:
            assert resp.text.strip(), example.slug


def test_every_example_query_names_the_article_of_each_row(live_server):
    from pathlib import Path

    from newsgraph.pipeline.annotations import load_corpus
    from newsgraph.server.sparql.examples import EXAMPLES
    from newsgraph.server.web.landing import EXAMPLE_QUERIES

    corpus = load_corpus(Path(__file__).resolve().parents[2] / "seeds")
    articles = {BASE + f"id/article/{a.slug}": a for a in corpus.articles}
    assert len(articles) >= 2  # else "across articles" proves nothing
    queries = [(e.slug, e.query) for e in EXAMPLES] + list(EXAMPLE_QUERIES)
    seen: set[str] = set()
    for name, query in queries:
        resp = live_server.request("POST", "/sparql", data={"query": query},
                                   headers={"Accept": SPARQL_JSON + ", application/n-triples"})
        assert resp.status_code == 200, (name, resp.text)
        if resp.headers["Content-Type"].startswith(SPARQL_JSON):
            bindings = rows(resp)
            assert bindings, name
            named = [b.get("article", {}).get("value") for b in bindings]
            assert all(n in articles for n in named), (name, set(named) - set(articles))
            seen |= set(named)
        else:  # DESCRIBE: the graph is about one article, the one it says
            graph = Graph().parse(data=resp.text, format="nt")
            described = {str(s) for s in graph.subjects() if str(s) in articles}
            latest = min(articles, key=lambda iri: (
                -articles[iri].meta["published"].toordinal(), iri))
            assert described == {latest}, (name, described)
    assert seen == set(articles)  # the examples reach every article


def test_cors_is_open_without_credentials_and_preflight_is_answered(live_server):
    resp = live_server.get("/sparql", params={"query": NAME}, headers={"Origin": "https://x.example"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in resp.headers
    pre = live_server.request("OPTIONS", "/sparql", headers={
        "Origin": "https://x.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code in (200, 204)
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "content-type" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert pre.headers["Access-Control-Allow-Origin"] == "*"


def test_json_answers_are_valid_json_even_with_hostile_literals(mini_server):
    resp = mini_server.get("/sparql", params={
        "query": "SELECT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o)) }"})
    assert resp.status_code == 200
    values = [b["o"]["value"] for b in json.loads(resp.text)["results"]["bindings"]]
    assert any("<script>" in v for v in values)
    assert resp.headers["X-Content-Type-Options"] == "nosniff"

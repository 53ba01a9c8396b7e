"""One negotiation on every route, over real HTTP: the same Accept header means
the same thing to a description and to the SPARQL endpoint, wildcards choose
main types, older media types are served, every negotiated answer varies on
Accept (errors too), and every route answers OPTIONS the same way."""

from __future__ import annotations

import pytest
from ld_helpers import media_type, parse_rdf
from rdflib import URIRef

pytestmark = pytest.mark.http

BASE = "https://w3id.org/newsgraph/"
WANG = BASE + "id/person/wang-xiaohong"
DOC = "/doc/person/wang-xiaohong"
NAME = f"SELECT ?name WHERE {{ <{WANG}> <https://schema.org/name> ?name }}"
DESCRIBE = f"DESCRIBE <{WANG}>"
SCHEMA_NAME = URIRef("https://schema.org/name")


def _sparql(server, query: str, accept: str | None = None, **params: str):
    headers = {"Accept": accept} if accept is not None else {}
    return server.get("/sparql", params={"query": query, **params}, headers=headers)


@pytest.mark.parametrize(
    ("accept", "on_doc", "on_describe"),
    [
        # one parser: a q above 1 is read as 1 on every route
        ("text/turtle;q=1.5", "text/turtle", "text/turtle"),
        # older names for the same formats
        ("text/n3", "text/turtle", "text/turtle"),
        ("text/plain", "application/n-triples", "application/n-triples"),
        ("application/xml", "application/rdf+xml", "application/rdf+xml"),
        ("application/x-turtle", "text/turtle", "text/turtle"),
        # wildcards choose main types, in each route's own order of preference
        ("application/*", "application/ld+json", "application/n-triples"),
        ("application/*, text/html;q=0.1", "application/ld+json", "application/n-triples"),
    ],
)
def test_an_accept_header_means_the_same_on_every_route(live_server, accept, on_doc,
                                                        on_describe):
    doc = live_server.get(DOC, headers={"Accept": accept})
    assert doc.status_code == 200, doc.text
    assert media_type(doc.headers["Content-Type"]) == on_doc
    graph = parse_rdf(doc.content, doc.headers["Content-Type"])
    assert (URIRef(WANG), SCHEMA_NAME, None) in graph
    described = _sparql(live_server, DESCRIBE, accept)
    assert described.status_code == 200, described.text
    assert media_type(described.headers["Content-Type"]) == on_describe
    graph = parse_rdf(described.content, described.headers["Content-Type"])
    assert (URIRef(WANG), SCHEMA_NAME, None) in graph


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/*", "text/csv"),  # not SPARQL XML through its alias text/xml
        ("application/*", "application/sparql-results+json"),
        ("application/xml", "application/sparql-results+xml"),
        ("text/xml", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=1.5, text/csv", "application/sparql-results+json"),
    ],
)
def test_select_answers_by_the_same_rules(live_server, accept, expected):
    resp = _sparql(live_server, NAME, accept)
    assert resp.status_code == 200, resp.text
    assert media_type(resp.headers["Content-Type"]) == expected


@pytest.mark.parametrize(
    ("params", "accept", "expected"),
    [
        # SPARQLWrapper's way: one word in three parameters, or a word and a media type
        ({"format": "xml", "output": "xml", "results": "xml"}, None,
         "application/sparql-results+xml"),
        ({"format": ["tsv", "text/tab-separated-values"]}, None, "text/tab-separated-values"),
        ({"output": "csv"}, None, "text/csv"),
        ({"results": "json"}, "text/csv", "application/sparql-results+json"),
        # unknown, unsuitable or conflicting: Accept decides instead of a 400
        ({"format": "bogus"}, "text/csv", "text/csv"),
        ({"format": "turtle"}, None, "application/sparql-results+json"),
        ({"format": "json", "output": "xml"}, "text/tab-separated-values",
         "text/tab-separated-values"),
    ],
)
def test_format_parameters_that_agree_choose_and_otherwise_accept_does(live_server, params,
                                                                       accept, expected):
    resp = _sparql(live_server, NAME, accept, **params)
    assert resp.status_code == 200, resp.text
    assert media_type(resp.headers["Content-Type"]) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"format": "xml"}, "application/rdf+xml"),  # xml is RDF/XML for a graph
        ({"format": "n3"}, "text/turtle"),
        ({"format": "json"}, "application/ld+json"),
        ({"format": ["rdf+xml", "application/rdf+xml"]}, "application/rdf+xml"),
        ({"format": ["json-ld", "application/ld+json,application/x-json+ld"]},
         "application/ld+json"),
    ],
)
def test_graph_answers_take_the_words_clients_use(live_server, params, expected):
    query = f"CONSTRUCT {{ <{WANG}> ?p ?o }} WHERE {{ <{WANG}> ?p ?o }}"
    resp = _sparql(live_server, query, **params)
    assert resp.status_code == 200, resp.text
    assert media_type(resp.headers["Content-Type"]) == expected
    graph = parse_rdf(resp.content, resp.headers["Content-Type"])
    assert (URIRef(WANG), SCHEMA_NAME, None) in graph


def test_406_lists_the_formats_and_varies_on_accept_everywhere(live_server):
    for path, params in ((DOC, None), ("/sparql", {"query": NAME}),
                         ("/sparql", {"query": NAME, "format": "bogus"}),
                         ("/sparql", {"query": DESCRIBE})):
        resp = live_server.get(path, params=params, headers={"Accept": "image/png"})
        assert resp.status_code == 406, (path, params)
        assert "Accept" in resp.headers.get("Vary", ""), (path, params)


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("GET", {"params": {"query": "SELECT nonsense"}}, 400),
        ("POST", {"data": {"update": "CLEAR ALL"}}, 403),
        ("PUT", {}, 405),
        ("POST", {"data": b"query", "headers": {"Content-Type": "text/plain"}}, 415),
    ],
)
def test_sparql_errors_vary_on_accept(live_server, method, kwargs, status):
    resp = live_server.request(method, "/sparql", **kwargs)
    assert resp.status_code == status
    assert "Accept" in resp.headers.get("Vary", "")


def test_a_repeated_answer_has_the_headers_of_the_first(live_server):
    # the second GET is answered from the cache before Flask runs: same headers
    params = {"query": NAME + " # repeated", "format": "csv"}
    first = live_server.get("/sparql", params=params)
    second = live_server.get("/sparql", params=params)
    for name in ("Content-Type", "Vary", "Link", "Cache-Control"):
        assert first.headers.get(name) == second.headers.get(name), name


ROUTES = ["/sparql", DOC, "/id/person/wang-xiaohong", "/def", "/shapes", "/dataset",
          "/dumps/newsgraph.nq", "/graph/entities", "/", "/reconcile"]


def test_every_route_answers_a_preflight_the_same_way(live_server):
    answers = {}
    for path in ROUTES:
        resp = live_server.request("OPTIONS", path, headers={
            "Origin": "https://example.org", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept, if-none-match"})
        assert resp.status_code == 204, path
        # no body, so no body type
        assert resp.content == b"" and "Content-Type" not in resp.headers, path
        assert resp.headers["Access-Control-Allow-Origin"] == "*", path
        allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
        assert {m.strip() for m in resp.headers["Access-Control-Allow-Methods"].split(",")} \
            == allowed, path
        answers[path] = (resp.headers["Access-Control-Allow-Headers"],
                         resp.headers["Access-Control-Max-Age"])
    assert len(set(answers.values())) == 1, answers
    allow_headers = {h.strip().lower() for h in answers["/sparql"][0].split(",")}
    assert {"accept", "content-type", "if-none-match"} <= allow_headers

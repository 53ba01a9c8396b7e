"""Named graphs dereference: an article's graph as data and as a page."""

from __future__ import annotations

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

BASE = "https://w3id.org/newsgraph/"
GRAPH = BASE + "graph/cubaheadlines-309517"


def test_an_article_graph_as_turtle_is_exactly_that_graph_of_the_dump(live_app, built_dist):
    resp = live_app.get("/graph/cubaheadlines-309517", headers={"Accept": "text/turtle"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/turtle")
    assert "Accept" in resp.headers["Vary"]
    served = Graph().parse(data=resp.text, format="turtle")
    dump = Dataset()
    dump.parse(built_dist / "newsgraph.nq", format="nquads")
    expected = Graph()
    for triple in dump.graph(GRAPH):
        expected.add(triple)
    assert len(expected) > 500
    assert isomorphic(served, expected)


@pytest.mark.parametrize("ext,parse_as", [("nt", "nt"), ("jsonld", "json-ld"), ("rdf", "xml")])
def test_graph_extensions_pick_the_format(live_app, ext, parse_as):
    resp = live_app.get(f"/graph/entities.{ext}")
    assert resp.status_code == 200
    graph = Graph().parse(data=resp.text, format=parse_as)
    assert len(graph) > 100


def test_graph_page_lists_its_things_with_links(live_app):
    resp = live_app.get("/graph/cubaheadlines-309517", headers={"Accept": "text/html"})
    assert resp.status_code == 200
    assert 'href="/id/meeting/diaz-canel-xi-jinping-moscow-2025-05-09"' in resp.text
    assert 'href="/id/article/cubaheadlines-309517"' in resp.text


@pytest.mark.parametrize("path", ["/graph/nope", "/graph/..%2Fetc", "/graph/ENTITIES"])
def test_unknown_graphs_are_404(live_app, path):
    assert live_app.get(path).status_code == 404

"""The answer cache, seen over HTTP: a repeated GET is answered from it (before
Flask reads the request) exactly as the first time, and only that exact request is.
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox
import pytest

from .conftest import SPARQL_JSON

pytestmark = pytest.mark.http

SPARQL_XML = "application/sparql-results+xml"
# what the HTTP server itself adds, which may differ between two answers
TRANSPORT = {"date", "server", "connection", "keep-alive"}


def _query() -> str:
    # a comment nobody else sends makes the first request a sure miss
    # (no blank nodes: each evaluation names them afresh)
    return (f"# {uuid.uuid4()}\nSELECT ?s ?p ?o WHERE {{ ?s ?p ?o "
            "FILTER(isIRI(?s) && !isBlank(?o)) } ORDER BY ?s ?p ?o LIMIT 7")


def _headers(resp) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in resp.raw.headers.items() if k.lower() not in TRANSPORT]


def _solutions(resp, fmt: ox.QueryResultsFormat) -> list[tuple]:
    parsed = ox.parse_query_results(resp.content, format=fmt)
    return [tuple(s[v] for v in parsed.variables) for s in parsed]


def test_a_repeated_get_gets_the_same_status_headers_and_body(live_server):
    params = {"query": _query()}
    first = live_server.get("/sparql", params=params, headers={"Accept": SPARQL_JSON})
    again = live_server.get("/sparql", params=params, headers={"Accept": SPARQL_JSON})
    assert first.status_code == again.status_code == 200
    assert _headers(again) == _headers(first)
    assert again.content == first.content
    assert len(_solutions(again, ox.QueryResultsFormat.JSON)) == 7


def test_a_cached_answer_is_not_given_to_another_accept_or_format(live_server):
    query = _query()
    as_json = live_server.get("/sparql", params={"query": query},
                              headers={"Accept": SPARQL_JSON})
    as_xml = live_server.get("/sparql", params={"query": query},
                             headers={"Accept": SPARQL_XML})
    by_name = live_server.get("/sparql", params={"query": query, "format": "xml"},
                              headers={"Accept": SPARQL_JSON})
    assert as_json.headers["Content-Type"].startswith(SPARQL_JSON)
    assert as_xml.headers["Content-Type"].startswith(SPARQL_XML)
    assert by_name.headers["Content-Type"].startswith(SPARQL_XML)
    expected = _solutions(as_json, ox.QueryResultsFormat.JSON)
    assert _solutions(as_xml, ox.QueryResultsFormat.XML) == expected
    assert _solutions(by_name, ox.QueryResultsFormat.XML) == expected


def test_a_refused_query_stays_refused_when_repeated(live_server):
    query = (f"# {uuid.uuid4()}\n"
             "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    for _ in range(3):
        resp = live_server.get("/sparql", params={"query": query},
                               headers={"Accept": SPARQL_JSON})
        assert resp.status_code == 400
        assert "SERVICE" in resp.text

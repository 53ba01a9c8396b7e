"""Federated queries: SERVICE reaches an allow-listed endpoint that answers as the
Wikidata Query Service does, and nothing else.

The stand-in WDQS runs on 127.0.0.1 and evaluates what it is sent over a few
Wikidata-shaped triples (fixtures/wdqs-standin.ttl), answering SPARQL JSON
results (or XML, WDQS's default) with WDQS's predefined prefixes. A canary
endpoint, not on the allow-list, must see no request at all.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from .conftest import FIXTURES, StandIn, start_server, stop_server

pytestmark = pytest.mark.http

# The prefixes WDQS declares for every query (a subset: those the tests use).
WDQS_PREFIXES = {
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

BIRTH_DATES_OF_BEIJING_ATTENDEES = """
PREFIX schema: <https://schema.org/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX ng: <https://w3id.org/newsgraph/def#>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT DISTINCT ?name ?wd ?birth WHERE {
  ?meeting a ng:Meeting ; schema:location ?place ; schema:attendee ?person .
  ?place owl:sameAs <http://www.wikidata.org/entity/Q956> .
  ?person schema:name ?name ; owl:sameAs ?wd .
  OPTIONAL { SERVICE <%s> { ?wd wdt:P569 ?birth } }
}
ORDER BY ?name
"""


def wdqs_answer(store: ox.Store):
    """A request handler answering SPARQL like WDQS: GET ?query=, POST form or direct."""

    def answer(req: dict) -> tuple[int, dict[str, str], bytes]:
        url = urllib.parse.urlsplit(req["path"])
        params = urllib.parse.parse_qs(url.query)
        ctype = req["headers"].get("content-type", "")
        if req["method"] == "POST" and ctype.startswith("application/sparql-query"):
            query = req["body"].decode("utf-8")
        elif req["method"] == "POST":
            params.update(urllib.parse.parse_qs(req["body"].decode("utf-8")))
            query = (params.get("query") or [""])[0]
        else:
            query = (params.get("query") or [""])[0]
        if url.path != "/sparql" or not query:
            return 400, {"Content-Type": "text/plain"}, b"no query"
        try:
            results = store.query(query, prefixes=WDQS_PREFIXES)
        except SyntaxError as exc:
            return 400, {"Content-Type": "text/plain"}, str(exc).encode()
        accept = req["headers"].get("accept", "")
        as_json = "json" in accept or params.get("format") == ["json"]
        fmt = ox.QueryResultsFormat.JSON if as_json else ox.QueryResultsFormat.XML
        if isinstance(results, ox.QueryBoolean):
            body = results.serialize(format=fmt)
        else:
            body = results.serialize(format=fmt)
        return 200, {"Content-Type": f"{fmt.media_type};charset=utf-8"}, body

    return answer


@pytest.fixture(scope="module")
def wdqs() -> Iterator[StandIn]:
    store = ox.Store()
    store.load(path=str(FIXTURES / "wdqs-standin.ttl"), format=ox.RdfFormat.TURTLE)
    server = StandIn(wdqs_answer(store))
    yield server
    server.close()


@pytest.fixture(scope="module")
def canary() -> Iterator[StandIn]:
    server = StandIn(lambda req: (200, {"Content-Type": "application/sparql-results+json"},
                                  b'{"head":{"vars":[]},"results":{"bindings":[]}}'))
    yield server
    server.close()


@pytest.fixture(scope="module")
def federating_server(built_dist: Path, wdqs: StandIn) -> Iterator[str]:
    """``newsgraph serve`` with the stand-in WDQS on its SERVICE allow-list."""
    proc, url = start_server(built_dist, "--service-allow", f"{wdqs.url}/sparql")
    try:
        probe = requests.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=30)
        if probe.status_code == 503 and "being set up" in probe.text:
            pytest.skip("PENDING issue 4: /sparql is still the placeholder; this federation "
                        "test runs as soon as the SPARQL endpoint answers")
        yield url
    finally:
        stop_server(proc)


def sparql_json(server: str, query: str) -> requests.Response:
    return requests.post(f"{server}/sparql", data={"query": query}, timeout=60,
                         headers={"Accept": "application/sparql-results+json"})


def test_the_stand_in_answers_as_wdqs_does(wdqs):
    query = "SELECT ?birth WHERE { wd:Q18109475 wdt:P569 ?birth }"  # WDQS's own prefixes
    as_json = requests.get(f"{wdqs.url}/sparql", params={"query": query, "format": "json"},
                           timeout=30)
    assert as_json.headers["Content-Type"].startswith("application/sparql-results+json")
    assert as_json.json()["results"]["bindings"][0]["birth"] == {
        "type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#dateTime",
        "value": "1957-01-01T00:00:00Z"}
    as_xml = requests.post(f"{wdqs.url}/sparql", data={"query": query}, timeout=30)
    assert as_xml.headers["Content-Type"].startswith("application/sparql-results+xml")


def test_birth_dates_of_everyone_who_met_in_beijing_come_from_the_allowed_service(
        federating_server, wdqs, canary):
    before = len(wdqs.requests)
    resp = sparql_json(federating_server, BIRTH_DATES_OF_BEIJING_ATTENDEES % f"{wdqs.url}/sparql")
    assert resp.status_code == 200, resp.text
    rows = {b["name"]["value"]: b.get("birth", {}).get("value")
            for b in resp.json()["results"]["bindings"]}
    # the two interior ministers (2025-08-22) and Rodríguez Parrilla (China–CELAC, 2025-05-13)
    assert rows == {
        "Bruno Rodríguez Parrilla": "1958-01-22T00:00:00Z",
        "Lázaro Alberto Álvarez Casas": None,
        "Wang Xiaohong": "1957-01-01T00:00:00Z",
    }
    assert len(wdqs.requests) > before  # the answer really came from the service
    assert canary.requests == []


def test_a_service_not_on_the_allow_list_is_refused_without_a_request(
        federating_server, canary):
    for target in (f"{canary.url}/sparql", f"{canary.url}/sparql/", f"{canary.url}/other"):
        resp = sparql_json(federating_server, BIRTH_DATES_OF_BEIJING_ATTENDEES % target)
        assert resp.status_code == 400, (target, resp.status_code, resp.text)
        assert resp.headers["Content-Type"].startswith("text/plain")
    assert canary.requests == []


def test_without_an_allow_list_every_service_is_refused(built_dist, wdqs):
    proc, url = start_server(built_dist)
    try:
        before = len(wdqs.requests)
        resp = sparql_json(url, BIRTH_DATES_OF_BEIJING_ATTENDEES % f"{wdqs.url}/sparql")
        if resp.status_code == 503 and "being set up" in resp.text:
            pytest.skip("PENDING issue 4: /sparql is still the placeholder")
        assert resp.status_code == 400
        assert len(wdqs.requests) == before
    finally:
        stop_server(proc)

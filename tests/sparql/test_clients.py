"""Third-party SPARQL clients against ``newsgraph serve``, over real HTTP, with their defaults.

SPARQLWrapper sends ``format=``, ``output=`` and ``results=`` in its own words
(``xml`` for RDF/XML, ``n3`` for Turtle, sometimes a name and a media type
together) beside an ``Accept`` header; every combination of query form, return
format and request method must come back as an answer it can convert. rdflib's
``SPARQLStore`` asks in its own way and must keep working.

Answers are read back (results by rdflib's result parsers, graphs parsed) and
compared with the dump, never matched as strings.
"""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass
from xml.dom.minidom import Document

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.query import Result

SPARQLWrapper = pytest.importorskip("SPARQLWrapper", minversion="2")
from SPARQLWrapper import (  # noqa: E402
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
)

pytestmark = pytest.mark.http

BASE = "https://w3id.org/newsgraph/"
WANG = URIRef(BASE + "id/person/wang-xiaohong")
SCHEMA_NAME = URIRef("https://schema.org/name")

QUERIES = {
    "SELECT": f"SELECT ?name WHERE {{ <{WANG}> <{SCHEMA_NAME}> ?name }}",
    "ASK": f"ASK {{ <{WANG}> <{SCHEMA_NAME}> ?name }}",
    "CONSTRUCT": f"CONSTRUCT {{ <{WANG}> ?p ?o }} WHERE {{ <{WANG}> ?p ?o }}",
    "DESCRIBE": f"DESCRIBE <{WANG}>",
}
# every return format SPARQLWrapper 2 knows (its _allowedFormats)
RETURN_FORMATS = (JSON, XML, TURTLE, N3, RDF, RDFXML, CSV, TSV, JSONLD)
METHODS: dict[str, tuple[str, str]] = {
    "GET": (GET, URLENCODED),
    "POST form": (POST, URLENCODED),
    "POST direct": (POST, POSTDIRECTLY),
}
# the media type each return format must come back as, where the query form has one;
# elsewhere (TURTLE for a SELECT) the answer is whatever Accept chose
EXPECTED_TYPE = {
    "SELECT": {JSON: "application/sparql-results+json", XML: "application/sparql-results+xml",
               CSV: "text/csv", TSV: "text/tab-separated-values"},
    "CONSTRUCT": {XML: "application/rdf+xml", RDFXML: "application/rdf+xml",
                  RDF: "application/rdf+xml", TURTLE: "text/turtle", N3: "text/turtle",
                  JSONLD: "application/ld+json", JSON: "application/ld+json"},
}
EXPECTED_TYPE["ASK"] = EXPECTED_TYPE["SELECT"]
EXPECTED_TYPE["DESCRIBE"] = EXPECTED_TYPE["CONSTRUCT"]
GRAPH_PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt",
                 "application/rdf+xml": "xml", "application/ld+json": "json-ld"}
RESULT_PARSERS = {"application/sparql-results+json": "json",
                  "application/sparql-results+xml": "xml", "text/csv": "csv",
                  "text/tab-separated-values": "tsv"}


@dataclass(frozen=True)
class Case:
    form: str
    return_format: str
    method: str

    def __str__(self) -> str:
        return f"{self.form} {self.return_format} {self.method}"


MATRIX = [Case(form, fmt, method)
          for form in QUERIES for fmt in RETURN_FORMATS for method in METHODS]


@pytest.fixture(scope="module")
def wang(built_dist) -> Graph:
    """Wang Xiaohong's own triples in the dump."""
    ds = Dataset()
    ds.parse(built_dist / "newsgraph.nq", format="nquads")
    graph = Graph()
    for s, p, o, _ in ds.quads((WANG, None, None, None)):
        graph.add((s, p, o))
    assert len(graph) >= 3
    return graph


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _result_bytes(converted: object) -> bytes:
    """What SPARQLWrapper's convert() gave, back as the bytes of the answer."""
    if isinstance(converted, dict):
        return json.dumps(converted).encode("utf-8")
    if isinstance(converted, Document):
        return converted.toxml("utf-8")
    assert isinstance(converted, bytes), type(converted)
    return converted


def _check_answer(case: Case, media: str, converted: object, wang: Graph) -> None:
    """The converted answer says what the data says, whatever format it came in."""
    if case.form in ("SELECT", "ASK"):
        assert media in RESULT_PARSERS, media
        body = _result_bytes(converted)
        if case.form == "ASK" and media in ("text/csv", "text/tab-separated-values"):
            # CSV/TSV define no boolean; the endpoint writes the word
            assert body.strip() == b"true"
            return
        result = Result.parse(io.BytesIO(body), format=RESULT_PARSERS[media])
        if case.form == "ASK":
            assert result.askAnswer is True
        elif media == "text/csv":
            # CSV carries the words only, no language tag
            assert {str(row[0]) for row in result} == {str(n) for n in wang.objects(WANG,
                                                                                     SCHEMA_NAME)}
        else:
            assert {row[0] for row in result} == set(wang.objects(WANG, SCHEMA_NAME))
        return
    assert media in GRAPH_PARSERS, media
    if isinstance(converted, Graph):
        graph = converted
    else:
        graph = Graph().parse(data=_result_bytes(converted), format=GRAPH_PARSERS[media])
    got = set(graph)
    # names and links as the dump has them (integer subtypes aside, oxigraph#526)
    same = {t for t in wang if not (isinstance(t[2], Literal) and t[2].datatype is not None
                                    and "integer" in str(t[2].datatype).lower())}
    assert same and same <= got
    if case.form == "CONSTRUCT":
        assert {s for s, _, _ in got} == {WANG}


def run_case(endpoint: str, case: Case, wang: Graph) -> str | None:
    """None when SPARQLWrapper got and converted a right answer, else why not."""
    client = SPARQLWrapper.SPARQLWrapper(endpoint)
    client.setQuery(QUERIES[case.form])
    client.setReturnFormat(case.return_format)
    method, request_method = METHODS[case.method]
    client.setMethod(method)
    client.setRequestMethod(request_method)
    try:
        with warnings.catch_warnings():
            # SPARQLWrapper warns when it sends */* or gets another format than it named
            warnings.simplefilter("ignore", RuntimeWarning)
            answer = client.query()
            media = _media_type(answer.info()["content-type"])
            converted = answer.convert()
    except Exception as error:  # noqa: BLE001 -- each failure is counted and reported
        return f"{type(error).__name__}: {str(error)[:200]}"
    wanted = EXPECTED_TYPE[case.form].get(case.return_format)
    if wanted is not None and media != wanted:
        return f"answered {media}, not {wanted}"
    try:
        _check_answer(case, media, converted, wang)
    except AssertionError as error:
        return f"wrong answer as {media}: {error}"
    return None


def test_sparqlwrapper_matrix_every_form_format_and_method(live_server, wang):
    failures: dict[Case, str] = {}
    for case in MATRIX:
        why = run_case(live_server.url + "/sparql", case, wang)
        if why is not None:
            failures[case] = why
    passed = len(MATRIX) - len(failures)
    # the combinations where the return format suits the query form (JSON for a
    # SELECT, Turtle for a CONSTRUCT), the 66 that issue 11 counted
    suited = [c for c in MATRIX if c.return_format in EXPECTED_TYPE[c.form]]
    suited_passed = sum(1 for c in suited if c not in failures)
    print(f"\nSPARQLWrapper {SPARQLWrapper.__version__}: {passed}/{len(MATRIX)} passed "
          f"({suited_passed}/{len(suited)} where the format suits the query form)")
    for case, why in failures.items():
        print(f"  FAIL {case}: {why}")
    assert not failures, (f"{len(failures)}/{len(MATRIX)} combinations fail: "
                          + "; ".join(f"{c}: {w}" for c, w in failures.items()))


@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE", "SELECT", "ASK"])
def test_sparqlwrapper_defaults_query_and_convert(live_server, wang, form):
    # exactly what its README shows: no return format, no method chosen
    client = SPARQLWrapper.SPARQLWrapper(live_server.url + "/sparql")
    client.setQuery(QUERIES[form])
    converted = client.queryAndConvert()
    if form in ("CONSTRUCT", "DESCRIBE"):
        assert isinstance(converted, Graph)  # RDF/XML, as it asked by format=xml
        assert (WANG, SCHEMA_NAME, None) in converted
    else:
        assert isinstance(converted, Document)  # SPARQL Results XML
        result = Result.parse(io.BytesIO(converted.toxml("utf-8")), format="xml")
        if form == "ASK":
            assert result.askAnswer is True
        else:
            assert {row[0] for row in result} == set(wang.objects(WANG, SCHEMA_NAME))


STORE_METHODS: list[str] = ["GET", "POST", "POST_FORM"]


@pytest.mark.parametrize("method", STORE_METHODS)
def test_rdflib_sparqlstore_reads_rows_graphs_and_triples(live_server, wang, method):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(live_server.url + "/sparql", method=method))
    names = {row[0] for row in graph.query(QUERIES["SELECT"])}
    assert names == set(wang.objects(WANG, SCHEMA_NAME))
    assert graph.query(QUERIES["ASK"]).askAnswer is True
    constructed = graph.query(QUERIES["CONSTRUCT"]).graph
    assert constructed is not None and (WANG, SCHEMA_NAME, None) in constructed
    # triples() is a SELECT the store writes itself
    assert set(graph.objects(WANG, SCHEMA_NAME)) == set(wang.objects(WANG, SCHEMA_NAME))


@pytest.mark.parametrize("method", STORE_METHODS)
def test_rdflib_sparqlstore_reads_json_rows(live_server, wang, method):
    # returnFormat="json" makes it accept SPARQL JSON only, which suits rows, not graphs
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(live_server.url + "/sparql", method=method, returnFormat="json")
    graph = Graph(store=store)
    assert {row[0] for row in graph.query(QUERIES["SELECT"])} == set(wang.objects(WANG,
                                                                                 SCHEMA_NAME))
    assert graph.query(QUERIES["ASK"]).askAnswer is True
    assert set(graph.objects(WANG, SCHEMA_NAME)) == set(wang.objects(WANG, SCHEMA_NAME))

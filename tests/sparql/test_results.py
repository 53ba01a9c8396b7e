"""The result writers: every SELECT format read back by an independent parser gives
the same solutions pyoxigraph computed; graphs read back are the same graph."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from newsgraph.server.sparql import results

DATA = """
@prefix ex: <http://ex/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:name "Wang Xiaohong"@en ; ex:n 5 ; ex:when "2025-08-22"^^xsd:date ;
     ex:text "tab\\there, \\"quoted\\", comma, newline\\nand <script>alert(1)</script> & more" ;
     ex:knows _:b .
_:b ex:name "Lázaro"@es .
"""
QUERY = "SELECT ?s ?p ?o ?missing WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.load(DATA, format=ox.RdfFormat.TURTLE)
    return s


def table(store: ox.Store) -> tuple[list[str], list[list[object]]]:
    answer = store.query(QUERY)
    variables = [v.value for v in answer.variables]
    return variables, [[row[i] for i in range(len(variables))] for row in answer]


def as_sets(solutions) -> list[tuple]:
    out = []
    for row in solutions:
        cells = []
        for name in ("s", "p", "o", "missing"):
            term = row[name]
            cells.append(None if term is None else
                         ("_:" if isinstance(term, ox.BlankNode) else str(term)))
        out.append(tuple(cells))
    return sorted(out, key=repr)


@pytest.mark.parametrize(("name", "fmt"), [("json", ox.QueryResultsFormat.JSON),
                                           ("xml", ox.QueryResultsFormat.XML),
                                           ("tsv", ox.QueryResultsFormat.TSV)])
def test_select_answers_read_back_to_the_same_solutions(store, name, fmt):
    variables, rows = table(store)
    written = results.SELECT_WRITERS[name](variables, rows)
    parsed = ox.parse_query_results(written, fmt)
    assert [v.value for v in parsed.variables] == ["s", "p", "o", "missing"]
    assert as_sets(parsed) == as_sets(store.query(QUERY))


def test_select_json_has_the_standard_shape(store):
    variables, rows = table(store)
    doc = json.loads(results.select_json(variables, rows))
    assert doc["head"]["vars"] == ["s", "p", "o", "missing"]
    cells = [b["o"] for b in doc["results"]["bindings"]]
    assert {"type": "literal", "value": "Wang Xiaohong", "xml:lang": "en"} in cells
    assert {"type": "literal", "value": "5",
            "datatype": "http://www.w3.org/2001/XMLSchema#integer"} in cells
    assert all("missing" not in b for b in doc["results"]["bindings"])


def test_csv_quotes_what_needs_quoting_and_keeps_lexical_forms(store):
    variables, rows = table(store)
    text = results.select_csv(variables, rows).decode("utf-8")
    assert "\r\n" in text
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["s", "p", "o", "missing"]
    objects = {row[2] for row in parsed[1:]}
    assert 'tab\there, "quoted", comma, newline\nand <script>alert(1)</script> & more' in objects
    assert "2025-08-22" in objects and "Wang Xiaohong" in objects
    assert all(row[3] == "" for row in parsed[1:])


def test_booleans_in_every_format():
    assert json.loads(results.boolean(True, "json")) == {"head": {}, "boolean": True}
    assert bool(ox.parse_query_results(results.boolean(False, "xml"),
                                       ox.QueryResultsFormat.XML)) is False
    assert results.boolean(True, "csv").strip() == b"true"


@pytest.mark.parametrize(("name", "rdflib_format"), [("turtle", "turtle"), ("ntriples", "nt"),
                                                     ("rdfxml", "xml"), ("jsonld", "json-ld"),
                                                     ("trig", "trig"), ("nquads", "nquads")])
def test_graphs_read_back_to_the_same_graph(store, name, rdflib_format):
    triples = list(store.query("CONSTRUCT WHERE { ?s ?p ?o }"))
    written = results.graph(triples, name, {"ex": "http://ex/"})
    expected = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(),
                             format="nt")
    if rdflib_format in ("trig", "nquads"):
        from rdflib import Dataset
        got = Graph()
        for s, p, o, _ in Dataset().parse(data=written.decode(), format=rdflib_format).quads():
            got.add((s, p, o))
    else:
        got = Graph().parse(data=written.decode(), format=rdflib_format)
    assert isomorphic(got, expected)

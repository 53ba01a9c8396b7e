"""Content negotiation for SPARQL answers: q-values, parameters, wildcards, aliases."""

from __future__ import annotations

import pytest

from newsgraph.server.sparql import formats as f


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        (None, f.TABULAR, f.JSON),
        ("", f.TABULAR, f.JSON),
        ("*/*", f.TABULAR, f.JSON),
        ("*/*", f.GRAPH, f.TURTLE),
        ("text/csv", f.TABULAR, f.CSV),
        ("text/tab-separated-values;charset=utf-8", f.TABULAR, f.TSV),
        ("application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.8",
         f.TABULAR, f.XML),
        ("application/json", f.TABULAR, f.JSON),
        ("application/json", f.GRAPH, f.JSONLD),
        ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"', f.GRAPH,
         f.JSONLD),
        ("text/turtle;charset=utf-8", f.GRAPH, f.TURTLE),
        ("application/rdf+xml, text/turtle;q=0.5", f.GRAPH, f.RDFXML),
        ("application/xml", f.TABULAR, f.XML),
        ("application/xml", f.GRAPH, f.RDFXML),
        # wildcards choose main types only: text/xml, an alias of SPARQL XML, is not one
        ("text/*", f.TABULAR, f.CSV),
        ("application/*", f.TABULAR, f.JSON),
        ("text/n3", f.GRAPH, f.TURTLE),
        ("text/plain", f.GRAPH, f.NTRIPLES),
        ("text/csv;q=0.5, text/*;q=0.4", f.TABULAR, f.CSV),
        ("application/n-triples, */*;q=0.1", f.GRAPH, f.NTRIPLES),
        # a browser: HTML first, the rest by wildcard
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
         (*f.TABULAR, f.HTML), f.HTML),
        ("text/turtle;q=0, */*", f.GRAPH, f.NTRIPLES),
    ],
)
def test_negotiation_picks_what_the_client_prefers(accept, offers, expected):
    assert f.negotiate(accept, offers) is expected


@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0", "application/pdf, text/html"])
def test_nothing_acceptable_is_none(accept):
    assert f.negotiate(accept, f.TABULAR) is None


def test_malformed_accept_parts_are_skipped():
    assert f.negotiate("garbage, ;;, text/csv;q=abc, text/tab-separated-values", f.TABULAR) is f.TSV


@pytest.mark.parametrize(
    ("value", "offers", "expected"),
    [
        ("json", f.TABULAR, f.JSON),
        ("CSV", f.TABULAR, f.CSV),
        ("srx", f.TABULAR, f.XML),
        ("ttl", f.GRAPH, f.TURTLE),
        ("nt", f.GRAPH, f.NTRIPLES),
        ("json-ld", f.GRAPH, f.JSONLD),
        ("application/rdf+xml", f.GRAPH, f.RDFXML),
        ("xml", f.GRAPH, f.RDFXML),
        ("n3", f.GRAPH, f.TURTLE),
        ("turtle", f.TABULAR, None),
        ("exe", f.GRAPH, None),
    ],
)
def test_format_parameter_names_a_format(value, offers, expected):
    assert f.by_word(value, offers) is expected

"""Accept parsing and format choice (RFC 9110 §12.5.1), without a server."""

from __future__ import annotations

import pytest

from newsgraph.server.web.negotiation import (
    GRAPHS,
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    RESULTS,
    RESULTS_JSON,
    RESULTS_XML,
    TURTLE,
    by_words,
    negotiate,
    parse_accept,
)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, HTML),
        ("", HTML),
        ("*/*", HTML),
        ("text/turtle;charset=utf-8", TURTLE),
        ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"', JSONLD),
        ('application/ld+json;profile="a,b", text/html;q=0.5', JSONLD),
        ("text/*", HTML),
        ("text/*;q=0.5, text/turtle", TURTLE),
        ("text/*, text/html;q=0", TURTLE),
        ("application/n-triples;q=0.2, application/rdf+xml;q=0.3", RDFXML),
        ("application/rdf+xml;q=0.3, application/n-triples;q=0.2", RDFXML),
        ("text/turtle, application/ld+json", TURTLE),
        ("application/ld+json, text/turtle", JSONLD),
        ("*/*;q=0.1, application/n-triples", NTRIPLES),
        ("application/xhtml+xml", HTML),
        ("application/json", JSONLD),
        ("TEXT/Turtle", TURTLE),
        ("text/turtle;q=1.0", TURTLE),
        ("text/html;q=0.8;level=1, text/turtle;q=0.9", TURTLE),
        # wildcards choose main types, never an alias (application/xhtml+xml is HTML's,
        # application/x-turtle Turtle's)
        ("application/*", JSONLD),
        ("application/*, text/html;q=0.1", JSONLD),
        ("application/*;q=0.5, application/x-turtle", TURTLE),
        # older names, asked for by name
        ("text/n3", TURTLE),
        ("text/rdf+n3", TURTLE),
        ("text/plain", NTRIPLES),
        ("application/xml", RDFXML),
        ("text/xml", RDFXML),
        # q above 1 is read as 1, as the SPARQL endpoint always did
        ("text/turtle;q=1.5", TURTLE),
        ("text/turtle;q=2", TURTLE),
    ],
)
def test_the_preferred_supported_format_is_chosen(accept, expected):
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    "accept",
    [
        "image/png",
        "text/turtle;q=0",
        "*/*;q=0",
        "application/x-unknown, image/*",
        "garbage",
        "text/turtle;q=abc",
        "text/turtle;q=-1",
        "text/turtle;q=inf",
        "*/turtle",
    ],
)
def test_nothing_acceptable_gives_none(accept):
    assert negotiate(accept) is None


def test_malformed_members_are_skipped_and_the_rest_honoured():
    ranges = parse_accept("garbage, ;q=1, text/turtle;q=0.5, /x, application/ld+json;q=bad")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "turtle", 0.5)]


@pytest.mark.parametrize(
    ("values", "offers", "expected"),
    [
        # SPARQLWrapper's words: xml means the XML form of this answer, n3 Turtle
        (["xml", "xml", "xml"], GRAPHS, RDFXML),
        (["xml"], RESULTS, RESULTS_XML),
        (["n3", "n3", "n3"], GRAPHS, TURTLE),
        (["json"], GRAPHS, JSONLD),
        (["json"], RESULTS, RESULTS_JSON),
        # a name and a media type (list) that agree
        (["rdf+xml", "application/rdf+xml"] * 3, GRAPHS, RDFXML),
        (["json-ld", "application/ld+json,application/x-json+ld"], GRAPHS, JSONLD),
        (["tsv", "text/tab-separated-values"], RESULTS, RESULTS[3]),
        # empty, unknown and unsuitable values are passed over
        (["rdf+xml", ""], GRAPHS, RDFXML),
        (["csv", "bogus"], RESULTS, RESULTS[2]),
        # none left, or a conflict: Accept decides
        (["turtle"], RESULTS, None),
        (["bogus"], GRAPHS, None),
        (["json", "xml"], RESULTS, None),
        ([], RESULTS, None),
    ],
)
def test_format_words_that_agree_choose_and_the_rest_leave_it_to_accept(values, offers,
                                                                         expected):
    assert by_words(values, offers) is expected


def test_one_table_answers_every_route():
    # the SPARQL endpoint and the descriptions share the formats, not copies of them
    from newsgraph.server.sparql import formats

    assert formats.TURTLE is TURTLE and formats.RDFXML is RDFXML and formats.HTML is HTML
    assert formats.negotiate is negotiate

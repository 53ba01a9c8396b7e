"""Accept parsing and format choice (RFC 9110 §12.5.1), without a server."""

from __future__ import annotations

import pytest

from newsgraph.server.web.negotiation import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
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
        "text/plain",
        "garbage",
        "text/turtle;q=abc",
        "text/turtle;q=2",
        "*/turtle",
    ],
)
def test_nothing_acceptable_gives_none(accept):
    assert negotiate(accept) is None


def test_malformed_members_are_skipped_and_the_rest_honoured():
    ranges = parse_accept("garbage, ;q=1, text/turtle;q=0.5, /x, application/ld+json;q=bad")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("text", "turtle", 0.5)]

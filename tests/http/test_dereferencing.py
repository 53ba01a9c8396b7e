"""Dereferencing, asked of the app in-process: 303 from the thing, negotiated descriptions that
parse back to the thing's triples, the HTTP manners of a good citizen."""

from __future__ import annotations

import email.utils

import pytest
from ld_helpers import (
    BASE,
    EXTENSIONS,
    RDF_FORMATS,
    media_type,
    own_triples,
    parse_rdf,
    path_of,
)
from rdflib import URIRef
from rdflib.namespace import RDFS

ALL_TYPES = ["text/html", *RDF_FORMATS]
PERSON = "/id/person/wang-xiaohong"
ARTICLE = "/id/article/cubaheadlines-309517"


def _doc(path: str) -> str:
    return path.replace("/id/", "/doc/", 1)


def test_every_thing_answers_303_to_its_description(live_app, things):
    for iri in things:
        path = path_of(iri)
        r = live_app.get(path, headers={"Accept": "text/turtle"})
        assert r.status_code == 303, path
        # relative, built from the path only
        assert r.headers["Location"] == _doc(path)
        assert "Accept" in r.headers["Vary"]


@pytest.mark.parametrize("accept", ALL_TYPES)
def test_every_description_parses_back_to_the_things_own_triples(
    live_app, things, dump_graph, accept
):
    for iri in things:
        doc = _doc(path_of(iri))
        r = live_app.get(doc, headers={"Accept": accept})
        assert r.status_code == 200, doc
        assert media_type(r.headers["Content-Type"]) == accept
        ext = next(e for e, t in EXTENSIONS.items() if t == accept)
        assert r.headers["Content-Location"] == f"{doc}.{ext}"
        assert "Accept" in r.headers["Vary"]
        got = parse_rdf(r.content, r.headers["Content-Type"])
        expected = own_triples(dump_graph, iri)
        assert expected, iri
        missing = expected - set(got)
        assert not missing, f"{doc} as {accept} lacks {sorted(missing)[:3]}"
        # and says nothing that is not in the data (but where the rest of its links are,
        # and what the document itself is: tests/http/test_self_description.py)
        document = URIRef(BASE + doc[1:])
        extra = {t for t in got
                 if t not in dump_graph and t[1] != RDFS.seeAlso and t[0] != document}
        assert not extra, f"{doc} as {accept} invents {sorted(extra)[:3]}"


def test_a_description_is_the_same_graph_in_every_format(live_app):
    graphs = []
    for ext, mtype in EXTENSIONS.items():
        r = live_app.get(f"{_doc(PERSON)}.{ext}")
        assert r.status_code == 200
        assert media_type(r.headers["Content-Type"]) == mtype
        graphs.append(set(parse_rdf(r.content, r.headers["Content-Type"])))
    assert all(g == graphs[0] for g in graphs[1:])


def test_a_description_names_what_it_links_to_and_lists_incoming_links(live_app, dump_graph):
    iri = URIRef(BASE + PERSON[1:])
    got = parse_rdf(live_app.get(f"{_doc(PERSON)}.ttl").content, "text/turtle")
    # incoming: every link to the person from another thing
    incoming = {(s, p, o) for s, p, o in dump_graph.triples((None, None, iri))}
    assert incoming and incoming <= set(got)
    # labels of the things it links to
    schema_name = URIRef("https://schema.org/name")
    skos_pref = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    for _, _, target in got.triples((iri, None, None)):
        if isinstance(target, URIRef) and str(target).startswith(BASE + "id/"):
            if "#" in str(target):
                continue
            names = set(dump_graph.objects(target, schema_name)) | set(
                dump_graph.objects(target, skos_pref)
            )
            if names:
                assert names & set(got.objects(target, None)), target


def test_hash_sub_nodes_are_described_in_their_things_description(live_app, dump_graph):
    sub_nodes: dict[str, set[str]] = {}
    for s in set(dump_graph.subjects()):
        text = str(s)
        if text.startswith(BASE + "id/") and "#" in text:
            sub_nodes.setdefault(text.split("#", 1)[0], set()).add(text)
    assert sub_nodes
    for thing, nodes in sorted(sub_nodes.items()):
        got = parse_rdf(live_app.get(_doc(path_of(thing)) + ".nt").content,
                        "application/n-triples")
        for node in nodes:
            expected = set(dump_graph.triples((URIRef(node), None, None)))
            assert expected <= set(got), node


def test_the_extension_picks_the_format_whatever_accept_says(live_app):
    for ext, mtype in EXTENSIONS.items():
        r = live_app.get(f"{_doc(PERSON)}.{ext}", headers={"Accept": "image/png"})
        assert r.status_code == 200
        assert media_type(r.headers["Content-Type"]) == mtype
        assert r.headers["Content-Location"] == f"{_doc(PERSON)}.{ext}"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle;charset=utf-8", "text/turtle"),
        ("text/turtle; charset=UTF-8; q=0.9", "text/turtle"),
        ('application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"',
         "application/ld+json"),
        ("application/ld+json; profile=http://www.w3.org/ns/json-ld#expanded, text/html;q=0.1",
         "application/ld+json"),
        ("application/rdf+xml;q=0.5, text/turtle;q=0.9, application/n-triples;q=0.7",
         "text/turtle"),
        ("text/html;q=0, */*;q=0.5", "text/turtle"),
        ("application/n-triples, */*;q=0.1", "application/n-triples"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("TEXT/TURTLE", "text/turtle"),
        ("application/json", "application/ld+json"),
        ("*/*", "text/html"),
        ("", "text/html"),
    ],
)
def test_accept_parameters_and_q_values_are_honoured(live_app, accept, expected):
    r = live_app.get(_doc(PERSON), headers={"Accept": accept})
    assert r.status_code == 200
    assert media_type(r.headers["Content-Type"]) == expected


@pytest.mark.parametrize("path", [PERSON, _doc(PERSON), "/def", "/shapes", "/dataset"])
@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0, text/html;q=0, */*;q=0",
                                    "application/x-unknown"])
def test_an_unsupported_type_gets_406_listing_the_supported_ones(live_app, path, accept):
    r = live_app.get(path, headers={"Accept": accept})
    assert r.status_code == 406
    assert media_type(r.headers["Content-Type"]) == "text/plain"
    for mtype in ALL_TYPES:
        assert mtype in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/id/person/nobody-by-this-name",
        "/doc/person/nobody-by-this-name",
        "/doc/person/nobody-by-this-name.ttl",
        "/id/unicorn/wang-xiaohong",
        "/id/person/Wang-Xiaohong",
        "/id/person/wang_xiaohong",
        "/doc/person/wang-xiaohong.exe",
        "/doc/person/wang-xiaohong.ttl.ttl",
        "/id/person/wang-xiaohong/more",
        "/id/person",
        "/id/",
        "/doc/meeting/wang-xiaohong",
        "/def.exe",
        "/dumps/nothing.nq",
    ],
)
def test_unknown_resources_are_404(live_app, path):
    r = live_app.get(path, headers={"Accept": "text/turtle"})
    assert r.status_code == 404
    assert media_type(r.headers["Content-Type"]) == "text/plain"


@pytest.mark.parametrize("path", [PERSON, _doc(PERSON), f"{_doc(PERSON)}.ttl", "/def", "/",
                                  "/dataset", "/dumps/newsgraph.nq"])
def test_head_answers_the_headers_of_get_without_a_body(live_app, path):
    get = live_app.get(path, headers={"Accept": "text/turtle"})
    head = live_app.request("HEAD", path, headers={"Accept": "text/turtle"})
    assert head.status_code == get.status_code
    assert head.content == b""
    for name in ("Content-Type", "Location", "ETag", "Content-Location", "Vary"):
        assert head.headers.get(name) == get.headers.get(name), name


@pytest.mark.parametrize("path", [PERSON, _doc(PERSON), "/def", "/dataset", "/dumps/newsgraph.nq"])
def test_options_answers_with_the_allowed_methods(live_app, path):
    r = live_app.request("OPTIONS", path)
    assert r.status_code == 204
    assert "Content-Type" not in r.headers and r.content == b""
    allowed = {m.strip() for m in r.headers["Allow"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= allowed
    assert not allowed & {"POST", "PUT", "DELETE", "PATCH"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", [PERSON, _doc(PERSON), "/def", "/shapes", "/dataset", "/",
                                  "/dumps/newsgraph.nq"])
def test_other_methods_get_405_with_allow(live_app, method, path):
    r = live_app.request(method, path, data=b"x" * 10)
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"]
    assert media_type(r.headers["Content-Type"]) == "text/plain"


@pytest.mark.parametrize("path", [_doc(PERSON), f"{_doc(PERSON)}.ttl", "/def", "/dataset", "/",
                                  "/dumps/newsgraph.ttl"])
def test_etag_and_last_modified_give_304(live_app, path):
    first = live_app.get(path, headers={"Accept": "text/turtle"})
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert email.utils.parsedate_to_datetime(modified)
    again = live_app.get(path, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    if "Vary" in first.headers:
        assert again.headers["Vary"] == first.headers["Vary"]
    since = live_app.get(path, headers={"Accept": "text/turtle", "If-Modified-Since": modified})
    assert since.status_code == 304
    stale = live_app.get(path, headers={"Accept": "text/turtle", "If-None-Match": '"other"'})
    assert stale.status_code == 200


def test_each_format_has_its_own_etag(live_app):
    tags = {live_app.get(_doc(PERSON), headers={"Accept": t}).headers["ETag"] for t in ALL_TYPES}
    assert len(tags) == len(ALL_TYPES)


def test_cors_allows_everyone_without_credentials(live_app):
    for path in (PERSON, _doc(PERSON), "/def", "/dataset", "/dumps/newsgraph.nq", "/nowhere"):
        r = live_app.get(path, headers={"Origin": "https://example.org"})
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in r.headers
    pre = live_app.request("OPTIONS", _doc(PERSON), headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "accept"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]
    assert "accept" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in pre.headers


def _link_targets(header: str) -> dict[str, str]:
    """type -> target of the rel="alternate" links of a Link header."""
    found = {}
    for part in header.split(","):
        target, *params = [p.strip() for p in part.split(";")]
        attrs = dict(p.split("=", 1) for p in params)
        if attrs.get("rel") == '"alternate"':
            found[attrs["type"].strip('"')] = target.strip("<>")
    return found


def test_link_headers_point_to_every_alternate_format(live_app):
    for path in (_doc(PERSON), "/def", "/shapes", "/dataset"):
        r = live_app.get(path)
        alternates = _link_targets(r.headers["Link"])
        assert set(alternates) == set(ALL_TYPES), path
        for mtype, target in alternates.items():
            assert target.startswith("/") and not target.startswith("//")
            alt = live_app.get(target)
            assert alt.status_code == 200
            assert media_type(alt.headers["Content-Type"]) == mtype
    thing = live_app.get(PERSON)
    assert thing.headers["Link"] == f'<{_doc(PERSON)}>; rel="describedby"'


def test_a_description_with_many_incoming_links_is_capped_with_a_link_to_the_rest(
    start_app, built_dist, dump_graph, things
):
    # the thing most linked to, served with a cap below its count of incoming links
    counts = {iri: len(set(dump_graph.subjects(None, URIRef(iri)))) for iri in things}
    busiest = max(counts, key=counts.get)
    assert counts[busiest] > 3
    capped = start_app(built_dist, max_incoming_links=2)
    doc = _doc(path_of(busiest))
    got = parse_rdf(capped.get(f"{doc}.ttl").content, "text/turtle")
    incoming = {t for t in got.triples((None, None, URIRef(busiest)))
                if not str(t[0]).startswith(busiest)}
    assert len(incoming) <= 2
    more = list(got.objects(URIRef(BASE + doc[1:]), RDFS.seeAlso))
    assert len(more) == 1 and str(more[0]).startswith(BASE + "sparql?query=")
    page = capped.get(f"{doc}.html").text
    assert 'href="/sparql?query=' in page

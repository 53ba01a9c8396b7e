"""Cards: each page opens with what a reader asks, checked against the dump."""

from __future__ import annotations

import pytest
from rdflib import RDF, URIRef
from tests.pages.conftest import read_card

from newsgraph.config import Settings
from newsgraph.iris import NG, ORG, PROV, SCHEMA, SKOS, TIME

BASE = Settings().base
PAGE = {"Accept": "text/html"}


def card(client, path: str) -> tuple[dict[str, list[str]], dict[str, list[list[str]]]]:
    resp = client.get(path, headers=PAGE)
    assert resp.status_code == 200
    return read_card(resp.data.decode())


def name(union, iri: URIRef) -> str:
    return str(union.value(iri, SCHEMA.name) or union.value(iri, SKOS.prefLabel))


@pytest.mark.parametrize("slug", ["wang-xiaohong", "bruno-rodriguez-parrilla",
                                  "lazaro-alberto-alvarez-casas"])
def test_a_persons_card_has_offices_meetings_and_what_they_said(client, union, slug) -> None:
    person = URIRef(f"{BASE}id/person/{slug}")
    lines, links = card(client, f"/doc/person/{slug}")
    for tenure in union.subjects(ORG.member, person):
        post = union.value(tenure, NG.post)
        line = next(li for li in lines["Offices"] if li.startswith(name(union, post)))
        interval = union.value(tenure, ORG.memberDuring)
        start = union.value(union.value(interval, TIME.hasBeginning), TIME.inXSDDate) \
            if interval else None
        if start is not None:
            assert str(start) in line
    met = {m for m in union.subjects(RDF.type, NG.Meeting)
           for a in union.objects(m, PROV.qualifiedAssociation)
           if (a, PROV.agent, person) in union}
    assert len(lines["Meetings"]) == len(met)
    assert {ls[0] for ls in links["Meetings"]} == {"/" + str(m)[len(BASE):] for m in met}
    said = set(union.subjects(PROV.wasAttributedTo, person)) & set(
        union.subjects(RDF.type, NG.Statement))
    assert len(lines.get("Said", [])) == len(said)
    for line in lines.get("Said", []):
        assert "Said by" in line and name(union, person) in line


def test_a_meetings_card_says_when_where_who_and_what_was_said(client, union) -> None:
    meeting = URIRef(f"{BASE}id/meeting/wang-xiaohong-alvarez-casas-beijing-2025-08-22")
    lines, _ = card(client, "/doc/meeting/wang-xiaohong-alvarez-casas-beijing-2025-08-22")
    assert lines["When"][0].startswith(str(union.value(meeting, SCHEMA.startDate)))
    assert name(union, union.value(meeting, SCHEMA.location)) in lines["Where"]
    for assoc in union.objects(meeting, PROV.qualifiedAssociation):
        who = name(union, union.value(assoc, PROV.agent))
        line = next(li for li in lines["Who took part"] if li.startswith(who))
        capacity = union.value(assoc, NG.capacity)
        if capacity is not None:
            assert name(union, capacity) in line
    said_there = set(union.subjects(PROV.wasGeneratedBy, meeting))
    assert len(lines["What was said there"]) == len(said_there)
    assert lines["Sources"]


def test_an_articles_card_names_its_outlet_date_and_original(client, union) -> None:
    for article in union.subjects(RDF.type, SCHEMA.NewsArticle):
        if not str(article).startswith(f"{BASE}id/article/"):
            continue
        lines, links = card(client, "/" + str(article)[len(BASE):].replace("id/", "doc/", 1))
        assert lines["Outlet"] == [name(union, union.value(article, SCHEMA.publisher))]
        assert lines["Published"] == [str(union.value(article, SCHEMA.datePublished))]
        assert links["The original"][0] == [str(union.value(article, SCHEMA.url))]


def test_a_statements_page_is_titled_by_who_said_it(client, union) -> None:
    statement = next(iter(set(union.subjects(RDF.type, NG.DirectQuote))))
    speaker = name(union, union.value(statement, PROV.wasAttributedTo))
    body = client.get("/" + str(statement)[len(BASE):].replace("id/", "doc/", 1),
                      headers=PAGE).data.decode()
    title = body.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert title.startswith(speaker.replace("'", "&#39;")) or title.startswith(speaker)


@pytest.mark.parametrize("path", ["/doc/place/beijing", "/doc/organization/cubaheadlines",
                                  "/doc/post/minister-of-foreign-affairs-cuba"])
def test_every_card_keeps_all_the_data_below_it(client, path: str) -> None:
    body = client.get(path, headers=PAGE).data.decode()
    card_at, all_data_at = body.index('class="card'), body.index('id="all-data"')
    assert card_at < all_data_at < body.index('table class="facts"')


def test_each_list_on_a_card_links_the_query_that_gives_it(client, union) -> None:
    from urllib.parse import parse_qs, urlsplit

    body = client.get("/doc/person/bruno-rodriguez-parrilla", headers=PAGE).data.decode()
    lines, _ = read_card(body)
    hrefs = [part.split('"')[0].replace("&amp;", "&") for part in body.split('href="')
             if part.startswith("/sparql?query=")]
    queries = [parse_qs(urlsplit(h).query)["query"][0] for h in hrefs]
    meetings_query = next(q for q in queries if "?m a ng:Meeting" in q)
    assert len({str(r.m) for r in union.query(meetings_query)}) == len(lines["Meetings"])
    said_query = next(q for q in queries if "?s a ng:Statement" in q)
    assert len({str(r.s) for r in union.query(said_query)}) == len(lines["Said"])

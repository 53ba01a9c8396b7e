"""``/meetings`` in time order with filters, ``/network`` as SVG: checked against the dump."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from itertools import combinations
from urllib.parse import parse_qs, urlsplit

import pytest
from rdflib import RDF, URIRef

from newsgraph.config import Settings
from newsgraph.iris import NG, PROV, SCHEMA
from newsgraph.server.web import meetings as meetings_module

BASE = Settings().base
SVG = "{http://www.w3.org/2000/svg}"


def listed(client, **args: str) -> dict:
    resp = client.get("/meetings", query_string={**args, "format": "json"})
    assert resp.status_code == 200, resp.data
    return json.loads(resp.data)


def attendees(union, meeting: URIRef) -> set[str]:
    return {str(agent) for assoc in union.objects(meeting, PROV.qualifiedAssociation)
            for agent in union.objects(assoc, PROV.agent)}


def all_meetings(union) -> set[URIRef]:
    return set(union.subjects(RDF.type, NG.Meeting))


def test_every_meeting_is_listed_once_in_time_order(client, union) -> None:
    found = listed(client)
    assert found["total"] == len(all_meetings(union))
    assert {m["iri"] for m in found["meetings"]} == {str(m) for m in all_meetings(union)}
    dates = [m["date"] for m in found["meetings"] if m["date"]]
    assert dates == sorted(dates)
    for m in found["meetings"]:
        assert set(m["participants"]) == attendees(union, URIRef(m["iri"]))


def test_filters_by_person_pair_country_and_year(client, union) -> None:
    person = f"{BASE}id/person/bruno-rodriguez-parrilla"
    mine = {str(m) for m in all_meetings(union) if person in attendees(union, m)}
    assert {m["iri"] for m in listed(client, person="bruno-rodriguez-parrilla")["meetings"]} == mine
    partner = f"{BASE}id/person/wang-yi"
    both = {m for m in mine if partner in attendees(union, URIRef(m))}
    assert {m["iri"] for m in listed(client, person="bruno-rodriguez-parrilla",
                                     **{"with": "wang-yi"})["meetings"]} == both
    china = URIRef(f"{BASE}id/place/china")
    in_china = {str(m) for m in all_meetings(union)
                for place in union.objects(m, SCHEMA.location)
                if place == china or (place, SCHEMA.containedInPlace, china) in union}
    assert {m["iri"] for m in listed(client, country="china")["meetings"]} == in_china
    years = {str(d)[:4] for m in all_meetings(union) for d in union.objects(m, SCHEMA.startDate)}
    for year in years:
        expected = {str(m) for m in all_meetings(union)
                    if any(str(d).startswith(year) for d in union.objects(m, SCHEMA.startDate))}
        assert {m["iri"] for m in listed(client, year=year)["meetings"]} == expected
    assert listed(client, year="1900")["total"] == 0


def test_the_query_link_gives_the_same_meetings(client, union) -> None:
    page = client.get("/meetings?country=china").data.decode()
    href = next(part.split('"')[0] for part in page.split('href="') if part.startswith("/sparql?"))
    query = parse_qs(urlsplit(href.replace("&amp;", "&")).query)["query"][0]
    from_rdflib = {str(row.meeting) for row in union.query(query)}
    assert from_rdflib == {m["iri"] for m in listed(client, country="china")["meetings"]}


def test_pages_of_meetings(client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meetings_module, "PAGE_SIZE", 2)
    first = listed(client)
    assert len(first["meetings"]) == 2 and first["next"]
    second = json.loads(client.get(first["next"] + "&format=json").data)
    assert second["page"] == 2 and second["meetings"][0]["iri"] not in {
        m["iri"] for m in first["meetings"]}


@pytest.mark.parametrize("query", ["year=20x", "page=0", "person=a%3Cb", "country=x%20y"])
def test_bad_filters_are_a_readable_400(client, query: str) -> None:
    resp = client.get(f"/meetings?{query}")
    assert resp.status_code == 400 and resp.content_type.startswith("text/plain")


def test_the_network_draws_every_pair_of_people_who_met(client, union) -> None:
    resp = client.get("/network")
    assert resp.status_code == 200
    body = resp.data.decode()
    svg = ET.fromstring(body[body.index("<svg"): body.index("</svg>") + 6])
    people = {str(p) for p in union.subjects(RDF.type, SCHEMA.Person)}
    pairs = set()
    for m in all_meetings(union):
        met = sorted(attendees(union, m) & people)
        pairs |= set(combinations(met, 2))
    lines = svg.findall(f".//{SVG}line")
    assert len(lines) == len(pairs)
    drawn = {a.get("href") for a in svg.iter(f"{SVG}a") if a.find(f"{SVG}circle") is not None}
    assert drawn == {"/" + p[len(BASE):] for pair in pairs for p in pair}
    for a in svg.iter(f"{SVG}a"):
        assert client.get(a.get("href")).status_code in (200, 303)
    assert client.get("/network?year=1900").status_code == 200


def test_the_network_keeps_the_most_connected_when_there_are_many(client) -> None:
    from newsgraph.server.web.meetings import Meeting, network

    hub = (f"{BASE}id/person/hub", "Hub", True)
    meetings = [Meeting(f"{BASE}id/meeting/m{i}", f"m{i}", "2025-01-01",
                        participants=[hub, (f"{BASE}id/person/p{i}", f"P{i}", True)])
                for i in range(200)]
    drawing = network(meetings, BASE, limit=30)
    assert len(drawing.nodes) == 30 and drawing.people == 201 and drawing.pairs == 200
    assert drawing.nodes[0]["name"] == "Hub"
    assert len(drawing.edges) == 29  # the hub's ties to the 29 others drawn

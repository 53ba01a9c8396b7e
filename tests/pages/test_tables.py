"""``/tables``: CSV and JSON a spreadsheet user can open and join.

Row counts and values are checked against the release's dump read with rdflib,
not against the server's own queries."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from rdflib import RDF, URIRef

from newsgraph.iris import NG, NIF, PROV, SCHEMA
from newsgraph.server.web.tables import BY_NAME, TABLES_LIST


def read_csv(client, name: str) -> list[dict[str, str]]:
    resp = client.get(f"/tables/{name}.csv")
    assert resp.status_code == 200
    assert resp.content_type.startswith("text/csv")
    assert resp.data.endswith(b"\r\n")
    text = resp.data.decode("utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert header == [column for column, _ in BY_NAME[name].columns]
    return list(csv.DictReader(io.StringIO(text)))


def test_people_are_every_named_person_once(client, union) -> None:
    rows = read_csv(client, "people")
    people = {str(p) for p in union.subjects(RDF.type, SCHEMA.Person)}
    assert [r["person"] for r in rows] == sorted({r["person"] for r in rows},
                                                 key=[r["person"] for r in rows].index)
    assert {r["person"] for r in rows} == people
    for r in rows:
        assert r["name"] in {str(n) for n in union.objects(URIRef(r["person"]), SCHEMA.name)}
        assert r["wikidata"] == "" or r["wikidata"].startswith("Q")
        assert int(r["articles"]) >= 1


def test_meetings_have_one_row_per_participant(client, union) -> None:
    rows = read_csv(client, "meetings")
    expected = {(str(m), str(agent))
                for m in union.subjects(RDF.type, NG.Meeting)
                for assoc in union.objects(m, PROV.qualifiedAssociation)
                for agent in union.objects(assoc, PROV.agent)}
    assert len(rows) == len(expected)
    assert {(r["meeting"], r["participant"]) for r in rows} == expected
    for r in rows:
        for article in r["articles"].split(" | "):
            assert (URIRef(article), RDF.type, SCHEMA.NewsArticle) in union


def test_statements_and_mentions_match_the_dump(client, union) -> None:
    statements = read_csv(client, "statements")
    assert {r["statement"] for r in statements} == {
        str(s) for s in union.subjects(RDF.type, NG.Statement)}
    assert {r["kind"] for r in statements} <= {"direct quote", "indirect quote", "editorial claim"}
    for r in statements:
        assert r["text"] in {str(t) for t in union.objects(URIRef(r["statement"]), SCHEMA.text)}
    mentions = read_csv(client, "mentions")
    expected = {(str(thing), str(span)) for thing, span in union.subject_objects(NG.evidence)}
    assert len({(r["thing"], r["article"], r["begin"], r["end"]) for r in mentions}) == len(
        expected)
    for r in mentions[:50]:
        span = URIRef(f"{r['article']}#char={r['begin']},{r['end']}")
        assert (span, NIF.anchorOf, None) in union
        assert str(union.value(span, NIF.anchorOf)) == r["words"]


def test_tables_join_by_iri(client) -> None:
    people = {r["person"] for r in read_csv(client, "people")}
    meetings = read_csv(client, "meetings")
    assert {r["participant"] for r in meetings if r["participant_kind"] == "person"} <= people
    assert all(r["participant"].split("/id/")[1].split("/")[0] == r["participant_kind"]
               for r in meetings)
    speakers = {r["speaker"] for r in read_csv(client, "statements") if r["speaker"]}
    meeting_ids = {r["meeting"] for r in read_csv(client, "meetings")}
    said_at = {r["meeting"] for r in read_csv(client, "statements") if r["meeting"]}
    assert said_at <= meeting_ids and speakers


@pytest.mark.parametrize("table", [t.name for t in TABLES_LIST])
def test_json_holds_the_same_rows_as_csv(client, table: str) -> None:
    rows = read_csv(client, table)
    resp = client.get(f"/tables/{table}.json")
    assert resp.status_code == 200 and resp.content_type.startswith("application/json")
    data = json.loads(resp.data)
    assert data == [{k: v for k, v in r.items() if v != ""} for r in rows]
    negotiated = client.get(f"/tables/{table}", headers={"Accept": "application/json"})
    assert json.loads(negotiated.data) == data and "Accept" in negotiated.headers["Vary"]


def test_the_index_documents_every_column_and_links_the_query(client) -> None:
    page = client.get("/tables")
    assert page.status_code == 200
    body = page.data.decode()
    for t in TABLES_LIST:
        assert f'href="/tables/{t.name}.csv"' in body
        for column, _ in t.columns:
            assert f"<code>{column}</code>" in body
    link = client.get("/tables/people.csv").headers["Link"]
    query = parse_qs(urlsplit(link.split(">")[0].lstrip("<")).query)["query"][0]
    assert query == BY_NAME["people"].sparql


def test_unknown_tables_and_formats_are_404(client) -> None:
    for path in ("/tables/nope.csv", "/tables/people.xlsx"):
        resp = client.get(path)
        assert resp.status_code == 404 and b"Traceback" not in resp.data
    assert client.get("/tables/people", headers={"Accept": "image/png"}).status_code == 406


def test_a_table_is_answered_304_when_the_release_is_unchanged(client) -> None:
    first = client.get("/tables/people.csv")
    again = client.get("/tables/people.csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304

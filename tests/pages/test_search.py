"""``/search``: names, aliases and statements' words, accent- and case-insensitive, ranked."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from rdflib import URIRef

from newsgraph.config import Settings
from newsgraph.iris import SCHEMA
from newsgraph.server.web import search as search_module
from newsgraph.server.web.name_index import Entry, NameIndex
from newsgraph.server.web.search import rank

BASE = Settings().base
ALVAREZ = f"{BASE}id/person/lazaro-alberto-alvarez-casas"
WANG_XIAOHONG = f"{BASE}id/person/wang-xiaohong"


def hits(client, q: str, **args: str) -> dict:
    resp = client.get("/search", query_string={"q": q, "format": "json", **args})
    assert resp.status_code == 200, resp.data
    assert resp.content_type.startswith("application/json")
    return json.loads(resp.data)


@pytest.mark.parametrize("typed", ["alvarez", "ALVAREZ", "Álvarez", "lazaro alv", "casas lázaro"])
def test_a_person_is_found_however_the_name_is_typed(client, typed: str) -> None:
    found = hits(client, typed)
    assert found["results"][0]["iri"] == ALVAREZ
    assert found["results"][0]["kind"] == "person"
    assert found["results"][0]["href"] == "/id/person/lazaro-alberto-alvarez-casas"


def test_a_prefix_finds_every_person_whose_name_has_a_word_starting_so(client) -> None:
    people = {r["iri"] for r in hits(client, "wan", kind="person")["results"]}
    assert WANG_XIAOHONG in people and f"{BASE}id/person/wang-yi" in people
    assert all(r["kind"] == "person" for r in hits(client, "wan", kind="person")["results"])


def test_statements_are_found_by_their_words(client, union) -> None:
    found = hits(client, "security risks", kind="statement")["results"]
    assert found, "a statement says 'security risks and challenges'"
    for r in found:
        text = " ".join(str(o) for o in union.objects(URIRef(r["iri"]), SCHEMA.text))
        assert "security" in text.lower() and "risks" in text.lower()


def test_people_rank_above_what_only_mentions_them(client) -> None:
    results = hits(client, "alvarez")["results"]
    kinds = [r["kind"] for r in results]
    assert kinds[0] == "person" and "meeting" in kinds
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_nothing_found_is_an_empty_answer_not_an_error(client) -> None:
    assert hits(client, "qqqzzz")["results"] == []
    assert hits(client, "qqqzzz")["total"] == 0
    page = client.get("/search?q=qqqzzz", headers={"Accept": "text/html"})
    assert page.status_code == 200 and b"Nothing found" in page.data


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.in_results = False
        self.links: list[str] = []
        self.forms: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "ol" and "search-results" in (a.get("class") or ""):
            self.in_results = True
        elif tag == "a" and self.in_results and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "form":
            self.forms.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "ol":
            self.in_results = False


def test_the_html_page_links_each_hit_and_every_page_has_a_search_box(client) -> None:
    page = client.get("/search?q=wang", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    parser = _Links()
    parser.feed(page.data.decode())
    assert "/id/person/wang-xiaohong" in parser.links
    for link in parser.links:
        assert client.get(link).status_code in (200, 303)
    landing = _Links()
    landing.feed(client.get("/").data.decode())
    assert any(f.get("action") == "/search" for f in landing.forms)


def test_pages_of_results(client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    first = hits(client, "xi")
    assert first["total"] > 4 and len(first["results"]) == 2 and first["prev"] is None
    second = client.get(first["next"] + "&format=json")
    assert second.status_code == 200
    later = json.loads(second.data)
    assert later["page"] == 2 and later["prev"]
    assert not {r["iri"] for r in first["results"]} & {r["iri"] for r in later["results"]}
    assert 'rel="next"' in client.get("/search?q=xi").headers["Link"]


@pytest.mark.parametrize("args, status", [
    ({"q": "x" * 301}, 400),
    ({"q": "\ufdfa" * 30}, 400),  # 30 characters, 540 once normalised
    ({"q": "wang", "page": "0"}, 400),
    ({"q": "wang", "page": "two"}, 400),
    ({"q": "wang", "kind": "spaceship"}, 400),
])
def test_bad_searches_get_a_readable_400(client, args: dict, status: int) -> None:
    resp = client.get("/search", query_string=args)
    assert resp.status_code == status
    assert resp.content_type.startswith("text/plain") and b"Traceback" not in resp.data


def test_a_client_that_takes_neither_html_nor_json_gets_406(client) -> None:
    resp = client.get("/search?q=wang", headers={"Accept": "text/turtle"})
    assert resp.status_code == 406 and "Accept" in resp.headers["Vary"]


def _entry(kind: str, slug: str, names: list[str], texts: list[str] = ()) -> Entry:
    from newsgraph.names import fold

    e = Entry(f"{BASE}id/{kind}/{slug}", kind, slug, names=list(names), texts=list(texts))
    e.folded = [fold(n) for n in names]
    return e


def test_ranking_whole_name_then_alias_then_start_then_words_then_text() -> None:
    entries = [
        _entry("person", "a", ["Ana Pérez Ruiz"]),
        _entry("person", "b", ["Ana Pérez"]),
        _entry("organization", "c", ["Ana Pérez Foundation"]),
        _entry("person", "d", ["Rosa Gómez", "Ana Pérez"]),  # an alias
        _entry("statement", "e", [], ["We thank Ana Pérez for her work"]),
        _entry("person", "f", ["Pérez, Ana María"]),
    ]
    index = NameIndex.of({e.iri: e for e in entries})
    order = [h.entry.slug for h in rank(index, "ana perez")]
    assert order[:2] == ["b", "d"]  # the whole name, then the whole of an alias
    assert order.index("a") < order.index("f")  # a name starting so, then one with the words
    assert order[-1] == "e"  # a statement's words last
    assert set(order) == {"a", "b", "c", "d", "e", "f"}
    alias_hit = next(h for h in rank(index, "ana perez") if h.entry.slug == "d")
    assert alias_hit.alias == "Ana Pérez"
    assert [h.entry.slug for h in rank(index, "ana perez", kind="organization")] == ["c"]
    assert rank(index, "   ") == [] and rank(index, "zzz") == []

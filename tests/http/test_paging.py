"""Hubs and long lists, a page at a time: a description is read with a bounded
number of queries and has a bounded size however many links its thing has;
its incoming and evidence links are paged, with counts, ``Link`` headers and
Hydra links in the data; the per-kind lists and ``/dataset`` are paged too, and
every page together lists each thing once (tests/http/hub_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from hub_data import BASE, HUB, write_hub
from ld_helpers import links_of, parse_rdf
from rdflib import Literal, URIRef

from newsgraph.server.store import OpenRelease, open_data
from newsgraph.server.web.describe import describe

pytestmark = pytest.mark.http

HYDRA = "http://www.w3.org/ns/hydra/core#"
PER_PAGE = 10
# the queries one description may cost: the thing's own triples (one per
# sub-node step, at most four), its links counted and paged (one), an
# article's mentions (one), the names of all that (two)
QUERY_BOUND = 8


def _counting(release: OpenRelease) -> list[str]:
    """Record every query the release is asked from now on."""
    asked: list[str] = []
    real = release.query

    def query(text: str):  # type: ignore[no-untyped-def]
        asked.append(text)
        return real(text)

    release.query = query  # type: ignore[method-assign]
    return asked


def _things(release: OpenRelease) -> list[str]:
    rows = release.select(
        f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && '
        f'STRSTARTS(STR(?s), "{BASE}id/") && !CONTAINS(STR(?s), "#")) }}')
    return sorted(r["s"].value for r in rows)


@pytest.fixture(scope="module")
def hubs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("hubs")
    return {n: write_hub(folder / f"hub-{n}.nq", n) for n in (40, 120)}


@pytest.fixture(scope="module")
def server(start_server, hubs):
    return start_server(hubs[120], env={"NEWSGRAPH_MAX_INCOMING_LINKS": str(PER_PAGE)})


@pytest.fixture(scope="module")
def small_server(start_server, hubs):
    return start_server(hubs[40], env={"NEWSGRAPH_MAX_INCOMING_LINKS": str(PER_PAGE)})


def test_a_description_costs_a_bounded_number_of_queries_whatever_the_thing(
    hubs, built_dist
):
    for source in (hubs[40], hubs[120], built_dist):
        release = open_data(source)
        asked = _counting(release)
        for thing in _things(release):
            before = len(asked)
            describe(release, thing, BASE, PER_PAGE)
            assert 0 < len(asked) - before <= QUERY_BOUND, (source.name, thing)
    # and the hub costs as many with three times the meetings
    counts = []
    for n in (40, 120):
        release = open_data(hubs[n])
        asked = _counting(release)
        describe(release, HUB, BASE, PER_PAGE, page=2)
        counts.append(len(asked))
    assert counts[0] == counts[1]


def test_a_hubs_description_has_the_same_size_with_three_times_the_meetings(
    server, small_server
):
    sizes = []
    for srv in (small_server, server):
        r = srv.get("/doc/person/head-of-state.ttl")
        assert r.status_code == 200
        graph = parse_rdf(r.content, r.headers["Content-Type"])
        incoming = {t for t in graph.triples((None, None, URIRef(HUB)))
                    if str(t[0]).startswith(BASE + "id/")}
        assert len(incoming) == PER_PAGE
        sizes.append(len(graph))
    assert sizes[0] == sizes[1]


def test_every_incoming_link_is_on_exactly_one_page_and_the_pages_link_up(server):
    seen: list[tuple[str, str]] = []
    evidence: list[str] = []
    path, page = "/doc/person/head-of-state.ttl", 1
    doc = URIRef(f"{BASE}doc/person/head-of-state")
    while path:
        r = server.get(path)
        assert r.status_code == 200, path
        graph = parse_rdf(r.content, r.headers["Content-Type"])
        seen += [(str(s), str(p)) for s, p, _ in graph.triples((None, None, URIRef(HUB)))
                 if str(s).startswith(BASE + "id/")]
        evidence += [str(o) for o in graph.objects(URIRef(HUB), URIRef(
            "https://w3id.org/newsgraph/def#evidence"))]
        here = doc if page == 1 else URIRef(f"{doc}?page={page}")
        assert r.headers["Content-Location"] == path
        # the counts, whatever the page
        assert graph.value(URIRef(f"{doc}#incoming"), URIRef(HYDRA + "totalItems")) == \
            Literal(240)
        assert graph.value(URIRef(f"{doc}#evidence"), URIRef(HYDRA + "totalItems")) == \
            Literal(120)
        nxt = graph.value(here, URIRef(HYDRA + "next"))
        link = requests.utils.parse_header_links(r.headers["Link"])
        rels = {x["rel"]: x["url"] for x in link}
        if page > 1:
            assert rels["prev"].endswith("head-of-state.ttl" if page == 2 else f"?page={page - 1}")
            assert graph.value(here, URIRef(HYDRA + "previous")) is not None
        if nxt is None:
            assert "next" not in rels
            path = None
        else:
            assert str(nxt) == f"{doc}?page={page + 1}"
            assert rels["next"] == f"/doc/person/head-of-state.ttl?page={page + 1}"
            path, page = rels["next"], page + 1
    # 240 incoming links (an attendee and a participation per meeting), 10 a page
    assert page == 24
    assert len(seen) == len(set(seen)) == 240
    assert len(evidence) == len(set(evidence)) == 120
    assert server.get("/doc/person/head-of-state.ttl?page=25").status_code == 404
    for bad in ("0", "-1", "x", "1.5"):
        assert server.get(f"/doc/person/head-of-state?page={bad}").status_code == 404


def test_the_hubs_page_states_the_counts_and_links_the_next_page(server):
    page = server.get("/doc/person/head-of-state.html?page=2").text
    assert "240 links point here; showing 11–20." in page
    assert "120 evidence spans; showing 11–20." in page
    assert 'rel="next" href="/doc/person/head-of-state?page=3"' in page
    assert 'rel="prev" href="/doc/person/head-of-state"' in page
    # an ordinary thing has one page and no pager
    visitor = server.get("/doc/person/visitor-00001.html").text
    assert 'class="pager"' not in visitor


def test_every_thing_of_a_kind_is_on_exactly_one_list_page(server):
    landing = server.get("/").text
    assert "/browse/person" in links_of(landing)
    found: list[str] = []
    path = "/browse/person"
    pages = 0
    while path:
        r = server.get(path)
        assert r.status_code == 200, path
        pages += 1
        found += [h for h in links_of(r.text) if h.startswith("/id/person/")]
        nxt = [x["url"] for x in requests.utils.parse_header_links(r.headers.get("Link", ""))
               if x.get("rel") == "next"]
        path = nxt[0] if nxt else None
    # the hub and 120 visitors, 100 a page
    assert pages == 2
    assert len(found) == len(set(found)) == 121
    assert server.get("/browse/person?page=3").status_code == 404
    assert server.get("/browse/nothing").status_code == 404


def test_the_dataset_lists_its_named_graphs_a_page_at_a_time(server):
    first = server.get("/dataset.html")
    second = server.get("/dataset.html?page=2")
    graphs = [h for r in (first, second) for h in links_of(r.text) if h.startswith("/graph/")]
    # the register and 120 articles' graphs
    assert len(graphs) == len(set(graphs)) == 121
    assert "121 named graphs; showing 1–100." in first.text
    assert server.get("/dataset.html?page=3").status_code == 404

"""HTML pages, asked of the app in-process: the landing page, entity pages and the article page say
what the data says, and every link on them leads somewhere."""

from __future__ import annotations

from urllib.parse import urlsplit

from ld_helpers import BASE, ids_of, links_of, parse_rdf, path_of, sections_of
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL

NG = Namespace("https://w3id.org/newsgraph/def#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
SCHEMA = Namespace("https://schema.org/")
ARTICLE = URIRef(BASE + "id/article/cubaheadlines-309517")


def test_the_landing_page_links_to_every_thing_and_counts_them(live_app, things):
    page = live_app.get("/").text
    linked = {h for h in links_of(page) if h.startswith("/id/")}
    assert linked == {path_of(t) for t in things}
    assert f"<strong>{len(things)}</strong> things" in page
    for target in ("/sparql", "/dataset", "/def", "/shapes", "/dumps/newsgraph.nq",
                   "/dumps/newsgraph.ttl"):
        assert target in links_of(page)


def test_every_link_on_the_landing_page_leads_to_a_page(live_app):
    page = live_app.get("/").text
    targets = {urlsplit(h).path for h in links_of(page) if h.startswith("/")}
    # the SPARQL endpoint is tested on its own (tests of the SPARQL protocol)
    targets = {t for t in targets if not t.startswith("/sparql")}
    assert targets
    for target in sorted(targets):
        r = live_app.get(target, allow_redirects=True)
        assert r.status_code == 200, target


def test_an_entity_page_shows_its_name_types_wikidata_and_evidence(live_app, dump_graph):
    person = URIRef(BASE + "id/person/wang-xiaohong")
    page = live_app.get("/doc/person/wang-xiaohong.html").text
    name = str(next(dump_graph.objects(person, SCHEMA.name)))
    assert f"<h1>{name}</h1>" in page
    (qid,) = list(dump_graph.objects(person, OWL.sameAs))
    assert f'href="{qid}"' in page
    # the sentence of each evidence span, with the span itself marked
    for span in dump_graph.objects(person, NG.evidence):
        anchor = str(next(dump_graph.objects(span, NIF.anchorOf)))
        assert f"<mark>{anchor}</mark>" in page
        begin = next(dump_graph.objects(span, NIF.beginIndex))
        end = next(dump_graph.objects(span, NIF.endIndex))
        assert f'href="/id/article/cubaheadlines-309517#char={begin},{end}"' in page
    # every thing that links to the person is linked back from the page
    for subject in set(dump_graph.subjects(None, person)):
        thing = str(subject).split("#", 1)[0]
        if thing != str(person):
            assert f'href="{path_of(thing)}' in page, thing


def test_the_article_page_shows_the_full_text_with_every_grounded_mention_linked(
    live_app, dump_graph
):
    page = live_app.get("/doc/article/cubaheadlines-309517.html").text
    text = str(next(dump_graph.objects(ARTICLE, NIF.isString)))
    assert sections_of(page)["article-text"] == " ".join(text.split())
    spans = set(dump_graph.subjects(NIF.referenceContext, ARTICLE))
    assert spans
    ids = set(ids_of(page))
    links = set(links_of(page))
    for span in spans:
        fragment = str(span).split("#", 1)[1]
        assert fragment in ids, fragment  # each span can be linked to
        for thing in dump_graph.subjects(NG.evidence, span):
            # the article's own sub-nodes (its correction) are on the page itself
            own = str(thing).startswith(str(ARTICLE) + "#")
            expected = "#" + str(thing).split("#", 1)[1] if own else path_of(str(thing))
            assert expected in links, thing


def test_the_json_ld_embedded_in_a_page_is_the_description(live_app):
    for doc in ("/doc/person/wang-xiaohong", "/doc/article/cubaheadlines-309517"):
        html = live_app.get(doc + ".html")
        turtle = live_app.get(doc + ".ttl")
        embedded = parse_rdf(html.content, html.headers["Content-Type"])
        assert set(embedded) == set(parse_rdf(turtle.content, turtle.headers["Content-Type"]))
        assert isinstance(embedded, Graph)


def test_pages_fetch_nothing_from_elsewhere(live_app):
    for path in ("/", "/doc/person/wang-xiaohong.html", "/def", "/shapes", "/dataset"):
        page = live_app.get(path).text
        for marker in ('src="http', "src='http", 'href="//', '@import', 'url(http'):
            assert marker not in page, (path, marker)
        for tag_start in ('<link rel="stylesheet" href="',):
            start = page.index(tag_start) + len(tag_start)
            assert page[start] == "/", path
    css = live_app.get("/static/style.css")
    assert css.status_code == 200
    assert "url(" not in css.text and "@import" not in css.text

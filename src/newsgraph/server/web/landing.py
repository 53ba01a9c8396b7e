"""The landing page, ``/``: what the dataset holds, how to query it, where the dumps
are; and ``/browse/{kind}``, every thing of one kind a page at a time."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, render_template

from newsgraph import iris
from newsgraph.iris import KINDS
from newsgraph.server.dataset_description import Statistics, statistics
from newsgraph.server.store import OpenRelease
from newsgraph.server.web import current_release, current_settings, error_response
from newsgraph.server.web.describe import names_of
from newsgraph.server.web.entity_pages import KIND_PLURALS, Link, namesake_labels, paging
from newsgraph.server.web.linked_data import conditional, page_links, page_number
from newsgraph.server.web.negotiation import HTML

bp = Blueprint("landing", __name__)

# the landing page shows the first of each kind's list, a list page this many
LANDING_LIST_CAP = 50
LIST_PAGE_SIZE = 100


def _entries(release: OpenRelease, rows: list[tuple[str, str]], base: str) -> list[Link]:
    """Links to things; a thing without a name of its own (an office holding, an
    article) goes by the name made from its links, as on its page; things that
    share a name say what tells them apart (a meeting its date and place). A
    few queries for the rows given, whatever the data holds."""
    things = [iri for iri, _ in rows]
    found = names_of(release, things)
    names = found.labels(things)
    names.update(namesake_labels(release, base, things, found))
    return [Link(names.get(iri, label), href="/" + iri[len(base) :]) for iri, label in rows]


def _statistics(release: OpenRelease, base: str) -> Statistics:
    return release.once(("statistics",), lambda: statistics(release, base))


@bp.get("/")
def landing() -> Response:
    release = current_release()
    settings = current_settings()

    def draw() -> bytes:
        stats = _statistics(release, settings.base)
        browse = [
            {
                "kind": kind,
                "title": KIND_PLURALS[kind],
                "count": len(stats.entities_by_kind[kind]),
                "entries": _entries(
                    release, stats.entities_by_kind[kind][:LANDING_LIST_CAP], settings.base
                ),
                "all": f"/browse/{kind}",
            }
            for kind in ("article", *[k for k in KINDS if k != "article"])
            if stats.entities_by_kind.get(kind)
        ]
        examples = [
            (title, "/sparql?query=" + quote(q, safe=""), q) for title, q in EXAMPLE_QUERIES
        ]
        return render_template(
            "landing.html",
            stats=stats,
            browse=browse,
            dumps=sorted(release.dumps.values(), key=lambda d: d.name),
            examples=examples,
            base=settings.base,
            list_cap=LANDING_LIST_CAP,
            example_iri=next(
                (rows[0][0] for rows in stats.entities_by_kind.values() if rows), None
            ),
        ).encode("utf-8")

    body = release.cached(("landing",), draw)
    resp = Response(body, content_type=HTML.content_type)
    resp.headers["Link"] = '</dataset>; rel="describedby"; type="text/turtle"'
    return conditional(resp, release, "landing")


@bp.get("/browse/<kind>")
def kind_list(kind: str) -> Response:
    """Every thing of one kind, a page at a time (``?page=N``), in the order of
    the build's statistics (by name): counted at build time, never per request."""
    release = current_release()
    settings = current_settings()
    stats = _statistics(release, settings.base)
    rows = stats.entities_by_kind.get(kind) if kind in KINDS else None
    page = page_number()
    if not rows:
        return error_response(404, "404 Not Found: no such kind of thing")
    pages = max(1, -(-len(rows) // LIST_PAGE_SIZE))
    if page is None or page > pages:
        return error_response(404, f"404 Not Found: /browse/{kind} has no such page")
    path = f"/browse/{kind}"

    def draw() -> bytes:
        start = (page - 1) * LIST_PAGE_SIZE
        return render_template(
            "list.html",
            kind=kind,
            title=KIND_PLURALS[kind],
            count=len(rows),
            entries=_entries(release, rows[start:start + LIST_PAGE_SIZE], settings.base),
            paging=paging(path, page, pages, LIST_PAGE_SIZE, {"entries": len(rows)}),
            alternates=[],
            jsonld="",
        ).encode("utf-8")

    body = release.cached(("browse", kind, page), draw)
    resp = Response(body, content_type=HTML.content_type)
    resp.headers["Link"] = ", ".join(page_links(path, page, pages))
    if not resp.headers["Link"]:
        del resp.headers["Link"]
    return conditional(resp, release, f"browse-{kind}-{page}")


# Each works across articles and names, in ?article, the article a row comes from
# (the one whose words are the evidence), like the query page's examples.
EXAMPLE_QUERIES = (
    (
        "Who met whom, where and when",
        iris.with_prefixes("""SELECT DISTINCT ?article ?meeting ?name ?date ?placeName WHERE {
  ?meeting a ng:Meeting ; schema:name ?name ; schema:startDate ?date ;
           schema:location/schema:name ?placeName ;
           ng:evidence/nif:referenceContext ?article .
} ORDER BY ?date ?article"""),
    ),
    (
        "Who holds which office",
        iris.with_prefixes("""SELECT DISTINCT ?article ?person ?name ?office WHERE {
  ?tenure org:member ?person ; ng:post/skos:prefLabel ?office ;
          ng:evidence/nif:referenceContext ?article .
  ?person schema:name ?name .
} ORDER BY ?name ?article"""),
    ),
    (
        "Quotes and who said them",
        iris.with_prefixes("""SELECT DISTINCT ?article ?speakerName ?text WHERE {
  ?s a ng:DirectQuote ; schema:text ?text ; prov:wasAttributedTo/schema:name ?speakerName ;
     ng:evidence/nif:referenceContext ?article .
} ORDER BY ?article ?speakerName"""),
    ),
)

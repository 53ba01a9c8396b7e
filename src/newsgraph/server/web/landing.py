"""The landing page, ``/``: what the dataset holds, how to query it, where the dumps are."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, render_template

from newsgraph.iris import KINDS
from newsgraph.server.dataset_description import Statistics, statistics
from newsgraph.server.store import OpenRelease
from newsgraph.server.web import current_release, current_settings
from newsgraph.server.web.describe import labels_for
from newsgraph.server.web.entity_pages import KIND_PLURALS, Link, namesake_labels
from newsgraph.server.web.linked_data import conditional
from newsgraph.server.web.negotiation import HTML

bp = Blueprint("landing", __name__)

LANDING_LIST_CAP = 200


def _entries(release: OpenRelease, rows: list[tuple[str, str]], base: str) -> list[Link]:
    """Links to things; a thing without a name of its own (an office holding, an
    article) goes by the name made from its links, as on its page; things that
    share a name say what tells them apart (a meeting its date and place)."""
    names = labels_for(release, [iri for iri, _ in rows])
    names.update(namesake_labels(release, base))
    return [Link(names.get(iri, label), href="/" + iri[len(base) :]) for iri, label in rows]


@bp.get("/")
def landing() -> Response:
    release = current_release()
    settings = current_settings()

    def draw() -> bytes:
        stats: Statistics = release.once(
            ("statistics",), lambda: statistics(release, settings.base)
        )
        browse = [
            {
                "kind": kind,
                "title": KIND_PLURALS[kind],
                "count": len(stats.entities_by_kind[kind]),
                "entries": _entries(
                    release, stats.entities_by_kind[kind][:LANDING_LIST_CAP], settings.base
                ),
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


# Each works across articles and names, in ?article, the article a row comes from
# (the one whose words are the evidence), like the query page's examples.
EXAMPLE_QUERIES = (
    (
        "Who met whom, where and when",
        """PREFIX schema: <https://schema.org/>
PREFIX ng: <https://w3id.org/newsgraph/def#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
SELECT DISTINCT ?article ?meeting ?name ?date ?placeName WHERE {
  ?meeting a ng:Meeting ; schema:name ?name ; schema:startDate ?date ;
           schema:location/schema:name ?placeName ;
           ng:evidence/nif:referenceContext ?article .
} ORDER BY ?date ?article""",
    ),
    (
        "Who holds which office",
        """PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX ng: <https://w3id.org/newsgraph/def#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
SELECT DISTINCT ?article ?person ?name ?office WHERE {
  ?tenure org:member ?person ; ng:post/skos:prefLabel ?office ;
          ng:evidence/nif:referenceContext ?article .
  ?person schema:name ?name .
} ORDER BY ?name ?article""",
    ),
    (
        "Quotes and who said them",
        """PREFIX ng: <https://w3id.org/newsgraph/def#>
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?article ?speakerName ?text WHERE {
  ?s a ng:DirectQuote ; schema:text ?text ; prov:wasAttributedTo/schema:name ?speakerName ;
     ng:evidence/nif:referenceContext ?article .
} ORDER BY ?article ?speakerName""",
    ),
)

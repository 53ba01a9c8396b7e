"""``/meetings`` (who met whom, in time order) and ``/network`` (the same as a picture).

Both read one SELECT over the union of the graphs, run once per release and
kept (a few rows per meeting), and filter it here: by person, by country (the
meeting's place or the country that contains it) and by year. Each page links
the SPARQL query that gives its rows, filters included, as Scholia links each
panel to its query. The network is drawn on the server as SVG, so it reads
without JavaScript: people are nodes, an edge joins two people who met, its
width grows with how often they did.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, render_template, request

from newsgraph import iris
from newsgraph.server.store import OpenRelease
from newsgraph.server.web import current_release, current_settings, error_response
from newsgraph.server.web.linked_data import conditional
from newsgraph.server.web.negotiation import HTML, JSON, SEARCH, by_word, negotiate

bp = Blueprint("meetings", __name__)

PAGE_SIZE = 50
MAX_PAGE = 10_000
NETWORK_NODES = 60  # the most connected people drawn; the rest are counted

_QUERY = iris.with_prefixes("""
SELECT ?meeting ?name ?date ?place ?place_name ?country ?country_name
       ?participant ?participant_name ?person WHERE {
  ?meeting a ng:Meeting ; prov:qualifiedAssociation/prov:agent ?participant .
  OPTIONAL { ?meeting schema:name ?name }
  OPTIONAL { ?meeting schema:startDate ?date }
  OPTIONAL { ?meeting schema:location ?place . OPTIONAL { ?place schema:name ?place_name }
    OPTIONAL { { ?place a schema:Country BIND(?place AS ?country) }
               UNION { ?place schema:containedInPlace ?country . ?country a schema:Country }
               OPTIONAL { ?country schema:name ?country_name } } }
  OPTIONAL { ?participant schema:name ?participant_name }
  BIND(IF(EXISTS { ?participant a schema:Person }, "person", "") AS ?person)%(filters)s
} ORDER BY ?date ?meeting ?participant""")


# (?person is a string, not EXISTS's boolean: Virtuoso answers a boolean as
# the integer 1 or 0)


@dataclass
class Meeting:
    iri: str
    name: str
    date: str  # as published: 2025, 2025-06 or 2025-06-02
    place: tuple[str, str] | None = None
    country: tuple[str, str] | None = None
    participants: list[tuple[str, str, bool]] = field(default_factory=list)  # iri, name, person

    @property
    def year(self) -> str:
        return self.date[:4]


def query_text(people: tuple[str, ...] | list[str] = (), country: str | None = None,
               year: str | None = None) -> str:
    """The SPARQL behind the list, with the page's filters written into it."""
    filters = []
    for person in people:
        filters.append("FILTER EXISTS { ?meeting prov:qualifiedAssociation/prov:agent "
                       f"<{person}> }}")
    if country:
        filters.append(f"FILTER(?country = <{country}>)")
    if year:
        filters.append(f'FILTER(STRSTARTS(STR(?date), "{year}"))')
    return _QUERY % {"filters": "".join("\n  " + f for f in filters)}


def all_meetings(release: OpenRelease) -> list[Meeting]:
    def read() -> list[Meeting]:
        found: dict[str, Meeting] = {}
        for row in release.query(query_text()):
            iri = row["meeting"].value
            m = found.get(iri)
            if m is None:
                m = found[iri] = Meeting(
                    iri, row["name"].value if row["name"] else iri.rsplit("/", 1)[-1],
                    row["date"].value if row["date"] else "")
            if row["place"] is not None and m.place is None:
                m.place = (row["place"].value,
                           row["place_name"].value if row["place_name"] else row["place"].value)
            if row["country"] is not None and m.country is None:
                m.country = (row["country"].value, row["country_name"].value
                             if row["country_name"] else row["country"].value)
            who = (row["participant"].value,
                   row["participant_name"].value if row["participant_name"] else
                   row["participant"].value.rsplit("/", 1)[-1],
                   row["person"] is not None and row["person"].value == "person")
            if who not in m.participants:
                m.participants.append(who)
        # in time order; undated meetings last
        return sorted(found.values(), key=lambda m: (m.date == "", m.date, m.name, m.iri))

    return release.once(("meetings",), read)


def _iri_of(value: str | None, kind: str, base: str) -> str | None:
    """A filter given as a slug (``wang-yi``) or a whole IRI."""
    if not value:
        return None
    return value if "://" in value else f"{base}id/{kind}/{value}"


def _filters() -> tuple[list[str], str | None, str | None, int] | str:
    base = current_settings().base
    people = [_iri_of(request.args.get(k), "person", base) for k in ("person", "with")]
    country = _iri_of(request.args.get("country"), "place", base)
    year = request.args.get("year") or None
    raw_page = request.args.get("page", "1")
    if year is not None and not (len(year) == 4 and year.isdigit()):
        return "year is four digits, such as 2025"
    if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
        return f"page is a whole number from 1 to {MAX_PAGE}"
    for value in (*people, country):
        if value is not None and (len(value) > 500 or any(c in value for c in '<>"{} \\')):
            return "person, with and country are slugs (wang-yi) or IRIs"
    return [p for p in people if p], country, year, int(raw_page)


def _matching(meetings: list[Meeting], people: list[str], country: str | None,
              year: str | None) -> list[Meeting]:
    return [m for m in meetings
            if all(any(p[0] == person for p in m.participants) for person in people)
            and (not country or (m.country and m.country[0] == country))
            and (not year or m.year == year)]


def _href(path: str, **args: object) -> str:
    kept = {k: v for k, v in args.items() if v not in (None, "", 1)}
    return path + ("?" + urlencode(kept) if kept else "")


def _local(iri: str, base: str) -> str:
    return "/" + iri[len(base):] if iri.startswith(base) else iri


def _sparql_href(query: str) -> str:
    return "/sparql?query=" + quote(query, safe="")


def _format():
    return by_word(request.args.get("format", ""), SEARCH) or negotiate(
        request.headers.get("Accept"), SEARCH)


@bp.get("/meetings")
def meetings_page() -> Response:
    fmt = _format()
    if fmt is None:
        return error_response(406, "406 Not Acceptable: meetings come as text/html or "
                              "application/json")
    parsed = _filters()
    if isinstance(parsed, str):
        return error_response(400, f"400 Bad Request: {parsed}")
    chosen, country, year, page = parsed
    release = current_release()
    base = current_settings().base
    everything = all_meetings(release)
    found = _matching(everything, chosen, country, year)
    shown = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    slug = {"person": request.args.get("person"), "with": request.args.get("with"),
            "country": request.args.get("country"), "year": year}
    prev_href = _href("/meetings", **slug, page=page - 1) if page > 1 else None
    next_href = (_href("/meetings", **slug, page=page + 1)
                 if page * PAGE_SIZE < len(found) else None)
    if fmt is JSON:
        body = json.dumps({
            "total": len(found), "page": page, "page_size": PAGE_SIZE,
            "next": next_href, "prev": prev_href,
            "meetings": [{
                "iri": m.iri, "name": m.name, "date": m.date,
                "place": m.place[0] if m.place else None,
                "country": m.country[0] if m.country else None,
                "participants": [p[0] for p in m.participants],
            } for m in shown],
        }, ensure_ascii=False, indent=1) + "\n"
        resp = Response(body, content_type=JSON.content_type)
    else:
        people = sorted({(p[1], p[0]) for m in everything for p in m.participants if p[2]})
        countries = sorted({(m.country[1], m.country[0]) for m in everything if m.country})
        years = sorted({m.year for m in everything if m.year}, reverse=True)
        html = render_template(
            "meetings.html", meetings=shown, total=len(found), page=page,
            first=(page - 1) * PAGE_SIZE + 1, prev_href=prev_href, next_href=next_href,
            people=people, countries=countries, years=years,
            person=chosen[0] if chosen else None, partner=chosen[1] if len(chosen) > 1 else None,
            country=country, year=year, local=lambda i: _local(i, base),
            sparql_href=_sparql_href(query_text(chosen, country, year)),
            network_href=_href("/network", year=year), alternates=[])
        resp = Response(html, content_type=HTML.content_type)
    links = [f'<{h}>; rel="{rel}"' for rel, h in (("prev", prev_href), ("next", next_href)) if h]
    if links:
        resp.headers["Link"] = ", ".join(links)
    resp.vary.add("Accept")
    return conditional(resp, release, f"meetings-{fmt.name}-{request.query_string.hex()}")


@dataclass(frozen=True)
class Drawing:
    nodes: list[dict]
    edges: list[dict]
    people: int  # how many people met someone, drawn or not
    pairs: int  # how many pairs met, drawn or not
    size: int


def network(meetings: list[Meeting], base: str, limit: int = NETWORK_NODES,
            size: int = 800) -> Drawing:
    """People who met, laid out on a circle (most connected first, each next to
    the one they met most often among those placed), with the pairs as edges."""
    pairs: Counter[tuple[str, str]] = Counter()
    names: dict[str, str] = {}
    for m in meetings:
        people = sorted({(p[0], p[1]) for p in m.participants if p[2]})
        for iri, name in people:
            names.setdefault(iri, name)
        for i, (a, _) in enumerate(people):
            for b, _ in people[i + 1:]:
                pairs[(a, b)] += 1
    degree: Counter[str] = Counter()
    for (a, b), n in pairs.items():
        degree[a] += n
        degree[b] += n
    kept = sorted(degree, key=lambda p: (-degree[p], names[p], p))[:limit]
    kept_set = set(kept)
    # order around the circle: greedily next to the strongest tie already placed
    order: list[str] = []
    left = list(kept)
    while left:
        if not order:
            order.append(left.pop(0))
            continue
        last = order[-1]
        best = max(left, key=lambda p: (pairs.get(tuple(sorted((last, p))), 0), degree[p]))
        left.remove(best)
        order.append(best)
    radius, centre = size * 0.32, size / 2
    where: dict[str, tuple[float, float, float]] = {}
    for i, iri in enumerate(order):
        angle = 2 * math.pi * i / max(1, len(order)) - math.pi / 2
        where[iri] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle), angle)
    top = max(pairs.values(), default=1)
    edges = [{
        "x1": round(where[a][0], 1), "y1": round(where[a][1], 1),
        "x2": round(where[b][0], 1), "y2": round(where[b][1], 1),
        "width": round(1 + 5 * math.log1p(n) / math.log1p(top), 2), "count": n,
        "title": f"{names[a]} and {names[b]}: {n} meeting{'s' if n != 1 else ''}",
        "a": names[a], "b": names[b],
        "href": _href("/meetings", person=a.rsplit("/", 1)[-1], **{"with": b.rsplit("/", 1)[-1]}),
    } for (a, b), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if a in kept_set and b in kept_set]
    nodes = []
    for iri in order:
        x, y, angle = where[iri]
        right = math.cos(angle) >= 0
        nodes.append({
            "x": round(x, 1), "y": round(y, 1), "r": round(4 + 2 * math.log1p(degree[iri]), 1),
            "href": _local(iri, base), "name": names[iri], "meetings": degree[iri],
            "lx": round(x + (10 if right else -10) * 1.0, 1), "ly": round(y + 4, 1),
            "anchor": "start" if right else "end",
        })
    return Drawing(nodes, edges, len(degree), len(pairs), size)


@bp.get("/network")
def network_page() -> Response:
    parsed = _filters()
    if isinstance(parsed, str):
        return error_response(400, f"400 Bad Request: {parsed}")
    _, _, year, _ = parsed
    release = current_release()
    base = current_settings().base

    def draw() -> bytes:
        meetings = _matching(all_meetings(release), [], None, year)
        years = sorted({m.year for m in all_meetings(release) if m.year}, reverse=True)
        return render_template(
            "network.html", drawing=network(meetings, base), year=year, years=years,
            limit=NETWORK_NODES, sparql_href=_sparql_href(query_text(year=year)),
            meetings_href=_href("/meetings", year=year), alternates=[]).encode("utf-8")

    body = release.cached(("network", year), draw)
    return conditional(Response(body, content_type=HTML.content_type), release,
                       f"network-{year or 'all'}")

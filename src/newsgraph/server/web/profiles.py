"""Cards: what a page says first, in the words of the news, not of the model.

A person's card gives their offices with dates, their country, their meetings
(when, where, with whom, in which office), what they said (according to whom,
reported by which outlet) and the articles that mention them; a meeting's card
says when, where, who took part in which role and office, what was said there
and the sources; an article's its headline, outlet, date and the original.
Organisations, places and offices get cards of their own kind; the full triple
view stays below every card ("All data").

Each card is a few SELECT queries over the union of the graphs, made once per
thing and release and kept with the page. The words on cards are in
``LABELS``, the one table of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from newsgraph import iris
from newsgraph.server.store import OpenRelease, sparql_term

LABELS = {
    "offices": "Offices",
    "current": "now",
    "since": "since",
    "until": "until",
    "from_to": "–",
    "country": "Country",
    "meetings": "Meetings",
    "said": "Said",
    "mentioned_in": "Mentioned in",
    "when": "When",
    "where": "Where",
    "who": "Who took part",
    "said_there": "What was said there",
    "sources": "Sources",
    "outlet": "Outlet",
    "published": "Published",
    "original": "The original",
    "based_on": "Based on",
    "part_of": "Part of",
    "located_in": "In",
    "holders": "Held by",
    "held_in": "Office of",
    "people": "People in its offices",
    "held_here": "Meetings held here",
    "according_to": "according to",
    "reported_by": "reported by",
    "as": "as",
    "with": "with",
    "at": "at",
    "wikidata": "Wikidata",
    "date_unknown": "date not given",
    "language": "Language",
    "speaker": "Said by",
    "kind": "Kind",
}
_P = iris.prologue("schema", "ng", "nif", "org", "owl", "prov", "rdfs", "skos", "time")
_NAME = "COALESCE(?{v}_n, ?{v}_l)"


def _named(var: str) -> str:
    """OPTIONAL patterns giving ``?{var}_name`` from schema:name or skos:prefLabel."""
    return (f"OPTIONAL {{ ?{var} schema:name ?{var}_n }} OPTIONAL {{ ?{var} skos:prefLabel "
            f"?{var}_l }} BIND({_NAME.format(v=var)} AS ?{var}_name)")


@dataclass
class Item:
    """One line of a card: a main link and what follows it."""

    text: str
    href: str | None = None
    note: str = ""
    parts: list[tuple[str, str | None]] = field(default_factory=list)  # (text, href) after it
    quote: str | None = None
    date: str = ""


@dataclass
class Card:
    kind: str
    title: str | None = None  # a better page title than the name, where there is one
    facts: list[tuple[str, list[Item]]] = field(default_factory=list)  # (label, items)
    lists: list[Panel] = field(default_factory=list)


@dataclass
class Panel:
    """A list on a card, with the SPARQL query that gave it (linked, as Scholia does)."""

    label: str
    items: list[Item]
    query: str = ""


class Rows(list):
    """Rows of a SELECT, and the query that gave them."""

    query: str = ""


def _select(release: OpenRelease, query: str, names: tuple[str, ...]) -> Rows:
    rows = Rows()
    rows.query = _P + query
    for sol in release.select(rows.query):
        row: dict[str, str] = {}
        for name in names:
            term = sol[name]
            if term is not None:
                row[name] = term.value
        rows.append(row)
    return rows


class _Linker:
    def __init__(self, base: str) -> None:
        self.base = base

    def href(self, iri: str | None) -> str | None:
        if not iri:
            return None
        if iri.startswith(self.base):
            return "/" + iri[len(self.base):]
        return iri if iri.startswith(("http://", "https://")) else None


def _span(start: str | None, end: str | None) -> str:
    if start and end:
        return f"{start} {LABELS['from_to']} {end}"
    if start:
        return f"{LABELS['since']} {start}"
    if end:
        return f"{LABELS['until']} {end}"
    return ""


def _person(release: OpenRelease, iri: str, link: _Linker) -> Card:
    t = sparql_term(ox.NamedNode(iri))
    card = Card("person")
    offices = _select(release, f"""
SELECT DISTINCT ?post ?post_name ?start ?end ?country ?country_name WHERE {{
  {{ ?tenure org:member {t} ; ng:post ?post .
     OPTIONAL {{ ?tenure org:memberDuring ?i
       OPTIONAL {{ ?i time:hasBeginning/time:inXSDDate ?start }}
       OPTIONAL {{ ?i time:hasEnd/time:inXSDDate ?end }} }}
     OPTIONAL {{ ?tenure org:organization/schema:location ?country .
                ?country a schema:Country }} }}
  UNION {{ {t} org:holds ?post
           FILTER NOT EXISTS {{ ?other org:member {t} ; ng:post ?post }} }}
  {_named("post")} {_named("country")}
}} ORDER BY DESC(?start) ?post_name""", ("post", "post_name", "start", "end", "country",
                                        "country_name"))
    items, countries = [], {}
    for row in offices:
        note = _span(row.get("start"), row.get("end"))
        if row.get("start") and not row.get("end"):
            note = f"{note} ({LABELS['current']})"
        items.append(Item(row.get("post_name", row["post"]), link.href(row["post"]), note))
        if row.get("country"):
            countries[row["country"]] = row.get("country_name", row["country"])
    if items:
        card.facts.append((LABELS["offices"], items))
    if countries:
        card.facts.append((LABELS["country"], [Item(n, link.href(c))
                                               for c, n in sorted(countries.items())]))
    meetings = _select(release, f"""
SELECT ?m ?m_name ?date ?place ?place_name ?other ?other_name ?capacity ?capacity_name
       ?role_name WHERE {{
  ?m a ng:Meeting ; prov:qualifiedAssociation ?a .
  ?a prov:agent {t} .
  OPTIONAL {{ ?a ng:capacity ?capacity {_named("capacity")} }}
  OPTIONAL {{ ?a prov:hadRole ?role {_named("role")} }}
  OPTIONAL {{ ?m schema:startDate ?date }}
  OPTIONAL {{ ?m schema:location ?place {_named("place")} }}
  OPTIONAL {{ ?m prov:qualifiedAssociation/prov:agent ?other FILTER(?other != {t})
             {_named("other")} }}
  {_named("m")}
}} ORDER BY ?date ?m ?other_name""", ("m", "m_name", "date", "place", "place_name", "other",
                                     "other_name", "capacity", "capacity_name", "role_name"))
    card.lists.append(Panel(LABELS["meetings"], _meeting_items(meetings, link), meetings.query))
    card.lists.append(Panel(LABELS["said"], *_said(release, f"?s prov:wasAttributedTo {t} .",
                                                  link)))
    return card


def _meeting_items(rows: list[dict[str, str]], link: _Linker) -> list[Item]:
    by_meeting: dict[str, Item] = {}
    others: dict[str, list[tuple[str, str | None]]] = {}
    for row in rows:
        m = row["m"]
        if m not in by_meeting:
            note = " · ".join(x for x in (
                f"{LABELS['at']} {row['place_name']}" if row.get("place_name") else "",
                f"{LABELS['as']} {row['capacity_name']}" if row.get("capacity_name") else "",
                row.get("role_name", "")) if x)
            by_meeting[m] = Item(row.get("m_name", m), link.href(m), note,
                                 date=row.get("date", ""))
            others[m] = []
        if row.get("other"):
            who = (row.get("other_name", row["other"]), link.href(row["other"]))
            if who not in others[m]:
                others[m].append(who)
    for m, item in by_meeting.items():
        if others[m]:
            item.parts = [(LABELS["with"], None), *others[m]]
    return list(by_meeting.values())


def _said(release: OpenRelease, pattern: str, link: _Linker) -> tuple[list[Item], str]:
    """Statements ``?s`` that ``pattern`` (a graph pattern) selects, each with its
    chain of sources."""
    rows = _select(release, f"""
SELECT ?s ?text ?kind_name ?speaker ?speaker_name ?m ?m_name ?date ?source ?source_name
       ?article ?outlet_name WHERE {{
  {pattern}
  ?s a ng:Statement ; schema:text ?text ; a ?kind .
  ?kind rdfs:subClassOf ng:Statement ; rdfs:label ?kind_name .
  OPTIONAL {{ ?s prov:wasAttributedTo ?speaker {_named("speaker")} }}
  OPTIONAL {{ ?s prov:wasGeneratedBy ?m {_named("m")} OPTIONAL {{ ?m schema:startDate ?date }} }}
  OPTIONAL {{ ?s prov:wasQuotedFrom ?source
             OPTIONAL {{ ?source schema:publisher ?sp {_named("sp")} }}
             {_named("source")} }}
  OPTIONAL {{ ?s ng:evidence/nif:referenceContext ?article
             OPTIONAL {{ ?article schema:publisher ?outlet {_named("outlet")} }} }}
}} ORDER BY ?date ?s""", ("s", "text", "kind_name", "speaker", "speaker_name", "m", "m_name",
                          "date", "source", "source_name", "article", "outlet_name"))
    items: dict[str, Item] = {}
    for row in rows:
        s = row["s"]
        if s in items:
            continue
        parts: list[tuple[str, str | None]] = []
        if row.get("speaker_name"):
            parts += [(LABELS["speaker"], None), (row["speaker_name"], link.href(row["speaker"]))]
        if row.get("m"):
            parts += [(LABELS["at"], None), (row.get("m_name", row["m"]), link.href(row["m"]))]
        if row.get("source"):
            parts += [(LABELS["according_to"], None),
                      (row.get("source_name", row["source"]), link.href(row["source"]))]
        if row.get("article"):
            parts += [(LABELS["reported_by"], None),
                      (row.get("outlet_name", "the article"), link.href(row["article"]))]
        items[s] = Item(row.get("kind_name", ""), link.href(s), quote=row["text"], parts=parts,
                        date=row.get("date", ""))
    return list(items.values()), rows.query


def _meeting(release: OpenRelease, iri: str, link: _Linker) -> Card:
    t = sparql_term(ox.NamedNode(iri))
    card = Card("meeting")
    (facts,) = _select(release, f"""
SELECT ?date ?expr ?place ?place_name ?country ?country_name WHERE {{
  OPTIONAL {{ {t} schema:startDate ?date }}
  OPTIONAL {{ {t} ng:dateExpression ?expr }}
  OPTIONAL {{ {t} schema:location ?place {_named("place")}
             OPTIONAL {{ ?place schema:containedInPlace ?country . ?country a schema:Country
                        {_named("country")} }} }}
}} LIMIT 1""", ("date", "expr", "place", "place_name", "country", "country_name")) or [{}]
    when = facts.get("date") or LABELS["date_unknown"]
    card.facts.append((LABELS["when"], [Item(when, note=(f"“{facts['expr']}” in the article"
                                                          if facts.get("expr") else ""))]))
    if facts.get("place"):
        where = [Item(facts.get("place_name", facts["place"]), link.href(facts["place"]))]
        if facts.get("country"):
            where.append(Item(facts.get("country_name", facts["country"]),
                              link.href(facts["country"])))
        card.facts.append((LABELS["where"], where))
    who = _select(release, f"""
SELECT ?p ?p_name ?role_name ?capacity ?capacity_name WHERE {{
  {t} prov:qualifiedAssociation ?a . ?a prov:agent ?p {_named("p")}
  OPTIONAL {{ ?a prov:hadRole ?role {_named("role")} }}
  OPTIONAL {{ ?a ng:capacity ?capacity {_named("capacity")} }}
}} ORDER BY ?role_name ?p_name""", ("p", "p_name", "role_name", "capacity", "capacity_name"))
    card.facts.append((LABELS["who"], [
        Item(row.get("p_name", row["p"]), link.href(row["p"]), " · ".join(x for x in (
            row.get("role_name", ""),
            f"{LABELS['as']} {row['capacity_name']}" if row.get("capacity_name") else "") if x))
        for row in who]))
    card.lists.append(Panel(LABELS["said_there"],
                            *_said(release, f"?s prov:wasGeneratedBy {t} .", link)))
    sources = _select(release, f"""
SELECT DISTINCT ?src ?src_name ?date WHERE {{
  {{ {t} ng:evidence/nif:referenceContext ?src }} UNION {{ {t} prov:wasDerivedFrom ?src }}
  {_named("src")} OPTIONAL {{ ?src schema:datePublished ?date }}
}} ORDER BY ?date ?src""", ("src", "src_name", "date"))
    card.lists.append(Panel(LABELS["sources"], [Item(r.get("src_name", r["src"]),
                                                     link.href(r["src"]), date=r.get("date", ""))
                                                for r in sources], sources.query))
    return card


def _article(release: OpenRelease, iri: str, link: _Linker) -> Card:
    t = sparql_term(ox.NamedNode(iri))
    card = Card("article")
    (row,) = _select(release, f"""
SELECT ?name ?outlet ?outlet_name ?date ?url ?lang ?based ?based_name ?based_url WHERE {{
  OPTIONAL {{ {t} schema:headline ?headline }}
  OPTIONAL {{ {t} schema:name ?plain }}
  BIND(COALESCE(?headline, ?plain) AS ?name)
  OPTIONAL {{ {t} schema:publisher ?outlet {_named("outlet")} }}
  OPTIONAL {{ {t} schema:datePublished ?date }}
  OPTIONAL {{ {t} schema:url ?url }}
  OPTIONAL {{ {t} schema:inLanguage ?lang }}
  OPTIONAL {{ {t} schema:isBasedOn ?based {_named("based")}
             OPTIONAL {{ ?based schema:url ?based_url }} }}
}} LIMIT 1""", ("name", "outlet", "outlet_name", "date", "url", "lang", "based", "based_name",
                "based_url")) or [{}]
    if row.get("outlet"):
        card.facts.append((LABELS["outlet"], [Item(row.get("outlet_name", row["outlet"]),
                                                   link.href(row["outlet"]))]))
    if row.get("date"):
        card.facts.append((LABELS["published"], [Item(row["date"])]))
    if row.get("url"):
        card.facts.append((LABELS["original"], [Item(row["url"], link.href(row["url"]))]))
    if row.get("based"):
        card.facts.append((LABELS["based_on"], [Item(row.get("based_name", row["based"]),
                                                     link.href(row.get("based_url") or
                                                               row["based"]))]))
    if row.get("lang"):
        card.facts.append((LABELS["language"], [Item(row["lang"])]))
    return card


def _statement(release: OpenRelease, iri: str, link: _Linker) -> Card:
    t = sparql_term(ox.NamedNode(iri))
    card = Card("statement")
    said, query = _said(release, f"VALUES ?s {{ {t} }}", link)
    if said:
        item = said[0]
        speaker = next((text for (label, _), (text, _) in zip(item.parts, item.parts[1:],
                                                               strict=False)
                        if label == LABELS["speaker"]), None)
        short = item.quote if item.quote and len(item.quote) <= 90 else (
            (item.quote or "")[:87].rstrip() + "…")
        card.title = f"{speaker}: “{short}”" if speaker else f"“{short}”"
        card.facts.append((LABELS["kind"], [Item(item.text)]))
        card.lists.append(Panel(LABELS["said"], said, query))
    return card


def _organization(release: OpenRelease, iri: str, link: _Linker) -> Card:
    t = sparql_term(ox.NamedNode(iri))
    card = Card("organization")
    up = _select(release, f"""
SELECT DISTINCT ?up ?up_name ?where ?where_name WHERE {{
  OPTIONAL {{ {t} schema:parentOrganization|org:subOrganizationOf ?up {_named("up")} }}
  OPTIONAL {{ {t} schema:location ?where {_named("where")} }}
}}""", ("up", "up_name", "where", "where_name"))
    ups = [Item(r.get("up_name", r["up"]), link.href(r["up"])) for r in up if r.get("up")]
    wheres = {r["where"]: r.get("where_name", r["where"]) for r in up if r.get("where")}
    if ups:
        card.facts.append((LABELS["part_of"], ups))
    if wheres:
        card.facts.append((LABELS["located_in"], [Item(n, link.href(w))
                                                  for w, n in sorted(wheres.items())]))
    people = _select(release, f"""
SELECT DISTINCT ?p ?p_name ?post_name ?start ?end WHERE {{
  ?tenure org:organization {t} ; org:member ?p ; ng:post ?post .
  OPTIONAL {{ ?tenure org:memberDuring ?i
    OPTIONAL {{ ?i time:hasBeginning/time:inXSDDate ?start }}
    OPTIONAL {{ ?i time:hasEnd/time:inXSDDate ?end }} }}
  {_named("p")} {_named("post")}
}} ORDER BY ?post_name DESC(?start)""", ("p", "p_name", "post_name", "start", "end"))
    if people:
        card.lists.append(Panel(LABELS["people"], [
            Item(r.get("p_name", r["p"]), link.href(r["p"]), " · ".join(x for x in (
                r.get("post_name", ""), _span(r.get("start"), r.get("end"))) if x))
            for r in people], people.query))
    return card


def _place(release: OpenRelease, iri: str, link: _Linker) -> Card:
    t = sparql_term(ox.NamedNode(iri))
    card = Card("place")
    up = _select(release, f"""
SELECT DISTINCT ?up ?up_name WHERE {{ {t} schema:containedInPlace ?up {_named("up")} }}""",
                 ("up", "up_name"))
    if up:
        card.facts.append((LABELS["part_of"], [Item(r.get("up_name", r["up"]), link.href(r["up"]))
                                               for r in up]))
    held = _select(release, f"""
SELECT ?m ?m_name ?date WHERE {{
  ?m a ng:Meeting ; schema:location ?place .
  FILTER(?place = {t} || EXISTS {{ ?place schema:containedInPlace {t} }})
  OPTIONAL {{ ?m schema:startDate ?date }} {_named("m")}
}} ORDER BY ?date ?m""", ("m", "m_name", "date"))
    card.lists.append(Panel(LABELS["held_here"], [
        Item(r.get("m_name", r["m"]), link.href(r["m"]), date=r.get("date", "")) for r in held],
        held.query))
    return card


def _post(release: OpenRelease, iri: str, link: _Linker) -> Card:
    t = sparql_term(ox.NamedNode(iri))
    card = Card("post")
    org = _select(release, f"""
SELECT DISTINCT ?o ?o_name WHERE {{ {t} org:postIn ?o {_named("o")} }}""", ("o", "o_name"))
    if org:
        card.facts.append((LABELS["held_in"], [Item(r.get("o_name", r["o"]), link.href(r["o"]))
                                               for r in org]))
    holders = _select(release, f"""
SELECT DISTINCT ?p ?p_name ?start ?end WHERE {{
  {{ ?tenure ng:post {t} ; org:member ?p .
     OPTIONAL {{ ?tenure org:memberDuring ?i
       OPTIONAL {{ ?i time:hasBeginning/time:inXSDDate ?start }}
       OPTIONAL {{ ?i time:hasEnd/time:inXSDDate ?end }} }} }}
  UNION {{ ?p org:holds {t} }}
  {_named("p")}
}} ORDER BY DESC(?start) ?p_name""", ("p", "p_name", "start", "end"))
    seen: dict[str, Item] = {}
    for r in holders:
        item = Item(r.get("p_name", r["p"]), link.href(r["p"]), _span(r.get("start"), r.get("end")))
        if r["p"] not in seen or (item.note and not seen[r["p"]].note):
            seen[r["p"]] = item
    if seen:
        card.facts.append((LABELS["holders"], list(seen.values())))
    return card


_CARDS: dict[str, Callable[[OpenRelease, str, _Linker], Card]] = {
    "person": _person,
    "meeting": _meeting,
    "event": _meeting,
    "article": _article,
    "statement": _statement,
    "organization": _organization,
    "place": _place,
    "post": _post,
}


def card(release: OpenRelease, iri: str, kind: str, base: str) -> Card | None:
    """The card of a thing (``None`` for kinds without one), kept with the release."""
    make = _CARDS.get(kind)
    if make is None:
        return None
    return release.cached(("card", iri), lambda: make(release, iri, _Linker(base)))


def mentioned_in(evidence: list[dict[str, Any]]) -> list[Item]:
    """The articles a page's evidence snippets come from, each with its first sentence."""
    seen: dict[str, Item] = {}
    for s in evidence:
        article = s["href"].split("#", 1)[0]
        if article not in seen:
            seen[article] = Item(s["source"], s["href"],
                                 quote=f"{s['before']}{s['anchor']}{s['after']}".strip())
    return list(seen.values())


# -------------------------------------------------------------- an article's text
# What a highlighted stretch is marked as, in the legend of an article's text:
# (group, label, shown at first). Each kind of thing falls in one group; a
# statement the outlet makes itself is a "claim", told apart from quotes.
READING_GROUPS: tuple[tuple[str, str, bool], ...] = (
    ("person", "People", True),
    ("organization", "Organisations", True),
    ("place", "Places", True),
    ("date", "Dates and meetings", True),
    ("quote", "Quotes", True),
    ("claim", "The outlet's own claims", True),
    ("office", "Offices", False),
    ("source", "Sources", False),
    ("topic", "Topics", False),
)
# from the one registry of kinds (newsgraph.iris.KIND_TABLE)
GROUP_OF_KIND = {k.name: k.mention_group for k in iris.KIND_TABLE if k.mention_group}


def editorial_claims(release: OpenRelease) -> frozenset[str]:
    """The statements an outlet makes in its own voice (not quoting anyone)."""
    def read() -> frozenset[str]:
        rows = _select(release, "SELECT ?s WHERE { ?s a ng:EditorialClaim }", ("s",))
        return frozenset(r["s"] for r in rows)

    return release.once(("editorial-claims",), read)

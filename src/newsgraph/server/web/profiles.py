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
# a list on a card shows this many; the rest are a link away (a head of state
# met in thousands of meetings must not make a page of thousands of lines)
CARD_LIST_CAP = 25
_CHUNK = 200  # IRIs in one VALUES block

SCHEMA, NG, NIF, ORG = (str(iris.SCHEMA), str(iris.NG), str(iris.NIF), str(iris.ORG))
PROV, SKOS, TIME = (str(iris.PROV), str(iris.PREFIXES["skos"]), str(iris.TIME))
RDF_TYPE = iris.PREFIXES["rdf"] + "type"
RDFS_LABEL = iris.PREFIXES["rdfs"] + "label"
_NAMES = (SCHEMA + "name", SKOS + "prefLabel", RDFS_LABEL)


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
    """A list on a card, with a SPARQL query that gives it (linked, as Scholia does),
    its full length and, when it is cut at ``CARD_LIST_CAP``, where the rest is."""

    label: str
    items: list[Item]
    query: str = ""
    total: int = 0
    more: str | None = None


class Near:
    """The neighbourhood of one thing, read a step at a time.

    Each step is one query anchored on IRIs already known (``VALUES``, or a
    pattern ending in the thing itself), never a pattern the store must match
    against everything, so a card costs a few small queries whatever the size
    of the data (and a few round trips to a remote store).
    """

    def __init__(self, release: OpenRelease) -> None:
        self.release = release
        self.facts: dict[str, dict[str, list[ox.NamedNode | ox.Literal]]] = {}

    def load(self, iris: list[str] | set[str]) -> None:
        """Read the outgoing triples of each of ``iris`` not read yet."""
        todo = sorted({i for i in iris if i and i not in self.facts})
        for i in range(0, len(todo), _CHUNK):
            chunk = todo[i:i + _CHUNK]
            for iri in chunk:
                self.facts[iri] = {}
            values = " ".join(sparql_term(ox.NamedNode(x)) for x in chunk)
            for row in self.release.select(
                    f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}"):
                obj = row["o"]
                if isinstance(obj, ox.NamedNode | ox.Literal):
                    self.facts[row["s"].value].setdefault(row["p"].value, []).append(obj)

    def pointing(self, predicate: str, iri: str) -> list[str]:
        """The subjects of ``?s <predicate> <iri>``, sorted."""
        rows = self.release.select(
            f"SELECT DISTINCT ?s WHERE {{ ?s {sparql_term(ox.NamedNode(predicate))} "
            f"{sparql_term(ox.NamedNode(iri))} }}")
        return sorted(r["s"].value for r in rows if isinstance(r["s"], ox.NamedNode))

    def all(self, iri: str | None, predicate: str) -> list[str]:
        if not iri:
            return []
        self.load([iri])
        return sorted({t.value for t in self.facts[iri].get(predicate, [])})

    def one(self, iri: str | None, predicate: str) -> str | None:
        found = self.all(iri, predicate)
        return found[0] if found else None

    def follow(self, iris: list[str], predicate: str) -> dict[str, list[str]]:
        """For each of ``iris``, its objects by ``predicate`` (read in one step)."""
        self.load(iris)
        return {i: sorted({t.value for t in self.facts[i].get(predicate, [])}) for i in iris}

    def names(self, iris: list[str] | set[str]) -> dict[str, str]:
        """A name for each of ``iris``: schema:name, skos:prefLabel or rdfs:label."""
        self.load(iris)
        out = {}
        for iri in iris:
            for predicate in _NAMES:
                found = sorted(t.value for t in self.facts.get(iri, {}).get(predicate, []))
                if found:
                    out[iri] = found[0]
                    break
        return out

    def name(self, iri: str) -> str:
        return self.names([iri]).get(iri) or iri.rsplit("/", 1)[-1]


def _capped(items: list[Item], more_href: str | None) -> tuple[list[Item], str | None]:
    if len(items) <= CARD_LIST_CAP:
        return items, None
    return items[:CARD_LIST_CAP], more_href


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


def _q(text: str) -> str:
    return _P + text.strip() + "\n"


@dataclass(frozen=True)
class Tenure:
    iri: str
    person: str | None
    post: str | None
    organization: str | None
    start: str | None
    end: str | None


def _tenures(near: Near, tenures: list[str]) -> list[Tenure]:
    """Office holdings with their dates, read a step at a time for all of them
    at once (holdings, their intervals, the intervals' instants)."""
    near.load(tenures)
    intervals = {ten: near.one(ten, ORG + "memberDuring") for ten in tenures}
    near.load([i for i in intervals.values() if i])
    edges = {(ten, edge): near.one(intervals[ten], TIME + edge)
             for ten in tenures for edge in ("hasBeginning", "hasEnd")}
    near.load([i for i in edges.values() if i])
    return [Tenure(ten, near.one(ten, ORG + "member"), near.one(ten, NG + "post"),
                   near.one(ten, ORG + "organization"),
                   near.one(edges[(ten, "hasBeginning")], TIME + "inXSDDate"),
                   near.one(edges[(ten, "hasEnd")], TIME + "inXSDDate")) for ten in tenures]


def _person(release: OpenRelease, iri: str, link: _Linker) -> Card:
    near, t = Near(release), sparql_term(ox.NamedNode(iri))
    card = Card("person")
    tenures = _tenures(near, near.pointing(ORG + "member", iri))
    held = set(near.all(iri, ORG + "holds"))
    offices: list[tuple[str, str | None, str | None]] = []  # post, start, end
    for ten in tenures:
        if ten.post:
            held.discard(ten.post)
            offices.append((ten.post, ten.start, ten.end))
    offices += [(post, None, None) for post in sorted(held)]
    organisations = [ten.organization for ten in tenures if ten.organization]
    places = near.follow(organisations, SCHEMA + "location")
    near.load({p for ps in places.values() for p in ps})
    countries = sorted({p for ps in places.values() for p in ps
                        if SCHEMA + "Country" in near.all(p, RDF_TYPE)})
    names = near.names({post for post, _, _ in offices} | set(countries))
    items = []
    # the latest office first; offices without dates last
    for post, start, end in sorted(offices, key=lambda o: (o[1] is not None, o[1] or ""),
                                   reverse=True):
        note = _span(start, end)
        if start and not end:
            note = f"{note} ({LABELS['current']})"
        items.append(Item(names.get(post, post), link.href(post), note))
    if items:
        card.facts.append((LABELS["offices"], items))
    if countries:
        card.facts.append((LABELS["country"], [Item(names.get(c, c), link.href(c))
                                               for c in countries]))
    card.lists.append(_meetings_of(near, iri, link, t))
    card.lists.append(_said(near, near.pointing(PROV + "wasAttributedTo", iri), link, _q(f"""
SELECT ?s ?text WHERE {{ ?s prov:wasAttributedTo {t} ; a ng:Statement ; schema:text ?text }}""")))
    return card


def _meetings_of(near: Near, iri: str, link: _Linker, t: str) -> Panel:
    meetings: dict[str, str] = {}  # meeting -> this agent's association in it
    for row in near.release.select(
            f"SELECT ?m ?a WHERE {{ ?a {sparql_term(ox.NamedNode(PROV + 'agent'))} {t} . "
            f"?m {sparql_term(ox.NamedNode(PROV + 'qualifiedAssociation'))} ?a }}"):
        meetings[row["m"].value] = row["a"].value
    associations = sorted(set(meetings.values()))
    others = near.follow(list(meetings), PROV + "qualifiedAssociation")
    near.load({a for assocs in others.values() for a in assocs} | set(associations))
    agents = {a: near.one(a, PROV + "agent") for assocs in others.values() for a in assocs}
    capacity = {a: near.one(a, NG + "capacity") for a in associations}
    role = {a: near.one(a, PROV + "hadRole") for a in associations}
    place = {m: near.one(m, SCHEMA + "location") for m in meetings}
    names = near.names(set(meetings) | {x for x in (*agents.values(), *capacity.values(),
                                                    *role.values(), *place.values()) if x})
    items = []
    for m, assoc in meetings.items():
        note = " · ".join(x for x in (
            f"{LABELS['at']} {names[place[m]]}" if place[m] in names else "",
            f"{LABELS['as']} {names[capacity[assoc]]}" if capacity[assoc] in names else "",
            names.get(role[assoc] or "", "")) if x)
        with_whom = sorted({agents[a] for a in others[m] if agents.get(a) and agents[a] != iri},
                           key=lambda w: names.get(w, w))
        item = Item(names.get(m, m), link.href(m), note,
                    date=near.one(m, SCHEMA + "startDate") or "")
        if with_whom:
            item.parts = [(LABELS["with"], None),
                          *((names.get(w, w), link.href(w)) for w in with_whom)]
        items.append(item)
    items.sort(key=lambda i: (i.date == "", i.date, i.text))
    shown, more = _capped(items, f"/meetings?person={iri.rsplit('/', 1)[-1]}")
    return Panel(LABELS["meetings"], shown, _q(f"""
SELECT ?m ?date WHERE {{ ?m a ng:Meeting ; prov:qualifiedAssociation/prov:agent {t}
  OPTIONAL {{ ?m schema:startDate ?date }} }} ORDER BY ?date"""), total=len(items), more=more)


def _said(near: Near, statements: list[str], link: _Linker, query: str) -> Panel:
    """Statements, each with its chain of sources: who, where, according to whom,
    reported by whom."""
    near.load(statements)
    statements = [s for s in statements if NG + "Statement" in near.all(s, RDF_TYPE)]
    kinds = {s: [k for k in near.all(s, RDF_TYPE)
                 if k.startswith(NG) and k != NG + "Statement"] for s in statements}
    speaker = {s: near.one(s, PROV + "wasAttributedTo") for s in statements}
    meeting = {s: near.one(s, PROV + "wasGeneratedBy") for s in statements}
    source = {s: near.one(s, PROV + "wasQuotedFrom") for s in statements}
    spans = {s: near.one(s, NG + "evidence") for s in statements}
    near.load([x for x in (*meeting.values(), *source.values(), *spans.values()) if x])
    article = {s: near.one(spans[s], NIF + "referenceContext") for s in statements}
    near.load([a for a in article.values() if a])
    outlet = {s: near.one(article[s], SCHEMA + "publisher") for s in statements}
    names = near.names({x for x in (*speaker.values(), *meeting.values(), *source.values(),
                                    *outlet.values(), *(k for ks in kinds.values() for k in ks))
                        if x})
    items = []
    for s in statements:
        parts: list[tuple[str, str | None]] = []
        if speaker[s] in names:
            parts += [(LABELS["speaker"], None), (names[speaker[s]], link.href(speaker[s]))]
        if meeting[s]:
            parts += [(LABELS["at"], None),
                      (names.get(meeting[s], meeting[s]), link.href(meeting[s]))]
        if source[s]:
            parts += [(LABELS["according_to"], None),
                      (names.get(source[s], source[s]), link.href(source[s]))]
        if article[s]:
            parts += [(LABELS["reported_by"], None),
                      (names.get(outlet[s] or "", "the article"), link.href(article[s]))]
        kind = next((names[k] for k in kinds[s] if k in names), "")
        items.append(Item(kind, link.href(s), quote=near.one(s, SCHEMA + "text"), parts=parts,
                          date=near.one(meeting[s], SCHEMA + "startDate") or ""))
    items.sort(key=lambda i: (i.date == "", i.date, i.href or ""))
    shown, more = _capped(items, "/tables/statements.csv")
    return Panel(LABELS["said"], shown, query, total=len(items), more=more)


def _meeting(release: OpenRelease, iri: str, link: _Linker) -> Card:
    near, t = Near(release), sparql_term(ox.NamedNode(iri))
    card = Card("meeting")
    date, expr = near.one(iri, SCHEMA + "startDate"), near.one(iri, NG + "dateExpression")
    card.facts.append((LABELS["when"], [Item(date or LABELS["date_unknown"],
                                             note=f"“{expr}” in the article" if expr else "")]))
    place = near.one(iri, SCHEMA + "location")
    country = near.one(place, SCHEMA + "containedInPlace")
    if place:
        where = [Item(near.name(place), link.href(place))]
        if country:
            where.append(Item(near.name(country), link.href(country)))
        card.facts.append((LABELS["where"], where))
    assocs = near.all(iri, PROV + "qualifiedAssociation")
    near.load(assocs)
    who = [(near.one(a, PROV + "agent"), near.one(a, PROV + "hadRole"),
            near.one(a, NG + "capacity")) for a in assocs]
    names = near.names({x for triple in who for x in triple if x})
    people = []
    for agent, role, capacity in who:
        if agent:
            note = " · ".join(x for x in (names.get(role or "", ""),
                                          f"{LABELS['as']} {names[capacity]}"
                                          if capacity in names else "") if x)
            people.append(Item(names.get(agent, agent), link.href(agent), note))
    card.facts.append((LABELS["who"], sorted(people, key=lambda i: (i.note, i.text))))
    said = _said(near, near.pointing(PROV + "wasGeneratedBy", iri), link, _q(f"""
SELECT ?s ?text WHERE {{ ?s prov:wasGeneratedBy {t} ; a ng:Statement ; schema:text ?text }}"""))
    said.label = LABELS["said_there"]
    card.lists.append(said)
    spans = near.all(iri, NG + "evidence")
    near.load(spans)
    sources = {x for x in (near.one(s, NIF + "referenceContext") for s in spans) if x}
    sources |= set(near.all(iri, PROV + "wasDerivedFrom"))
    names = near.names(sources)
    items = [Item(names.get(s, s), link.href(s), date=near.one(s, SCHEMA + "datePublished") or "")
             for s in sources]
    card.lists.append(Panel(LABELS["sources"], sorted(items, key=lambda i: (i.date, i.text)),
                            _q(f"""
SELECT DISTINCT ?src WHERE {{ {{ {t} ng:evidence/nif:referenceContext ?src }}
  UNION {{ {t} prov:wasDerivedFrom ?src }} }}""")))
    return card


def _article(release: OpenRelease, iri: str, link: _Linker) -> Card:
    near = Near(release)
    card = Card("article")
    outlet = near.one(iri, SCHEMA + "publisher")
    if outlet:
        card.facts.append((LABELS["outlet"], [Item(near.name(outlet), link.href(outlet))]))
    published = near.one(iri, SCHEMA + "datePublished")
    if published:
        card.facts.append((LABELS["published"], [Item(published)]))
    url = near.one(iri, SCHEMA + "url")
    if url:
        card.facts.append((LABELS["original"], [Item(url, link.href(url))]))
    based = near.one(iri, SCHEMA + "isBasedOn")
    if based:
        card.facts.append((LABELS["based_on"], [Item(near.name(based), link.href(
            near.one(based, SCHEMA + "url") or based))]))
    language = near.one(iri, SCHEMA + "inLanguage")
    if language:
        card.facts.append((LABELS["language"], [Item(language)]))
    return card


def _statement(release: OpenRelease, iri: str, link: _Linker) -> Card:
    near, t = Near(release), sparql_term(ox.NamedNode(iri))
    card = Card("statement")
    panel = _said(near, [iri], link, _q(f"SELECT ?s ?text WHERE {{ VALUES ?s {{ {t} }} "
                                         "?s schema:text ?text }"))
    if panel.items:
        item = panel.items[0]
        speaker = near.one(iri, PROV + "wasAttributedTo")
        quote = item.quote or ""
        short = quote if len(quote) <= 90 else quote[:87].rstrip() + "…"
        card.title = f"{near.name(speaker)}: “{short}”" if speaker else f"“{short}”"
        card.facts.append((LABELS["kind"], [Item(item.text)]))
        card.lists.append(panel)
    return card


def _organization(release: OpenRelease, iri: str, link: _Linker) -> Card:
    near, t = Near(release), sparql_term(ox.NamedNode(iri))
    card = Card("organization")
    ups = sorted(set(near.all(iri, SCHEMA + "parentOrganization"))
                 | set(near.all(iri, ORG + "subOrganizationOf")))
    wheres = near.all(iri, SCHEMA + "location")
    names = near.names(set(ups) | set(wheres))
    if ups:
        card.facts.append((LABELS["part_of"], [Item(names.get(u, u), link.href(u)) for u in ups]))
    if wheres:
        card.facts.append((LABELS["located_in"], [Item(names.get(w, w), link.href(w))
                                                  for w in wheres]))
    rows = [(ten.person, ten.post, ten.start, ten.end)
            for ten in _tenures(near, near.pointing(ORG + "organization", iri))]
    names = near.names({x for r in rows for x in r[:2] if x})
    items = [Item(names.get(p, p), link.href(p), " · ".join(
        x for x in (names.get(post or "", ""), _span(start, end)) if x))
        for p, post, start, end in sorted(rows, key=lambda r: (names.get(r[1] or "", ""),
                                                               r[2] or "")) if p]
    if items:
        shown, more = _capped(items, None)
        card.lists.append(Panel(LABELS["people"], shown, _q(f"""
SELECT ?p ?post WHERE {{ ?tenure org:organization {t} ; org:member ?p ; ng:post ?post }}"""),
                                total=len(items), more=more))
    return card


def _place(release: OpenRelease, iri: str, link: _Linker) -> Card:
    near, t = Near(release), sparql_term(ox.NamedNode(iri))
    card = Card("place")
    ups = near.all(iri, SCHEMA + "containedInPlace")
    if ups:
        names = near.names(ups)
        card.facts.append((LABELS["part_of"], [Item(names.get(u, u), link.href(u)) for u in ups]))
    inside = near.pointing(SCHEMA + "containedInPlace", iri)
    meetings = sorted({m for where in (iri, *inside)
                       for m in near.pointing(SCHEMA + "location", where)})
    near.load(meetings)
    meetings = [m for m in meetings if NG + "Meeting" in near.all(m, RDF_TYPE)]
    names = near.names(meetings)
    items = sorted((Item(names.get(m, m), link.href(m),
                         date=near.one(m, SCHEMA + "startDate") or "") for m in meetings),
                   key=lambda i: (i.date == "", i.date, i.text))
    shown, more = _capped(items, f"/meetings?country={iri.rsplit('/', 1)[-1]}")
    card.lists.append(Panel(LABELS["held_here"], shown, _q(f"""
SELECT ?m ?date WHERE {{ ?m a ng:Meeting ; schema:location ?place .
  {{ FILTER(?place = {t}) }} UNION {{ ?place schema:containedInPlace {t} }}
  OPTIONAL {{ ?m schema:startDate ?date }} }} ORDER BY ?date"""), total=len(items), more=more))
    return card


def _post(release: OpenRelease, iri: str, link: _Linker) -> Card:
    near = Near(release)
    card = Card("post")
    orgs = near.all(iri, ORG + "postIn")
    if orgs:
        names = near.names(orgs)
        card.facts.append((LABELS["held_in"], [Item(names.get(o, o), link.href(o)) for o in orgs]))
    rows = [(ten.person, ten.start, ten.end)
            for ten in _tenures(near, near.pointing(NG + "post", iri))]
    rows += [(p, None, None) for p in near.pointing(ORG + "holds", iri)]
    names = near.names({r[0] for r in rows if r[0]})
    holders: dict[str, Item] = {}
    for person, start, end in sorted(rows, key=lambda r: r[1] or "", reverse=True):
        if person:
            item = Item(names.get(person, person), link.href(person), _span(start, end))
            if person not in holders or (item.note and not holders[person].note):
                holders[person] = item
    if holders:
        card.facts.append((LABELS["holders"], list(holders.values())))
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
        return frozenset(Near(release).pointing(RDF_TYPE, NG + "EditorialClaim"))

    return release.once(("editorial-claims",), read)

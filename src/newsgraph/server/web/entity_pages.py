"""HTML for people: the drawing of descriptions as pages (the landing page is ``landing.py``).

A description (built once, see ``describe.py``) becomes a page model here: its
facts as rows of links, its sub-nodes as sections a ``#fragment`` lands on, the
article sentences its evidence sits in, incoming links; an article page adds
its full text with every grounded mention highlighted and linked. Jinja
escapes every value; the JSON-LD handed in is already safe inside ``<script>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from flask import Flask, has_app_context, render_template

from newsgraph import iris
from newsgraph.iris import curie, split_thing, thing_of
from newsgraph.names import _NOT_WORD, fold
from newsgraph.server.store import OpenRelease
from newsgraph.server.web import current_release
from newsgraph.server.web.describe import (
    NIF_ISSTRING,
    RDF_TYPE,
    Description,
    Mention,
    Names,
    labels_for,
    names_of,
)
from newsgraph.server.web.negotiation import FORMATS
from newsgraph.server.web.profiles import (
    GROUP_OF_KIND,
    READING_GROUPS,
    editorial_claims,
    mentioned_in,
)
from newsgraph.server.web.profiles import card as card_of

OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# per-kind tables, from the one registry of kinds (newsgraph.iris.KIND_TABLE)
KIND_LABELS = {k.name: k.label for k in iris.KIND_TABLE}
KIND_PLURALS = {k.name: k.plural for k in iris.KIND_TABLE}
# in an article's text, the link of a stretch covered by several mentions goes to
# the most specific: the shortest span, then the thing most people look for
KIND_PRIORITY = {k.name: k.priority for k in iris.KIND_TABLE}
FORMAT_NAMES = {
    "html": "HTML",
    "ttl": "Turtle",
    "jsonld": "JSON-LD",
    "nt": "N-Triples",
    "rdf": "RDF/XML",
}
SAFE_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None = None
    note: str = ""
    title: str = ""
    external: bool = False


@dataclass
class Row:
    label: str
    href: str | None
    curie: str
    values: list[Link] = field(default_factory=list)


@dataclass
class Section:
    id: str | None
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class Segment:
    text: str
    href: str | None = None
    title: str = ""
    depth: int = 0
    kind: str = ""
    anchors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alternate:
    name: str
    type: str
    href: str


def alternates(path_stem: str) -> list[Alternate]:
    return [Alternate(FORMAT_NAMES[f.ext], f.media_type, f"{path_stem}.{f.ext}") for f in FORMATS]


class Linker:
    """Where an IRI leads on this server, and how it is written short."""

    def __init__(self, base: str, documented: Iterable[str] = ()) -> None:
        self.base = base
        self.documented = set(documented)

    def href(self, iri: str) -> str | None:
        if iri.startswith(self.base):
            return "/" + iri[len(self.base) :]
        if iri.startswith(str(iris.NG)):  # our vocabulary, whatever base we serve under
            return "/def#" + iri[len(str(iris.NG)) :]
        if iri.startswith(iris.ONTOLOGY):
            return "/def" + iri[len(iris.ONTOLOGY) :]
        if iri.startswith(iris.SHAPES):
            return "/shapes" + iri[len(iris.SHAPES) :]
        if iri in self.documented:
            return "/def#" + quote(self.curie(iri), safe=":")
        # other sites only by http(s): never a javascript: or file: link
        return iri if iri.startswith(SAFE_SCHEMES) else None

    def is_external(self, iri: str) -> bool:
        href = self.href(iri)
        return href is not None and not href.startswith("/")

    def curie(self, iri: str) -> str:
        return curie(iri)


def humanize(slug: str) -> str:
    return slug.replace("-", " ")


def display_label(desc: Description, iri: str, base: str) -> str:
    """A node's name. A sub-node on its own thing's page goes by its own name
    (or fragment); elsewhere it is prefixed with its thing's name."""
    thing = thing_of(iri)
    parts = split_thing(thing, base)
    if "#" not in iri or parts is None:  # a thing, or a term of some vocabulary
        return desc.labels.get(iri) or (humanize(parts[1]) if parts else iri)
    short = desc.labels.get(iri) or humanize(iri.split("#", 1)[1])
    if thing == desc.iri:
        return short
    owner = desc.labels.get(thing) or (humanize(parts[1]) if parts else thing)
    return f"{owner} · {short}"


SPAN_FRAGMENT = re.compile(r"char=(\d+),(\d+)")


# --------------------------------------------------------------------------- namesakes
#
# Two meetings of the same two ministers two years apart carry the same name,
# and so may two people; a list or a link that shows only the name would send a
# reader to the wrong one. Where things of one kind share a name, their labels
# add what tells them apart: a meeting its date and place, a person their office,
# an office holding its dates, a statement its speaker, a work its date and
# publisher, an organisation or place what it is part of; and where even that
# is the same, the id.

_WHEN_AND_WHERE = iris.with_prefixes("""
SELECT ?s ?a ?b WHERE { VALUES ?s { %s }
  OPTIONAL { ?s schema:startDate ?a }
  OPTIONAL { ?s schema:location/schema:name ?b } }""")
_DATE_AND_PUBLISHER = iris.with_prefixes("""
SELECT ?s ?a ?b WHERE { VALUES ?s { %s }
  OPTIONAL { ?s schema:datePublished ?a }
  OPTIONAL { ?s schema:publisher/schema:name ?b } }""")
_NOTE_QUERIES = {
    "meeting": _WHEN_AND_WHERE,
    "event": _WHEN_AND_WHERE,
    "person": iris.with_prefixes("""
SELECT ?s ?a WHERE { VALUES ?s { %s }
  OPTIONAL { { ?s org:holds ?post } UNION { ?t org:member ?s ; ng:post ?post }
             ?post skos:prefLabel ?a } }"""),
    "tenure": iris.with_prefixes("""
SELECT ?s ?a ?b WHERE { VALUES ?s { %s }
  OPTIONAL { ?s org:memberDuring/time:hasBeginning/time:inXSDDate ?a }
  OPTIONAL { ?s org:memberDuring/time:hasEnd/time:inXSDDate ?b } }"""),
    "statement": iris.with_prefixes("""
SELECT ?s ?a WHERE { VALUES ?s { %s }
  OPTIONAL { ?s prov:wasAttributedTo/schema:name ?a } }"""),
    "work": _DATE_AND_PUBLISHER,
    "article": _DATE_AND_PUBLISHER,
}
_PART_OF_QUERY = iris.with_prefixes("""
SELECT ?s ?a WHERE { VALUES ?s { %s }
  OPTIONAL { ?s schema:containedInPlace|schema:parentOrganization|schema:location|
                org:postIn|org:subOrganizationOf ?up . ?up schema:name ?a } }""")


def _notes(release: OpenRelease, kind: str, things: list[str]) -> dict[str, str]:
    """What tells each of ``things`` (one kind, one name) apart, from the data."""
    query = _NOTE_QUERIES.get(kind, _PART_OF_QUERY) % " ".join(f"<{t}>" for t in things)
    found: dict[str, list[set[str]]] = {t: [set(), set()] for t in things}
    for row in release.select(query):
        subject = row["s"].value
        for i, var in enumerate(("a", "b")):
            try:
                term = row[var]
            except (KeyError, IndexError):
                term = None
            if term is not None and subject in found:
                found[subject][i].add(term.value)
    if kind == "tenure":
        # an office held twice: each holding by its years
        return {t: " to ".join(filter(None, (
            "from " + min(found[t][0]) if found[t][0] else "",
            max(found[t][1]) if found[t][1] else ""))) for t in things}
    return {t: ", ".join(v for parts in found[t] for v in sorted(parts)) for t in things}


# Nameless things go by a name made from their links (describe.Names.derived):
# two of them share it when they share those links.
_SAME_LINKS_QUERY = iris.prologue("org", "schema", "ng") + """
SELECT DISTINCT ?x ?other ?how WHERE {
  { VALUES ?x { %(things)s } ?x org:member ?a ; ng:post ?b . ?other org:member ?a ; ng:post ?b
    BIND("holding" AS ?how) }
  UNION
  { VALUES ?x { %(things)s } ?x schema:publisher ?a ; schema:datePublished ?b .
    FILTER EXISTS { ?y schema:publisher ?a ; schema:datePublished ?b
                    FILTER(?y != ?x && STRSTARTS(STR(?y), REPLACE(STR(?x), "/[^/]*$", "/"))) }
    BIND(?x AS ?other) BIND("published" AS ?how) }
  FILTER(?other != ?x || ?how = "published") }"""
# (the pattern of REPLACE cannot match the empty string: Virtuoso refuses one
# that can. The VALUES inside each branch: a branch is evaluated on its own, and one
# without it would join every office holding with every other). Things of
# one kind (the same IRI but for the slug) published by the same publisher on
# the same day share the very links their note is made of (date, publisher):
# the note cannot tell them apart, the id does, so their namesakes' notes are
# not asked.


def _fold(text: str) -> str:
    """:func:`newsgraph.names.fold`, with a fast path for ASCII (which has no
    accents to drop): the index folds every name of the release."""
    if text.isascii():
        return _NOT_WORD.sub(" ", text.casefold()).strip()
    return fold(text)


def _name_index(release: OpenRelease, base: str) -> dict[tuple[str, str], list[str]]:
    """(kind, folded name) -> the things of that kind and name, for the names
    two or more things share; made once per release from the names the build
    counted (statistics.json), without reading the store."""

    def compute() -> dict[tuple[str, str], list[str]]:
        from newsgraph.server.dataset_description import statistics

        stats = release.once(("statistics",), lambda: statistics(release, base))
        groups: dict[tuple[str, str], list[str]] = {}
        for kind, rows in stats.entities_by_kind.items():
            for iri, label in rows:
                groups.setdefault((kind, _fold(label)), []).append(iri)
        return {key: group for key, group in groups.items() if len(group) > 1}

    return release.once(("namesake-index", base), compute)


def namesake_labels(release: OpenRelease, base: str, things: Iterable[str],
                    names: Names | None = None) -> dict[str, str]:
    """The label of each of ``things`` that shares its kind and name with
    another thing, with what tells it apart in parentheses. ``names``: what
    :func:`names_of` said of them, if asked already. A few queries, however
    many things the data holds."""
    wanted = sorted({t for t in things if "#" not in t and split_thing(t, base)})
    if not wanted:
        return {}
    wanted_set = set(wanted)
    missing = [t for t in wanted if names is None or t not in names.values]
    if missing:
        asked = names_of(release, missing)
        names = Names({**(names.values if names else {}), **asked.values})
    shown = names.labels(wanted)
    index = _name_index(release, base)
    groups: dict[tuple[str, str], set[str]] = {}
    nameless: list[str] = []
    for iri in wanted:
        kind = split_thing(iri, base)[0]  # type: ignore[index]
        name = shown.get(iri)
        group = index.get((kind, fold(name))) if name else None
        if group:
            groups.setdefault((kind, fold(name)), set()).update(group)  # type: ignore[arg-type]
        elif names.named(iri) is None:
            nameless.append(iri)
    # a name made from links (an office holding, an article) is shared by the
    # things with the same links
    same_note: set[str] = set()
    if nameless:
        query = _SAME_LINKS_QUERY % {"things": " ".join(f"<{t}>" for t in nameless)}
        for row in release.select(query):
            x, other = row["x"].value, row["other"].value
            if row["how"].value == "published":
                same_note.add(x)
                continue
            kind = split_thing(x, base)[0]  # type: ignore[index]
            if split_thing(other, base) is None or split_thing(other, base)[0] != kind:  # type: ignore[index]
                continue
            groups.setdefault((kind, "links " + x), {x}).add(other)
            # the same links make the same name: no need to ask it
            shown.setdefault(other, shown.get(x, ""))
    if not groups and not same_note:
        return {}
    members = sorted({m for group in groups.values() for m in group})
    shown.update(labels_for(release, [m for m in members if m not in shown]))
    by_kind: dict[str, list[str]] = {}
    for (kind, _), group in groups.items():
        by_kind.setdefault(kind, []).extend(group)
    for x in same_note:
        by_kind.setdefault(split_thing(x, base)[0], []).append(x)  # type: ignore[index]
    notes: dict[str, str] = {}
    for kind, group in by_kind.items():
        notes.update(_notes(release, kind, sorted(set(group))))
    out: dict[str, str] = {}
    for x in same_note:
        parts = split_thing(x, base)
        note = ", ".join(v for v in (notes[x], parts[1] if parts else x) if v)
        out[x] = f"{shown.get(x, x)} ({note})"
    for (_kind, _), group in groups.items():
        # only the things whose shown name really is shared
        by_name: dict[str, list[str]] = {}
        for iri in group:
            by_name.setdefault(fold(shown.get(iri, "")), []).append(iri)
        for same in by_name.values():
            if len(same) < 2:
                continue
            # the same note twice tells nothing apart: the id does
            counts: dict[str, int] = {}
            for iri in same:
                counts[notes[iri]] = counts.get(notes[iri], 0) + 1
            for iri in same:
                if iri not in wanted_set:
                    continue
                note = notes[iri]
                parts = split_thing(iri, base)
                if not note or counts[note] > 1:
                    note = ", ".join(x for x in (note, parts[1] if parts else iri) if x)
                out[iri] = f"{shown.get(iri, iri)} ({note})"
    return out


def _with_namesakes(desc: Description, base: str) -> Description:
    """The description with its namesakes' labels telling them apart."""
    if not has_app_context():
        return desc
    from newsgraph.server.web import current_release

    try:
        distinct = namesake_labels(current_release(), base, desc.labels, desc.names)
    except Exception:  # noqa: BLE001 - a page is still drawn with the plain names
        return desc
    labels = dict(desc.labels)
    for iri, label in distinct.items():
        if iri in labels:
            labels[iri] = label
    if labels == desc.labels:
        return desc
    from dataclasses import replace

    return replace(desc, labels=labels)


def _literal_note(lit: ox.Literal) -> str:
    if lit.language:
        return lit.language
    dt = lit.datatype.value
    return "" if dt == XSD_STRING else curie(dt)


def _value(
    term: ox.NamedNode | ox.BlankNode | ox.Literal, desc: Description, linker: Linker, thing: str
) -> Link:
    if isinstance(term, ox.Literal):
        return Link(term.value, note=_literal_note(term))
    if isinstance(term, ox.BlankNode):
        return Link(f"_:{term.value}")
    iri = term.value
    span = SPAN_FRAGMENT.fullmatch(iri.split("#", 1)[1]) if "#" in iri else None
    if span and iri in desc.labels:
        # evidence: the words themselves, linked to where they stand in the article
        owner = thing_of(iri)
        where = "" if owner == thing else f"{display_label(desc, owner, linker.base)}, "
        return Link(
            f"“{desc.labels[iri]}”",
            href=linker.href(iri),
            title=iri,
            note=f"{where}characters {span.group(1)}–{span.group(2)}",
        )
    if thing_of(iri) == thing and "#" in iri:
        return Link(
            display_label(desc, iri, linker.base), href="#" + iri.split("#", 1)[1], title=iri
        )
    label = display_label(desc, iri, linker.base)
    if label == iri:
        label = linker.curie(iri)
    return Link(label, href=linker.href(iri), title=iri, external=linker.is_external(iri))


def _rows(desc: Description, node: str, linker: Linker, skip: set[str]) -> list[Row]:
    by_pred: dict[str, list[Link]] = {}
    for t in desc.triples:
        if t.subject.value != node or t.predicate.value in skip:
            continue
        by_pred.setdefault(t.predicate.value, []).append(_value(t.object, desc, linker, desc.iri))
    rows = []
    for pred in sorted(by_pred, key=lambda p: (p != RDF_TYPE.value, linker.curie(p))):
        label = desc.labels.get(pred) or linker.curie(pred)
        rows.append(
            Row(
                label,
                linker.href(pred),
                linker.curie(pred),
                sorted(by_pred[pred], key=lambda v: v.text.casefold()),
            )
        )
    return rows


def _href_from(desc: Description, linker: Linker, iri: str) -> str | None:
    """A link from this description's page: its own sub-nodes are on the page."""
    if "#" in iri and thing_of(iri) == desc.iri:
        return "#" + iri.split("#", 1)[1]
    return linker.href(iri)


def _segments(
    text: str, mentions: list[Mention], desc: Description, linker: Linker,
    claims: frozenset[str] = frozenset(),
) -> list[Segment]:
    """The text cut at every span boundary; each piece linked to the most
    specific thing whose evidence covers it, and marked by the legend group of
    that thing (``profiles.READING_GROUPS``)."""
    cuts = sorted({0, len(text), *(m.begin for m in mentions), *(m.end for m in mentions)})
    starts: dict[int, list[str]] = {}
    for m in mentions:
        starts.setdefault(m.begin, []).append(f"char={m.begin},{m.end}")
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [m for m in mentions if m.begin <= a and m.end >= b]
        anchors = tuple(starts.get(a, ()))
        if not covering:
            out.append(Segment(text[a:b], anchors=anchors))
            continue

        def rank(thing: str, span_len: int) -> tuple[int, int, str]:
            parts = split_thing(thing, linker.base)
            return span_len, KIND_PRIORITY.get(parts[0] if parts else "", 99), thing

        best = min(rank(t, m.end - m.begin) for m in covering for t in m.things)
        thing = best[2]
        parts = split_thing(thing, linker.base)
        names = sorted({display_label(desc, t, linker.base) for m in covering for t in m.things})
        out.append(
            Segment(
                text[a:b],
                href=_href_from(desc, linker, thing),
                title="; ".join(names),
                depth=min(len(covering), 3),
                kind="claim" if thing in claims else GROUP_OF_KIND.get(
                    parts[0] if parts else "", "topic"),
                anchors=anchors,
            )
        )
    return out


def _mention_list(desc: Description, linker: Linker) -> list[dict[str, object]]:
    items = []
    for m in desc.mentions:
        things = sorted(
            m.things,
            key=lambda t: (KIND_PRIORITY.get((split_thing(t, linker.base) or ("",))[0], 99), t),
        )
        items.append(
            {
                "anchor": f"char={m.begin},{m.end}",
                "quote": (desc.text or "")[m.begin : m.end],
                "things": [
                    Link(
                        display_label(desc, t, linker.base),
                        href=_href_from(desc, linker, t),
                        note=KIND_LABELS.get((split_thing(t, linker.base) or ("",))[0], ""),
                    )
                    for t in things
                ],
            }
        )
    return items


def entity_page(desc: Description, linker: Linker, path_stem: str) -> Callable[[str], str]:
    """The page drawer for a description: called with the JSON-LD to embed. The
    page model is made only when the page is drawn (a client asking for Turtle
    costs nothing of it: namesakes, sentences, sections)."""
    alts = alternates(path_stem)

    def draw(jsonld: str) -> str:
        page = _page_model(desc, linker, path_stem)
        return render_template("entity.html", page=page, alternates=alts, jsonld=jsonld)

    return draw


def _page_model(desc: Description, linker: Linker, path_stem: str) -> dict[str, object]:
    base = linker.base
    desc = _with_namesakes(desc, base)
    parts = split_thing(desc.iri, base)
    kind = parts[0] if parts else ""
    is_article = desc.text is not None
    skip = {NIF_ISSTRING.value} if is_article else set()
    types = [
        Link(
            desc.labels.get(o.value) or linker.curie(o.value),
            href=linker.href(o.value),
            title=o.value,
        )
        for o in desc.values(desc.iri, RDF_TYPE)
        if isinstance(o, ox.NamedNode)
    ]
    wikidata = [
        Link(o.value.rsplit("/", 1)[-1], href=o.value, external=True)
        for o in desc.values(desc.iri, ox.NamedNode(OWL_SAMEAS))
        if isinstance(o, ox.NamedNode) and o.value.startswith(str(iris.WD))
    ]
    # the types are shown as badges under the name
    sections = [Section(None, "Facts", _rows(desc, desc.iri, linker, skip | {RDF_TYPE.value}))]
    for node in desc.nodes()[1:]:
        # an article's spans are drawn in its text and listed below it
        if is_article and node.split("#", 1)[1].startswith("char="):
            continue
        sections.append(
            Section(
                node.split("#", 1)[1],
                display_label(desc, node, base),
                _rows(desc, node, linker, set()),
            )
        )
    evidence = [
        {
            "before": s.before,
            "anchor": s.anchor,
            "after": s.after,
            "href": (linker.href(s.article) or "") + f"#char={s.begin},{s.end}",
            "source": display_label(desc, s.article, base),
            "begin": s.begin,
            "end": s.end,
            "node": None if s.node == desc.iri else display_label(desc, s.node, base),
        }
        for s in desc.evidence
    ]
    incoming: dict[str, list[Link]] = {}
    for t in desc.incoming:
        key = desc.labels.get(t.predicate.value) or linker.curie(t.predicate.value)
        incoming.setdefault(key, []).append(_value(t.subject, desc, linker, desc.iri))
    incoming_counts: dict[str, int] = {}
    for pred, n in desc.incoming_counts.items():
        key = desc.labels.get(pred) or linker.curie(pred)
        incoming_counts[key] = incoming_counts.get(key, 0) + n
    more = "/" + desc.more_path if desc.more_path else None
    card = card_of(current_release(), desc.iri, kind, base) if parts else None
    return {
        "iri": desc.iri,
        "title": (card.title if card and card.title else display_label(desc, desc.iri, base)),
        "card": card,
        "mentioned_in": mentioned_in(evidence) if card and kind != "article" else [],
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind, ""),
        "types": types,
        "wikidata": wikidata,
        "sections": [s for s in sections if s.rows],
        "evidence": evidence,
        "incoming": sorted(incoming.items()),
        "incoming_more": more,
        "incoming_counts": incoming_counts,
        "paging": paging(path_stem, desc.page, desc.pages, desc.page_size, {
            "incoming": sum(desc.incoming_counts.values()), "evidence": desc.evidence_total}),
        "is_article": is_article,
        "segments": _segments(desc.text, desc.mentions, desc, linker,
                              editorial_claims(current_release())) if is_article else [],
        "groups": READING_GROUPS,
        "mentions": _mention_list(desc, linker) if is_article else [],
    }


def page_query(page: int) -> str:
    """The query string that names page ``page`` of a paged resource (none for the first)."""
    return "" if page == 1 else f"?page={page}"


def paging(path: str, page: int, pages: int, size: int,
           totals: dict[str, int] | None = None) -> dict[str, object]:
    """What a page says of its place among the pages: links to the first, previous,
    next and last, and for each paged list its count and the stretch shown."""
    shown = {
        name: (min(total, (page - 1) * size + 1), min(total, page * size), total)
        for name, total in (totals or {}).items()
    }
    return {
        "page": page,
        "pages": pages,
        "first": path if page > 1 else None,
        "prev": f"{path}{page_query(page - 1)}" if page > 1 else None,
        "next": f"{path}{page_query(page + 1)}" if page < pages else None,
        "last": f"{path}{page_query(pages)}" if page < pages else None,
        "shown": shown,
    }


def generic_page(template: str, path_stem: str, **context: object) -> Callable[[str], str]:
    alts = alternates(path_stem)

    def draw(jsonld: str) -> str:
        return render_template(template, alternates=alts, jsonld=jsonld, **context)

    return draw


def init_app(app: Flask) -> None:
    app.jinja_env.globals["kind_labels"] = KIND_LABELS
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["bytes"] = _human_bytes
    app.jinja_env.filters["thousands"] = lambda n: f"{n:,}"


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"

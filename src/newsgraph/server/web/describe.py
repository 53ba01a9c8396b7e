"""An entity's description, built once per release and rendered in any format.

The description of ``{base}id/{kind}/{slug}`` holds

* its own triples and those of its hash sub-nodes (``…#interval``,
  ``…#assoc-…``, an article's ``…#char=B,E`` spans), found by following links
  to and from its own sub-nodes;
* the names of what it links to and of what links to it;
* incoming links (from other things) and its evidence links, counted and listed
  a page at a time (``?page=N``; a head of state met in thousands of articles
  has many pages, each of bounded size), with Hydra links between the pages;
* for the HTML page: the article sentences its evidence spans sit in, and for
  an article every grounded mention of its text.

It is read from the store by a bounded number of SPARQL queries (the thing's
own triples, its links with their counts, an article's mentions, the names of
everything shown), whatever the thing, so that a store across the network
costs a few round trips, never one per link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox

from newsgraph import iris
from newsgraph.iris import NG, NIF, ORG, PROV, SCHEMA, SKOS, split_thing, thing_of
from newsgraph.sentences import sentence_bounds  # the one splitter, shared with coverage
from newsgraph.server.store import OpenRelease, sparql_term

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDFS_SEEALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
OWL_SAMEAS = ox.NamedNode("http://www.w3.org/2002/07/owl#sameAs")
SCHEMA_NAME = ox.NamedNode(f"{SCHEMA}name")
SKOS_PREFLABEL = ox.NamedNode(f"{SKOS.prefLabel}")
NG_EVIDENCE = ox.NamedNode(f"{NG}evidence")
NIF_CONTEXT = ox.NamedNode(f"{NIF}referenceContext")
NIF_BEGIN = ox.NamedNode(f"{NIF}beginIndex")
NIF_END = ox.NamedNode(f"{NIF}endIndex")
NIF_ANCHOR = ox.NamedNode(f"{NIF}anchorOf")
NIF_ISSTRING = ox.NamedNode(f"{NIF}isString")
SCHEMA_TEXT = ox.NamedNode(f"{SCHEMA}text")
SCHEMA_PUBLISHER = ox.NamedNode(f"{SCHEMA}publisher")
SCHEMA_DATE = ox.NamedNode(f"{SCHEMA}datePublished")
ORG_MEMBERSHIP = ox.NamedNode(f"{ORG}Membership")
ORG_MEMBER = ox.NamedNode(f"{ORG}member")
NG_POST = ox.NamedNode(f"{NG}post")
PROV_ASSOCIATION = ox.NamedNode(f"{PROV}Association")
PROV_AGENT = ox.NamedNode(f"{PROV}agent")
PROV_HADROLE = ox.NamedNode(f"{PROV}hadRole")
NIF_CONTEXT_CLASS = ox.NamedNode(f"{NIF}Context")
# paging: Hydra Core (https://www.w3.org/ns/hydra/core)
HYDRA = "http://www.w3.org/ns/hydra/core#"
HYDRA_COLLECTION = ox.NamedNode(f"{HYDRA}Collection")
HYDRA_PARTIAL_VIEW = ox.NamedNode(f"{HYDRA}PartialCollectionView")
HYDRA_VIEW = ox.NamedNode(f"{HYDRA}view")
HYDRA_TOTAL_ITEMS = ox.NamedNode(f"{HYDRA}totalItems")
HYDRA_FIRST = ox.NamedNode(f"{HYDRA}first")
HYDRA_LAST = ox.NamedNode(f"{HYDRA}last")
HYDRA_NEXT = ox.NamedNode(f"{HYDRA}next")
HYDRA_PREVIOUS = ox.NamedNode(f"{HYDRA}previous")
# the properties that name a node, best first (a statement is known by its
# words, a span by the words it covers)
LABEL_PROPERTIES = (SCHEMA_NAME, SKOS_PREFLABEL, RDFS_LABEL, SCHEMA_TEXT, NIF_ANCHOR)

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class Snippet:
    """The sentence(s) around one evidence span, split for highlighting."""

    node: str  # the thing or sub-node the span is evidence for
    span: str
    article: str
    begin: int
    end: int
    before: str
    anchor: str
    after: str


@dataclass(frozen=True)
class Mention:
    """A grounded span of an article and the things it is evidence for."""

    span: str
    begin: int
    end: int
    things: tuple[str, ...]


@dataclass
class Description:
    iri: str
    triples: list[ox.Triple]
    labels: dict[str, str] = field(default_factory=dict)
    incoming: list[ox.Triple] = field(default_factory=list)
    incoming_truncated: bool = False
    more_path: str | None = None  # relative to the base: a query listing every incoming link
    evidence: list[Snippet] = field(default_factory=list)
    text: str | None = None  # an article's full text
    mentions: list[Mention] = field(default_factory=list)
    # paging of the incoming and evidence links: this page of how many, and the
    # counts of all of them (incoming per property)
    page: int = 1
    pages: int = 1
    page_size: int = 0
    incoming_counts: dict[str, int] = field(default_factory=dict)
    evidence_total: int = 0
    # what the names query said (the page tells namesakes apart from it)
    names: Names | None = None

    def own(self) -> list[ox.Triple]:
        """Triples whose subject is the thing or one of its sub-nodes."""
        return [t for t in self.triples if _is_own(t.subject, self.iri)]

    def nodes(self) -> list[str]:
        """The thing first, then its sub-nodes in IRI order."""
        subs = sorted({t.subject.value for t in self.own()} - {self.iri})
        return [self.iri, *subs]

    def values(self, node: str, predicate: ox.NamedNode) -> list[Term]:
        return [
            t.object for t in self.triples if t.subject.value == node and t.predicate == predicate
        ]


def _is_own(term: Term, iri: str) -> bool:
    return isinstance(term, ox.NamedNode) and thing_of(term.value) == iri


def best_literal(literals: Iterable[Term]) -> str | None:
    """English first, then untagged, then any language."""
    ranked = []
    for lit in literals:
        if isinstance(lit, ox.Literal):
            lang = lit.language or ""
            rank = 0 if lang.lower().startswith("en") else 1 if not lang else 2
            ranked.append((rank, lit.value))
    return min(ranked)[1] if ranked else None


def _values(terms: Iterable[str]) -> str:
    """A VALUES block's terms (IRIs, each written by :func:`sparql_term`)."""
    return " ".join(sparql_term(ox.NamedNode(t)) for t in terms)


# ------------------------------------------------------------------ names
#
# The names of a set of nodes come from one query: each node's naming
# properties, its types and the links a name is made from (an office holding's
# holder and post, a participation's agent and role, an article's publisher
# and date), with the names of what those links lead to.

LINK_PROPERTIES = (ORG_MEMBER, NG_POST, PROV_AGENT, PROV_HADROLE, SCHEMA_PUBLISHER)
# (and where an evidence span is: its article, begin and end)
NAME_INPUTS = (*LABEL_PROPERTIES, RDF_TYPE, *LINK_PROPERTIES, SCHEMA_DATE,
               NIF_CONTEXT, NIF_BEGIN, NIF_END)

LABELS_QUERY = """
SELECT DISTINCT ?x ?p ?o WHERE {
  { VALUES ?x { %(nodes)s } ?x ?p ?o FILTER(?p IN (%(inputs)s)) }
  UNION
  { VALUES ?x { %(texts)s } ?x %(is_string)s ?o BIND(%(is_string)s AS ?p) }
}
"""
# (the names of what the links lead to are a second query: Oxigraph plans a
# second hop in the same query, or a second VALUES block, as a scan of the store)


@dataclass
class Names:
    """What one query said about the names of a set of nodes (see :func:`names_of`)."""

    values: dict[str, dict[ox.NamedNode, set[Term]]] = field(default_factory=dict)

    def of(self, node: str, prop: ox.NamedNode) -> list[Term]:
        # sorted: a node with two values of a property is named the same way every time
        return sorted(self.values.get(node, {}).get(prop, ()), key=str)

    def named(self, node: str) -> str | None:
        """The node's own name: the first naming property with a literal, English first."""
        for prop in LABEL_PROPERTIES:
            found = best_literal(self.of(node, prop))
            if found is not None:
                return found
        return None

    def _linked(self, node: str, prop: ox.NamedNode) -> str | None:
        """The name of what ``node`` links to by ``prop`` (or the literal itself)."""
        target = next(iter(self.of(node, prop)), None)
        if isinstance(target, ox.Literal):
            return target.value
        return self.named(target.value) if isinstance(target, ox.NamedNode) else None

    def derived(self, node: str) -> str | None:
        """A name made from what a nameless node links to: an office holding is its
        holder and post, a participation its agent and role, an article its
        publisher and date."""
        types = set(self.of(node, RDF_TYPE))
        parts: list[str | None]
        if ORG_MEMBERSHIP in types:
            parts = [self._linked(node, ORG_MEMBER), self._linked(node, NG_POST)]
            return " as ".join(p for p in parts if p) or None
        if PROV_ASSOCIATION in types:
            agent, role = self._linked(node, PROV_AGENT), self._linked(node, PROV_HADROLE)
            return f"{agent} ({role})" if agent and role else agent
        if NIF_CONTEXT_CLASS in types:
            parts = [self._linked(node, SCHEMA_PUBLISHER), self._linked(node, SCHEMA_DATE)]
            found = ", ".join(p for p in parts if p)
            return f"Article: {found}" if found else None
        return None

    def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """Display names: the node's own name, else one derived from its links."""
        out: dict[str, str] = {}
        for iri in iris:
            found = self.named(iri) or self.derived(iri)
            if found is not None:
                out[iri] = found
        return out

    def label_triples(self, iris: Iterable[str]) -> list[ox.Triple]:
        """The naming triples of the given nodes, as they are in the data (those
        of the first naming property the node has)."""
        out: list[ox.Triple] = []
        for iri in iris:
            for prop in LABEL_PROPERTIES:
                found = self.of(iri, prop)
                if found:
                    out.extend(ox.Triple(ox.NamedNode(iri), prop, o) for o in found)
                    break
        return out

    def text(self, article: str) -> str | None:
        found = self.of(article, NIF_ISSTRING)
        return found[0].value if found and isinstance(found[0], ox.Literal) else None


def names_of(release: OpenRelease, iris: Iterable[str], texts: Iterable[str] = ()) -> Names:
    """The names of ``iris`` (and the full text of the articles ``texts``): two
    queries, the nodes' own properties and then the names of what they link to."""
    nodes = sorted({i for i in iris if i})
    text_nodes = sorted(set(texts))
    found = Names()
    if not nodes and not text_nodes:
        return found
    query = LABELS_QUERY % {
        "nodes": _values(nodes),
        "inputs": ", ".join(sparql_term(p) for p in NAME_INPUTS),
        "texts": _values(text_nodes),
        "is_string": sparql_term(NIF_ISSTRING),
    }
    values = found.values
    for x, prop, obj in release.select(query):
        values.setdefault(x.value, {}).setdefault(prop, set()).add(obj)
    targets = sorted({
        o.value
        for props in found.values.values()
        for prop in LINK_PROPERTIES
        for o in props.get(prop, ())
        if isinstance(o, ox.NamedNode)
    } - set(nodes))
    if targets:
        query = LABELS_QUERY % {
            "nodes": _values(targets),
            "inputs": ", ".join(sparql_term(p) for p in LABEL_PROPERTIES),
            "texts": "",
            "is_string": sparql_term(NIF_ISSTRING),
        }
        for x, prop, obj in release.select(query):
            values.setdefault(x.value, {}).setdefault(prop, set()).add(obj)
    return found


def labels_for(release: OpenRelease, iris: Iterable[str]) -> dict[str, str]:
    """Display names: the node's own name, else one derived from its links (one query)."""
    wanted = sorted(set(iris))
    return names_of(release, wanted).labels(wanted)


def _dedupe(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    return sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


# ------------------------------------------------------------------ the thing's own triples

# Sub-nodes are found by following links, in both directions, that stay among
# the thing's own ``#`` nodes, up to this many links away from the thing (the
# model's deepest is two: a meeting's ``#interval`` and its ``#begin``): one
# query per step, so at most this many plus one.
SUBNODE_DEPTH = 3


def _step_query(iri: str, frontier: list[str]) -> str:
    """The triples of the ``frontier`` nodes (evidence links left out: a thing
    mentioned in thousands of articles has thousands, they are paged) and the
    thing's own sub-nodes that link to them."""
    prefix = sparql_term(ox.Literal(iri + "#"))
    parts = []
    for node in frontier:
        term = sparql_term(ox.NamedNode(node))
        parts.append(f"{{ {term} ?p ?o BIND({term} AS ?s) "
                     f"FILTER(?p != {sparql_term(NG_EVIDENCE)}) }}")
        parts.append(f"{{ ?r ?p {term} FILTER(isIRI(?r) && STRSTARTS(STR(?r), {prefix})) }}")
    # each node a constant: Oxigraph answers a VALUES block joined with a
    # pattern by scanning, a constant by its index
    return f"SELECT DISTINCT ?s ?p ?o ?r WHERE {{ {' UNION '.join(parts)} }}"


def _own(release: OpenRelease, iri: str) -> tuple[set[ox.Triple], set[str]]:
    """The thing's and its sub-nodes' triples (but evidence links), and those nodes."""
    own: set[ox.Triple] = set()
    seen = {iri}
    frontier = [iri]
    for _ in range(SUBNODE_DEPTH + 1):
        found: set[str] = set()
        for row in release.select(_step_query(iri, frontier)):
            if row["r"] is not None:
                found.add(row["r"].value)
                continue
            t = ox.Triple(row["s"], row["p"], row["o"])
            own.add(t)
            if _is_own(t.object, iri):
                found.add(t.object.value)
        frontier = sorted(found - seen)
        seen |= found
        if not frontier:
            break
    return own, seen


# ------------------------------------------------------------------ paged links

# One query fetches the links to page: the incoming links (from other things to
# the thing or its sub-nodes) and the evidence links of the thing and its
# sub-nodes, IRIs only; they are counted, ordered (incoming by subject, property,
# object; evidence by span, then node) and cut into pages here. Sorting them in
# the store cost more than fetching them: Oxigraph's ORDER BY over a head of
# state's 3,342 incoming links took 183 ms of CPU, fetching them 22 ms.
LINKS_QUERY = """
SELECT DISTINCT ?part ?s ?p ?o WHERE { %(incoming)s UNION %(evidence)s }
"""


@dataclass
class _Links:
    incoming: list[ox.Triple] = field(default_factory=list)
    incoming_counts: dict[str, int] = field(default_factory=dict)
    evidence: list[ox.Triple] = field(default_factory=list)
    evidence_total: int = 0


def _links(release: OpenRelease, iri: str, nodes: set[str], page: int, size: int) -> _Links:
    terms = [sparql_term(ox.NamedNode(n)) for n in sorted(nodes)]
    evidence = sparql_term(NG_EVIDENCE)
    query = LINKS_QUERY % {
        "incoming": " UNION ".join(
            f'{{ ?s ?p {t} BIND({t} AS ?o) BIND("in" AS ?part) }}' for t in terms),
        "evidence": " UNION ".join(
            f'{{ {t} {evidence} ?o BIND({t} AS ?s) BIND({evidence} AS ?p) BIND("ev" AS ?part) }}'
            for t in terms),
    }
    # keyed by strings, sorted, and made triples only for the page: a hub has thousands
    incoming: dict[tuple[str, str, str], tuple[Term, Term, Term]] = {}
    spans: dict[tuple[str, str], tuple[Term, Term]] = {}
    own_prefix = iri + "#"
    for part, subject, predicate, obj in release.select(query):
        if part.value == "ev":
            spans[(obj.value, subject.value)] = (subject, obj)
        elif not (isinstance(subject, ox.NamedNode)
                  and (subject.value == iri or subject.value.startswith(own_prefix))):
            # (links among its own nodes are its own triples)
            incoming[(str(subject), predicate.value, obj.value)] = (subject, predicate, obj)
    out = _Links(evidence_total=len(spans))
    for _, predicate, _ in incoming:
        out.incoming_counts[predicate] = out.incoming_counts.get(predicate, 0) + 1
    start = (page - 1) * size
    out.incoming = [ox.Triple(*incoming[k]) for k in sorted(incoming)[start:start + size]]
    out.evidence = [ox.Triple(spans[k][0], NG_EVIDENCE, spans[k][1])
                    for k in sorted(spans)[start:start + size]]
    return out


def _int_of(term: Term | None) -> int | None:
    if isinstance(term, ox.Literal):
        try:
            return int(term.value)
        except ValueError:
            return None
    return None


def _snippets(names: Names, evidence: list[ox.Triple]) -> list[Snippet]:
    """The sentence around each evidence span (its article, begin and end read
    by the names query)."""
    snippets = []
    for t in evidence:
        span = t.object.value
        context = next(iter(names.of(span, NIF_CONTEXT)), None)
        begin = _int_of(next(iter(names.of(span, NIF_BEGIN)), None))
        end = _int_of(next(iter(names.of(span, NIF_END)), None))
        if not isinstance(context, ox.NamedNode) or begin is None or end is None or begin > end:
            continue
        article = context.value
        text = names.text(article)
        if text is None or end > len(text):
            continue
        start, stop = sentence_bounds(text, begin, end)
        snippets.append(
            Snippet(
                t.subject.value,
                t.object.value,
                article,
                begin,
                end,
                text[start:begin],
                text[begin:end],
                text[end:stop],
            )
        )
    return sorted(snippets, key=lambda s: (s.article, s.begin, s.end, s.node))


MENTIONS_QUERY = iris.with_prefixes("""
SELECT DISTINCT ?span ?b ?e ?thing WHERE {
  ?span nif:referenceContext %s ; nif:beginIndex ?b ; nif:endIndex ?e .
  ?thing ng:evidence ?span .
}
""")


def _mentions(release: OpenRelease, article: str, text_length: int) -> list[Mention]:
    by_span: dict[str, tuple[int, int, set[str]]] = {}
    for row in release.select(MENTIONS_QUERY % sparql_term(ox.NamedNode(article))):
        begin, end = _int_of(row["b"]), _int_of(row["e"])
        if begin is None or end is None or not 0 <= begin < end <= text_length:
            continue
        entry = by_span.setdefault(row["span"].value, (begin, end, set()))
        entry[2].add(row["thing"].value)
    return sorted(
        (Mention(span, b, e, tuple(sorted(things))) for span, (b, e, things) in by_span.items()),
        key=lambda m: (m.begin, -m.end),
    )


def incoming_query(iri: str) -> str:
    """SPARQL listing every link to ``iri`` (for when a description caps them)."""
    target = sparql_term(ox.NamedNode(iri))
    return f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {target} }} ORDER BY ?s ?p"


def restore_datatypes(triples: Iterable[ox.Triple], datatypes: Mapping[str, str]) -> set[ox.Triple]:
    """Undo the store's normalising of integer literals.

    Oxigraph keeps every integer-derived literal (``xsd:nonNegativeInteger``,
    ``xsd:int``, …) as ``xsd:integer`` (oxigraph/oxigraph#526), so a description
    read from it would disagree with the dumps. ``datatypes`` maps a property to
    the one integer type the shapes require of its values (the build refuses
    data that breaks them), and that type is put back.
    """
    out = set()
    for t in triples:
        obj = t.object
        wanted = datatypes.get(t.predicate.value)
        if wanted and isinstance(obj, ox.Literal) and obj.datatype.value == XSD_INTEGER:
            t = ox.Triple(
                t.subject, t.predicate, ox.Literal(obj.value, datatype=ox.NamedNode(wanted))
            )
        out.add(t)
    return out


class PageNotFound(LookupError):
    """A page past the last one of a description."""


def page_iri(doc: str, page: int) -> str:
    """The IRI of one page of a document: the document itself for the first."""
    return doc if page == 1 else f"{doc}?page={page}"


def _paging_triples(doc: str, page: int, pages: int, links: _Links) -> list[ox.Triple]:
    """Where the other pages are, in Hydra: the page is a view of the thing's
    incoming links and of its evidence, each a collection with its size."""
    here = ox.NamedNode(page_iri(doc, page))
    out = [
        ox.Triple(here, RDF_TYPE, HYDRA_PARTIAL_VIEW),
        ox.Triple(here, HYDRA_FIRST, ox.NamedNode(page_iri(doc, 1))),
        ox.Triple(here, HYDRA_LAST, ox.NamedNode(page_iri(doc, pages))),
    ]
    if page > 1:
        out.append(ox.Triple(here, HYDRA_PREVIOUS, ox.NamedNode(page_iri(doc, page - 1))))
    if page < pages:
        out.append(ox.Triple(here, HYDRA_NEXT, ox.NamedNode(page_iri(doc, page + 1))))
    for fragment, total in (("incoming", sum(links.incoming_counts.values())),
                            ("evidence", links.evidence_total)):
        collection = ox.NamedNode(f"{doc}#{fragment}")
        out += [
            ox.Triple(collection, RDF_TYPE, HYDRA_COLLECTION),
            ox.Triple(collection, HYDRA_TOTAL_ITEMS,
                      ox.Literal(str(total), datatype=ox.NamedNode(XSD_INTEGER))),
            ox.Triple(collection, HYDRA_VIEW, here),
        ]
    return out


def describe(
    release: OpenRelease,
    iri: str,
    base: str,
    max_incoming: int,
    datatypes: Mapping[str, str] | None = None,
    page: int = 1,
) -> Description:
    """Build the description of ``iri`` from the store (empty triples: not found):
    its own triples, and page ``page`` of its incoming links and of its evidence,
    ``max_incoming`` of each per page. A bounded number of queries whatever the
    thing: its own triples, its links (counted and paged), an article's
    mentions, and the names of all that. :class:`PageNotFound` past the last page."""
    size = max(1, max_incoming)
    own, nodes = _own(release, iri)
    links = _links(release, iri, nodes, page, size)
    incoming_total = sum(links.incoming_counts.values())
    pages = max(1, -(-incoming_total // size), -(-links.evidence_total // size))
    if page < 1 or page > pages:
        raise PageNotFound(f"{iri} has {pages} page(s) of links")
    own |= set(links.evidence)
    own = restore_datatypes(own, datatypes or {})
    incoming = _dedupe(links.incoming)
    linked = {t.object.value for t in own if isinstance(t.object, ox.NamedNode)}
    linked |= {t.subject.value for t in incoming if isinstance(t.subject, ox.NamedNode)}
    linked -= nodes
    # a sub-node of another thing (a span) is named by its thing
    linked |= {thing_of(v) for v in linked if split_thing(v, base) is not None}
    triples = [*own, *incoming]
    terms = {t.predicate.value for t in triples}
    terms |= {t.object.value for t in triples
              if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)}
    terms |= {p.value for p in LABEL_PROPERTIES} | {RDFS_SEEALSO.value}
    is_article = NIF_CONTEXT_CLASS in {t.object for t in own
                                        if t.subject.value == iri and t.predicate == RDF_TYPE}
    text = next((t.object.value for t in own if t.subject.value == iri
                 and t.predicate == NIF_ISSTRING and isinstance(t.object, ox.Literal)), None)
    mentions = _mentions(release, iri, len(text)) if is_article and text is not None else []
    things = {t for m in mentions for t in m.things}
    # the article a span is in is the thing its IRI is a sub-node of
    contexts = {thing_of(t.object.value) for t in links.evidence
                if isinstance(t.object, ox.NamedNode)}
    names = names_of(release, nodes | linked | terms | things, contexts - {iri})
    if text is not None:
        names.values.setdefault(iri, {})[NIF_ISSTRING] = {ox.Literal(text)}
    label_triples = names.label_triples(sorted(linked))
    more: list[ox.Triple] = []
    more_path = None
    parts = split_thing(iri, base)
    if incoming_total > size and parts is not None:
        # the description says where the rest of the incoming links are
        more_path = "sparql?query=" + quote(incoming_query(iri), safe="")
        more.append(
            ox.Triple(
                ox.NamedNode(iris.doc(*parts, base)), RDFS_SEEALSO, ox.NamedNode(base + more_path)
            )
        )
    if pages > 1 and parts is not None:
        more += _paging_triples(iris.doc(*parts, base), page, pages, links)
    desc = Description(
        iri=iri,
        triples=_dedupe([*triples, *label_triples, *more]),
        incoming=incoming,
        incoming_truncated=incoming_total > size,
        more_path=more_path,
        page=page,
        pages=pages,
        page_size=size,
        incoming_counts=links.incoming_counts,
        evidence_total=links.evidence_total,
        names=names,
    )
    desc.labels = names.labels(sorted(nodes | linked))
    desc.labels.update(names.labels(sorted(_vocabulary_terms(desc.triples))))
    desc.evidence = _snippets(names, links.evidence)
    if is_article:
        desc.text = text
        if text is not None:
            desc.mentions = mentions
            desc.labels.update(names.labels(sorted(things - desc.labels.keys())))
    return desc


def _vocabulary_terms(triples: Iterable[ox.Triple]) -> set[str]:
    """The properties and classes used (named by the ontology graph)."""
    terms = {t.predicate.value for t in triples}
    terms |= {
        t.object.value
        for t in triples
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)
    }
    return terms


FOAF_DOCUMENT = ox.NamedNode("http://xmlns.com/foaf/0.1/Document")
FOAF_PRIMARY_TOPIC = ox.NamedNode("http://xmlns.com/foaf/0.1/primaryTopic")
VOID_IN_DATASET = ox.NamedNode("http://rdfs.org/ns/void#inDataset")
DCT_LICENSE = ox.NamedNode("http://purl.org/dc/terms/license")
DCT_MODIFIED = ox.NamedNode("http://purl.org/dc/terms/modified")
DCAT_VERSION = ox.NamedNode("http://www.w3.org/ns/dcat#version")
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")


def document_triples(
    release: OpenRelease, kind: str, slug: str, base: str, license_iri: str, page: int = 1
) -> list[ox.Triple]:
    """What the description of a thing says about itself: the document it is
    (``{base}doc/…``, or its page ``…?page=N``), its topic, the dataset and
    release it comes from, and the licence it is under, so that a copy saved
    anywhere still says so."""
    doc = ox.NamedNode(page_iri(iris.doc(kind, slug, base), page))
    stamp = release.modified.strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        ox.Triple(doc, RDF_TYPE, FOAF_DOCUMENT),
        ox.Triple(doc, FOAF_PRIMARY_TOPIC, ox.NamedNode(iris.entity(kind, slug, base))),
        ox.Triple(doc, VOID_IN_DATASET, ox.NamedNode(iris.dataset(base))),
        ox.Triple(doc, DCT_LICENSE, ox.NamedNode(license_iri)),
        # the release, by the id /dataset gives as its dct:identifier; its date
        # is the Last-Modified of every answer made from it
        ox.Triple(doc, DCAT_VERSION, ox.Literal(release.release_id)),
        ox.Triple(doc, DCT_MODIFIED, ox.Literal(stamp, datatype=XSD_DATETIME)),
    ]


def from_triples(
    iri: str, triples: Iterable[ox.Triple], labels: dict[str, str] | None = None
) -> Description:
    """A description of a resource that is not in the store (the dataset, the ontology)."""
    triples = _dedupe(triples)
    found = dict(labels or {})
    for t in triples:
        if t.predicate in LABEL_PROPERTIES and isinstance(t.object, ox.Literal):
            found.setdefault(t.subject.value, t.object.value)
    return Description(iri=iri, triples=triples, labels=found)

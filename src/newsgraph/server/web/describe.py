"""An entity's description, built once per release and rendered in any format.

The description of ``{base}id/{kind}/{slug}`` holds

* its own triples and those of its hash sub-nodes (``…#interval``,
  ``…#assoc-…``, an article's ``…#char=B,E`` spans), found by walking from the
  thing through links to and from its own sub-nodes;
* the names of what it links to and of what links to it;
* incoming links (from other things), capped with a link to the rest;
* for the HTML page: the article sentences its evidence spans sit in, and for
  an article every grounded mention of its text.
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


def _named(release: OpenRelease, node: ox.NamedNode) -> str | None:
    for prop in LABEL_PROPERTIES:
        found = best_literal(q.object for q in release.store.quads_for_pattern(node, prop, None))
        if found is not None:
            return found
    return None


def _linked(release: OpenRelease, node: ox.NamedNode, prop: ox.NamedNode) -> str | None:
    """The name of what ``node`` links to by ``prop`` (or the literal itself)."""
    target = _one(release, node.value, prop)
    if isinstance(target, ox.Literal):
        return target.value
    return _named(release, target) if isinstance(target, ox.NamedNode) else None


def _derived(release: OpenRelease, node: ox.NamedNode) -> str | None:
    """A name made from what a nameless node links to: an office holding is its
    holder and post, a participation its agent and role, an article its
    publisher and date."""
    types = {q.object for q in release.store.quads_for_pattern(node, RDF_TYPE, None)}
    parts: list[str | None]
    if ORG_MEMBERSHIP in types:
        parts = [_linked(release, node, ORG_MEMBER), _linked(release, node, NG_POST)]
        return " as ".join(p for p in parts if p) or None
    if PROV_ASSOCIATION in types:
        agent, role = _linked(release, node, PROV_AGENT), _linked(release, node, PROV_HADROLE)
        return f"{agent} ({role})" if agent and role else agent
    if NIF_CONTEXT_CLASS in types:
        parts = [_linked(release, node, SCHEMA_PUBLISHER), _linked(release, node, SCHEMA_DATE)]
        found = ", ".join(p for p in parts if p)
        return f"Article: {found}" if found else None
    return None


def labels_for(release: OpenRelease, iris: Iterable[str]) -> dict[str, str]:
    """Display names: the node's own name, else one derived from its links."""
    labels: dict[str, str] = {}
    for iri in iris:
        node = ox.NamedNode(iri)
        found = _named(release, node) or _derived(release, node)
        if found is not None:
            labels[iri] = found
    return labels


def _label_triples(release: OpenRelease, iris: Iterable[str]) -> list[ox.Triple]:
    """The naming triples of the given nodes, as they are in the data."""
    out: list[ox.Triple] = []
    for iri in iris:
        node = ox.NamedNode(iri)
        for prop in LABEL_PROPERTIES:
            quads = list(release.store.quads_for_pattern(node, prop, None))
            if quads:
                out.extend(ox.Triple(q.subject, q.predicate, q.object) for q in quads)
                break
    return out


def _dedupe(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    return sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def _walk_own(release: OpenRelease, iri: str) -> tuple[set[ox.Triple], set[str]]:
    """The thing's and its sub-nodes' triples, following links in both
    directions as long as they stay among its own sub-nodes."""
    own: set[ox.Triple] = set()
    seen = {iri}
    frontier = [iri]
    while frontier:
        node = ox.NamedNode(frontier.pop())
        for q in release.store.quads_for_pattern(node, None, None):
            own.add(ox.Triple(q.subject, q.predicate, q.object))
            obj = q.object
            if _is_own(obj, iri) and obj.value not in seen:
                seen.add(obj.value)
                frontier.append(obj.value)
        for q in release.store.quads_for_pattern(None, None, node):
            subj = q.subject
            if _is_own(subj, iri) and subj.value not in seen:
                seen.add(subj.value)
                frontier.append(subj.value)
    return own, seen


def _incoming(
    release: OpenRelease, nodes: set[str], iri: str, cap: int
) -> tuple[list[ox.Triple], bool]:
    """Links from other things to the thing or its sub-nodes, at most ``cap``."""
    found: set[ox.Triple] = set()
    for value in sorted(nodes):
        for q in release.store.quads_for_pattern(None, None, ox.NamedNode(value)):
            if _is_own(q.subject, iri):
                continue
            found.add(ox.Triple(q.subject, q.predicate, q.object))
            if len(found) > cap:
                return _dedupe(found)[:cap], True
    return _dedupe(found), False


def _int_of(term: Term | None) -> int | None:
    if isinstance(term, ox.Literal):
        try:
            return int(term.value)
        except ValueError:
            return None
    return None


def _one(release: OpenRelease, subject: str, predicate: ox.NamedNode) -> Term | None:
    return next(
        (q.object for q in release.store.quads_for_pattern(ox.NamedNode(subject), predicate, None)),
        None,
    )


def article_text(release: OpenRelease, article: str) -> str | None:
    text = _one(release, article, NIF_ISSTRING)
    return text.value if isinstance(text, ox.Literal) else None


def span_bounds(release: OpenRelease, span: str) -> tuple[str, int, int] | None:
    """(article, begin, end) of a span, from the data (not parsed from its IRI)."""
    context = _one(release, span, NIF_CONTEXT)
    begin, end = _int_of(_one(release, span, NIF_BEGIN)), _int_of(_one(release, span, NIF_END))
    if not isinstance(context, ox.NamedNode) or begin is None or end is None or begin > end:
        return None
    return context.value, begin, end


def _snippets(release: OpenRelease, own: Iterable[ox.Triple]) -> list[Snippet]:
    texts: dict[str, str | None] = {}
    snippets = []
    for t in own:
        if t.predicate != NG_EVIDENCE or not isinstance(t.object, ox.NamedNode):
            continue
        bounds = span_bounds(release, t.object.value)
        if bounds is None:
            continue
        article, begin, end = bounds
        if article not in texts:
            texts[article] = article_text(release, article)
        text = texts[article]
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


MENTIONS_QUERY = """
PREFIX nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#>
PREFIX ng: <https://w3id.org/newsgraph/def#>
SELECT DISTINCT ?span ?b ?e ?thing WHERE {
  ?span nif:referenceContext %s ; nif:beginIndex ?b ; nif:endIndex ?e .
  ?thing ng:evidence ?span .
}
"""


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


def describe(
    release: OpenRelease,
    iri: str,
    base: str,
    max_incoming: int,
    datatypes: Mapping[str, str] | None = None,
) -> Description:
    """Build the description of ``iri`` from the store (empty triples: not found)."""
    own, nodes = _walk_own(release, iri)
    own = restore_datatypes(own, datatypes or {})
    incoming, truncated = _incoming(release, nodes, iri, max_incoming)
    linked = {t.object.value for t in own if isinstance(t.object, ox.NamedNode)}
    linked |= {t.subject.value for t in incoming if isinstance(t.subject, ox.NamedNode)}
    linked -= nodes
    # a sub-node of another thing (a span) is named by its thing
    linked |= {thing_of(v) for v in linked if split_thing(v, base) is not None}
    label_triples = _label_triples(release, sorted(linked))
    more: list[ox.Triple] = []
    more_path = None
    parts = split_thing(iri, base)
    if truncated and parts is not None:
        # the description says where the rest of the incoming links are
        more_path = "sparql?query=" + quote(incoming_query(iri), safe="")
        more.append(
            ox.Triple(
                ox.NamedNode(iris.doc(*parts, base)), RDFS_SEEALSO, ox.NamedNode(base + more_path)
            )
        )
    desc = Description(
        iri=iri,
        triples=_dedupe([*own, *incoming, *label_triples, *more]),
        incoming=incoming,
        incoming_truncated=truncated,
        more_path=more_path,
    )
    desc.labels = labels_for(release, sorted(nodes | linked))
    desc.labels.update(_predicate_labels(release, desc.triples))
    desc.evidence = _snippets(release, own)
    if NIF_CONTEXT_CLASS in desc.values(iri, RDF_TYPE):
        desc.text = article_text(release, iri)
        if desc.text is not None:
            desc.mentions = _mentions(release, iri, len(desc.text))
            things = {t for m in desc.mentions for t in m.things}
            desc.labels.update(labels_for(release, sorted(things - desc.labels.keys())))
    return desc


def _predicate_labels(release: OpenRelease, triples: Iterable[ox.Triple]) -> dict[str, str]:
    """Labels of the properties and classes used, as the ontology graph gives them."""
    terms = {t.predicate.value for t in triples}
    terms |= {
        t.object.value
        for t in triples
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)
    }
    return labels_for(release, sorted(terms))


FOAF_DOCUMENT = ox.NamedNode("http://xmlns.com/foaf/0.1/Document")
FOAF_PRIMARY_TOPIC = ox.NamedNode("http://xmlns.com/foaf/0.1/primaryTopic")
VOID_IN_DATASET = ox.NamedNode("http://rdfs.org/ns/void#inDataset")
DCT_LICENSE = ox.NamedNode("http://purl.org/dc/terms/license")
DCT_MODIFIED = ox.NamedNode("http://purl.org/dc/terms/modified")
DCAT_VERSION = ox.NamedNode("http://www.w3.org/ns/dcat#version")
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")


def document_triples(
    release: OpenRelease, kind: str, slug: str, base: str, license_iri: str
) -> list[ox.Triple]:
    """What the description of a thing says about itself: the document it is
    (``{base}doc/…``), its topic, the dataset and release it comes from, and the
    licence it is under, so that a copy saved anywhere still says so."""
    doc = ox.NamedNode(iris.doc(kind, slug, base))
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

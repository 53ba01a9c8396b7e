"""Checked annotations in, RDF out: one named graph per article, one for the register.

Follows the vocabulary contract (docs/ontology.md): types are written out with
their superclasses because queries run without inference; names carry ``@en``;
every article-derived node points at the spans of text that say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS, XSD

from newsgraph import iris
from newsgraph.iris import NG, NIF, ORG, PROV, SCHEMA, TIME
from newsgraph.pipeline.annotations import (
    ArticleAnnotations,
    Corpus,
    Evidence,
    PartialDate,
    Record,
    target,
    targets,
)

# the rdf:types of each kind, from the one registry of kinds (newsgraph.iris)
KIND_TYPES: dict[str, tuple[URIRef, ...]] = {
    k: tuple(URIRef(t) for t in iris.kind_types(k)) for k in iris.KINDS
}
ORG_TYPES = {
    "government": SCHEMA.GovernmentOrganization,
    "news-media": SCHEMA.NewsMediaOrganization,
}
PLACE_TYPES = {"city": SCHEMA.City, "country": SCHEMA.Country}
WORK_TYPES = {
    "news-article": SCHEMA.NewsArticle,
    "social-media-posting": SCHEMA.SocialMediaPosting,
    "web-page": SCHEMA.WebPage,
}
STATEMENT_TYPES = {
    "direct-quote": NG.DirectQuote,
    "indirect-quote": NG.IndirectQuote,
    "editorial-claim": NG.EditorialClaim,
}
ROLES = {"host": NG.Host, "visitor": NG.Visitor, "participant": NG.Participant}
PRECISION = {"day": TIME.unitDay, "month": TIME.unitMonth}


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def date_literal(value: PartialDate | dt.date) -> Literal:
    if isinstance(value, dt.date):
        return Literal(value.isoformat(), datatype=XSD.date)
    if value.day:
        return Literal(str(value), datatype=XSD.date)
    return Literal(str(value), datatype=XSD.gYearMonth)


class _Minter:
    """Turns record ids into IRIs with the configured base: an id's IRI names its
    kind, so minting needs only each id's kind (:func:`corpus_kinds`), which is
    what a worker mapping one article is given."""

    def __init__(self, kinds: Mapping[str, str], base: str,
                 records: Mapping[str, Record] | None = None):
        self.kinds = kinds
        self.records = records or {}  # the register's mapping reads other records' fields
        self.base = base

    def __call__(self, record_id: str) -> URIRef:
        return URIRef(iris.entity(self.kinds[record_id], record_id, self.base))


def corpus_kinds(corpus: Corpus) -> dict[str, str]:
    """Every id of the corpus and its kind."""
    return {record_id: record.kind for record_id, record in corpus.entities.items()}


def _add_types(g: Graph, node: URIRef, types: Iterable[URIRef]) -> None:
    for t in types:
        g.add((node, RDF.type, t))


def _map_register_record(g: Graph, r: Record, iri: _Minter) -> None:
    node = iri(r.id)
    _add_types(g, node, KIND_TYPES[r.kind])
    if r.get("wikidata"):
        g.add((node, OWL.sameAs, URIRef(iris.wikidata(r.fields["wikidata"]))))
    if "name" in r.fields:  # every register kind that has a name field
        g.add((node, SCHEMA.name, en(r.fields["name"])))
    if r.kind == "organization":
        if r.get("type") in ORG_TYPES:
            g.add((node, RDF.type, ORG_TYPES[r.fields["type"]]))
        if r.get("location"):
            g.add((node, SCHEMA.location, iri(target(r.get("location")))))
        if r.get("parent"):
            g.add((node, SCHEMA.parentOrganization, iri(target(r.get("parent")))))
    elif r.kind == "place":
        g.add((node, RDF.type, PLACE_TYPES[r.fields["type"]]))
        if r.get("in"):
            g.add((node, SCHEMA.containedInPlace, iri(target(r.get("in")))))
    elif r.kind == "post":
        g.add((node, SKOS.prefLabel, en(r.fields["label"])))
        g.add((node, ORG.postIn, iri(target(r.get("organization")))))
    elif r.kind == "concept":
        g.add((node, SKOS.prefLabel, en(r.fields["label"])))
        if r.get("definition"):
            g.add((node, SKOS.definition, en(r.fields["definition"])))
    elif r.kind == "tenure":
        _map_tenure(g, r, node, iri)
    elif r.kind == "event":
        if r.get("location"):
            g.add((node, SCHEMA.location, iri(target(r.get("location")))))
        if r.get("date"):
            g.add((node, SCHEMA.startDate, date_literal(r.fields["date"])))
        for source in targets(r.get("source")):
            g.add((node, PROV.wasDerivedFrom, iri(source)))
    elif r.kind == "work":
        if r.fields["type"] in WORK_TYPES:
            g.add((node, RDF.type, WORK_TYPES[r.fields["type"]]))
        for name, prop in (("publisher", SCHEMA.publisher), ("author", SCHEMA.author)):
            if r.get(name):
                g.add((node, prop, iri(target(r.get(name)))))
        if r.get("published"):
            g.add((node, SCHEMA.datePublished, date_literal(r.fields["published"])))
        if r.get("url"):
            g.add((node, SCHEMA.url, URIRef(r.fields["url"])))
        if r.get("language"):
            g.add((node, SCHEMA.inLanguage, Literal(r.fields["language"])))
        if r.get("identifier"):
            g.add((node, SCHEMA.identifier, Literal(r.fields["identifier"])))


def _map_tenure(g: Graph, r: Record, node: URIRef, iri: _Minter) -> None:
    person = iri(target(r.get("person")))
    post_id = target(r.get("post"))
    post = iri(post_id)
    organization = iri(target(iri.records[post_id].get("organization")))
    g.add((node, ORG.member, person))
    g.add((node, ORG.organization, organization))
    g.add((node, NG.post, post))
    g.add((post, ORG.heldBy, person))
    g.add((person, ORG.holds, post))
    if r.get("start") or r.get("end"):
        interval = URIRef(iris.sub_node(node, "interval"))
        g.add((node, ORG.memberDuring, interval))
        g.add((interval, RDF.type, TIME.Interval))
        for field, prop, local in (("start", TIME.hasBeginning, "begin"),
                                   ("end", TIME.hasEnd, "end")):
            if r.get(field):
                instant = URIRef(iris.sub_node(node, local))
                g.add((interval, prop, instant))
                g.add((instant, RDF.type, TIME.Instant))
                g.add((instant, TIME.inXSDDate, date_literal(r.fields[field])))
        for source in targets(r.get("source")):
            g.add((interval, PROV.wasDerivedFrom, iri(source)))
        if r.get("note"):
            g.add((interval, SKOS.editorialNote, en(r.fields["note"])))


def _span(g: Graph, article: ArticleAnnotations, ev: Evidence, article_iri: URIRef) -> URIRef:
    span = article.spans[ev]
    node = URIRef(iris.span(str(article_iri), span.begin, span.end))
    g.add((node, RDF.type, NIF.OffsetBasedString))
    g.add((node, RDF.type, NIF.String))
    g.add((node, NIF.referenceContext, article_iri))
    g.add((node, NIF.beginIndex, Literal(span.begin, datatype=XSD.nonNegativeInteger)))
    g.add((node, NIF.endIndex, Literal(span.end, datatype=XSD.nonNegativeInteger)))
    g.add((node, NIF.anchorOf, Literal(span.anchor)))
    return node


def _map_meeting(g: Graph, r: Record, node: URIRef, iri: _Minter) -> None:
    g.add((node, SCHEMA.name, en(r.fields["name"])))
    g.add((node, SCHEMA.location, iri(target(r.get("location")))))
    date: PartialDate = r.fields["date"]
    g.add((node, SCHEMA.startDate, date_literal(date)))
    g.add((node, NG.datePrecision, PRECISION[date.precision]))
    if r.get("date-expression"):
        g.add((node, NG.dateExpression, Literal(r.fields["date-expression"])))
    first, last = r.get("between") or (date.first, date.last)
    interval = URIRef(iris.sub_node(node, "interval"))
    g.add((node, TIME.hasTime, interval))
    g.add((interval, RDF.type, TIME.Interval))
    for prop, local, day in ((TIME.hasBeginning, "begin", first), (TIME.hasEnd, "end", last)):
        instant = URIRef(iris.sub_node(node, local))
        g.add((interval, prop, instant))
        g.add((instant, RDF.type, TIME.Instant))
        g.add((instant, TIME.inXSDDate, date_literal(day)))
    for p in r.fields["participants"]:
        agent_id = target(p["agent"])
        agent = iri(agent_id)
        assoc = URIRef(iris.sub_node(node, f"assoc-{agent_id}"))
        g.add((node, SCHEMA.attendee, agent))
        g.add((node, PROV.qualifiedAssociation, assoc))
        g.add((assoc, RDF.type, PROV.Association))
        g.add((assoc, PROV.agent, agent))
        g.add((assoc, PROV.hadRole, ROLES[p["role"]]))
        for post in targets(p.get("capacity")):
            g.add((assoc, NG.capacity, iri(post)))
    if r.get("organizer"):
        g.add((node, SCHEMA.organizer, iri(target(r.get("organizer")))))
    if r.get("part-of"):
        g.add((node, SCHEMA.superEvent, iri(target(r.get("part-of")))))
    for source in targets(r.get("source")):
        g.add((node, PROV.wasDerivedFrom, iri(source)))


def _map_statement(g: Graph, r: Record, node: URIRef, iri: _Minter) -> None:
    g.add((node, RDF.type, STATEMENT_TYPES[r.fields["kind"]]))
    g.add((node, SCHEMA.text, en(r.fields["text"])))
    g.add((node, PROV.wasAttributedTo, iri(target(r.get("by")))))
    if r.get("made-at"):
        g.add((node, PROV.wasGeneratedBy, iri(target(r.get("made-at")))))
    if r.get("quoted-from"):
        g.add((node, PROV.wasQuotedFrom, iri(target(r.get("quoted-from")))))
    for about in targets(r.get("about")):
        g.add((node, SCHEMA.about, iri(about)))


def _map_article(g: Graph, a: ArticleAnnotations, iri: _Minter, base: str) -> None:
    node = URIRef(iris.article(a.slug, base))
    meta = a.meta
    _add_types(g, node, (SCHEMA.NewsArticle, SCHEMA.CreativeWork, NIF.Context))
    g.add((node, SCHEMA.url, URIRef(meta["url"])))
    g.add((node, SCHEMA.datePublished, date_literal(meta["published"])))
    g.add((node, SCHEMA.publisher, iri(target(meta["publisher"]))))
    g.add((node, SCHEMA.inLanguage, Literal(meta["language"])))
    g.add((node, NIF.isString, Literal(a.text)))
    if meta.get("headline"):
        g.add((node, SCHEMA.headline, en(meta["headline"])))
    if meta.get("based-on"):
        g.add((node, SCHEMA.isBasedOn, iri(target(meta["based-on"]))))
    if meta.get("published-source"):
        # the date is taken from the original, since the English copy carries none
        g.add((node, PROV.wasDerivedFrom, iri(target(meta["published-source"]))))
    for record in a.records.values():
        rnode = iri(record.id)
        _add_types(g, rnode, KIND_TYPES[record.kind])
        if record.kind == "meeting":
            _map_meeting(g, record, rnode, iri)
        else:
            _map_statement(g, record, rnode, iri)
        for ev in record.fields["evidence"]:
            g.add((rnode, NG.evidence, _span(g, a, ev, node)))
        date_words = a.date_evidence.get(record.id)
        if date_words is not None:
            # the words that date the meeting are evidence too, and are published
            # as the text has them
            g.add((rnode, NG.evidence, _span(g, a, date_words, node)))
            g.set((rnode, NG.dateExpression, Literal(a.spans[date_words].anchor)))
    for entity_id, evidence in a.mentions.items():
        for ev in evidence:
            g.add((iri(entity_id), NG.evidence, _span(g, a, ev, node)))
    for i, corr in enumerate(a.corrections, 1):
        cnode = URIRef(iris.sub_node(str(node), f"correction-{i}"))
        g.add((node, SCHEMA.correction, cnode))
        g.add((cnode, RDF.type, SCHEMA.CorrectionComment))
        g.add((cnode, SCHEMA.text, en(corr["text"])))
        source = iri(target(corr["source"]))
        g.add((cnode, SCHEMA.citation, source))
        g.add((cnode, PROV.wasDerivedFrom, source))
        for ev in corr["evidence"]:
            g.add((cnode, NG.evidence, _span(g, a, ev, node)))


def new_dataset() -> Dataset:
    ds = Dataset()
    for prefix, ns in iris.PREFIXES.items():
        ds.bind(prefix, ns, override=True, replace=True)
    return ds


def map_register(ds: Dataset | None, corpus: Corpus, base: str = iris.DEFAULT_BASE) -> Graph:
    """The register's graph of ``ds`` (a graph of its own if None), written from the
    corpus's register records."""
    iri = _Minter(corpus_kinds(corpus), base, corpus.entities)
    register = Graph() if ds is None else ds.graph(URIRef(iris.entities_graph(base)))
    article_ids = {r for a in corpus.articles for r in a.records}
    for record in corpus.entities.values():
        if record.id not in article_ids:
            _map_register_record(register, record, iri)
    return register


def article_graph(article: ArticleAnnotations, kinds: Mapping[str, str],
                  base: str = iris.DEFAULT_BASE) -> Graph:
    """One article's graph on its own, from its annotations and the kind of every
    id of the corpus: all a worker needs to map it."""
    graph = Graph()
    _map_article(graph, article, _Minter(kinds, base), base)
    return graph


def map_corpus(corpus: Corpus, base: str = iris.DEFAULT_BASE) -> Dataset:
    """The register and every article, each in its own named graph."""
    ds = new_dataset()
    map_register(ds, corpus, base)
    iri = _Minter(corpus_kinds(corpus), base)  # once: every article mints with it
    for article in corpus.articles:
        _map_article(ds.graph(URIRef(iris.article_graph(article.slug, base))), article, iri, base)
    return ds

"""What a dataset holds, counted once: by the build into the release's
``statistics.json`` (newsgraph.release), read back by the server for ``/`` and
``/dataset`` (a single served file, which has none, is counted by the server).

Counting is a pass over the whole data, so it is done where the data is made,
once, rather than by every server process on its first request; a build that
changes a few graphs updates the previous counts instead (:class:`Tally`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from newsgraph import iris
from newsgraph.iris import KINDS

OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"
# written into statistics.json; a build updates a previous release's statistics
# only if they were counted the same way: bump it when what is counted changes
STATISTICS_VERSION = 2


@dataclass(frozen=True)
class Statistics:
    triples: int
    quads: int
    graphs: int
    distinct_subjects: int
    entities_by_kind: dict[str, list[tuple[str, str]]]  # kind -> [(iri, label)]
    classes: dict[str, int]  # class -> distinct instances
    properties: dict[str, int]  # property -> distinct triples
    wikidata_links: int
    named_graphs: list[str] = field(default_factory=list)

    @property
    def entities(self) -> int:
        return sum(len(v) for v in self.entities_by_kind.values())


NAME_PREDICATES = ("https://schema.org/name", "http://www.w3.org/2004/02/skos/core#prefLabel",
                   "https://schema.org/text")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

def _is_label(term: object) -> bool:
    if not isinstance(term, ox.Literal):
        return False
    lang = (term.language or "").lower()
    return lang in ("", "en") or lang.startswith("en-")


def pick_label(names: Iterable[ox.Literal]) -> str | None:
    """The label of a thing among its candidate names: English before untagged,
    then the smallest; the same whatever order the names come in."""
    best = min(((n.language is None, n.value) for n in names), default=None)
    return best[1] if best else None


def _entity_row(iri: str, names: Iterable[ox.Literal], base: str
                ) -> tuple[str, tuple[str, str]] | None:
    parts = iris.split_thing(iri, base)
    if parts is None or parts[0] not in KINDS:
        return None
    label = pick_label(names)
    return parts[0], (iri, label if label is not None else parts[1])


def _sorted_entities(found: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    for rows in found.values():
        rows.sort(key=lambda r: (r[1].casefold(), r[0]))
    return found


def _first_graph(quads: Iterable[ox.Quad]) -> object:
    """The graph of the first of ``quads`` (the store's index order), or None."""
    first = next(iter(quads), None)
    return None if first is None else first.graph_name


def _owner(store: ox.Store, subject: ox.NamedNode | ox.BlankNode, graph: object
           ) -> tuple[object, bool]:
    """The graph a subject is counted in (that of its first quad in the store's
    index order) and whether a graph other than ``graph`` holds it too."""
    owner = None
    for quad in store.quads_for_pattern(subject, None, None, None):
        if owner is None:
            owner = quad.graph_name
        if quad.graph_name != graph:
            return owner, True
    return owner, False


def count_statistics(store: ox.Store, base: str) -> Statistics:
    """What the data holds, counted over the union of its graphs.

    One pass over the store, graph by graph, with memory that does not grow
    with the data (only the things under ``{base}id/`` are kept, which the
    statistics list anyway). A triple in several graphs is counted in one of
    them: the graph the store's own index gives first for that triple, which
    one lookup tells; a subject likewise. Counting with ``SELECT DISTINCT``
    over the union held every distinct triple in memory, about 0.2 KB each
    (tests/release/test_statistics.py compares the two).
    """
    rdf_type, same_as = ox.NamedNode(RDF_TYPE), ox.NamedNode(OWL_SAMEAS)
    entity_prefix = f"{base}id/"
    names = [ox.NamedNode(p) for p in NAME_PREDICATES]
    quads = subjects = 0
    # counted by term, turned into strings once at the end (the loop runs per quad)
    by_predicate: dict[ox.NamedNode, int] = {}
    by_class: dict[object, int] = {}
    linked: dict[object, int] = {}  # owl:sameAs objects, filtered at the end
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    every_graph: list[ox.NamedNode | ox.DefaultGraph] = [
        ox.DefaultGraph(), *(ox.NamedNode(g) for g in graphs)]
    lookup = store.quads_for_pattern
    for graph in every_graph:
        previous = None
        shared = False
        for quad in lookup(None, None, None, graph):
            quads += 1
            s, p, o = quad.subject, quad.predicate, quad.object
            if s != previous:  # a graph's quads come subject by subject
                previous = s
                owner, shared = _owner(store, s, graph)
                if owner == graph:
                    subjects += 1
                    if (isinstance(s, ox.NamedNode) and s.value.startswith(entity_prefix)
                            and "#" not in s.value):
                        label = [q.object for n in names for q in lookup(s, n, None, None)
                                 if _is_label(q.object)]
                        entry = _entity_row(s.value, label, base)
                        if entry is not None:
                            found[entry[0]].append(entry[1])
            # a subject no other graph holds has no triple another graph holds
            if shared and _first_graph(lookup(s, p, o, None)) != graph:
                continue  # counted where the index gives it first
            by_predicate[p] = by_predicate.get(p, 0) + 1
            if p == rdf_type:
                by_class[o] = by_class.get(o, 0) + 1
            elif p == same_as:
                linked[o] = linked.get(o, 0) + 1
    wikidata = str(iris.WD)
    return Statistics(
        triples=sum(by_predicate.values()),
        quads=quads,
        graphs=len(graphs),
        distinct_subjects=subjects,
        entities_by_kind=_sorted_entities(found),
        classes=dict(sorted((c.value, n) for c, n in by_class.items()
                            if isinstance(c, ox.NamedNode))),
        properties=dict(sorted((p.value, n) for p, n in by_predicate.items())),
        wikidata_links=sum(n for o, n in linked.items()
                           if not isinstance(o, ox.BlankNode) and o.value.startswith(wikidata)),
        named_graphs=graphs,
    )


def stats_to_json(stats: Statistics) -> bytes:
    doc = {
        "version": STATISTICS_VERSION,
        "triples": stats.triples,
        "quads": stats.quads,
        "graphs": stats.graphs,
        "distinct_subjects": stats.distinct_subjects,
        "entities_by_kind": {k: [list(row) for row in rows]
                             for k, rows in stats.entities_by_kind.items()},
        "classes": stats.classes,
        "properties": stats.properties,
        "wikidata_links": stats.wikidata_links,
        "named_graphs": stats.named_graphs,
    }
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def stats_from_json(doc: dict[str, Any]) -> Statistics:
    return Statistics(
        triples=doc["triples"],
        quads=doc["quads"],
        graphs=doc["graphs"],
        distinct_subjects=doc["distinct_subjects"],
        entities_by_kind={k: [(iri, label) for iri, label in rows]
                          for k, rows in doc["entities_by_kind"].items()},
        classes=dict(doc["classes"]),
        properties=dict(doc["properties"]),
        wikidata_links=doc["wikidata_links"],
        named_graphs=list(doc["named_graphs"]),
    )


class Tally:
    """Statistics kept up to date while graphs are taken out of and put into a
    store, instead of counted again over the whole data.

    Each change costs a few index lookups per quad of the graph changed (does
    this triple, this subject, occur in another graph?), so republishing one
    article of thousands costs what that article holds. The store is the index:
    :meth:`drop_graph` and :meth:`add_graph` ask it before they change it.
    :meth:`result` gives what :func:`count_statistics` would count on the store
    (tests/release/test_incremental.py compares them).
    """

    def __init__(self, stats: Statistics, base: str) -> None:
        self.base = base
        self.quads = stats.quads
        self.triples = stats.triples
        self.subjects = stats.distinct_subjects
        self.links = stats.wikidata_links
        self.classes = dict(stats.classes)
        self.properties = dict(stats.properties)
        self.graphs = set(stats.named_graphs)
        self.entities = {iri: (kind, label) for kind, rows in stats.entities_by_kind.items()
                         for iri, label in rows}
        self.touched: set[ox.NamedNode | ox.BlankNode] = set()

    def _triple(self, quad: ox.Quad, sign: int) -> None:
        """A triple enters (+1) or leaves (-1) the union of the graphs."""
        self.triples += sign
        _bump(self.properties, quad.predicate.value, sign)
        obj = quad.object
        if quad.predicate.value == RDF_TYPE and isinstance(obj, ox.NamedNode):
            _bump(self.classes, obj.value, sign)
        if (quad.predicate.value == OWL_SAMEAS and not isinstance(obj, ox.BlankNode)
                and obj.value.startswith(str(iris.WD))):
            self.links += sign

    def drop_graph(self, store: ox.Store, graph: ox.NamedNode) -> None:
        """Remove ``graph`` from the store, and what only it held from the counts."""
        quads = list(store.quads_for_pattern(None, None, None, graph))
        subjects = {q.subject for q in quads}
        for q in quads:
            if not any(other.graph_name != graph for other in
                       store.quads_for_pattern(q.subject, q.predicate, q.object, None)):
                self._triple(q, -1)
        store.remove_graph(graph)
        self.quads -= len(quads)
        self.subjects -= sum(1 for s in subjects if not _has_subject(store, s))
        self.graphs.discard(graph.value)
        self.touched |= subjects

    def add_graph(self, store: ox.Store, graph: ox.NamedNode, quads: list[ox.Quad]) -> None:
        """Put ``quads`` (one graph's, distinct) into the store, and into the counts."""
        subjects = {q.subject for q in quads}
        self.subjects += sum(1 for s in subjects if not _has_subject(store, s))
        for q in quads:
            if next(iter(store.quads_for_pattern(q.subject, q.predicate, q.object, None)),
                    None) is None:
                self._triple(q, +1)
        store.extend(quads)
        self.quads += len(quads)
        if quads:
            self.graphs.add(graph.value)
        self.touched |= subjects

    def result(self, store: ox.Store) -> Statistics:
        """The statistics now, the labels of every thing touched chosen again."""
        for subject in self.touched:
            if not isinstance(subject, ox.NamedNode):
                continue
            self.entities.pop(subject.value, None)
            if not _has_subject(store, subject):
                continue
            names = [q.object for p in NAME_PREDICATES
                     for q in store.quads_for_pattern(subject, ox.NamedNode(p), None, None)
                     if _is_label(q.object)]
            entry = (_entity_row(subject.value, names, self.base)
                     if subject.value.startswith(f"{self.base}id/") and "#" not in subject.value
                     else None)
            if entry is not None:
                self.entities[subject.value] = (entry[0], entry[1][1])
        self.touched = set()
        found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
        for iri, (kind, label) in self.entities.items():
            found[kind].append((iri, label))
        return Statistics(
            triples=self.triples, quads=self.quads, graphs=len(self.graphs),
            distinct_subjects=self.subjects, entities_by_kind=_sorted_entities(found),
            classes=dict(sorted(self.classes.items())),
            properties=dict(sorted(self.properties.items())),
            wikidata_links=self.links, named_graphs=sorted(self.graphs))


def _bump(counts: dict[str, int], key: str, sign: int) -> None:
    counts[key] = counts.get(key, 0) + sign
    if counts[key] == 0:
        del counts[key]


def _has_subject(store: ox.Store, subject: ox.NamedNode | ox.BlankNode) -> bool:
    return next(iter(store.quads_for_pattern(subject, None, None, None)), None) is not None

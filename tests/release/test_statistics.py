"""The statistics of a release, counted in one pass over the store, are what
counting with SPARQL over the union of the graphs gives (the way they were
counted before, which held every distinct triple in memory)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from newsgraph import iris
from newsgraph.iris import KINDS
from newsgraph.statistics import (
    NAME_PREDICATES,
    OWL_SAMEAS,
    Statistics,
    _entity_row,
    _sorted_entities,
    count_statistics,
)

from .conftest import BASE

ENTITIES = iris.with_prefixes("""
SELECT ?s ?name WHERE {
  { SELECT DISTINCT ?s WHERE {
      ?s ?p ?o .
      FILTER(isIRI(?s) && STRSTARTS(STR(?s), %s) && !CONTAINS(STR(?s), "#")) } }
  OPTIONAL { ?s schema:name|skos:prefLabel|schema:text ?name
             FILTER(LANGMATCHES(LANG(?name), "en") || LANG(?name) = "") }
}
""")


def _rows(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    return list(store.query(query, use_default_graph_as_union=True))


def _count(store: ox.Store, query: str) -> int:
    return int(_rows(store, query)[0]["n"].value)


def by_sparql(store: ox.Store, base: str) -> Statistics:
    """The statistics as SPARQL over the union default graph counts them."""
    distinct = "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o }"
    names: dict[str, list[ox.Literal]] = {}
    for row in _rows(store, ENTITIES % str(ox.Literal(f"{base}id/"))):
        got = names.setdefault(row["s"].value, [])
        if row["name"] is not None:
            got.append(row["name"])
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    for iri, candidates in names.items():
        entry = _entity_row(iri, candidates, base)
        if entry is not None:
            found[entry[0]].append(entry[1])
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return Statistics(
        triples=_count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ {distinct} }}"),
        quads=len(store),
        graphs=len(graphs),
        distinct_subjects=_count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        entities_by_kind=_sorted_entities(found),
        classes=dict(sorted(
            (r["c"].value, int(r["n"].value)) for r in _rows(
                store, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) }"
                       " GROUP BY ?c"))),
        properties=dict(sorted(
            (r["p"].value, int(r["n"].value)) for r in _rows(
                store, f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ {distinct} }} GROUP BY ?p"))),
        wikidata_links=_count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o
            WHERE {{ ?s <{OWL_SAMEAS}> ?o FILTER(STRSTARTS(STR(?o), "{iris.WD}")) }} }}"""),
        named_graphs=graphs,
    )


def _node(path: str) -> ox.NamedNode:
    return ox.NamedNode(f"{BASE}{path}")


NAME = ox.NamedNode(NAME_PREDICATES[0])
LABEL = ox.NamedNode(NAME_PREDICATES[1])
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PERSON = ox.NamedNode("https://schema.org/Person")
SAME_AS = ox.NamedNode(OWL_SAMEAS)


def shared_store() -> ox.Store:
    """Triples and subjects repeated across graphs and the default graph, blank
    nodes, names in several languages, Wikidata links said twice."""
    alice, bob = _node("id/person/alice"), _node("id/person/bob")
    one, two, register = _node("graph/article/one"), _node("graph/article/two"), _node(
        "graph/entities")
    shared = [
        (alice, TYPE, PERSON), (alice, NAME, ox.Literal("Alice", language="en")),
        (alice, SAME_AS, ox.NamedNode(f"{iris.WD}Q1")),
    ]
    blank = ox.BlankNode("b1")
    quads = [ox.Quad(*t, g) for g in (one, two, register) for t in shared]
    quads += [
        ox.Quad(alice, NAME, ox.Literal("Alicia", language="es"), one),
        ox.Quad(alice, LABEL, ox.Literal("A."), two),
        ox.Quad(bob, TYPE, PERSON, two), ox.Quad(bob, TYPE, PERSON, ox.DefaultGraph()),
        ox.Quad(bob, SAME_AS, ox.Literal(f"{iris.WD}Q2"), register),
        ox.Quad(_node("id/person/bob#x"), NAME, ox.Literal("not a thing"), one),
        ox.Quad(blank, NAME, ox.Literal("anonymous"), one),
        ox.Quad(blank, TYPE, PERSON, one),
        ox.Quad(ox.NamedNode("http://example.org/elsewhere"), NAME, ox.Literal("x"),
                ox.DefaultGraph()),
    ]
    store = ox.Store()
    store.extend(quads)
    return store


def test_one_pass_counts_what_sparql_over_the_union_counts_with_repeats():
    store = shared_store()
    counted = count_statistics(store, BASE)
    assert counted == by_sparql(store, BASE)
    # the repeats are counted once: alice's three triples in three graphs
    assert counted.quads == len(store) and counted.triples < counted.quads
    assert counted.classes["https://schema.org/Person"] == 3  # alice, bob, the blank node
    assert counted.wikidata_links == 2
    assert [label for _, label in counted.entities_by_kind["person"]] == ["Alice", "bob"]


@pytest.mark.parametrize("empty", [True, False])
def test_an_empty_store_and_a_default_graph_only_store(empty):
    store = ox.Store()
    if not empty:
        store.add(ox.Quad(_node("id/place/x"), NAME, ox.Literal("X"), ox.DefaultGraph()))
    assert count_statistics(store, BASE) == by_sparql(store, BASE)


def test_a_built_release_counts_alike(built_nquads):
    store = ox.Store()
    store.bulk_load(path=str(built_nquads), format=ox.RdfFormat.N_QUADS)
    assert count_statistics(store, BASE) == by_sparql(store, BASE)

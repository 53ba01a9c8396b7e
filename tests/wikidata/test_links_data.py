"""Links as data: the built dataset's owl:sameAs links are exactly the confirmed ones,
tenure starts carry their sources, and where Wikidata is wrong ours stands, noted."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from newsgraph import iris
from newsgraph.pipeline.annotations import load_corpus

from .conftest import REPO, confirmed_qids, known_wrong_qids

BASE = iris.DEFAULT_BASE
ENTITIES = iris.entities_graph(BASE)
PREFIXES = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX ng: <https://w3id.org/newsgraph/def#>
"""


@pytest.fixture(scope="module")
def store(built_dist: Path) -> ox.Store:
    s = ox.Store()
    s.bulk_load(path=str(built_dist / "newsgraph.nq"), format=ox.RdfFormat.N_QUADS)
    return s


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    solutions = store.query(PREFIXES + query)
    names = [v.value for v in solutions.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in solutions]


def test_the_links_are_exactly_the_confirmed_table(store):
    rows = select(store, "SELECT ?s ?o WHERE { GRAPH ?g { ?s owl:sameAs ?o } }")
    published: dict[str, set[str]] = {}
    for row in rows:
        published.setdefault(row["s"], set()).add(row["o"])
    assert all(len(objs) == 1 for objs in published.values()), "more than one QID on a node"
    by_slug = {iris.split_thing(s, BASE)[1]: next(iter(o)) for s, o in published.items()}
    table = confirmed_qids()
    expected = {slug: iris.wikidata(qid) for slug, qid in table.items() if qid}
    assert by_slug == expected  # none missing, none invented, none where "not found"
    assert not {iris.wikidata(q) for q in known_wrong_qids()} & set(by_slug.values())


def test_every_link_sits_in_the_entity_register_graph(store):
    rows = select(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s owl:sameAs ?o } }")
    assert [r["g"] for r in rows] == [ENTITIES]


def test_each_tenure_start_carries_its_source(store):
    rows = select(store, """
        SELECT ?tenure ?date (COUNT(DISTINCT ?src) AS ?sources) WHERE { GRAPH ?g {
          ?tenure a org:Membership ; org:memberDuring ?i .
          ?i time:hasBeginning ?b . ?b time:inXSDDate ?date .
          OPTIONAL { ?b prov:wasDerivedFrom ?src } OPTIONAL { ?i prov:wasDerivedFrom ?src }
          OPTIONAL { ?tenure prov:wasDerivedFrom ?src } } }
        GROUP BY ?tenure ?date""")
    starts = {iris.split_thing(r["tenure"], BASE)[1]: r for r in rows}
    assert starts["wang-xiaohong-minister-of-public-security"]["date"] == "2022-06-24"
    assert starts["lazaro-alberto-alvarez-casas-minister-of-the-interior"]["date"] == "2020-11-24"
    register = load_corpus(REPO / "seeds").entities.values()
    assert set(starts) == {r.id for r in register if r.kind == "tenure" and r.get("start")}
    assert all(int(r["sources"]) >= 1 for r in starts.values()), starts


@pytest.mark.parametrize(("tenure", "wikidata_says"), [
    ("wang-xiaohong-minister-of-public-security", "2022-06-25"),
    ("lazaro-alberto-alvarez-casas-minister-of-the-interior", "2019-12-21"),
])
def test_where_wikidata_is_wrong_our_date_stands_and_the_difference_is_noted(
        store, tenure, wikidata_says):
    iri = iris.entity("tenure", tenure, BASE)
    rows = select(store, f"""
        SELECT ?note WHERE {{ GRAPH ?g {{ <{iri}> org:memberDuring ?i .
                                          ?i skos:editorialNote ?note }} }}""")
    assert len(rows) == 1
    assert wikidata_says in rows[0]["note"]


@pytest.mark.http
def test_the_dataset_description_counts_the_links_as_a_void_linkset(server, store):
    import requests
    from rdflib import Graph, URIRef
    from rdflib.namespace import OWL, RDF, VOID

    resp = requests.get(f"{server}/dataset", headers={"Accept": "text/turtle"}, timeout=30)
    assert resp.status_code == 200
    g = Graph().parse(data=resp.text, format="turtle")
    linksets = [s for s in g.subjects(RDF.type, VOID.Linkset)
                if (s, VOID.linkPredicate, OWL.sameAs) in g]
    assert len(linksets) == 1
    published = len(select(store, "SELECT DISTINCT ?s ?o WHERE { GRAPH ?g { ?s owl:sameAs ?o } }"))
    assert published == len([q for q in confirmed_qids().values() if q])
    assert int(g.value(linksets[0], VOID.triples)) == published
    targets = {str(t) for t in g.objects(linksets[0], VOID.objectsTarget)}
    assert any(URIRef(t) in set(g.subjects(VOID.uriSpace, None)) for t in targets)


def test_the_links_table_in_the_docs_is_the_confirmed_table():
    import re

    from .conftest import REPO

    text = (REPO / "docs" / "wikidata.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (person|organization|place|post|concept) \| ([a-z0-9-]+) \| "
                      r"(Q[0-9]+|— \(not found\)) \|$", text, re.M)
    documented = {slug: (qid if qid.startswith("Q") else None) for _, slug, qid in rows}
    assert documented == confirmed_qids()

"""How dates in words, tenure ends and several capacities come out as RDF
(checked with SPARQL on the mapped graph, each article selected by its id)."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from newsgraph.iris import PREFIXES
from newsgraph.pipeline.annotations import load_corpus
from newsgraph.pipeline.mapping import map_corpus

from .conftest import ANNOTATIONS, ENTITIES

BASE = "https://w3id.org/newsgraph/"
SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def mapped(project: Path) -> Graph:
    graph = Graph()
    for s, p, o, _ in map_corpus(load_corpus(project / "seeds"), BASE).quads(
            (None, None, None, None)):
        graph.add((s, p, o))
    return graph


def rows(graph: Graph, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in row) for row in graph.query(SPARQL_PREFIXES + query)}


def test_the_words_of_a_date_expression_are_evidence_of_the_meeting(project):
    found = rows(mapped(project), f"""
        SELECT ?words ?begin WHERE {{
            <{BASE}id/meeting/wang-xiaohong-alvarez-casas-beijing-2025-08-22>
                ng:dateExpression ?words ; ng:evidence ?span .
            ?span nif:anchorOf ?anchor ; nif:beginIndex ?begin ;
                  nif:referenceContext <{BASE}id/article/cubaheadlines-309517> .
            FILTER (STR(?anchor) = STR(?words))
        }}""")
    assert found == {("Last Friday", "0")}


def test_a_tenure_end_is_the_end_of_its_interval_with_the_sources(project, edit):
    edit(ENTITIES, "    start: 2022-06-24\n", "    start: 2022-06-24\n    end: 2030-01-01\n")
    found = rows(mapped(project), f"""
        SELECT ?begin ?end ?source WHERE {{
            <{BASE}id/tenure/wang-xiaohong-minister-of-public-security>
                org:memberDuring ?interval .
            ?interval time:hasBeginning/time:inXSDDate ?begin ;
                      time:hasEnd/time:inXSDDate ?end ;
                      prov:wasDerivedFrom ?source .
        }}""")
    assert {(b, e) for b, e, _ in found} == {("2022-06-24", "2030-01-01")}
    assert len(found) == 2  # both sources of the register entry


def test_several_capacities_are_several_values_on_one_association(project, edit):
    edit(ANNOTATIONS, "        capacity: minister-of-public-security-china\n",
         "        capacity: [minister-of-public-security-china,"
         " minister-of-foreign-affairs-china]\n")
    found = rows(mapped(project), f"""
        SELECT ?assoc ?post WHERE {{
            <{BASE}id/meeting/wang-xiaohong-alvarez-casas-beijing-2025-08-22>
                prov:qualifiedAssociation ?assoc .
            ?assoc prov:agent <{BASE}id/person/wang-xiaohong> ; ng:capacity ?post .
        }}""")
    assert {post.rsplit("/", 1)[1] for _, post in found} == {
        "minister-of-public-security-china", "minister-of-foreign-affairs-china"}
    assert len({assoc for assoc, _ in found}) == 1

"""``/def`` and ``/shapes``: documentation generated from ontology/*.ttl and
shapes/*.ttl, and the same Turtle back by content negotiation."""

from __future__ import annotations

from pathlib import Path

import pytest
from ld_helpers import parse_rdf, sections_of
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

REPO = Path(__file__).resolve().parents[2]
NG = "https://w3id.org/newsgraph/def#"
SHAPES_NS = "https://w3id.org/newsgraph/shapes#"
PREFIXES = {
    "https://schema.org/": "schema", "http://www.w3.org/ns/org#": "org",
    "http://www.w3.org/ns/prov#": "prov", "http://www.w3.org/2006/time#": "time",
    "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#": "nif",
    "http://www.w3.org/2004/02/skos/core#": "skos", "http://www.w3.org/2002/07/owl#": "owl",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs", "http://www.w3.org/2001/XMLSchema#": "xsd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf", NG: "ng",
}


def _folder_graph(name: str) -> Graph:
    graph = Graph()
    for path in sorted((REPO / name).glob("*.ttl")):
        graph.parse(path, format="turtle")
    assert len(graph), f"{name}/ holds no Turtle"
    return graph


def _curie(iri: str) -> str:
    for ns, prefix in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _anchor(iri: str) -> str:
    return iri[len(NG):] if iri.startswith(NG) else _curie(iri)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return _folder_graph("ontology")


@pytest.fixture(scope="module")
def def_sections(live_app) -> dict[str, str]:
    r = live_app.get("/def", headers={"Accept": "text/html"})
    assert r.status_code == 200
    return sections_of(r.text)


def _terms(graph: Graph, *types: URIRef) -> list[URIRef]:
    return sorted({s for t in types for s in graph.subjects(RDF.type, t) if isinstance(s, URIRef)})


def test_every_class_and_property_is_documented_with_label_and_definition(ontology, def_sections):
    terms = _terms(ontology, OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty,
                   OWL.AnnotationProperty, RDF.Property)
    assert terms
    for term in terms:
        section = def_sections.get(_anchor(str(term)))
        assert section is not None, f"/def has no section for {term}"
        assert str(term) in section
        for label in ontology.objects(term, RDFS.label):
            assert " ".join(str(label).split()) in section, term
        for definition in ontology.objects(term, SKOS.definition):
            assert " ".join(str(definition).split()) in section, term


def test_domains_ranges_and_superclasses_are_shown(ontology, def_sections):
    for predicate in (RDFS.domain, RDFS.range, RDFS.subClassOf):
        for term, value in ontology.subject_objects(predicate):
            if isinstance(term, URIRef) and isinstance(value, URIRef):
                assert _curie(str(value)) in def_sections[_anchor(str(term))], (term, value)


def test_terms_show_examples_from_the_data(live_app, def_sections):
    meeting = def_sections["Meeting"]
    assert "Meeting of " in meeting  # the names of meetings in the data
    evidence = def_sections["evidence"]
    assert "none in the data served" not in evidence
    page = live_app.get("/def").text
    assert 'href="/id/meeting/' in page


def test_our_terms_are_documented_at_their_own_hash_iri(ontology, def_sections):
    own = [s for s in set(ontology.subjects()) if str(s).startswith(NG)]
    assert own
    for term in own:
        assert str(term)[len(NG):] in def_sections


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "application/n-triples",
                                    "application/rdf+xml"])
def test_def_gives_the_ontology_as_data(live_app, ontology, accept):
    r = live_app.get("/def", headers={"Accept": accept})
    assert r.status_code == 200
    assert isomorphic(parse_rdf(r.content, r.headers["Content-Type"]), ontology)


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json"])
def test_shapes_gives_the_shapes_as_data(live_app, accept):
    r = live_app.get("/shapes", headers={"Accept": accept})
    assert r.status_code == 200
    assert isomorphic(parse_rdf(r.content, r.headers["Content-Type"]), _folder_graph("shapes"))


def test_every_node_shape_is_documented_with_its_targets_and_messages(live_app):
    shapes = _folder_graph("shapes")
    sections = sections_of(live_app.get("/shapes", headers={"Accept": "text/html"}).text)
    node_shapes = [s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)]
    assert node_shapes
    for shape in node_shapes:
        anchor = str(shape)[len(SHAPES_NS):]
        section = sections.get(anchor)
        assert section is not None, shape
        for target in shapes.objects(shape, SH.targetClass):
            assert _curie(str(target)) in section
        for prop in shapes.objects(shape, SH.property):
            for message in shapes.objects(prop, SH.message):
                assert " ".join(str(message).split()) in section, (shape, message)

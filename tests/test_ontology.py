"""The ontology parses everywhere it is served from, documents every term we
mint, imports nothing, and declares every term the shapes and the data use."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from newsgraph.iris import NG, ONTOLOGY, SH, VANN

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "newsgraph.ttl"
SHAPES_DIR = ROOT / "shapes"
VALID_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "shapes" / "valid.ttl"
ONT = URIRef(ONTOLOGY)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def _minted(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(str(NG))}


def test_pyoxigraph_reads_the_same_triples_as_rdflib(ontology):
    store = pyoxigraph.Store()
    store.load(ONTOLOGY_FILE.read_bytes(), pyoxigraph.RdfFormat.TURTLE)
    nt = b"".join(
        f"{quad.subject} {quad.predicate} {quad.object} .\n".encode() for quad in store
    )
    from_oxigraph = Graph().parse(data=nt, format="nt")
    assert to_isomorphic(from_oxigraph) == to_isomorphic(ontology)


def test_header_names_version_licence_and_namespace(ontology):
    assert (ONT, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONT, OWL.versionIRI) == URIRef(f"{ONTOLOGY}/0.1.0")
    assert str(ontology.value(ONT, OWL.versionInfo)) == "0.1.0"
    for prop in (DCTERMS.title, DCTERMS.description):
        value = ontology.value(ONT, prop)
        assert isinstance(value, Literal) and value.language == "en", prop
    assert ontology.value(ONT, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    for prop in (DCTERMS.creator, DCTERMS.created, DCTERMS.modified):
        assert ontology.value(ONT, prop) is not None, prop
    assert str(ontology.value(ONT, VANN.preferredNamespacePrefix)) == "ng"
    assert str(ontology.value(ONT, VANN.preferredNamespaceUri)) == str(NG)


def test_nothing_is_imported(ontology):
    assert list(ontology.triples((None, OWL.imports, None))) == []


def test_every_minted_term_has_an_english_label_and_definition(ontology):
    minted = _minted(ontology)
    assert {NG.Meeting, NG.Statement, NG.evidence, NG.post, NG.datePrecision, NG.Host} <= minted
    for term in minted:
        labels = [o for o in ontology.objects(term, RDFS.label) if o.language == "en"]
        definitions = [o for o in ontology.objects(term, SKOS.definition) if o.language == "en"]
        assert len(labels) == 1, term
        assert len(definitions) == 1, term
        assert ontology.value(term, RDFS.isDefinedBy) == ONT, term


def test_every_reused_term_is_declared_with_a_label(ontology):
    declared = {
        s
        for s, o in ontology.subject_objects(RDF.type)
        if isinstance(s, URIRef) and not s.startswith(str(NG)) and s != ONT
    }
    assert declared, "no reused terms declared"
    for term in declared:
        assert ontology.value(term, RDFS.label) is not None, term
        assert ontology.value(term, RDFS.isDefinedBy) is not None, term


def test_statement_kinds_are_pairwise_disjoint(ontology):
    kinds = {NG.DirectQuote, NG.IndirectQuote, NG.EditorialClaim}
    for node in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = set(ontology.items(ontology.value(node, OWL.members)))
        if members == kinds:
            break
    else:
        pytest.fail("no owl:AllDisjointClasses over the three statement kinds")
    for kind in kinds:
        assert (kind, RDFS.subClassOf, NG.Statement) in ontology


def _terms_used_by_shapes() -> set[URIRef]:
    shapes = Graph()
    for path in SHAPES_DIR.glob("*.ttl"):
        shapes.parse(path, format="turtle")
    used = {t for triple in shapes for t in triple if isinstance(t, URIRef)}
    # SPARQL constraints name terms by prefixed name
    for query in shapes.objects(None, SH.select):
        for local in re.findall(r"\bng:([A-Za-z]\w*)", str(query)):
            used.add(NG[local])
    return {t for t in used if t.startswith(str(NG))}


def test_every_ng_term_the_shapes_use_is_defined(ontology):
    used = _terms_used_by_shapes()
    assert NG.Meeting in used and NG.evidence in used
    assert used - _minted(ontology) == set()


def _undeclared(data: Graph, ontology: Graph) -> set[URIRef]:
    declared = {s for s in ontology.subjects() if isinstance(s, URIRef)}
    builtin = {RDF.type, OWL.sameAs}
    properties = {p for p in data.predicates()} - builtin
    classes = set(data.objects(None, RDF.type))
    return (properties | classes) - declared


def test_every_class_and_property_the_fixture_uses_is_declared(ontology):
    assert _undeclared(Graph().parse(VALID_FIXTURE, format="turtle"), ontology) == set()


def test_every_class_and_property_the_built_data_uses_is_declared(ontology, built_dist):
    dataset = Dataset()
    dataset.parse(built_dist / "newsgraph.nq", format="nquads")
    data = Graph()
    for s, p, o, graph in dataset.quads((None, None, None, None)):
        if graph != URIRef(ONTOLOGY):
            data.add((s, p, o))
    assert len(data) > 500
    assert _undeclared(data, ontology) == set()


def test_the_documentation_lists_every_minted_term_with_its_definition(ontology):
    page = (ROOT / "docs" / "ontology.md").read_text(encoding="utf-8")
    for term in _minted(ontology):
        local = term[len(str(NG)) :]
        assert f"`ng:{local}`" in page, term
        assert str(ontology.value(term, SKOS.definition)) in page, term

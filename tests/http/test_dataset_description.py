"""``/dataset`` (VoID + DCAT) states what the dumps really hold, and ``/dumps``
serves them byte for byte with the right media types."""

from __future__ import annotations

import hashlib
import json

import pytest
from ld_helpers import BASE, media_type, parse_rdf
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, VOID

SPDX = Namespace("http://spdx.org/rdf/terms#")
DATASET = URIRef(BASE + "dataset")
DUMP_TYPES = {
    "newsgraph.nq": "application/n-quads",
    "newsgraph.trig": "application/trig",
    "newsgraph.ttl": "text/turtle",
    "newsgraph.jsonld": "application/ld+json",
}


@pytest.fixture(scope="module")
def void(live_app) -> Graph:
    r = live_app.get("/dataset", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    return parse_rdf(r.content, r.headers["Content-Type"])


def _int(graph: Graph, subject: URIRef, predicate: URIRef) -> int:
    (value,) = list(graph.objects(subject, predicate))
    return int(value)


def test_the_dataset_is_typed_void_and_dcat_with_licence_and_endpoint(void):
    assert (DATASET, RDF.type, VOID.Dataset) in void
    assert (DATASET, RDF.type, DCAT.Dataset) in void
    assert list(void.objects(DATASET, DCTERMS.license))
    assert (DATASET, VOID.sparqlEndpoint, URIRef(BASE + "sparql")) in void
    assert (DATASET, VOID.uriSpace, Literal(BASE + "id/")) in void


def test_the_counts_are_those_of_the_dump(void, dump_graph, things):
    assert _int(void, DATASET, VOID.triples) == len(dump_graph)
    assert _int(void, DATASET, VOID.entities) == len(things)
    assert _int(void, DATASET, VOID.distinctSubjects) == len(set(dump_graph.subjects()))


def test_class_and_property_partitions_count_what_the_dump_holds(void, dump_graph):
    classes = {}
    for part in void.objects(DATASET, VOID.classPartition):
        classes[next(void.objects(part, VOID["class"]))] = _int(void, part, VOID.entities)
    expected = {c: len(set(dump_graph.subjects(RDF.type, c)))
                for c in set(dump_graph.objects(None, RDF.type))}
    assert classes == expected
    properties = {}
    for part in void.objects(DATASET, VOID.propertyPartition):
        properties[next(void.objects(part, VOID.property))] = _int(void, part, VOID.triples)
    assert properties == {p: len(list(dump_graph.triples((None, p, None))))
                          for p in set(dump_graph.predicates())}


def test_the_wikidata_linkset_counts_the_same_as_links(void, dump_graph):
    (linkset,) = list(void.subjects(RDF.type, VOID.Linkset))
    assert (linkset, VOID.linkPredicate, OWL.sameAs) in void
    assert (DATASET, VOID.subset, linkset) in void
    links = [o for o in dump_graph.objects(None, OWL.sameAs)
             if str(o).startswith("http://www.wikidata.org/entity/Q")]
    assert links
    assert _int(void, linkset, VOID.triples) == len(links)


def test_every_dump_listed_downloads_with_its_size_checksum_and_media_type(live_app, void):
    dumps = list(void.objects(DATASET, VOID.dataDump))
    assert {str(d).rsplit("/", 1)[1] for d in dumps} == set(DUMP_TYPES)
    for dump in dumps:
        name = str(dump).rsplit("/", 1)[1]
        r = live_app.get(f"/dumps/{name}")
        assert r.status_code == 200
        assert media_type(r.headers["Content-Type"]) == DUMP_TYPES[name]
        assert _int(void, dump, DCAT.byteSize) == len(r.content)
        (checksum,) = list(void.objects(dump, SPDX.checksum))
        assert (checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256) in void
        (value,) = list(void.objects(checksum, SPDX.checksumValue))
        assert str(value) == hashlib.sha256(r.content).hexdigest()
        (mtype,) = list(void.objects(dump, DCAT.mediaType))
        assert str(mtype).endswith("/" + DUMP_TYPES[name])
        assert (DATASET, DCAT.distribution, dump) in void


def test_the_dumps_are_the_built_files(live_app, built_dist):
    manifest = json.loads((built_dist / "manifest.json").read_text())
    for name in DUMP_TYPES:
        r = live_app.get(f"/dumps/{name}")
        assert r.content == (built_dist / name).read_bytes()
        assert hashlib.sha256(r.content).hexdigest() == manifest["files"][name]["sha256"]
        again = live_app.get(f"/dumps/{name}", headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304


def test_the_dumps_parse_to_the_same_graph(live_app, dump_graph):
    for name, fmt in (("newsgraph.ttl", "turtle"), ("newsgraph.trig", "trig"),
                      ("newsgraph.jsonld", "json-ld")):
        dataset = Dataset()  # the JSON-LD and TriG keep the named graphs
        dataset.parse(data=live_app.get(f"/dumps/{name}").content, format=fmt)
        union = Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            union.add((s, p, o))
        assert isomorphic(union, dump_graph), name  # the ontology's lists are blank nodes


def test_the_dataset_description_reads_the_same_in_json_ld_and_html(live_app, void):
    for accept in ("application/ld+json", "text/html"):
        r = live_app.get("/dataset", headers={"Accept": accept})
        assert set(parse_rdf(r.content, r.headers["Content-Type"])) == set(void)


def test_the_dumps_page_lists_every_dump(live_app):
    page = live_app.get("/dumps").text
    for name in DUMP_TYPES:
        assert f'href="/dumps/{name}"' in page

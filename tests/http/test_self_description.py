"""Every description says what it is (the app in-process): the document ``/doc/…`` is
described in its own data (its topic, the dataset and release it comes from,
its licence) in every format, and answers link their licence."""

from __future__ import annotations

import email.utils
import json
from datetime import datetime

import pytest
from ld_helpers import BASE, EXTENSIONS, parse_rdf, path_of
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, VOID, XSD

# DCAT 3's dcat:version; rdflib's closed DCAT namespace predates it
DCAT_VERSION = URIRef(f"{DCAT}version")

DATASET = URIRef(BASE + "dataset")
PERSON = "/doc/person/wang-xiaohong"
ARTICLE = "/doc/article/cubaheadlines-309517"
ONTOLOGY = URIRef("https://w3id.org/newsgraph/def")


@pytest.fixture(scope="module")
def dataset_graph(live_app) -> Graph:
    resp = live_app.get("/dataset.ttl")
    assert resp.status_code == 200
    return parse_rdf(resp.content, resp.headers["Content-Type"])


def _license_of(resp) -> str:
    return resp.links["license"]["url"]


@pytest.mark.parametrize("ext", list(EXTENSIONS))
@pytest.mark.parametrize("path", [PERSON, ARTICLE])
def test_a_description_describes_its_document(live_app, dataset_graph, path, ext):
    resp = live_app.get(f"{path}.{ext}")
    assert resp.status_code == 200
    graph = parse_rdf(resp.content, resp.headers["Content-Type"])
    doc = URIRef(BASE + path[1:])
    thing = URIRef(BASE + path[1:].replace("doc/", "id/", 1))
    licence = dataset_graph.value(DATASET, DCTERMS.license)
    assert licence is not None
    assert (doc, RDF.type, FOAF.Document) in graph
    assert set(graph.objects(doc, FOAF.primaryTopic)) == {thing}
    assert set(graph.objects(doc, VOID.inDataset)) == {DATASET}
    assert set(graph.objects(doc, DCTERMS.license)) == {licence}
    # the release: the id /dataset gives, and the date every answer says it was made
    assert set(graph.objects(doc, DCAT_VERSION)) == {dataset_graph.value(DATASET,
                                                                         DCTERMS.identifier)}
    (modified,) = graph.objects(doc, DCTERMS.modified)
    assert isinstance(modified, Literal) and modified.datatype == XSD.dateTime
    last_modified = email.utils.parsedate_to_datetime(resp.headers["Last-Modified"])
    assert datetime.fromisoformat(str(modified).replace("Z", "+00:00")) == last_modified
    assert _license_of(resp) == str(licence)


def test_every_thing_s_document_names_it_as_its_topic(live_app, things):
    for iri in things:
        path = path_of(iri).replace("/id/", "/doc/", 1)
        resp = live_app.get(f"{path}.nt")
        graph = parse_rdf(resp.content, resp.headers["Content-Type"])
        assert set(graph.objects(URIRef(BASE + path[1:]), FOAF.primaryTopic)) == {URIRef(iri)}
        assert "license" in resp.links, path


def test_data_answers_link_the_data_licence(live_app, dataset_graph):
    licence = str(dataset_graph.value(DATASET, DCTERMS.license))
    for path, params in ((PERSON, None), ("/graph/entities", None), ("/dataset", None),
                         ("/dumps/newsgraph.nq", None),
                         ("/sparql", {"query": "ASK { ?s ?p ?o }"})):
        resp = live_app.get(path, params=params, headers={"Accept": "text/turtle, */*"})
        assert resp.status_code == 200, path
        assert _license_of(resp) == licence, path


@pytest.mark.parametrize(("path", "subject"), [("/def", ONTOLOGY),
                                              ("/shapes", URIRef(BASE + "shapes"))])
def test_the_vocabulary_links_the_licence_it_declares(live_app, path, subject):
    resp = live_app.get(f"{path}.ttl")
    graph = parse_rdf(resp.content, resp.headers["Content-Type"])
    declared = {str(o) for o in graph.objects(subject, DCTERMS.license)}
    assert declared
    assert _license_of(resp) in declared


def test_the_release_licence_is_stated_everywhere_whatever_the_server_settings(built_dist,
                                                                              start_app):
    # the licence travels with the release (its manifest); a server started with
    # another one in its settings does not relabel the data
    released = json.loads((built_dist / "manifest.json").read_text("utf-8"))["license"]
    other = "https://opendatacommons.org/licenses/odbl/1-0/"
    assert released != other
    server = start_app(built_dist, data_license=other)
    resp = server.get(f"{PERSON}.ttl")
    graph = parse_rdf(resp.content, resp.headers["Content-Type"])
    assert set(graph.objects(URIRef(BASE + PERSON[1:]), DCTERMS.license)) == {URIRef(released)}
    assert _license_of(resp) == released
    dataset = parse_rdf(server.get("/dataset.ttl").content, "text/turtle")
    assert set(dataset.objects(DATASET, DCTERMS.license)) == {URIRef(released)}
    assert _license_of(server.get("/sparql", params={"query": "ASK {}"})) == released

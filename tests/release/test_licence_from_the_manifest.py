"""The licence travels with the release (issue 11, item 3): the build writes it
into the manifest, and the server announces that one, whatever its own
settings say. In-process (Flask's test client): the headers and the data are
the point, not the wire."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from newsgraph import release
from newsgraph.config import Settings, load_settings
from newsgraph.pipeline import publish
from newsgraph.server.web import create_app

from .conftest import BASE, quads_of

REPO = Path(__file__).resolve().parents[2]
LICENCE_A = "https://creativecommons.org/publicdomain/zero/1.0/"
LICENCE_B = "https://opendatacommons.org/licenses/odbl/1-0/"


@pytest.fixture(scope="module")
def released_under_a(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("licence") / "dist"
    settings = load_settings()
    publish.publish(quads_of(built_dist / "newsgraph.nq"), dist, BASE,
                    ontology_dir=settings.ontology_dir, shape_folders=settings.shape_folders(),
                    license=LICENCE_A)
    return dist


@pytest.fixture(scope="module")
def served_with_b(released_under_a: Path):
    return create_app(Settings(data_license=LICENCE_B), data=released_under_a).test_client()


def test_the_build_writes_the_project_licence_into_the_manifest(built_dist):
    manifest = json.loads((built_dist / release.MANIFEST).read_text("utf-8"))
    assert manifest["license"] == load_settings(REPO).data_license


def test_the_licence_is_part_of_the_release(released_under_a, built_dist):
    manifest = release.verify(released_under_a)
    assert release.license_of(manifest) == LICENCE_A
    # another licence, another release
    assert manifest["release"] != release.read_manifest(built_dist.resolve())["release"]


def _first_thing(released: Path) -> str:
    for quad in ox.parse(path=str(released / "newsgraph.nq"), format=ox.RdfFormat.N_QUADS):
        if quad.subject.value.startswith(f"{BASE}id/person/"):
            return quad.subject.value.split("#", 1)[0]
    raise AssertionError("no person in the release")


def test_a_description_announces_the_release_licence_not_the_settings(served_with_b,
                                                                       released_under_a):
    thing = _first_thing(released_under_a)
    path = "/doc/" + thing[len(f"{BASE}id/"):]
    resp = served_with_b.get(path + ".ttl")
    assert resp.status_code == 200
    assert f'<{LICENCE_A}>; rel="license"' in resp.headers["Link"]
    assert LICENCE_B not in resp.headers["Link"]
    graph = Graph().parse(data=resp.data, format="turtle")
    assert set(graph.objects(URIRef(BASE + path[1:]), DCTERMS.license)) == {URIRef(LICENCE_A)}


def test_the_dataset_and_sparql_answers_announce_the_release_licence(served_with_b):
    dataset = served_with_b.get("/dataset", headers={"Accept": "text/turtle"})
    assert f'<{LICENCE_A}>; rel="license"' in dataset.headers["Link"]
    graph = Graph().parse(data=dataset.data, format="turtle")
    assert set(graph.objects(URIRef(BASE + "dataset"), DCTERMS.license)) == {URIRef(LICENCE_A)}
    for _ in range(2):  # the second is answered from the cache, by its own path
        answer = served_with_b.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
        assert answer.status_code == 200
        assert answer.headers["Link"] == f'<{LICENCE_A}>; rel="license"'


def test_a_file_without_a_manifest_is_under_the_settings_licence(tmp_path, built_dist):
    data = tmp_path / "data.nq"
    data.write_bytes((built_dist / "newsgraph.nq").read_bytes())
    client = create_app(Settings(data_license=LICENCE_B), data=data).test_client()
    answer = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert answer.headers["Link"] == f'<{LICENCE_B}>; rel="license"'

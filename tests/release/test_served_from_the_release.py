"""The server reads only the release: the same answers from any working
directory and whatever the settings say of ontology and shapes, and the base
IRI the release was built for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from newsgraph import iris, release

pytestmark = pytest.mark.http

REPO = Path(__file__).resolve().parents[2]
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
PATHS = ("/def.ttl", "/shapes.ttl", "/def", "/shapes", "/graph/cubaheadlines-309517.nt",
         "/doc/person/wang-xiaohong.nt", "/doc/person/wang-xiaohong.html", "/dataset.ttl",
         "/dumps/newsgraph.nq", "/")


@pytest.fixture(scope="module")
def elsewhere(built_dist, start_server, tmp_path_factory):
    """A server on the same release started from an empty folder, with settings
    pointing the ontology and the shapes at empty folders."""
    empty = tmp_path_factory.mktemp("elsewhere")
    (empty / "ontology").mkdir()
    (empty / "shapes").mkdir()
    return start_server(built_dist, cwd=empty, env={
        "NEWSGRAPH_ONTOLOGY_DIR": str(empty / "ontology"),
        "NEWSGRAPH_SHAPES_DIR": str(empty / "shapes")})


@pytest.mark.parametrize("path", PATHS)
def test_the_answers_are_byte_identical_from_any_working_directory(live_server, elsewhere, path):
    here, there = live_server.get(path), elsewhere.get(path)
    assert here.status_code == there.status_code == 200
    assert len(here.content) > 0
    assert here.content == there.content


def test_def_and_shapes_are_the_release_copies(elsewhere, built_dist):
    folder = built_dist.resolve()
    manifest = release.verify(folder)
    for path, role in (("/def.ttl", "ontology"), ("/shapes.ttl", "shapes")):
        expected = Graph()
        for file in release.paths_of(folder, manifest, role):
            expected.parse(file, format="turtle")
        served = Graph().parse(data=elsewhere.get(path).text, format="turtle")
        assert len(served) > 0 and isomorphic(served, expected), path


def test_integer_datatypes_come_from_the_release_shapes(elsewhere, built_dist):
    dump = Dataset()
    dump.parse(built_dist / release.NQUADS, format="nquads")
    graph = dump.graph(URIRef(iris.article_graph("cubaheadlines-309517")))
    indexes = set(graph.objects(None, NIF.beginIndex))
    assert indexes and all(isinstance(o, Literal) and o.datatype == XSD.nonNegativeInteger
                           for o in indexes)
    served = Graph().parse(data=elsewhere.get("/graph/cubaheadlines-309517.nt").text,
                           format="nt")
    assert set(served.objects(None, NIF.beginIndex)) == indexes


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsgraph", "--project", str(REPO), *args],
                          capture_output=True, text=True, timeout=120, cwd=REPO)


@pytest.mark.parametrize("where", ["serve", "group"])
def test_a_base_that_contradicts_the_release_is_refused_with_how_to_rebuild(built_dist, where):
    base = "https://news.example.org/"
    args = (["serve", "--base", base] if where == "serve" else ["--base", base, "serve"])
    result = _serve(*args, "--no-build", "--data", str(built_dist), "--port", "0")
    assert result.returncode == 2
    # the first line says which project the command uses
    lines = [line for line in result.stderr.strip().splitlines()
             if not line.startswith("project: ")]
    assert len(lines) == 1, result.stderr
    assert "built for base https://w3id.org/newsgraph/" in lines[0]
    assert f"newsgraph --base {base} build" in lines[0]
    assert f'base = "{base}" in newsgraph.toml' in lines[0]


@pytest.mark.slow
def test_a_release_built_for_a_base_is_served_with_it_without_saying_so(tmp_path, start_server):
    base = "https://news.example.org/"
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "newsgraph", "--project", str(REPO), "--base",
                            base, "--dist", str(dist), "build"],
                           capture_output=True, text=True, timeout=300, cwd=REPO)
    assert built.returncode == 0, built.stderr
    server = start_server(dist)
    r = server.get("/id/person/wang-xiaohong", headers={"Accept": "text/turtle"})
    assert r.status_code == 303 and r.headers["Location"] == "/doc/person/wang-xiaohong"
    doc = Graph().parse(data=server.get("/doc/person/wang-xiaohong.ttl").text, format="turtle")
    assert any(str(s) == f"{base}id/person/wang-xiaohong" for s in doc.subjects())
    same = start_server(dist, serve_args=("--base", base))
    assert same.get("/id/person/wang-xiaohong", headers={"Accept": "text/turtle"}
                    ).status_code == 303

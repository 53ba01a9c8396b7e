"""Files handed to a parser are refused when parsing them would fetch or explode."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from pathlib import Path

import pytest

from newsgraph.config import Settings
from newsgraph.pipeline.build import run_build
from newsgraph.rdf_files import RdfFileError, parse_file

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def canary():
    """A loopback server that counts connections: nothing may reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    hits = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/context.jsonld", hits
    stop.set()
    thread.join()
    server.close()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("context", [
    "URL",
    ["URL"],
    [{"ex": "http://example.org/"}, "URL"],
    {"@import": "URL"},
])
def test_remote_jsonld_context_is_refused_without_fetching(tmp_path, canary, context):
    url, hits = canary
    ctx = json.loads(json.dumps(context).replace("URL", url))
    path = write(tmp_path, "data.jsonld", json.dumps(
        {"@context": ctx, "@id": "http://example.org/a", "ex:p": "x"}))
    with pytest.raises(RdfFileError, match="data.jsonld: .*(remote JSON-LD @context|@import)"):
        parse_file(path)
    assert hits == []


def test_file_context_is_refused(tmp_path):
    path = write(tmp_path, "data.jsonld", json.dumps(
        {"@context": "file:///etc/passwd", "@id": "http://example.org/a"}))
    with pytest.raises(RdfFileError, match="remote JSON-LD @context"):
        parse_file(path)


def test_nested_remote_context_is_refused(tmp_path):
    path = write(tmp_path, "data.jsonld", json.dumps(
        {"@context": {"ex": "http://example.org/"},
         "@graph": [{"@context": "http://127.0.0.1:9/c", "@id": "ex:a"}]}))
    with pytest.raises(RdfFileError, match="remote JSON-LD @context"):
        parse_file(path)


def test_inline_context_is_fine(tmp_path):
    path = write(tmp_path, "data.jsonld", json.dumps(
        {"@context": {"ex": "http://example.org/"}, "@id": "ex:a", "ex:p": "x"}))
    assert len(parse_file(path)) == 1


def test_rdfxml_doctype_is_refused(tmp_path):
    path = write(tmp_path, "data.rdf", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    with pytest.raises(RdfFileError, match="DOCTYPE"):
        parse_file(path)


def test_owl_imports_is_refused(tmp_path):
    path = write(tmp_path, "onto.ttl", "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
                 "<http://example.org/o> owl:imports <http://127.0.0.1:9/other> .\n")
    with pytest.raises(RdfFileError, match="owl:imports refused"):
        parse_file(path)


def test_bom_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "a.ttl"
    path.write_bytes(b"\xef\xbb\xbf<http://example.org/a> <http://example.org/p> 1 .\n")
    with pytest.raises(RdfFileError, match="byte order mark"):
        parse_file(path)


def test_syntax_error_names_the_file(tmp_path):
    path = write(tmp_path, "broken.ttl", "<http://example.org/a> <http://example.org/p> .\n")
    with pytest.raises(RdfFileError, match="broken.ttl: cannot parse as turtle"):
        parse_file(path)


def test_build_refuses_an_ontology_with_owl_imports(project, tmp_path, capsys):
    # the ontology is the package's; a broken copy is handed to the build directly
    ontology = tmp_path / "ontology"
    shutil.copytree(REPO / "ontology", ontology)
    (ontology / "extra.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<https://w3id.org/newsgraph/def> owl:imports <http://127.0.0.1:9/x> .\n")
    status = run_build(Settings(root=project, ontology_dir=ontology), write=True)
    err = capsys.readouterr().err
    assert status == 1
    assert "extra.ttl: owl:imports refused" in err and "Traceback" not in err
    assert not (project / "dist").exists()

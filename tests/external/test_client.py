"""The parts of newsgraph.external that need no engine: credentials, the
dump cut into graphs, error messages, and the package's place in the layout."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import requests

from newsgraph.external import ExternalStoreError, Oxigraph, find_credentials, open_client
from newsgraph.external.client import _why
from newsgraph.external.nquads import graphs_of_dump

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "newsgraph" / "external"


def test_the_external_package_imports_neither_the_pipeline_nor_the_server() -> None:
    offenders = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            offenders |= {f"{path.name}: {n}" for n in names
                          if n.startswith(("newsgraph.pipeline", "newsgraph.server",
                                           "newsgraph.curation"))}
    assert not offenders, sorted(offenders)


def test_credentials_come_from_the_environment_or_a_private_file(tmp_path: Path) -> None:
    assert find_credentials(environ={}) is None
    found = find_credentials(environ={"NEWSGRAPH_STORE_USER": "u",
                                      "NEWSGRAPH_STORE_PASSWORD": "p:w"})
    assert (found.user, found.password) == ("u", "p:w")
    assert "p:w" not in repr(found)
    with pytest.raises(ExternalStoreError, match="set both"):
        find_credentials(environ={"NEWSGRAPH_STORE_USER": "u"})
    secret = tmp_path / "store.secret"
    secret.write_text("writer:s3:cret\n")
    secret.chmod(0o600)
    found = find_credentials(environ={"NEWSGRAPH_STORE_CREDENTIALS": str(secret),
                                      "NEWSGRAPH_STORE_USER": "ignored",
                                      "NEWSGRAPH_STORE_PASSWORD": "ignored"})
    assert (found.user, found.password) == ("writer", "s3:cret")
    secret.chmod(0o640)
    with pytest.raises(ExternalStoreError, match="can be read by others"):
        find_credentials(secret, environ={})
    secret.chmod(0o600)
    secret.write_text("no colon here\n")
    with pytest.raises(ExternalStoreError, match="user:password"):
        find_credentials(secret, environ={})
    with pytest.raises(ExternalStoreError, match="cannot read"):
        find_credentials(tmp_path / "missing", environ={})


def test_the_dump_is_cut_into_its_graphs_and_put_bodies_lose_the_graph(tmp_path: Path) -> None:
    dump = tmp_path / "d.nq"
    dump.write_bytes(
        b'<urn:s> <urn:p> "a <urn:g1> . b" <urn:g1> .\n'
        b'<urn:s> <urn:p> <urn:g1> <urn:g1> .\n'
        b'_:b0 <urn:p> "x"@en <urn:g2> .\n')
    graphs = list(graphs_of_dump(dump))
    assert [(g.iri, g.quads) for g in graphs] == [("urn:g1", 2), ("urn:g2", 1)]
    assert graphs[0].ntriples() == (b'<urn:s> <urn:p> "a <urn:g1> . b" .\n'
                                    b'<urn:s> <urn:p> <urn:g1> .\n')
    assert graphs[1].ntriples() == b'_:b0 <urn:p> "x"@en .\n'
    assert graphs[0].digest() != graphs[1].digest()


@pytest.mark.parametrize("body", [
    b"<urn:s> <urn:p> <urn:o> <urn:g1> .\n<urn:s> <urn:p> <urn:o> <urn:g2> .\n"
    b"<urn:s> <urn:q> <urn:o> <urn:g1> .\n",
    b'<urn:s> <urn:p> "no graph" .\n',
])
def test_a_dump_the_build_did_not_write_is_refused(tmp_path: Path, body: bytes) -> None:
    dump = tmp_path / "d.nq"
    dump.write_bytes(body)
    with pytest.raises(ExternalStoreError, match="d.nq"):
        list(graphs_of_dump(dump))


def test_error_bodies_become_one_short_line() -> None:
    page = requests.Response()
    page._content = (b"<html><head><title>SPARQL Graph Protocol request failed</title></head>"
                     b"<body><h1>HTTP/1.1 500 Request Failed</h1><h3>Error 22023</h3>\n<xmp>The "
                     b"PUT request for graph &lt;urn:g&gt; is rejected:\n bad</xmp></body></html>")
    page.encoding = "utf-8"
    page.headers["Content-Type"] = "text/html; charset=ISO-8859-1"
    assert _why(page) == "The PUT request for graph <urn:g> is rejected: bad"
    long = requests.Response()
    long._content = b"x " * 500
    long.encoding = "utf-8"
    assert len(_why(long)) == 200 and "\n" not in _why(long)
    plain = requests.Response()
    plain._content = b"Virtuoso 37000 Error SP030: at 'CLEAR GRAPH <urn:g>'\n"
    plain.encoding = "utf-8"
    plain.headers["Content-Type"] = "text/plain"
    assert _why(plain) == "Virtuoso 37000 Error SP030: at 'CLEAR GRAPH <urn:g>'"


@pytest.mark.parametrize("url", ["not-a-url", "ftp://127.0.0.1/sparql", "http:///sparql"])
def test_a_store_address_must_be_http(url: str) -> None:
    with pytest.raises(ExternalStoreError, match="not an http:// or https:// address"):
        open_client(url, dialect=Oxigraph())
    with pytest.raises(ExternalStoreError, match="not an http:// or https:// address"):
        open_client("http://127.0.0.1:1/query", dialect=Oxigraph(), gsp_url=url)

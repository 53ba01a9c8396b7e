"""The W3C SPARQL 1.1 Protocol and Service Description tests, run by the npm
``rdf-test-suite`` runner against ``newsgraph serve`` processes.

How the protocol suite applies to a read-only endpoint (docs/sparql.md has
the counts):

* The server under test serves the W3C data (``data1.nt`` … ``data3.nt``) as
  the named graphs ``http://kasei.us/2009/09/sparql/data/dataN.rdf``.
* Before each dataset test the runner POSTs ``DROP SILENT ALL ; INSERT DATA
  {…}`` to load that data. A read-only endpoint refuses it (403), so run
  directly against the server those 6 tests fail at loading, before their
  query is sent. A small proxy in front of the server answers that one request
  itself, after checking that the server already holds exactly that data
  (graph by graph, read back with SPARQL), and passes every other request
  through unchanged; then the 6 tests exercise our dataset handling.
* The 7 update tests expect SPARQL Update to succeed: not applicable to a
  read-only endpoint, which answers them 403 (the 7 invalid-update tests,
  which expect a 4xx, pass).

The runner and the W3C files are local: ``tests/conformance/install.sh``
installs the runner, ``tests/conformance/w3c/`` holds the manifests and data
(with the W3C licence); without the runner these tests skip saying so.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import socket
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest

pytestmark = [pytest.mark.http, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
W3C = HERE / "w3c" / "sparql" / "sparql11"
RUNNER = HERE / "node_modules" / "rdf-test-suite" / "bin" / "Runner.js"
MANIFEST_ROOT = "https://w3c.github.io/rdf-tests/sparql/sparql11/"
PROTOCOL = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
SD = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/service-description/manifest#"
GRAPH = "http://kasei.us/2009/09/sparql/data/data{}.rdf"

DATASET_TESTS = {
    "query_dataset_default_graphs_get", "query_dataset_default_graphs_post",
    "query_dataset_named_graphs_post", "query_dataset_named_graphs_get",
    "query_dataset_full", "query_multiple_dataset",
}
UPDATE_TESTS = {
    "update_dataset_default_graph", "update_dataset_default_graphs",
    "update_dataset_named_graphs", "update_dataset_full", "update_post_form",
    "update_post_direct", "update_base_uri",
}

NODE = shutil.which("node")
if not (NODE and RUNNER.is_file()):
    pytest.skip("the W3C runner is not installed: run `bash tests/conformance/install.sh` "
                "(npm rdf-test-suite 2.8.0 with n3 2.7.12)", allow_module_level=True)


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory, start_server):
    """A server whose dataset is the W3C protocol test data, preloaded."""
    folder = tmp_path_factory.mktemp("w3c-data")
    lines = []
    for n in (1, 2, 3):
        for triple in (W3C / "protocol" / f"data{n}.nt").read_text().splitlines():
            if triple.strip():
                lines.append(triple.rstrip().rstrip(".").rstrip() + f" <{GRAPH.format(n)}> .\n")
    data = folder / "w3c-protocol.nq"
    data.write_text("".join(lines))
    # The service description names the endpoint by the base, never by the Host
    # header (issue 12), and the W3C test expects the URL it asks: serve with
    # that URL as the base.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return start_server(data, port=port, cli_args=("--base", f"http://127.0.0.1:{port}/"),
                        serve_args=("--workers", "1"))


def _graph_as_served(server_port: int, graph: str) -> set[str]:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=30)
    conn.request("GET", "/sparql?query=" + urllib.parse.quote(query),
                 headers={"Accept": "application/n-triples"})
    body = conn.getresponse().read()
    conn.close()
    return {str(t) for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}


class LoadCheckingProxy:
    """Passes requests to the server, except the runner's data load: that one it
    answers 204 only if the server already holds exactly the data to be loaded."""

    def __init__(self, server_port: int) -> None:
        self.loads: list[dict[str, int]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _relay(self) -> None:
                body = self._body()
                ctype = self.headers.get("Content-Type", "")
                if (self.command == "POST" and ctype.startswith("application/sparql-update")
                        and body.startswith(b"DROP SILENT ALL ;")):
                    status, text = proxy.check_load(body.decode("utf-8"), server_port)
                    self._answer(status, {"Content-Type": "text/plain"}, text.encode())
                    return
                conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "keep-alive")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                conn.close()
                keep = {k: v for k, v in resp.getheaders()
                        if k.lower() in ("content-type", "retry-after", "allow", "vary")}
                self._answer(resp.status, keep, payload)

            def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _relay  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def check_load(self, update: str, server_port: int) -> tuple[int, str]:
        wanted = ox.Store()
        wanted.update(update)
        sizes = {}
        for graph in wanted.named_graphs():
            expected = {str(q.triple) for q in wanted.quads_for_pattern(None, None, None, graph)}
            served = _graph_as_served(server_port, graph.value)
            if served != expected:
                return 500, f"the server does not hold {graph.value} as the test needs"
            sizes[graph.value] = len(expected)
        self.loads.append(sizes)
        return 204, ""

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def proxy(w3c_server) -> Iterator[LoadCheckingProxy]:
    p = LoadCheckingProxy(w3c_server.port)
    yield p
    p.close()


def run_suite(manifest: str, options: dict[str, str], output: str) -> str:
    cmd = [NODE, str(RUNNER), "engine.js", MANIFEST_ROOT + manifest, "-i", json.dumps(options),
           "-m", f"{MANIFEST_ROOT}~{W3C}/", "-e", "-o", output, "-d", "20000"]
    if output == "earl":
        cmd += ["-p", "earl-meta.json"]
    done = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def outcomes(earl_turtle: str) -> dict[str, str]:
    store = ox.Store()
    store.load(earl_turtle, format=ox.RdfFormat.TURTLE)
    rows = store.query("""PREFIX earl: <http://www.w3.org/ns/earl#>
        SELECT ?test ?outcome WHERE { ?a earl:test ?test ; earl:result/earl:outcome ?outcome }""")
    return {row["test"].value.rsplit("#", 1)[1]: row["outcome"].value.rsplit("#", 1)[1]
            for row in rows}


@pytest.fixture(scope="module")
def through_proxy(proxy) -> tuple[dict[str, str], str, int]:
    options = {"protocolEndpoint": proxy.url}
    earl = run_suite("protocol/manifest.ttl", options, "earl")
    loads = len(proxy.loads)
    detailed = run_suite("protocol/manifest.ttl", options, "detailed")
    return outcomes(earl), detailed, loads


def test_every_protocol_test_that_applies_to_a_read_only_endpoint_passes(through_proxy):
    results, detailed, loads = through_proxy
    assert len(results) == 34
    failed = {name for name, outcome in results.items() if outcome != "passed"}
    assert failed == UPDATE_TESTS, detailed
    # each dataset test had its data load checked against what the server holds
    assert loads == len(DATASET_TESTS)


def test_the_update_tests_fail_only_because_updates_are_refused(through_proxy):
    _, detailed, _ = through_proxy
    assert re.findall(r"Got: (\d+)", detailed) == ["403"] * len(UPDATE_TESTS), detailed
    assert detailed.count("This endpoint is read-only") == len(UPDATE_TESTS)
    assert "Could not load" not in detailed


def test_directly_against_the_server_only_loading_and_updates_fail(w3c_server):
    results = outcomes(run_suite("protocol/manifest.ttl",
                                 {"protocolEndpoint": w3c_server.url + "/sparql"}, "earl"))
    failed = {name for name, outcome in results.items() if outcome != "passed"}
    assert failed == UPDATE_TESTS | DATASET_TESTS
    assert sum(outcome == "passed" for outcome in results.values()) == 21


def test_every_service_description_test_passes(w3c_server):
    results = outcomes(run_suite("service-description/manifest.ttl",
                                 {"serviceDescriptionEndpoint": w3c_server.url + "/sparql"},
                                 "earl"))
    assert results == {"returns-rdf": "passed", "has-endpoint-triple": "passed",
                       "conforms-to-schema": "passed"}

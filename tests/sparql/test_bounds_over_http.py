"""Issue 12's hostile requests over real sockets against ``newsgraph serve``:
each gets a short plain-text 4xx with a message, never a 500 or a wait for the clock."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from rdflib import Graph, URIRef

from newsgraph import iris

from .conftest import SPARQL_JSON, alive, query_workers, wait_until

pytestmark = pytest.mark.http

ANSWER_CAP = 64 * 1024


@pytest.fixture(scope="module")
def bounded_server(built_dist: Path, start_server: Callable):
    """One gunicorn worker, two query slots, a 64 KiB answer cap, no answer cache."""
    return start_server(built_dist, serve_args=("--workers", "1"), env={
        "NEWSGRAPH_SPARQL_MAX_ANSWER_BYTES": str(ANSWER_CAP),
        "NEWSGRAPH_SPARQL_CACHE_BYTES": "0", "NEWSGRAPH_SPARQL_MAX_CONCURRENT": "2"})


def exchange(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes; the status, headers and body of the first response."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before a response: {got!r}"
            got += chunk
        head, _, body = got.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(lines[0].split()[1]), headers, body[:length]


def chunked_post(size_line: bytes, data: bytes = b"query=ASK%7B%7D") -> bytes:
    # the body is left unfinished: an answer must not wait for the rest of it
    return (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            + size_line + b"\r\n" + data)


@pytest.mark.parametrize("size_line", [b"zz", b"-1", b"1 2", b"0x10"])
def test_a_malformed_chunk_size_is_400_without_a_traceback(bounded_server, size_line):
    status, headers, body = exchange(bounded_server.port, chunked_post(size_line))
    assert status == 400
    assert headers["content-type"].startswith("text/plain")
    assert b"chunk" in body.lower() and b"Traceback" not in body
    assert "Traceback" not in bounded_server.log_tail(200)


@pytest.mark.parametrize("size_line", [b"ffffffffffffffff", b"40001", b"fffffffffffffffffffffff"])
def test_a_chunk_larger_than_the_body_limit_is_413_at_once(bounded_server, size_line):
    # 0x40001 is one byte over the default 256 KiB body limit
    status, headers, body = exchange(bounded_server.port, chunked_post(size_line))
    assert status == 413
    assert headers["content-type"].startswith("text/plain")
    assert b"262144" in body
    assert "Traceback" not in bounded_server.log_tail(200)


def test_a_well_formed_chunked_query_is_answered(bounded_server):
    form = b"query=ASK%7B%7D"
    data = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nAccept: " + SPARQL_JSON.encode()
            + b"\r\nConnection: close\r\n\r\n"
            + b"%x\r\n" % len(form[:5]) + form[:5] + b"\r\n"
            + b"%x\r\n" % len(form[5:]) + form[5:] + b"\r\n0\r\n\r\n")
    status, _, body = exchange(bounded_server.port, data)
    assert status == 200 and b"boolean" in body


@pytest.mark.parametrize("query", [
    "ASK { FILTER(" + "!" * 10_000 + "true) }",
    "SELECT (" + "+".join(["1"] * 10_000) + " AS ?x) {}",
    "SELECT * {" + "".join(f"BIND(1 AS ?v{i})" for i in range(3_000)) + "}",
], ids=["not", "plus", "bind"])
def test_operator_chains_are_400_before_evaluation_and_no_query_process_dies(bounded_server,
                                                                              query):
    pid = bounded_server.process.pid
    bounded_server.request("POST", "/sparql", data={"query": "ASK {}"})  # the pool starts
    assert wait_until(lambda: len(query_workers(pid)) == 2, 60)
    before = set(query_workers(pid))
    resp = bounded_server.request("POST", "/sparql", data={"query": query},
                                  headers={"Accept": SPARQL_JSON})
    assert resp.status_code == 400, resp.text
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert "chains more than 500 operators and clauses" in resp.text
    assert set(query_workers(pid)) == before


def test_an_answer_over_the_byte_cap_is_refused_loudly(bounded_server):
    query = ('SELECT ?s ?big WHERE { ?s ?p ?o BIND(CONCAT(STR(?s), "' + "x" * 500
             + '") AS ?big) } LIMIT 1000')
    resp = bounded_server.request("POST", "/sparql", data={"query": query},
                                  headers={"Accept": SPARQL_JSON})
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert f"larger than {ANSWER_CAP} bytes" in resp.text and "nothing was cut" in resp.text
    small = bounded_server.request("POST", "/sparql", data={"query": query.replace(
        "LIMIT 1000", "LIMIT 10")}, headers={"Accept": SPARQL_JSON})
    assert small.status_code == 200 and len(small.content) < ANSWER_CAP


def test_a_query_after_its_idle_query_processes_were_killed_is_answered(bounded_server):
    pid = bounded_server.process.pid
    assert wait_until(lambda: len(query_workers(pid)) == 2, 60)
    idle = query_workers(pid)
    for worker in idle:
        os.kill(worker, signal.SIGKILL)
    assert wait_until(lambda: not any(alive(w) for w in idle), 10)
    resp = bounded_server.request("POST", "/sparql", data={"query": "ASK { ?s ?p ?o }"},
                                  headers={"Accept": SPARQL_JSON})
    assert resp.status_code == 200, resp.text
    assert resp.json()["boolean"] is True
    assert not set(idle) & set(query_workers(pid))


def test_the_service_description_names_the_base_never_the_host_header(bounded_server):
    resp = bounded_server.get("/sparql", headers={"Accept": "text/turtle",
                                                  "Host": "evil.example"})
    assert resp.status_code == 200
    assert "evil.example" not in resp.text and "127.0.0.1" not in resp.text
    sd = Graph().parse(data=resp.text, format="turtle")
    endpoint = URIRef(iris.sparql_endpoint(iris.DEFAULT_BASE))
    SD = "http://www.w3.org/ns/sparql-service-description#"
    assert set(sd.objects(endpoint, URIRef(SD + "endpoint"))) == {endpoint}
    assert "chains of up to 500 operators" in resp.text
    assert f"and {ANSWER_CAP} bytes" in resp.text


def test_hostile_requests_leave_the_server_answering(bounded_server):
    resp = requests.get(bounded_server.url + "/sparql", params={"query": "ASK {}"},
                        headers={"Accept": SPARQL_JSON}, timeout=30)
    assert resp.status_code == 200

"""Safe to leave open: each SPARQL line of SECURITY.md's "What a request gets" table,
over real HTTP against server processes, with a loopback canary that must see
no connection at all.
"""

from __future__ import annotations

import concurrent.futures
import socket
import threading

import pytest
import requests

from .conftest import (
    RUNAWAY_KINDS,
    SPARQL_JSON,
    TIMEOUT_S,
    alive,
    cpu_seconds,
    is_waiting,
    query_workers,
    wait_until,
)

pytestmark = pytest.mark.http

BASE = "https://w3id.org/newsgraph/"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
MARKER = "<http://attacker.example/s> <http://attacker.example/p> <http://attacker.example/o>"


def count(server) -> int:
    resp = server.get("/sparql", params={"query": COUNT}, headers={"Accept": SPARQL_JSON})
    assert resp.status_code == 200, resp.text
    return int(resp.json()["results"]["bindings"][0]["n"]["value"])


def assert_plain_error(resp, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in statuses, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("text/plain"), resp.headers["Content-Type"]
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"
    assert "Traceback" not in resp.text and "<html" not in resp.text.lower()


# -- read-only ------------------------------------------------------------------------
UPDATES = [
    ("GET update=", lambda s: s.get("/sparql", params={"update": f"INSERT DATA {{ {MARKER} }}"})),
    ("POST form update=", lambda s: s.request("POST", "/sparql",
                                              data={"update": f"INSERT DATA {{ {MARKER} }}"})),
    ("POST application/sparql-update", lambda s: s.request(
        "POST", "/sparql", data=f"INSERT DATA {{ {MARKER} }}".encode(),
        headers={"Content-Type": "application/sparql-update"})),
    ("INSERT in query=", lambda s: s.get("/sparql",
                                         params={"query": f"INSERT DATA {{ {MARKER} }}"})),
    ("DROP in query=", lambda s: s.request("POST", "/sparql", data={"query": "DROP ALL"})),
    ("CLEAR as sparql-query", lambda s: s.request(
        "POST", "/sparql", data=b"CLEAR DEFAULT",
        headers={"Content-Type": "application/sparql-query"})),
    ("LOAD in query=", lambda s: s.get("/sparql",
                                       params={"query": "LOAD <http://127.0.0.1:9/x.ttl>"})),
    ("an update after a query", lambda s: s.get(
        "/sparql", params={"query": f"ASK {{}} ; INSERT DATA {{ {MARKER} }}"})),
]


@pytest.mark.parametrize(("how", "send"), UPDATES, ids=[u[0] for u in UPDATES])
def test_updates_in_any_form_are_refused_and_nothing_changes(live_server, how, send):
    before = count(live_server)
    resp = send(live_server)
    assert_plain_error(resp, (400, 403))
    assert count(live_server) == before
    ask = live_server.get("/sparql", params={"query": f"ASK {{ {MARKER} }}"})
    assert ask.json()["boolean"] is False


# -- no outbound requests -----------------------------------------------------------
def outbound_attempts(canary_url: str) -> list[tuple[str, dict]]:
    host = canary_url.rsplit("/", 1)[0]
    return [
        ("SERVICE", {"query": f"SELECT * WHERE {{ SERVICE <{canary_url}> {{ ?s ?p ?o }} }}"}),
        ("SERVICE SILENT", {"query": f"SELECT * WHERE {{ SERVICE SILENT <{canary_url}> {{ }} }}"}),
        ("glued SERVICE", {"query": f"PREFIX c: <{host}/> SELECT * {{ SERVICEc:sparql {{ }} }}"}),
        ("SERVICE by variable", {"query": f"SELECT * {{ VALUES ?e {{ <{canary_url}> }} "
                                          "SERVICE ?e { } }"}),
        ("FROM http", {"query": f"SELECT * FROM <{canary_url}> WHERE {{ ?s ?p ?o }}"}),
        ("FROM NAMED http", {"query": f"SELECT * FROM NAMED <{canary_url}> "
                                      "WHERE { GRAPH ?g { ?s ?p ?o } }"}),
        ("FROM file", {"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"}),
    ]


def test_service_and_from_outside_the_dataset_are_refused_without_a_connection(
        live_server, canary):
    for how, params in outbound_attempts(canary.url):
        resp = live_server.request("POST", "/sparql", data=params)
        assert_plain_error(resp, 400)
        assert "SERVICE" in resp.text or "FROM" in resp.text, how
    resp = live_server.request("POST", "/sparql", data={"update": f"LOAD <{canary.url}>"})
    assert_plain_error(resp, 403)
    assert canary.connections == 0


def test_protocol_graph_names_are_never_fetched(live_server, canary):
    """default-graph-uri / named-graph-uri only ever name graphs in the store: an unknown
    name is an empty graph, never a document to download."""
    resp = live_server.get("/sparql", params={"query": COUNT, "default-graph-uri": canary.url,
                                              "named-graph-uri": "file:///etc/passwd"})
    assert resp.status_code == 200
    assert resp.json()["results"]["bindings"][0]["n"]["value"] == "0"
    assert canary.connections == 0


# -- the time limit ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(RUNAWAY_KINDS))
def test_a_runaway_query_is_stopped_at_the_limit_while_others_are_served(timeout_server, kind):
    server = timeout_server
    count(server)  # the pool is up
    workers_before = set(query_workers(server.process.pid))
    assert workers_before, "no query worker processes found"
    outcome: dict[str, requests.Response] = {}

    def runaway() -> None:
        outcome["runaway"] = server.request("POST", "/sparql", data={"query": RUNAWAY_KINDS[kind]},
                                            timeout=60)

    spent = {pid: cpu_seconds(pid) for pid in workers_before}
    thread = threading.Thread(target=runaway)
    thread.start()
    # a query process is computing it (no other query runs): it is not waiting,
    # and has spent more CPU time since than any answer's tidying up takes
    assert wait_until(lambda: any(not is_waiting(pid) and cpu_seconds(pid) > spent[pid] + 0.05
                                  for pid in workers_before), 30), "the query never started"
    # meanwhile: another query and a page, on the same gunicorn worker
    quick = server.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    page = server.get("/")
    still_running = thread.is_alive()
    thread.join(timeout=60)
    assert quick.status_code == 200 and quick.json()["boolean"] is True
    assert page.status_code == 200
    assert still_running, "the runaway query finished before the others were served"

    resp = outcome["runaway"]
    assert_plain_error(resp, 503)
    assert int(resp.headers["Retry-After"]) >= 1
    assert f"{TIMEOUT_S} s time limit" in resp.text

    # the work itself stopped: the worker that ran it is gone, none is busy
    assert wait_until(lambda: any(not alive(pid) for pid in workers_before), 10)
    assert wait_until(lambda: len(query_workers(server.process.pid)) >= len(workers_before), 20)
    # and none is computing: each of them waits for a query, every thread asleep
    # (a process still running the query never is)
    assert wait_until(lambda: all(is_waiting(pid) for pid in query_workers(server.process.pid)),
                      30), "a query worker kept computing after the time limit"
    # and the server answers as before
    assert count(server) > 1000


# -- the row cap -------------------------------------------------------------------------
def test_more_rows_than_the_cap_is_refused_loudly_never_cut(limited_server):
    many = limited_server.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert_plain_error(many, 400)
    assert "more than 5 rows" in many.text and "LIMIT" in many.text
    exact = limited_server.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    assert len(exact.json()["results"]["bindings"]) == 5
    graph = limited_server.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert_plain_error(graph, 400)
    assert "more than 5 triples" in graph.text


# -- request sizes, nesting --------------------------------------------------------------
def test_an_oversized_body_is_413(limited_server):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 7000
    resp = limited_server.request("POST", "/sparql", data=big.encode(),
                                  headers={"Content-Type": "application/sparql-query"})
    assert_plain_error(resp, 413)
    form = limited_server.request("POST", "/sparql", data={"query": big})
    assert form.status_code == 413


def test_an_oversized_query_is_413(limited_server):
    long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3500
    assert_plain_error(limited_server.get("/sparql", params={"query": long_query}), 413)
    assert_plain_error(limited_server.request(
        "POST", "/sparql", data=long_query.encode(),
        headers={"Content-Type": "application/sparql-query"}), 413)


def test_a_body_announced_too_large_is_refused_before_it_is_sent(limited_server):
    """Only the headers go out; the answer comes without the server waiting for 50 MB."""
    with socket.create_connection(("127.0.0.1", limited_server.port), timeout=10) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/sparql-query\r\n"
                     b"Content-Length: 50000000\r\nConnection: close\r\n\r\n")
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413")


def test_deep_nesting_is_400(limited_server):
    deep = "SELECT * WHERE " + "{ " * 20 + "?s ?p ?o " + "} " * 20
    resp = limited_server.get("/sparql", params={"query": deep})
    assert_plain_error(resp, 400)
    assert "nests deeper than 8" in resp.text


# -- concurrency -----------------------------------------------------------------------------
def test_past_the_concurrency_limit_queries_are_turned_away_with_retry_after(
        one_slot_server, held_endpoint):
    server = one_slot_server
    count(server)  # the pool is up
    # hold the only slot: a federated query the endpoint answers only when released
    held = f"SELECT * WHERE {{ SERVICE <{held_endpoint.url}> {{ ?s ?p ?o }} }}"
    outcome: dict[str, requests.Response] = {}
    holder = threading.Thread(target=lambda: outcome.setdefault(
        "held", server.request("POST", "/sparql", data={"query": held}, timeout=60)))
    holder.start()
    try:
        assert wait_until(lambda: held_endpoint.received == 1, 60), "the held query never ran"
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(
                lambda _: server.get("/sparql", params={"query": "ASK {}"}), range(3)))
        for resp in answers:
            assert_plain_error(resp, (429, 503))
            assert int(resp.headers["Retry-After"]) >= 1
        assert holder.is_alive() and held_endpoint.received == 1
    finally:
        held_endpoint.release()
        holder.join(60)
    assert outcome["held"].status_code == 200, outcome["held"].text
    # the slot is free again
    assert server.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_many_concurrent_first_queries_after_start_all_succeed(built_dist, start_server):
    server = start_server(built_dist, serve_args=("--workers", "2"))
    query = f"SELECT ?n WHERE {{ <{BASE}id/person/wang-xiaohong> ?p ?n }}"
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: server.get("/sparql", params={
            "query": query + f" LIMIT {i + 1}"}, timeout=60), range(32)))
    assert [r.status_code for r in answers] == [200] * 32
    assert count(server) > 1000


# -- errors, methods, media types -------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"query": "SELECT * WHERE { ?s ?p ?o"},
        {"query": "<script>alert(1)</script>"},
        {"query": "SELECT * WHERE { ?s ?p '<script>alert(1)</script>' FILTER(bad( }"},
        [("query", "ASK {}"), ("query", "SELECT * {}")],
        {"query": ""},
    ],
)
def test_bad_queries_are_400_plain_text_with_the_parsers_message(live_server, params):
    resp = live_server.get("/sparql", params=params)
    assert_plain_error(resp, 400)


def test_the_parser_message_says_where(live_server):
    resp = live_server.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMT 3"})
    assert_plain_error(resp, 400)
    assert "syntax error" in resp.text.lower() and "1:" in resp.text


def test_a_post_without_a_query_is_400(live_server):
    assert_plain_error(live_server.request("POST", "/sparql", data={"format": "json"}), 400)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(live_server, method):
    resp = live_server.request(method, "/sparql", data=b"ASK {}")
    assert_plain_error(resp, 405)
    assert set(resp.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None,
                                          "application/sparql-query; charset=UTF-16"])
def test_a_post_of_the_wrong_media_type_is_415(live_server, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    body = "ASK {}".encode("utf-16" if content_type and "16" in content_type else "utf-8")
    resp = live_server.request("POST", "/sparql", data=body, headers=headers)
    assert_plain_error(resp, 415)


def test_a_query_is_never_reflected_into_html(live_server):
    hostile = "SELECT * WHERE { ?s ?p ?o } # </textarea><script>alert(1)</script>"
    page = live_server.get("/sparql", params={"query": hostile},
                           headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text

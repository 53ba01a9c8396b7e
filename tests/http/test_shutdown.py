"""Stopping ``newsgraph serve`` (issue 8, point 7): SIGTERM, and Ctrl-C's SIGINT
to the process group, stop the server, its workers and their query processes
within 2 s, with a clean log; a request in flight during a graceful stop is
answered in full, and a SPARQL query still running is answered 503 (Ctrl-C too).

The 2 s are the requirement, kept by the server's own timers; each test measures
the stop and prints it, and the deadline it asserts is a hang guard only, far
beyond that budget so that a busy machine cannot fail it.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from sparql.conftest import (
    RUNAWAY,
    SPARQL_JSON,
    alive,
    cpu_seconds,
    descendants,
    query_workers,
    wait_until,
)

pytestmark = [pytest.mark.http, pytest.mark.slow]

BUDGET_S = 2.0
# Not the requirement (the server's own timers keep the budget; the time taken is
# printed): only so that a hang fails the test, and far enough that a busy
# machine never reaches it.
HANG_GUARD_S = 30.0
BAD_LINES = ("SIGSEGV", "Traceback", "was sent")
PAGE = "/doc/person/wang-xiaohong.ttl"


def _query(server, query: str, outcome: dict | None = None) -> None:
    """Run ``query``; note its status (or that the connection closed) in ``outcome``."""
    try:
        with requests.Session() as session:  # closed after: no idle connection is left
            r = session.get(server.url + "/sparql", params={"query": query},
                            headers={"Accept": SPARQL_JSON}, timeout=30)
        result: object = (r.status_code, r.headers.get("Retry-After"), r.text)
    except requests.ConnectionError:
        result = "closed"  # before any answer
    except requests.RequestException as error:
        result = f"broken: {error!r}"  # e.g. an answer cut short
    if outcome is not None:
        outcome["answer"] = result


def _start_a_long_query(server) -> tuple[threading.Thread, dict]:
    """Start RUNAWAY in a thread and return once a query process is busy with it."""
    first_seen: dict[int, float] = {}

    def busy() -> bool:
        # CPU time well beyond a process's start-up: it runs the query (the
        # worker reached may start its query processes only now)
        for pid in query_workers(server.process.pid):
            spent = cpu_seconds(pid)
            if spent > first_seen.setdefault(pid, spent) + 0.5:
                return True
        return False

    busy()
    outcome: dict = {}
    runner = threading.Thread(target=_query, args=(server, RUNAWAY, outcome))
    runner.start()
    assert wait_until(busy, 30), "no query process started on the long query"
    return runner, outcome


def _stop(server, send: Callable[[], None]) -> float:
    """Send the stop signal and wait for the master to exit; the seconds it took."""
    started = time.monotonic()
    send()
    try:
        server.process.wait(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        server.stop()
        pytest.fail(f"the server did not stop within {HANG_GUARD_S} s:\n{server.log_tail()}")
    return time.monotonic() - started


def _assert_clean_log(log: Path) -> None:
    text = log.read_text(errors="replace")
    bad = [line for line in text.splitlines() if any(word in line for word in BAD_LINES)]
    assert not bad, text


@pytest.mark.parametrize("how", ["SIGTERM to the master", "SIGINT to the group (Ctrl-C)"])
def test_a_stop_ends_every_process_quickly_and_quietly(built_dist, start_server, how):
    server = start_server(built_dist, serve_args=("--workers", "2"), own_group=True)
    for _ in range(4):  # query processes start in the workers these reach
        _query(server, "ASK { ?s ?p ?o }")
    assert wait_until(lambda: len(query_workers(server.process.pid)) >= 2, 30)
    runner, outcome = _start_a_long_query(server)

    processes = descendants(server.process.pid)
    queries = query_workers(server.process.pid)
    web_workers = [pid for pid in processes if pid not in queries]
    assert len(web_workers) == 2 and queries, processes

    if how.startswith("SIGTERM"):
        took = _stop(server, lambda: server.process.send_signal(signal.SIGTERM))
    else:
        took = _stop(server, lambda: os.killpg(server.process.pid, signal.SIGINT))
    print(f"\n{how}: stopped {len(web_workers)} workers and {len(queries)} query "
          f"processes in {took:.2f} s (budget {BUDGET_S} s)")

    assert server.process.returncode == 0, server.log_tail()
    assert [pid for pid in processes if alive(pid)] == []
    _assert_clean_log(server.log)
    runner.join(timeout=30)
    # the running query is answered, not dropped, however quick the stop
    assert outcome["answer"][:2] == (503, "1"), outcome["answer"]


def _read_response(sock: socket.socket) -> http.client.HTTPResponse:
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()  # the whole body, or IncompleteRead
    return response


def test_a_request_in_flight_during_a_graceful_stop_is_answered_in_full(
    built_dist, start_server
):
    server = start_server(built_dist, serve_args=("--workers", "1"), own_group=True)
    _query(server, "ASK { ?s ?p ?o }")
    assert wait_until(lambda: len(query_workers(server.process.pid)) == 2, 30)
    runner, outcome = _start_a_long_query(server)
    idle = set(query_workers(server.process.pid))
    head = (f"GET {PAGE} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Accept: text/turtle\r\n").encode()

    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        # a first request leaves the connection kept alive in the worker...
        sock.sendall(head + b"\r\n")
        first = _read_response(sock)
        assert first.status == 200 and first.getheader("Connection") != "close"
        # ...and the next one is half sent when the stop begins
        sock.sendall(head)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        # the worker has begun to stop once it has stopped its idle query process
        assert wait_until(lambda: len(idle & set(query_workers(server.process.pid))) < 2,
                          HANG_GUARD_S)
        sock.sendall(b"\r\n")
        second = _read_response(sock)
        assert second.status == 200, second.status
        assert second.getheader("Connection") == "close"
        assert sock.recv(1) == b""  # then the server closes the connection
    server.process.wait(timeout=HANG_GUARD_S)
    took = time.monotonic() - started
    print(f"\nSIGTERM with a request in flight and a query running: stopped in {took:.2f} s "
          f"(budget {BUDGET_S} s)")

    assert server.process.returncode == 0
    runner.join(timeout=30)
    assert outcome["answer"][:2] == (503, "1"), outcome["answer"]
    assert "stopping" in outcome["answer"][2]
    _assert_clean_log(server.log)

"""Fixtures for the SPARQL tests: servers with test limits, a loopback canary,
and helpers to look at the server's processes.

The shared fixtures (``built_dist``, ``live_server``, ``start_server``) come
from tests/conftest.py; the servers here add low limits through ``NEWSGRAPH_*``
environment variables and ``--sparql-timeout``.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from waiting import is_waiting, wait_until  # noqa: F401 - the suite's helpers, here too

SPARQL_JSON = "application/sparql-results+json"
# a query that runs for minutes on the built dataset (1.6k triples, cubed)
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RUNAWAY_KINDS = {
    "cartesian count": RUNAWAY,
    "catastrophic regex in a cross product": (
        'SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i '
        'FILTER(REGEX(CONCAT(STR(?c), STR(?f), STR(?i)), "^(a+)+$")) }'
    ),
    "FILTER NOT EXISTS in a cross product": (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i "
        "FILTER NOT EXISTS { ?a ?e ?i } }"
    ),
}
TIMEOUT_S = 2
# the longest a HeldEndpoint holds a request a test forgot to release
HELD_AT_MOST_S = 120
LIMITS = {
    "NEWSGRAPH_SPARQL_MAX_ROWS": "5",
    "NEWSGRAPH_SPARQL_MAX_CONCURRENT": "1",
    "NEWSGRAPH_SPARQL_QUEUE_WAIT_S": "0.5",
    "NEWSGRAPH_SPARQL_MAX_QUERY_BYTES": "3000",
    "NEWSGRAPH_SPARQL_MAX_BODY_BYTES": "6000",
    "NEWSGRAPH_SPARQL_MAX_NESTING": "8",
    "NEWSGRAPH_SPARQL_CACHE_BYTES": "0",
}


@pytest.fixture(scope="session")
def timeout_server(built_dist: Path, start_server: Callable):
    """One gunicorn worker, two query slots, a 2 s time limit, no answer cache."""
    return start_server(
        built_dist,
        serve_args=("--workers", "1", "--sparql-timeout", str(TIMEOUT_S)),
        env={"NEWSGRAPH_SPARQL_CACHE_BYTES": "0", "NEWSGRAPH_SPARQL_MAX_CONCURRENT": "2"},
    )


@pytest.fixture(scope="session")
def limited_server(built_dist: Path, start_server: Callable):
    """One gunicorn worker and low limits: 5 rows, 1 query at a time, small requests."""
    return start_server(
        built_dist,
        serve_args=("--workers", "1", "--sparql-timeout", str(TIMEOUT_S)),
        env=LIMITS,
    )


class HeldEndpoint:
    """A SPARQL endpoint on 127.0.0.1 that holds every request it gets until
    ``release()``: a federated query to it keeps its query slot as long as a
    test wants, however busy the machine (no race with a time limit)."""

    EMPTY = b'{"head": {"vars": []}, "results": {"bindings": []}}'

    def __init__(self) -> None:
        self.received = 0
        self._released = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def _hold(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                endpoint.received += 1
                endpoint._released.wait(HELD_AT_MOST_S)
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(endpoint.EMPTY)))
                self.end_headers()
                self.wfile.write(endpoint.EMPTY)

            do_GET = do_POST = _hold

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def held_endpoint() -> Iterator[HeldEndpoint]:
    endpoint = HeldEndpoint()
    yield endpoint
    endpoint.close()


@pytest.fixture(scope="session")
def one_slot_server(built_dist: Path, start_server: Callable, held_endpoint: HeldEndpoint):
    """One gunicorn worker with one query slot and a short wait in line, which
    may federate to ``held_endpoint``; a time limit no held query reaches."""
    return start_server(
        built_dist,
        serve_args=("--workers", "1", "--sparql-timeout", str(HELD_AT_MOST_S * 2),
                    "--service-allow", held_endpoint.url),
        env={"NEWSGRAPH_SPARQL_MAX_CONCURRENT": "1", "NEWSGRAPH_SPARQL_QUEUE_WAIT_S": "0.5",
             "NEWSGRAPH_SPARQL_CACHE_BYTES": "0"},
    )


class Canary:
    """A TCP listener on 127.0.0.1 that counts every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self._peers: list[int] = []  # the client port of each connection, in order
        self._probes: set[int] = set()  # which of them the count itself made
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, peer = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self._peers.append(peer[1])
            conn.close()

    @property
    def connections(self) -> int:
        """How many connections others made before now (not a count that may
        still grow: every connection already made is counted first)."""
        # Connections are accepted in the order they were made: once one made
        # now is accepted, so is every one made before it.
        start = len(self._peers)
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as probe:
            mine = probe.getsockname()[1]
            assert wait_until(lambda: mine in self._peers[start:], 30), \
                "the canary stopped accepting"
        at = self._peers.index(mine, start)
        self._probes.add(at)
        return sum(1 for i in range(at) if i not in self._probes)

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


# -- processes ----------------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name is in parentheses and may hold spaces
    return raw[raw.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields and int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for kid in children(todo.pop()):
            found.append(kid)
            todo.append(kid)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def query_workers(server_pid: int) -> list[int]:
    return [p for p in descendants(server_pid) if "newsgraph.server.sparql.worker" in cmdline(p)]


def all_query_workers() -> set[int]:
    return {int(e) for e in os.listdir("/proc")
            if e.isdigit() and "newsgraph.server.sparql.worker" in cmdline(int(e))}


def cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    if not fields:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"



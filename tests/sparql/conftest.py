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
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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


class Canary:
    """A TCP listener on 127.0.0.1 that counts every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

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


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()

"""Issue 12: a query that needs more memory than a query process may take.

A real server with a 64 MB cap per query (``sparql_worker_memory_mb``) is sent
queries that build strings far larger than that from a query of a few hundred
bytes. Each must get a 400 naming the cap, its query process must be replaced,
queries alongside it must be answered, and the web process must not grow. A
query whose process something else kills (SIGKILL, as the OOM killer does) is
a 503 to retry.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from .conftest import (
    RUNAWAY,
    SPARQL_JSON,
    alive,
    children,
    cpu_seconds,
    query_workers,
    wait_until,
)

pytestmark = pytest.mark.http

CAP_MB = 64


def concat_bomb(levels: int) -> str:
    """A string ten times longer at each level: 10**(levels + 1) characters."""
    steps = "".join(f"BIND(CONCAT({', '.join([f'?s{i}'] * 10)}) AS ?s{i + 1}) "
                    for i in range(levels))
    return f'SELECT (STRLEN(?s{levels}) AS ?n) WHERE {{ BIND("xxxxxxxxxx" AS ?s0) {steps}}}'


def joined_rows(rows: int) -> str:
    """``rows`` values of 64 KiB each, joined by the engine into one string."""
    steps = "".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1}) " for i in range(16))
    values = " ".join(str(i) for i in range(rows))
    return (f"SELECT (STRLEN(GROUP_CONCAT(CONCAT(STR(?i), ?s16))) AS ?n) WHERE {{ "
            f'VALUES ?i {{ {values} }} BIND("x" AS ?s0) {steps}}}')


BOMBS = {
    # the engine itself runs out: 1 GB from a 400-byte query
    "nested CONCAT, 10**9 characters": concat_bomb(8),
    "nested CONCAT, 10**8 characters": concat_bomb(7),
    # many rows, each small, grouped into one value
    "GROUP_CONCAT of 2,000 rows of 64 KiB": joined_rows(2000),
}


@pytest.fixture(scope="module")
def capped_server(built_dist: Path, start_server: Callable):
    """One gunicorn worker, two query slots, 64 MB per query, no answer cache."""
    return start_server(built_dist, serve_args=("--workers", "1"), env={
        "NEWSGRAPH_SPARQL_WORKER_MEMORY_MB": str(CAP_MB),
        "NEWSGRAPH_SPARQL_CACHE_BYTES": "0", "NEWSGRAPH_SPARQL_MAX_CONCURRENT": "2",
        # a query waits for the slot whose process is being replaced rather than 503
        "NEWSGRAPH_SPARQL_QUEUE_WAIT_S": "60"})


def ask(server, query: str) -> requests.Response:
    return server.request("POST", "/sparql", data={"query": query},
                          headers={"Accept": SPARQL_JSON}, timeout=120)


def web_process(server) -> int:
    workers = set(query_workers(server.process.pid))
    (web,) = [pid for pid in children(server.process.pid) if pid not in workers]
    return web


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def two_live_query_workers(server) -> list[int]:
    ask(server, "ASK {}")  # the query processes start with the first query
    assert wait_until(lambda: len([p for p in query_workers(server.process.pid) if alive(p)])
                      == 2, 60), server.log_tail()
    return sorted(p for p in query_workers(server.process.pid) if alive(p))


@pytest.mark.parametrize("bomb", BOMBS.values(), ids=BOMBS.keys())
def test_a_query_past_the_memory_cap_is_400_naming_it_and_its_process_replaced(
        capped_server, bomb):
    before = two_live_query_workers(capped_server)
    resp = ask(capped_server, bomb)
    assert resp.status_code == 400, resp.text
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert f"needed more than {CAP_MB} MB of memory" in resp.text
    assert "Traceback" not in resp.text
    # the process that ran it is gone and another takes its place
    after = two_live_query_workers(capped_server)
    assert set(after) != set(before)
    assert ask(capped_server, "ASK { GRAPH ?g { ?s ?p ?o } }").json()["boolean"] is True
    assert "Traceback" not in capped_server.log_tail(400)


def test_a_query_under_the_cap_is_answered(capped_server):
    # 10**6 characters: far under 64 MB
    resp = ask(capped_server, concat_bomb(5))
    assert resp.status_code == 200, resp.text
    assert resp.json()["results"]["bindings"][0]["n"]["value"] == str(10**6)


def test_queries_alongside_a_bomb_are_answered_and_the_web_process_does_not_grow(
        capped_server):
    two_live_query_workers(capped_server)
    web = web_process(capped_server)
    ask(capped_server, "ASK {}")
    rss_before = rss_kib(web)
    outcomes: list[int] = []
    others: list[int] = []

    def bombs() -> None:
        for _ in range(4):
            outcomes.append(ask(capped_server, concat_bomb(8)).status_code)

    def queries() -> None:
        # the other slot keeps answering meanwhile
        while thread.is_alive() or not others:
            others.append(ask(capped_server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g "
                                             "{ ?s ?p ?o } }").status_code)

    thread = threading.Thread(target=bombs)
    thread.start()
    queries()
    thread.join()
    assert outcomes == [400] * 4
    assert others and set(others) == {200}, others
    # the bombs' memory stayed in the query processes: the web process saw 400s
    assert rss_kib(web) - rss_before < 16 * 1024
    assert "Traceback" not in capped_server.log_tail(400)


def test_a_query_whose_process_is_killed_by_another_hand_is_503_to_retry(capped_server):
    # the kernel's OOM killer (or an operator) sends SIGKILL, not the pool
    pids = two_live_query_workers(capped_server)
    start = {pid: cpu_seconds(pid) for pid in pids}
    answer: list[requests.Response] = []
    runner = threading.Thread(target=lambda: answer.append(ask(capped_server, RUNAWAY)))
    runner.start()
    busy: list[int] = []

    def one_is_busy() -> bool:
        busy[:] = [pid for pid in pids if cpu_seconds(pid) > start[pid] + 0.3]
        return bool(busy)

    assert wait_until(one_is_busy, 30)
    os.kill(busy[0], signal.SIGKILL)
    runner.join(60)
    assert answer, "no answer"
    resp = answer[0]
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "1", resp.text
    assert "killed while it ran" in resp.text
    assert ask(capped_server, "ASK {}").status_code == 200

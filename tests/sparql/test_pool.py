"""Query worker processes: killed at the limit and replaced, turned away when busy,
and never outliving the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from newsgraph.server.sparql.pool import Busy, PoolError, QueryPool, QueryTimeout, WorkerSpec

from .conftest import (
    RUNAWAY,
    alive,
    all_query_workers,
    cpu_seconds,
    is_waiting,
    query_workers,
    wait_until,
)

DATA = "".join(
    f"<http://ex/s{i}> <http://ex/p> <http://ex/o{i % 7}> <http://ex/g{i % 3}> .\n"
    for i in range(400)
)


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.nq"
    path.write_text(DATA)
    return path


def request(query: str, fmt: str = "json") -> dict:
    return {"query": query, "format": fmt, "default_graphs": None, "named_graphs": None,
            "union": True, "max_rows": 1000, "base": None}


@pytest.fixture
def pool(data_file: Path):
    p = QueryPool(WorkerSpec("file", str(data_file)), slots=1, queue_wait_s=0.3, max_waiting=1)
    p.wait_ready()
    yield p
    p.close()


def test_a_query_runs_in_a_sandboxed_worker_that_knows_the_graphs(pool):
    header, body = pool.run(request("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"), 10)
    assert header["ok"] and b'"400"' in body
    assert pool.graphs == {"http://ex/g0", "http://ex/g1", "http://ex/g2"}
    assert pool.sandboxed is True


def test_the_limit_kills_the_worker_and_a_fresh_one_takes_its_place(pool):
    (first,) = pool.pids()
    with pytest.raises(QueryTimeout) as info:
        pool.run(request(RUNAWAY), 1)
    assert info.value.status == 503 and info.value.retry_after >= 1
    assert wait_until(lambda: not alive(first), 5)
    assert wait_until(lambda: len(pool.pids()) == 1 and pool.pids()[0] != first, 30)
    header, _ = pool.run(request("ASK { ?s ?p ?o }"), 10)
    assert header["ok"]


@pytest.fixture
def long_line_pool(data_file: Path):
    """One slot and room for one in line, with a wait in line long beside the
    time a test takes to see someone in it."""
    p = QueryPool(WorkerSpec("file", str(data_file)), slots=1, queue_wait_s=3, max_waiting=1)
    p.wait_ready()
    yield p
    p.close()


def test_when_every_slot_is_busy_queries_wait_briefly_then_are_turned_away(long_line_pool):
    pool = long_line_pool
    (worker,) = pool.pids()
    spent = cpu_seconds(worker)
    errors: list[Exception] = []

    def long_one() -> None:
        try:
            pool.run(request(RUNAWAY), 600)  # runs until the pool is closed below
        except PoolError as error:
            errors.append(error)

    runner = threading.Thread(target=long_one)
    runner.start()
    # the slot is taken: its worker computes the query
    assert wait_until(lambda: not is_waiting(worker) and cpu_seconds(worker) > spent + 0.05, 30)
    outcomes: list[int] = []

    def quick() -> None:
        try:
            pool.run(request("ASK {}"), 3)
            outcomes.append(200)
        except Busy as error:
            outcomes.append(error.status)

    # one waits in line (then 503 after the queue wait), the others find the line
    # full and are turned away at once (429)
    first = threading.Thread(target=quick)
    first.start()
    assert wait_until(lambda: pool._waiting == 1, 30)  # in line (the pool's own count)
    others = [threading.Thread(target=quick) for _ in range(2)]
    for w in others:
        w.start()
    for w in (first, *others):
        w.join()
    assert sorted(outcomes) == [429, 429, 503]
    assert runner.is_alive() and not errors
    pool.close()  # ends the long query
    runner.join(30)
    assert errors and not runner.is_alive()
    assert wait_until(lambda: not alive(worker), 10)


def test_a_worker_that_dies_is_reported_and_replaced(pool):
    (first,) = pool.pids()
    from newsgraph.server.sparql.pool import WorkerFailed

    killer = threading.Timer(0.5, lambda: os.kill(first, signal.SIGKILL))
    killer.start()
    with pytest.raises(WorkerFailed):
        pool.run(request(RUNAWAY), 10)
    assert wait_until(lambda: len(pool.pids()) == 1 and pool.pids()[0] != first, 30)


def test_a_query_landing_on_a_worker_killed_while_idle_is_answered_by_a_fresh_one(pool):
    # issue 12: it was a 500 "Broken pipe"; the dead worker never had the query.
    # A killed worker can look dead (its main thread a zombie) while its other
    # threads still hold the pipe open: a query written then was lost too, so
    # the kill is repeated, once before the zombie is seen and once after.
    for wait_for_death in (True, False) * 3:
        (first,) = pool.pids()
        os.kill(first, signal.SIGKILL)
        if wait_for_death:
            assert wait_until(lambda pid=first: not alive(pid), 5)
        header, body = pool.run(request("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"), 10)
        assert header["ok"] and b'"400"' in body
        assert first not in pool.pids() and len(pool.pids()) == 1


def test_every_idle_worker_killed_at_once_costs_the_next_query_nothing(data_file):
    p = QueryPool(WorkerSpec("file", str(data_file)), slots=2, queue_wait_s=0.3)
    try:
        assert wait_until(lambda: len(p.pids()) == 2, 30)
        dead = p.pids()
        for pid in dead:
            os.kill(pid, signal.SIGKILL)
        assert wait_until(lambda: not any(alive(pid) for pid in dead), 5)
        header, _ = p.run(request("ASK { ?s ?p ?o }"), 10)
        assert header["ok"]
        assert not set(dead) & set(p.pids())
    finally:
        p.close()


def test_an_answer_over_the_byte_cap_is_refused_while_being_gathered(pool):
    # 400 rows of about 1 KiB each: over a 64 KiB cap long before the last row
    query = ('SELECT ?s ?big WHERE { ?s ?p ?o BIND(CONCAT(STR(?s), "' + "x" * 1000
             + '") AS ?big) }')
    header, body = pool.run({**request(query), "max_bytes": 64 * 1024}, 10)
    assert not header["ok"] and header["status"] == 400 and body == b""
    assert "larger than 65536 bytes" in header["message"] and "nothing was cut" in header["message"]
    header, body = pool.run({**request(query), "max_bytes": 1 << 20}, 10)
    assert header["ok"] and 400_000 < len(body) < 1 << 20
    # a CONSTRUCT is counted by its triples the same way
    construct = ('CONSTRUCT { ?s <http://ex/big> ?big } WHERE { ?s ?p ?o BIND(CONCAT(STR(?s), "'
                 + "x" * 1000 + '") AS ?big) }')
    header, _ = pool.run({**request(construct, "ntriples"), "max_bytes": 64 * 1024}, 10)
    assert header["status"] == 400 and "larger than 65536 bytes" in header["message"]


def test_a_stop_turns_queries_away_and_cuts_a_running_one_after_the_grace(pool):
    from newsgraph.server.sparql.pool import Stopping

    (worker,) = pool.pids()
    quiet = cpu_seconds(worker)
    outcomes: list[Exception] = []

    def long_one() -> None:
        try:
            pool.run(request(RUNAWAY), 600)
        except Stopping as error:
            outcomes.append(error)

    runner = threading.Thread(target=long_one)
    runner.start()
    assert wait_until(lambda: cpu_seconds(worker) > quiet + 0.5, 30)  # it is computing
    pool.stop(0.3)
    with pytest.raises(Stopping) as refused:  # no new query once the stop began
        pool.run(request("ASK {}"), 10)
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert len(outcomes) == 1 and outcomes[0].status == 503 and outcomes[0].retry_after == 1
    assert refused.value.status == 503
    assert wait_until(lambda: not alive(worker), 5) and pool.pids() == []


def test_bad_data_is_a_clear_start_failure(tmp_path):
    from newsgraph.server.sparql.pool import WorkerFailed

    bad = tmp_path / "bad.nq"
    bad.write_text("this is not n-quads\n")
    p = QueryPool(WorkerSpec("file", str(bad)), slots=1, queue_wait_s=0.3)
    try:
        with pytest.raises(WorkerFailed) as info:
            p.wait_ready(30)
            p.run(request("ASK {}"), 5)
        assert "cannot" in info.value.message
    finally:
        p.close()


PARENT = textwrap.dedent(
    """
    import sys, time
    from newsgraph.server.sparql.pool import QueryPool, WorkerSpec
    pool = QueryPool(WorkerSpec("file", sys.argv[1]), slots=2, queue_wait_s=1)
    pool.wait_ready()
    while len(pool.pids()) < 2:
        time.sleep(0.05)
    print(" ".join(map(str, pool.pids())), flush=True)
    if sys.argv[2] == "busy":
        pool.run({"query": sys.argv[3], "format": "json", "default_graphs": None,
                  "named_graphs": None, "union": True, "max_rows": 10, "base": None}, 600)
    time.sleep(600)
    """
)


@pytest.mark.parametrize("state", ["idle", "busy"])
def test_workers_exit_when_their_parent_is_killed(data_file, state):
    endless = RUNAWAY.replace("?g ?h ?i }", "?g ?h ?i . ?j ?k ?l }")  # hours on 400 triples
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(data_file), state, endless],
                              stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(alive(p) for p in pids)
        if state == "busy":  # wait until the busy one is computing
            spent = {p: cpu_seconds(p) for p in pids}
            assert wait_until(lambda: any(not is_waiting(p) and cpu_seconds(p) > spent[p] + 0.05
                                          for p in pids), 30)
        parent.kill()
        parent.wait()
        assert wait_until(lambda: not any(alive(p) for p in pids), 10)
    finally:
        if parent.poll() is None:
            parent.kill()


def test_stopping_the_server_stops_its_query_workers(built_dist, start_server):
    before = all_query_workers()
    server = start_server(built_dist, serve_args=("--workers", "2"))
    for _ in range(6):  # reach both gunicorn workers
        assert server.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    ours = set(query_workers(server.process.pid))
    assert ours and not (ours & before)
    server.stop()
    assert wait_until(lambda: not any(alive(p) for p in ours), 15)


def test_killing_the_server_outright_leaves_no_query_worker(built_dist, start_server):
    server = start_server(built_dist, serve_args=("--workers", "1"))
    assert server.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    family = [server.process.pid, *query_workers(server.process.pid)]
    from .conftest import descendants

    gunicorn_workers = [p for p in descendants(server.process.pid) if p not in family]
    ours = query_workers(server.process.pid)
    assert ours
    for pid in [server.process.pid, *gunicorn_workers]:
        os.kill(pid, signal.SIGKILL)
    server.process.wait()
    assert wait_until(lambda: not any(alive(p) for p in ours), 15)


def _release(folder: Path, nquads: str) -> Path:
    """A release folder of these quads, published as the build publishes one."""
    import pyoxigraph as ox

    from newsgraph.config import load_settings
    from newsgraph.pipeline.publish import publish

    settings = load_settings()
    quads = sorted(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS), key=str)
    return publish(quads, folder / "dist", "http://ex/", ontology_dir=settings.ontology_dir,
                   shape_folders=settings.shape_folders()).path


def test_a_new_release_gets_new_query_workers_and_the_old_ones_stop(tmp_path, start_server):
    marker = "<http://ex/new> <http://ex/p> <http://ex/o> <http://ex/g0> .\n"
    old = _release(tmp_path / "release-a", DATA)
    new = _release(tmp_path / "release-b", DATA + marker)
    dist = tmp_path / "dist"
    dist.symlink_to(old)
    server = start_server(dist, serve_args=("--workers", "1"))
    ask = {"query": "ASK { <http://ex/new> ?p ?o }"}
    assert server.get("/sparql", params=ask).json()["boolean"] is False
    old_workers = query_workers(server.process.pid)
    assert old_workers
    swap = tmp_path / "dist.tmp"
    swap.symlink_to(new)
    os.replace(swap, dist)
    assert wait_until(lambda: server.get("/sparql", params=ask).json()["boolean"] is True, 20)
    assert wait_until(lambda: not any(alive(p) for p in old_workers), 10)

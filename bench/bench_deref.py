"""Benchmark dereferencing: ``303 + Turtle`` and ``303 + HTML`` against a static
file served by the same server, with concurrent clients, in one run.

    python bench/bench_deref.py                       # builds into a temp dir, then measures
    python bench/bench_deref.py --data dist --clients 8 --seconds 20

It starts ``newsgraph serve`` (gunicorn, the settings a user gets) on a free
port, reads every ``/id/`` IRI from the landing page, warms the description
cache with one pass (timed: that is the cold cost), then runs each scenario
for the same time with N client processes on keep-alive connections:

* ``static``: ``GET /static/style.css`` (the ceiling: no data touched);
* ``303+turtle``: ``GET /id/…`` with ``Accept: text/turtle``, then the
  ``Location`` it names; one dereference = both requests;
* ``303+html``: the same with ``Accept: text/html``.

It prints requests per second, p50 and p99 latency per scenario and each
scenario's rate as a fraction of the static ceiling. Numbers depend on the
machine; docs/benchmarks.md records a run and the machine it ran on.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = ("static", "303+turtle", "303+html")
ACCEPT = {"303+turtle": "text/turtle", "303+html": "text/html"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fetch(conn: http.client.HTTPConnection, path: str, accept: str) -> tuple[int, str | None]:
    conn.request("GET", path, headers={"Accept": accept})
    response = conn.getresponse()
    response.read()
    return response.status, response.getheader("Location")


def dereference(conn: http.client.HTTPConnection, path: str, accept: str) -> None:
    status, location = _fetch(conn, path, accept)
    if status != 303 or not location:
        raise RuntimeError(f"{path}: expected 303, got {status}")
    status, _ = _fetch(conn, location, accept)
    if status != 200:
        raise RuntimeError(f"{location}: expected 200, got {status}")


def client(args: tuple[int, str, list[str], float, int]) -> tuple[list[float], int]:
    """One client process: loop until the time is up, timing each unit of work."""
    port, scenario, paths, seconds, offset = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    requests = 0
    i = offset
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        if scenario == "static":
            status, _ = _fetch(conn, "/static/style.css", "text/css")
            if status != 200:
                raise RuntimeError(f"static file: {status}")
            requests += 1
        else:
            dereference(conn, paths[i % len(paths)], ACCEPT[scenario])
            requests += 2
        latencies.append(time.perf_counter() - start)
        i += 1
    conn.close()
    return latencies, requests


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def start_server(data: Path, port: int, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "newsgraph", "--project", str(REPO), "serve", "--no-build",
           "--data", str(data), "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("server did not start within 60 s")


def entity_paths(port: int) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/")
    page = conn.getresponse().read().decode("utf-8")
    paths = sorted(set(re.findall(r'href="(/id/[a-z]+/[a-z0-9-]+)"', page)))
    if not paths:
        raise SystemExit("the landing page links to no /id/ IRIs")
    return paths


def build(tmp: Path) -> Path:
    dist = tmp / "dist"
    result = subprocess.run([sys.executable, "-m", "newsgraph", "--project", str(REPO), "--dist",
                             str(dist), "build"], capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stderr[-2000:]}")
    return dist


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="built dist/ or RDF file (default: build one)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--seconds", type=float, default=10.0, help="time per scenario")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsgraph-bench-") as tmp:
        data = args.data or build(Path(tmp))
        port = free_port()
        server = start_server(data, port, args.workers)
        try:
            paths = entity_paths(port)
            # cold: the first dereference of each thing in each format builds its description
            cold = {}
            for scenario in ("303+turtle", "303+html"):
                for rounds in (1, args.workers * 3):  # timed cold pass, then warm every worker
                    start = time.perf_counter()
                    for _ in range(rounds):
                        # a keep-alive connection stays with one worker process
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                        for path in paths:
                            dereference(conn, path, ACCEPT[scenario])
                        conn.close()
                    cold.setdefault(scenario, (time.perf_counter() - start) / len(paths))
            results = {}
            with multiprocessing.Pool(args.clients) as pool:
                for scenario in SCENARIOS:
                    jobs = [(port, scenario, paths, args.seconds, 7 * n)
                            for n in range(args.clients)]
                    runs = pool.map(client, jobs)
                    latencies = [lat for lats, _ in runs for lat in lats]
                    requests = sum(n for _, n in runs)
                    results[scenario] = {
                        "units": len(latencies) / args.seconds,
                        "requests": requests / args.seconds,
                        "p50": percentile(latencies, 50) * 1000,
                        "p99": percentile(latencies, 99) * 1000,
                        "mean": statistics.fmean(latencies) * 1000,
                    }
        finally:
            server.terminate()
            server.wait(timeout=30)

    ceiling = results["static"]["requests"]
    print(f"newsgraph dereferencing benchmark: {len(paths)} things, {args.clients} clients, "
          f"{args.workers} gunicorn workers (gthread), {args.seconds:.0f} s per scenario, "
          f"{os.cpu_count()} CPUs")
    print(f"{'scenario':<12} {'units/s':>9} {'HTTP req/s':>11} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'req/s vs static':>16}")
    for scenario in SCENARIOS:
        r = results[scenario]
        print(f"{scenario:<12} {r['units']:>9.0f} {r['requests']:>11.0f} {r['p50']:>8.2f} "
              f"{r['p99']:>8.2f} {r['requests'] / ceiling:>16.2f}")
    print("a unit is one static GET, or one dereference (the 303 and the description it names)")
    for scenario, seconds in cold.items():
        print(f"cold first dereference ({scenario}): {seconds * 1000:.1f} ms on average")
    return 0


if __name__ == "__main__":
    sys.exit(main())

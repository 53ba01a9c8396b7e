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

With ``--pages`` it measures instead what a large release costs to serve,
one request at a time (latency, not throughput), on a fresh server:

    python bench/bench_deref.py --pages --data /path/to/dist --hub /doc/person/person-1

the landing page, ``/dataset``, a per-kind list page, ordinary descriptions
(Turtle and HTML) and a hub's description (its first pages), each **cold**
(the first request for that resource since the server started: nothing
cached) and **warm** (the same again); p50 and p99 over the samples, and the
server's RSS (every process of it) after start and after the mix.
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
            # a static file: no data read, so nothing of it is warm yet
            conn.request("GET", "/static/style.css")
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


def _tree(pid: int) -> list[int]:
    """A process and every process under it (/proc)."""
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return [pid]
    return [pid, *(g for k in kids for g in _tree(k))]


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user + system) the server and its processes have used: on a
    shared machine the server's own CPU per request says more than wall time."""
    total = 0
    for pid in _tree(process.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(process: subprocess.Popen) -> float:
    """Resident memory of the server and every process under it, in MB (/proc)."""
    total = 0
    for pid in _tree(process.pid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _timed(conn: http.client.HTTPConnection, path: str, accept: str) -> tuple[float, int]:
    start = time.perf_counter()
    conn.request("GET", path, headers={"Accept": accept})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status}")
    return time.perf_counter() - start, len(body)


def pages(data: Path, workers: int, hub: str, samples: int) -> int:
    """Cold and warm latency of the pages of a large release, and the server's RSS."""
    port = free_port()
    # one worker: every request meets the same process, so "cold" is the first
    server = start_server(data, port, 1)
    started_rss = rss_mb(server)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        rows = []

        def measure(name: str, paths: list[str], accept: str = "text/html") -> None:
            cold, sizes, cpu = [], [], []
            for path in paths:
                before = cpu_seconds(server)
                seconds, size = _timed(conn, path, accept)
                cpu.append(cpu_seconds(server) - before)
                cold.append(seconds)
                sizes.append(size)
            warm = [_timed(conn, path, accept)[0] for _ in range(3) for path in paths]
            rows.append((name, len(paths), cold, cpu, warm, max(sizes)))

        measure("landing /", ["/"])
        measure("/dataset", ["/dataset"])
        measure("/dataset page 2", ["/dataset?page=2"])
        landing = _timed_body(conn, "/")
        kinds = sorted(set(re.findall(r'href="/browse/([a-z]+)"', landing)))
        measure("list pages", [f"/browse/{k}?page={n}" for k in kinds for n in (1, 2)])
        things = sorted(set(re.findall(r'href="/id/([a-z]+/[a-z0-9-]+)"', landing)))
        picked = things[:: max(1, len(things) // samples)][:samples]
        measure("description .ttl", [f"/doc/{t}.ttl" for t in picked], "text/turtle")
        measure("description .html", [f"/doc/{t}.html" for t in picked])
        measure("hub .ttl", [f"{hub}.ttl", f"{hub}.ttl?page=2"], "text/turtle")
        measure("hub .html", [f"{hub}.html", f"{hub}.html?page=2"])
        after_rss = rss_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"newsgraph serving benchmark: {data}, one gunicorn worker, one request at a time, "
          f"{os.cpu_count()} CPUs")
    print("| request | samples | cold p50 ms | cold p99 ms | cold server CPU mean / max ms | "
          "warm p50 ms | warm p99 ms | largest body |")
    print("|---|---|---|---|---|---|---|---|")
    for name, n, cold, cpu, warm, size in rows:
        print(f"| {name} | {n} | {percentile(cold, 50) * 1000:.1f} | "
              f"{percentile(cold, 99) * 1000:.1f} | {statistics.fmean(cpu) * 1000:.0f} / "
              f"{max(cpu) * 1000:.0f} | {percentile(warm, 50) * 1000:.1f} | "
              f"{percentile(warm, 99) * 1000:.1f} | {size:,} B |")
    print("(server CPU: the server's processes' user + system time over the request, "
          "counted by the kernel in 10 ms ticks, so a mean over the samples)")
    print(f"server RSS: {started_rss:.0f} MB after start, {after_rss:.0f} MB after the mix")
    return 0


def _timed_body(conn: http.client.HTTPConnection, path: str) -> str:
    conn.request("GET", path, headers={"Accept": "text/html"})
    return conn.getresponse().read().decode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="built dist/ or RDF file (default: build one)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--seconds", type=float, default=10.0, help="time per scenario")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--pages", action="store_true",
                        help="measure the pages of a large release instead (see above)")
    parser.add_argument("--hub", default="/doc/person/person-1",
                        help="with --pages: the description of a thing with many links")
    parser.add_argument("--samples", type=int, default=40,
                        help="with --pages: ordinary descriptions to fetch")
    args = parser.parse_args()
    if args.pages:
        if args.data is None:
            raise SystemExit("--pages needs --data (a built release)")
        return pages(args.data, args.workers, args.hub, args.samples)

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

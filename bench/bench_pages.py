"""Benchmark the reader's pages once cached: p50 and p99 of each, against a
static file served by the same server in the same run (the baseline).

    python bench/bench_pages.py                 # builds the seeds into a temp dir first
    python bench/bench_pages.py --data dist --requests 500

It starts ``newsgraph serve`` on a free port (the server a user gets), asks each
page once to warm its cache, then asks it ``--requests`` times in turn on one
keep-alive connection, and prints per page the p50 and p99 latency in ms and
the p50 as a multiple of the static file's. Issue 14 asks for p50 <= 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import time
from pathlib import Path

from bench_deref import build, free_port, percentile, start_server

PAGES = (
    ("static file (baseline)", "/static/style.css"),
    ("landing", "/"),
    ("search", "/search?q=wang"),
    ("search JSON", "/search?q=alvarez&format=json"),
    ("meetings", "/meetings"),
    ("meetings of one person", "/meetings?person=bruno-rodriguez-parrilla"),
    ("network", "/network"),
    ("tables", "/tables"),
    ("people.csv", "/tables/people.csv"),
    ("meetings.csv", "/tables/meetings.csv"),
    ("person page", "/doc/person/wang-xiaohong"),
    ("meeting page", "/doc/meeting/wang-xiaohong-alvarez-casas-beijing-2025-08-22"),
    ("article page", "/doc/article/cubaheadlines-309517"),
    ("404 page", "/no/such/page"),
)


def timed(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Accept": "text/html"})
    response = conn.getresponse()
    response.read()
    if response.status not in (200, 404):
        raise SystemExit(f"{path}: {response.status}")
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="built dist/ (default: build the seeds)")
    parser.add_argument("--requests", type=int, default=300, help="requests per page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsgraph-bench-pages-") as tmp:
        data = args.data or build(Path(tmp))
        port = free_port()
        server = start_server(data, port, workers=1)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            rows = []
            for name, path in PAGES:
                cold = timed(conn, path)
                times = [timed(conn, path) for _ in range(args.requests)]
                rows.append((name, cold, percentile(times, 50), percentile(times, 99)))
        finally:
            server.terminate()
            server.wait(timeout=30)
    base = rows[0][2]
    print(f"{'page':<26} {'first ms':>9} {'p50 ms':>8} {'p99 ms':>8} {'p50 / static':>13}")
    for name, cold, p50, p99 in rows:
        print(f"{name:<26} {cold:>9.2f} {p50:>8.2f} {p99:>8.2f} {p50 / base:>13.2f}")
    worst = max(rows[1:], key=lambda r: r[2])
    print(f"slowest p50: {worst[0]} {worst[2]:.2f} ms (target <= 20 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

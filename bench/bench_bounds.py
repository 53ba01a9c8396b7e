"""Issue 12's hostile requests against a real ``newsgraph serve``, with what each costs.

    python bench/bench_bounds.py --data DIST [--src SRC] [--small] [--memory-only]

Starts one server (one gunicorn worker, ``--src`` on its PYTHONPATH: point it at
an older checkout's ``src`` to measure before a change), sends each hostile
request and prints its status, the seconds it took, the CPU seconds the web
process and its query processes spent on it (``/proc/<pid>/stat``) and their
memory (RSS, and the query processes' peak, VmHWM). Traffic goes to 127.0.0.1 only.
``--small`` shrinks the cases that took minutes before the bounds (reconcile).
``--memory-only`` runs only the CONCAT bombs, on one server per memory cap
(``--memory-caps``, MB per query; 0 is no cap), sampling the query processes'
RSS every 10 ms while each runs (the one that runs out dies with its VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from functools import partial
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def status(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024  # MiB
    except OSError:
        pass
    return 0


class Served:
    def __init__(self, data: Path, src: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsgraph", "--project", str(REPO), "serve", "--no-build",
             "--data", str(data), "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1"],
            env={**os.environ, **env, "PYTHONPATH": str(src)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        self.web = children(self.proc.pid)[0]
        # the query processes start in the background: wait for them
        while time.monotonic() < deadline and len(self.query_pids()) < 2:
            requests.post(self.url + "/sparql", data={"query": "ASK {}"}, timeout=30)
            time.sleep(0.2)

    def query_pids(self) -> list[int]:
        return children(self.web)

    def cpu(self) -> tuple[float, float]:
        return cpu(self.web), sum(cpu(p) for p in self.query_pids())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def measure(server: Served, label: str, send) -> dict:
    web0, query0 = server.cpu()
    started = time.monotonic()
    try:
        outcome = send()
    except requests.Timeout:
        outcome = "no answer within the client's timeout"
    elapsed = time.monotonic() - started
    web1, query1 = server.cpu()
    row = {"case": label, "status": outcome, "seconds": round(elapsed, 2),
           "web_cpu_s": round(web1 - web0, 2), "query_cpu_s": round(max(0.0, query1 - query0), 2),
           "web_rss_mib": status(server.web, "VmRSS"),
           "query_peak_mib": max([status(p, "VmHWM") for p in server.query_pids()] or [0])}
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def raw(server: Served, head: bytes, body: bytes, timeout: float = 10.0) -> str:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(head + body)
        try:
            first = sock.recv(200).split(b"\r\n", 1)[0].decode("latin-1")
        except TimeoutError:
            return "no answer within the client's timeout"
    return first


def chunked(server: Served, size_line: bytes, data: bytes = b"query=ASK%7B%7D") -> str:
    head = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
    return raw(server, head, size_line + b"\r\n" + data)


def reconcile(server: Served, n: int, text: str) -> str:
    # distinct names of exactly 300 characters, the most the old code took
    queries = {f"q{i}": {"query": text[:300 - len(str(i))] + str(i)} for i in range(n)}
    resp = requests.post(server.url + "/reconcile", data={"queries": json.dumps(queries)},
                         timeout=600)
    return f"{resp.status_code} {resp.text[:90]}"


def sparql(server: Served, query: str, **headers: str) -> str:
    resp = requests.post(server.url + "/sparql", data={"query": query}, timeout=120,
                         headers={"Accept": "application/sparql-results+json", **headers})
    return f"{resp.status_code} {len(resp.content)} bytes {resp.text[:80]!r}"


def big_answer_query() -> str:
    # 1,000 rows of a 64 KiB string: a 64 MiB answer from a query under 8 KiB
    steps = "".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1}) " for i in range(6))
    values = " ".join(str(i) for i in range(1000))
    return (f'SELECT ?i ?s6 WHERE {{ VALUES ?i {{ {values} }} BIND("{"x" * 1024}" AS ?s0) '
            f"{steps}}}")


def concat_bomb(levels: int) -> str:
    """A string ten times longer at each level, 10**(levels + 1) characters, of
    which only the length is returned: a tiny answer from a huge evaluation."""
    steps = "".join(f"BIND(CONCAT({', '.join([f'?s{i}'] * 10)}) AS ?s{i + 1}) "
                    for i in range(levels))
    return f'SELECT (STRLEN(?s{levels}) AS ?n) WHERE {{ BIND("xxxxxxxxxx" AS ?s0) {steps}}}'


def peak_while(server: Served, send) -> tuple[str, float, int]:
    """``send()``'s outcome, its seconds and the highest RSS (MiB) any query
    process reached meanwhile (sampled every 10 ms)."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in server.query_pids():
                peak[0] = max(peak[0], status(pid, "VmHWM"))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        outcome = send()
    finally:
        elapsed = time.monotonic() - started
        done.set()
        sampler.join()
    return outcome, elapsed, peak[0]


def memory_cases(data: Path, src: Path, caps: list[int]) -> None:
    for cap in caps:
        server = Served(data, src, {"NEWSGRAPH_SPARQL_WORKER_MEMORY_MB": str(cap),
                                    "NEWSGRAPH_SPARQL_CACHE_BYTES": "0"})
        try:
            web0 = status(server.web, "VmRSS")
            for levels in (7, 8):
                outcome, seconds, peak = peak_while(
                    server, partial(sparql, server, concat_bomb(levels)))
                print(json.dumps({
                    "case": f"CONCAT bomb, 10**{levels + 1} characters",
                    "cap_mb": cap or "none", "status": outcome[:100],
                    "seconds": round(seconds, 2), "query_peak_mib": peak,
                    "web_rss_mib": f"{web0} -> {status(server.web, 'VmRSS')}"},
                    ensure_ascii=False), flush=True)
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a built release (dist/)")
    parser.add_argument("--src", type=Path, default=REPO / "src")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--cache-queries", type=int, default=1500)
    parser.add_argument("--memory-only", action="store_true")
    parser.add_argument("--memory-caps", default="0,512,64",
                        help="MB per query, comma-separated (0: no cap)")
    args = parser.parse_args()
    caps = [int(c) for c in args.memory_caps.split(",")]
    if args.memory_only:
        memory_cases(args.data, args.src, caps)
        return 0
    # a small cache budget shows whether it binds with fewer requests
    server = Served(args.data, args.src, {"NEWSGRAPH_SPARQL_CACHE_BYTES": str(16 << 20)})
    try:
        n_wide = 2 if args.small else 50
        measure(server, f"reconcile {n_wide} x 300 U+FDFA", lambda: reconcile(
            server, n_wide, "\ufdfa" * 300))
        n_long = 10 if args.small else 200
        measure(server, f"reconcile {n_long} x 300 chars", lambda: reconcile(
            server, n_long, "Xi Jinping Havana " * 20))
        measure(server, "reconcile 50 x 300 chars", lambda: reconcile(
            server, 50, "Xi Jinping Havana " * 20))
        measure(server, "chunk size zz", lambda: chunked(server, b"zz"))
        measure(server, "chunk size ffffffffffffffff", lambda: chunked(
            server, b"ffffffffffffffff"))
        measure(server, "10,000 x ! operator chain", lambda: sparql(
            server, "ASK { FILTER(" + "!" * 10_000 + "true) }"))
        measure(server, "1+1+... x 10,000", lambda: sparql(
            server, "SELECT (" + "+".join(["1"] * 10_000) + " AS ?x) {}"))
        measure(server, "64 MiB answer", lambda: sparql(server, big_answer_query()))

        def kill_idle() -> str:
            for pid in server.query_pids():
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)  # let them die: the point is a dead idle process
            return sparql(server, "ASK {}")
        measure(server, "query after SIGKILL of the idle query processes", kill_idle)

        def reflected() -> str:
            sd = requests.get(server.url + "/sparql", headers={
                "Accept": "text/turtle", "Host": "evil.example"}, timeout=30)
            rec = requests.get(server.url + "/reconcile", headers={"Host": "evil.example"},
                               timeout=30)
            return (f"sd {sd.status_code} reflects={'evil.example' in sd.text}; manifest "
                    f"{rec.status_code} reflects={'evil.example' in rec.text}")
        measure(server, "forged Host", reflected)

        def cache_flood() -> str:
            pad = "x" * (60 * 1024 - 100)
            for _ in range(args.cache_queries):
                requests.post(server.url + "/sparql", timeout=30, data={
                    "query": f"ASK {{}} # {uuid.uuid4()} {pad}"},
                    headers={"Accept": "application/sparql-results+json"})
            return f"{args.cache_queries} distinct 60 KiB queries, cache budget 16 MiB"
        rss0 = status(server.web, "VmRSS")
        row = measure(server, "answer cache flood", cache_flood)
        print(f"web process RSS {rss0} -> {row['web_rss_mib']} MiB", flush=True)
    finally:
        server.stop()
    memory_cases(args.data, args.src, caps)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Slow clients over real sockets, for the tests of issue 12: connections that
send one byte and wait, slowloris ones (a header byte every 3 s) and idle
ones, each opened again as soon as the server closes it; and a probe that
times one page on a new connection."""

from __future__ import annotations

import http.client
import resource
import selectors
import socket
import ssl
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from waiting import wait_until

KINDS = ("one byte", "slowloris", "idle")
SLOWLORIS_EVERY_S = 3.0
SLOWLORIS_HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4096


@dataclass
class Slow:
    kind: str
    sock: socket.socket
    sent: int = 0
    next_at: float = 0.0


@dataclass
class SlowClients:
    """Holds ``each`` connections of every kind in :data:`KINDS` on one
    selector thread. With ``tls``, the one-byte and slowloris clients finish
    the TLS handshake first and the idle ones never start it."""

    port: int
    each: int
    tls: ssl.SSLContext | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    open_now: Counter = field(default_factory=Counter)
    closed_by_server: Counter = field(default_factory=Counter)
    answers: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    def __enter__(self) -> SlowClients:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        self.selector.close()

    def held(self) -> int:
        return sum(self.open_now.values())

    def sent_away(self) -> int:
        """How many times the server has answered or closed a slow connection."""
        return sum(self.closed_by_server.values()) + sum(self.answers.values())

    def all_open(self, timeout: float = 60) -> bool:
        wanted = self.each * len(KINDS)
        return wait_until(lambda: self.held() >= wanted or bool(self.errors), timeout) \
            and not self.errors

    def _open(self, kind: str) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        if self.tls is not None and kind != "idle":
            sock = self.tls.wrap_socket(sock, server_hostname="127.0.0.1")
        sock.setblocking(False)
        slow = Slow(kind, sock, next_at=time.monotonic())
        if kind == "one byte":
            sock.send(b"G")
        self.selector.register(sock, selectors.EVENT_READ, slow)
        self.open_now[kind] += 1

    def _closed(self, slow: Slow) -> None:
        self.selector.unregister(slow.sock)
        slow.sock.close()
        self.open_now[slow.kind] -= 1
        self.closed_by_server[slow.kind] += 1
        self._open(slow.kind)

    def _run(self) -> None:
        try:
            for kind in KINDS:
                for _ in range(self.each):
                    self._open(kind)
            while not self.stop.is_set():
                for key, _ in self.selector.select(timeout=0.2):
                    slow: Slow = key.data
                    try:
                        data = slow.sock.recv(65536)
                    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        continue
                    except OSError:
                        data = b""
                    if data.startswith(b"HTTP/1."):
                        self.answers[(slow.kind, data[9:12].decode())] += 1
                    if not data:
                        self._closed(slow)
                now = time.monotonic()
                for key in list(self.selector.get_map().values()):
                    slow = key.data
                    if slow.kind == "slowloris" and slow.next_at <= now:
                        # the request line and headers, a byte at a time
                        try:
                            slow.sock.send(SLOWLORIS_HEAD[slow.sent:slow.sent + 1])
                        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                            continue
                        except OSError:
                            pass  # closed: the selector reports it
                        slow.sent += 1
                        slow.next_at = now + SLOWLORIS_EVERY_S
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(error))


def raise_open_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.fail(f"this test holds {wanted} sockets; the open-file limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def probe(port: int, path: str, tls: ssl.SSLContext | None = None) -> tuple[float, int]:
    """One GET on a new connection: seconds taken and status."""
    started = time.perf_counter()
    if tls is None:
        conn: http.client.HTTPConnection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=20)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, context=tls)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return time.perf_counter() - started, response.status
    finally:
        conn.close()


def probe_while(slow: SlowClients, seconds: float, port: int, path: str,
                tls: ssl.SSLContext | None = None, max_probes: int = 20000):
    """Probe back to back for ``seconds`` (at most ``max_probes``, a bound only):
    latencies, statuses, the fewest slow connections open meanwhile, and how
    many probes were answered while the server sent no slow connection away.

    That last count is what starving would show, whatever the machine's speed:
    a server whose threads the slow connections held could answer a probe only
    once it had sent one of them away (none of them ever completes a request).
    """
    fewest = slow.held()
    latencies: list[float] = []
    statuses: Counter = Counter()
    unhindered = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and len(latencies) < max_probes:
        before = slow.sent_away()
        took, status = probe(port, path, tls)
        unhindered += slow.sent_away() == before
        latencies.append(took)
        statuses[status] += 1
        fewest = min(fewest, slow.held())
    return latencies, statuses, fewest, unhindered


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p99."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]

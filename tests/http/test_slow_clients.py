"""Slow clients do not starve the others (issue 12, item 1), with no proxy in front.

Over real sockets, against the default ``newsgraph serve`` (2 workers × 4
threads): 200 connections that send one byte and wait, 200 slowloris ones (a
header byte every 3 s) and 200 idle ones, each reconnecting as soon as the
server closes it, are held open while another client keeps asking for pages.
Every probe must be answered; p99 ≤ 1 s is the requirement, asserted as it is
(a guard: the probes take milliseconds when nothing starves them, and a starved
server answers none in 20 s). Latencies are printed.
"""

from __future__ import annotations

import http.client
import resource
import selectors
import socket
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from newsgraph.server.serve import KEEPALIVE_S, REQUEST_READ_TIMEOUT_S

pytestmark = [pytest.mark.http, pytest.mark.xdist_group("slow-clients")]

EACH = 200
KINDS = ("one byte", "slowloris", "idle")
SLOWLORIS_EVERY_S = 3.0
HOLD_S = 20.0  # longer than the server's read deadlines: connections get closed and come back
MAX_PROBES = 20000  # a bound only: HOLD_S ends the probing first
P99_REQUIREMENT_S = 1.0
PAGE = "/doc/person/wang-xiaohong.ttl"
SLOWLORIS_HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4096


@dataclass
class Slow:
    kind: str
    sock: socket.socket
    sent: int = 0
    next_at: float = 0.0


@dataclass
class SlowClients:
    """Holds ``EACH`` connections of every kind on one selector thread; a
    connection the server closes is opened again at once."""

    port: int
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

    def _open(self, kind: str) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
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
                for _ in range(EACH):
                    self._open(kind)
            while not self.stop.is_set():
                for key, _ in self.selector.select(timeout=0.2):
                    slow: Slow = key.data
                    try:
                        data = slow.sock.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if data.startswith(b"HTTP/1.1 "):
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
                        except OSError:
                            pass  # closed: the selector reports it
                        slow.sent += 1
                        slow.next_at = now + SLOWLORIS_EVERY_S
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(error))


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _raise_open_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"this test holds {wanted} sockets; the open-file limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _probe(port: int) -> tuple[float, int]:
    """One page on a new connection: seconds taken and status."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", PAGE)
        response = conn.getresponse()
        response.read()
        return time.perf_counter() - started, response.status
    finally:
        conn.close()


def test_slow_clients_do_not_starve_other_clients(built_dist, start_server):
    _raise_open_file_limit(4 * EACH * len(KINDS))
    server = start_server(built_dist)
    baseline = [_probe(server.port)[0] for _ in range(50)]

    with SlowClients(server.port) as slow:
        assert _wait_until(lambda: slow.held() >= EACH * len(KINDS) or slow.errors, 60), (
            f"could not open the slow connections: {slow.open_now} {slow.errors}")
        fewest_held = slow.held()
        latencies: list[float] = []
        statuses: Counter = Counter()
        end = time.monotonic() + HOLD_S
        while time.monotonic() < end and len(latencies) < MAX_PROBES:
            took, status = _probe(server.port)
            latencies.append(took)
            statuses[status] += 1
            fewest_held = min(fewest_held, slow.held())
        assert not slow.errors, slow.errors

    p50, p99 = _percentiles(latencies)
    b50, b99 = _percentiles(baseline)
    print(f"\nheld {EACH} each of {', '.join(KINDS)} (never fewer than {fewest_held} open); "
          f"{len(latencies)} probes in {HOLD_S:.0f} s: p50 {p50 * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms "
          f"(alone: p50 {b50 * 1000:.1f} ms, p99 {b99 * 1000:.1f} ms)")
    print(f"closed by the server: {dict(slow.closed_by_server)}; answers: {dict(slow.answers)}")
    assert statuses == Counter({200: len(latencies)}), statuses
    assert p99 <= P99_REQUIREMENT_S, f"p99 {p99:.3f} s"
    # The slow connections were really there, and the server sent the partial
    # requests away (408) and closed the idle ones, then took them again.
    assert fewest_held >= EACH * len(KINDS) * 0.9, fewest_held
    assert slow.answers[("one byte", "408")] >= EACH
    assert slow.closed_by_server["idle"] >= EACH


def _percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def _read_all(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_request_not_sent_in_time_is_answered_408_and_an_idle_one_closed(live_server):
    guard = 3 * REQUEST_READ_TIMEOUT_S  # not the requirement: a hang guard
    with (socket.create_connection(("127.0.0.1", live_server.port)) as partial,
          socket.create_connection(("127.0.0.1", live_server.port)) as idle):
        partial.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        answer = _read_all(partial, guard)
        waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert _read_all(idle, guard) == b""
    print(f"\na partial request was answered 408 after {waited:.1f} s "
          f"(deadline {REQUEST_READ_TIMEOUT_S} s; idle connections: {KEEPALIVE_S} s)")


def test_a_slowly_sent_body_does_not_hold_a_thread(live_server):
    """A SPARQL POST whose body trickles in is read by the event loop: with more
    such clients than the server has threads, others are still answered, and
    the POSTs are answered once their bodies are complete."""
    body = b"query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
    head = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Accept: application/sparql-results+json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    posts = [socket.create_connection(("127.0.0.1", live_server.port), timeout=30)
             for _ in range(32)]  # the default server has 8 threads
    try:
        for sock in posts:
            sock.sendall(head + body[:5])
        took, status = _probe(live_server.port)
        assert status == 200
        for sock in posts:
            sock.sendall(body[5:])
        answers = [_read_all(sock, 30) for sock in posts]
    finally:
        for sock in posts:
            sock.close()
    print(f"\nwith 32 bodies trickling in, a page took {took * 1000:.1f} ms")
    assert all(a.startswith(b"HTTP/1.1 200 ") for a in answers), answers[0][:200]

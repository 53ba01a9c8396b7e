"""Slow clients do not starve the others (issue 12, item 1), with no proxy in front.

Over real sockets, against the default ``newsgraph serve`` (2 workers × 4
threads): 200 connections that send one byte and wait, 200 slowloris ones (a
header byte every 3 s) and 200 idle ones, each reconnecting as soon as the
server closes it, are held open while another client keeps asking for pages.
Every probe must be answered, and most of them while the server sends none of
the slow connections away: a server whose threads they held could answer only
after sending one away (none of them ever completes a request). That is what
starving looks like whatever the machine's speed; the latencies (the p99 ≤ 1 s
of issue 12) are printed, not asserted, so that a busy machine cannot fail it.
"""

from __future__ import annotations

import socket
import time
from collections import Counter

import pytest

from deploy.slow_clients import (
    KINDS,
    SlowClients,
    percentiles,
    probe,
    probe_while,
    raise_open_file_limit,
)
from newsgraph.server.serve import KEEPALIVE_S, REQUEST_READ_TIMEOUT_S

pytestmark = [pytest.mark.http, pytest.mark.xdist_group("slow-clients"), pytest.mark.slow]

EACH = 200
HOLD_S = 20.0  # longer than the server's read deadlines: connections get closed and come back
PAGE = "/doc/person/wang-xiaohong.ttl"


def test_slow_clients_do_not_starve_other_clients(built_dist, start_server):
    raise_open_file_limit(4 * EACH * len(KINDS))
    server = start_server(built_dist)
    baseline = [probe(server.port, PAGE)[0] for _ in range(50)]

    with SlowClients(server.port, EACH) as slow:
        assert slow.all_open(), f"could not open the slow connections: {slow.open_now} " \
            f"{slow.errors}"
        latencies, statuses, fewest_held, unhindered = probe_while(slow, HOLD_S, server.port,
                                                                   PAGE)
        assert not slow.errors, slow.errors

    p50, p99 = percentiles(latencies)
    b50, b99 = percentiles(baseline)
    print(f"\nheld {EACH} each of {', '.join(KINDS)} (never fewer than {fewest_held} open); "
          f"{len(latencies)} probes in {HOLD_S:.0f} s: p50 {p50 * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms "
          f"(alone: p50 {b50 * 1000:.1f} ms, p99 {b99 * 1000:.1f} ms); {unhindered} answered "
          "while no slow connection was sent away")
    print(f"closed by the server: {dict(slow.closed_by_server)}; answers: {dict(slow.answers)}")
    assert statuses == Counter({200: len(latencies)}), statuses
    assert unhindered * 2 >= len(latencies), (unhindered, len(latencies))
    # The slow connections were really there, and the server sent the partial
    # requests away (408) and closed the idle ones, then took them again.
    assert fewest_held >= EACH * len(KINDS) * 0.9, fewest_held
    assert slow.answers[("one byte", "408")] >= EACH
    assert slow.closed_by_server["idle"] >= EACH


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
        took, status = probe(live_server.port, PAGE)
        assert status == 200
        for sock in posts:
            sock.sendall(body[5:])
        answers = [_read_all(sock, 30) for sock in posts]
    finally:
        for sock in posts:
            sock.close()
    print(f"\nwith 32 bodies trickling in, a page took {took * 1000:.1f} ms")
    assert all(a.startswith(b"HTTP/1.1 200 ") for a in answers), answers[0][:200]

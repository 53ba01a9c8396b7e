"""Requests gunicorn refuses before the application sees them (issue 12).

Each malformed request is sent on a raw socket to a real ``newsgraph serve``:
the answer must be the right status in short ``text/plain``, as the app's own
4xx are, naming the rule broken: not gunicorn's HTML page, no server name or
version, nothing of the request echoed, and the connection closed.
"""

from __future__ import annotations

import socket

import pytest
import requests

pytestmark = pytest.mark.http

HOST = b"Host: 127.0.0.1\r\n"
# (what is sent, the status, a word the message must hold)
CASES = {
    "invalid request line": (b"GARBAGE\r\n\r\n", 400, b"request line"),
    "request line with a bare LF": (b"GET / HTTP/1.1\nHost: x\n\n", 400, b"request line"),
    "request line over 8190 bytes": (
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414, b"8190 bytes"),
    "header line over 8190 bytes": (
        b"GET / HTTP/1.1\r\n" + HOST + b"X-Long: " + b"a" * 9000 + b"\r\n\r\n", 431,
        b"8190 bytes"),
    "more than 100 headers": (
        b"GET / HTTP/1.1\r\n" + HOST + b"".join(b"X-H%d: 1\r\n" % i for i in range(120))
        + b"\r\n", 431, b"100 header fields"),
    "header name with a space": (b"GET / HTTP/1.1\r\n" + HOST + b"Bad Name: 1\r\n\r\n", 400,
                                 b"header name"),
    "header name with brackets": (b"GET / HTTP/1.1\r\n" + HOST + b"B(a)d: 1\r\n\r\n", 400,
                                  b"header name"),
    "header line without a colon": (b"GET / HTTP/1.1\r\n" + HOST + b"nocolon\r\n\r\n", 400,
                                    b"colon"),
    "NUL in a header value": (b"GET / HTTP/1.1\r\n" + HOST + b"X-A: a\x00b\r\n\r\n", 400,
                              b"control character"),
    "folded header": (b"GET / HTTP/1.1\r\n" + HOST + b"X-A: 1\r\n  folded\r\n\r\n", 400,
                      b"folded"),
    "two Content-Lengths": (b"POST /sparql HTTP/1.1\r\n" + HOST
                            + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400,
                            b"Content-Length"),
    "malformed HTTP version": (b"GET / HTTP/9.x\r\n" + HOST + b"\r\n", 400, b"HTTP version"),
    # 400 rather than 505: no input gets a 5xx that is not a fault or a busy answer
    "HTTP/2.0 in a request line": (b"GET / HTTP/2.0\r\n" + HOST + b"\r\n", 400, b"HTTP/1.1"),
    "invalid method": (b"G@T / HTTP/1.1\r\n" + HOST + b"\r\n", 400, b"method"),
    "an Expect other than 100-continue": (b"GET / HTTP/1.1\r\n" + HOST
                                          + b"Expect: 200-go\r\n\r\n", 417, b"Expect"),
}


def exchange(port: int, data: bytes) -> bytes:
    """Everything the server sends back before it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        got = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return got
            got += chunk


@pytest.mark.parametrize("name", CASES)
def test_a_request_gunicorn_refuses_gets_plain_text_with_the_right_status(live_server, name):
    data, status, word = CASES[name]
    answer = exchange(live_server.port, data)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0].startswith(b"HTTP/1.1 %d " % status), answer[:300]
    headers = {k.strip().lower(): v.strip()
               for k, _, v in (line.partition(b":") for line in lines[1:])}
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert headers[b"connection"] == b"close"
    assert int(headers[b"content-length"]) == len(body)
    # the app's format for its own errors: "400 Bad Request: ..."
    assert body.startswith(b"%d " % status) and body.endswith(b"\n")
    assert word.lower() in body.lower(), body
    assert b"<" not in body and b"gunicorn" not in answer.lower()
    assert b"server" not in headers
    # nothing of the request comes back: the long value, the bad name, the method
    for echoed in (b"aaaaaaaaaa", b"Bad Name", b"B(a)d", b"nocolon", b"G@T", b"200-go",
                   b"GARBAGE", b"9.x"):
        if echoed in data:
            assert echoed not in answer


def test_the_server_answers_normally_after_the_refusals(live_server):
    for data, _, _ in CASES.values():
        exchange(live_server.port, data)
    assert requests.get(live_server.url + "/", timeout=30).status_code == 200
    assert "Traceback" not in live_server.log_tail(500)

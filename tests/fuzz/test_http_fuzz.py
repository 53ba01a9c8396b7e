"""Fuzzing the server over HTTP: no request gets a 5xx or a traceback.

A server on the real built dataset, with small SPARQL limits so that expensive
cases stay cheap, is sent requests mutated from a corpus of valid ones: the
paths the landing page links to and the ``/sparql`` example queries. Mutations
touch path segments, percent-encoding (invalid ``%zz``, overlong UTF-8, NUL),
query strings and repeated parameters, header values (Accept with odd q-values
and wildcards, Content-Type, Content-Length that disagrees with the body, Host,
Range, If-None-Match), methods, bodies (urlencoded, direct SPARQL, JSON for
``/reconcile``, truncated, random bytes) and the SPARQL itself (tokens deleted,
duplicated or swapped, deep brackets, long operator chains within the server's
limits and beyond, values built by nested ``CONCAT`` under and past the memory
a query may take). Well-formed requests go through ``requests``; malformed
request lines and headers go over a raw socket.

Cases are sent in batches of 25, four at a time (more than the server's two
SPARQL slots, so its busy answers come too); after each batch ``GET /`` must answer 200. A case
fails on a status of 500 or more (except 503 with ``Retry-After``, the
documented busy answer), on ``Traceback`` or ``File "`` in a body, and the run
fails if the server's log shows a ``Traceback``.

The run in CI is seeded and stops after ``NEWSGRAPH_FUZZ_SECONDS`` (default 30)
or ``NEWSGRAPH_FUZZ_EXAMPLES`` cases (default 3000), whichever comes first. A
long run, with a new seed each time unless ``NEWSGRAPH_FUZZ_SEED`` is given::

    NEWSGRAPH_FUZZ_LONG=1 python3 -m pytest -s tests/fuzz/test_http_fuzz.py

runs for an hour (``NEWSGRAPH_FUZZ_SECONDS`` to change it). The seed is printed
with the counts, so a failing long run can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from newsgraph.server.sparql import examples

pytestmark = pytest.mark.slow

LONG = os.environ.get("NEWSGRAPH_FUZZ_LONG") == "1"
# 30 s of cases plus the server's start: within a minute on a busy machine
SECONDS = float(os.environ.get("NEWSGRAPH_FUZZ_SECONDS", 3600 if LONG else 30))
EXAMPLES = int(os.environ.get("NEWSGRAPH_FUZZ_EXAMPLES", 10_000_000 if LONG else 3000))
SEED = int(os.environ.get("NEWSGRAPH_FUZZ_SEED") or
           (random.SystemRandom().randrange(1 << 32) if LONG else 20261202))
BATCH = 25
# Cases of a batch in flight at once: more than the server's SPARQL slots (2)
PARALLEL = 4
# A case's own socket timeout: generous, since a busy machine stretches it; a
# case that times out is a hang and fails.
CASE_TIMEOUT = 30.0
HEALTH_TIMEOUT = 30.0

# Small limits: a deep or long query is refused (or times out) quickly, and the
# fuzzer reaches the limits with queries that stay short.
LIMITS = {
    "NEWSGRAPH_SPARQL_TIMEOUT_S": "1",
    "NEWSGRAPH_SPARQL_MAX_ROWS": "200",
    "NEWSGRAPH_SPARQL_MAX_QUERY_BYTES": "8192",
    "NEWSGRAPH_SPARQL_MAX_BODY_BYTES": "16384",
    "NEWSGRAPH_SPARQL_MAX_NESTING": "16",
    "NEWSGRAPH_SPARQL_MAX_CHAIN": "40",
    # a value bomb reaches it in well under a second
    "NEWSGRAPH_SPARQL_WORKER_MEMORY_MB": "64",
}
NESTING = int(LIMITS["NEWSGRAPH_SPARQL_MAX_NESTING"])
CHAIN = int(LIMITS["NEWSGRAPH_SPARQL_MAX_CHAIN"])

TRACE = re.compile(rb"Traceback|File \"")
# gunicorn's own error page, which the server no longer sends (serve.refusal)
GUNICORN_PAGE = re.compile(rb"<h1><p>")

FIXED_PATHS = ("/", "/sparql", "/reconcile", "/def", "/shapes", "/dataset", "/dumps/",
               "/id/", "/doc/", "/graph/", "/static/style.css", "/nothing-here")
ACCEPTS = (
    "*/*", "text/html", "text/turtle", "application/ld+json", "application/n-triples",
    "application/rdf+xml", "application/sparql-results+json", "application/sparql-results+xml",
    "text/csv", "text/tab-separated-values", "text/*;q=0", "*/*;q=0", "text/turtle;q=1.5",
    "text/turtle;q=-1", "text/turtle;q=abc", "text/turtle;q=0.0001,*/*;q=0.00001",
    "application/*", ";;;", ",,,", "text/turtle;charset=latin-1", "image/png", "",
    "text/html;level=1;q=0.5, */*;q=0.1, " * 30, "x" * 5000, "*/turtle", "text/ turtle",
    "text/turtle;q=1;q=0", "\u00e9/\u00e9",
)
CONTENT_TYPES = (
    "application/x-www-form-urlencoded", "application/sparql-query", "application/json",
    "application/sparql-update", "multipart/form-data", "multipart/form-data; boundary=x",
    "text/plain", "application/x-www-form-urlencoded; charset=utf-16", "", ";", "*/*",
    "application/sparql-query; charset=ebcdic", "application/json; charset=utf-8",
)
METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PROPFIND",
           "get", "BREW")
PERCENT = ("%zz", "%", "%2", "%00", "%C0%AF", "%C0%80", "%E0%80%AF", "%F8%80%80%80%AF",
           "%FF", "%ED%A0%80", "%2F", "%252F", "%2e%2e", "..", ".", "//", "%u2215", "%0A",
           "%0D%0A", "%20", "+", "%C3%A9", "%EF%BB%BF")
SPARQL_NOISE = ("{", "}", "(", ")", "[", "]", ".", ";", ",", "?x", "$x", "<", ">", "<>", "\"",
                "'", "\"\"\"", "#", "\\", "||", "&&", "!", "^^", "@en", "a", "UNION",
                "OPTIONAL", "FILTER", "SERVICE", "GRAPH", "VALUES", "BIND", "LIMIT",
                "OFFSET -1", "LIMIT 99999999999999999999", "\x00", "\ufffd", "\u202e",
                "<http://[::1]/>", "<file:///etc/passwd>", "1e99999", "PREFIX", "BASE <x>")


@dataclass
class Case:
    """One request: sent by ``requests`` unless ``raw`` (bytes on a socket)."""

    method: str = "GET"
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    raw: bytes | None = None

    def show(self) -> str:
        if self.raw is not None:
            return f"raw {self.raw[:400]!r}"
        body = f" body={self.body[:300]!r}" if self.body else ""
        return f"{self.method} {self.path[:300]!r} headers={self.headers!r}"[:800] + body


# ------------------------------------------------------------------------ the corpus

def corpus_paths(server_url: str) -> list[str]:
    """The landing page's own links plus the fixed entry points."""
    html = requests.get(server_url + "/", timeout=CASE_TIMEOUT).text
    found = {href for href in re.findall(r'href="(/[^"#]*)"', html)}
    return sorted(found | set(FIXED_PATHS))


def corpus_queries() -> list[str]:
    prologue = examples.prologue()
    return [prologue + example.body for example in examples.EXAMPLES] + [
        "ASK {}", "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
        "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3", "DESCRIBE <http://example.org/x>",
    ]


# ------------------------------------------------------------------------ mutations

def mutate_path(rng: random.Random, path: str) -> str:
    segments = path.split("/")
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(7)
        where = rng.randrange(len(segments))
        if choice == 0:
            segments.insert(where, rng.choice(PERCENT))
        elif choice == 1:
            segments[where] = segments[where] + rng.choice(PERCENT)
        elif choice == 2 and len(segments) > 1:
            del segments[where]
        elif choice == 3:
            segments.insert(where, segments[where])
        elif choice == 4:
            segments[where] = "x" * rng.choice((1, 255, 4000, 9000))
        elif choice == 5:
            segments[where] = quote(segments[where], safe="")
        else:
            segments[where] = "".join(rng.choice("%/.\\;~?&=#\x7f") for _ in range(5))
    out = "/".join(segments)
    if not out.startswith("/"):
        out = "/" + out
    return out + mutate_query_string(rng) if rng.random() < 0.4 else out


def mutate_query_string(rng: random.Random) -> str:
    names = ("query", "format", "output", "default-graph-uri", "named-graph-uri", "queries",
             "callback", "page", "lang", "_", "", "query[]")
    parts = []
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(names)
        value = rng.choice(("", "x", "json", "%zz", "%00", "a" * 3000, "1&1", "=", "%C0%AF",
                            "SELECT%20*%20WHERE%20%7B%7D", "-1", "99999999999999999999"))
        parts.append(name if rng.random() < 0.1 else f"{name}={value}")
    if rng.random() < 0.3:
        parts = parts * rng.randint(2, 5)  # repeated parameters
    return "?" + "&".join(parts)


def tokens(query: str) -> list[str]:
    return re.findall(r"<[^>\s]*>|\"[^\"]*\"|\S+", query)


def mutate_sparql(rng: random.Random, query: str) -> str:
    choice = rng.randrange(9)
    if choice == 8:  # a value that grows fan-fold per level: under and past the memory cap
        fan, levels = rng.choice(((2, 10), (10, 5), (10, 7), (10, 8), (4, 14), (2, 40)))
        steps = "".join(f"BIND(CONCAT({', '.join([f'?s{i}'] * fan)}) AS ?s{i + 1}) "
                        for i in range(levels))
        shown = rng.choice((f"(STRLEN(?s{levels}) AS ?n)", f"?s{levels}",
                            f"(SUBSTR(?s{levels}, 1, 10) AS ?x)"))
        return f'SELECT {shown} WHERE {{ BIND("xxxxxxxxxx" AS ?s0) {steps}}}'
    if choice == 0:  # deep brackets, below and past the nesting limit
        depth = rng.choice((NESTING - 2, NESTING, NESTING + 1, NESTING * 4, 2000))
        shape = rng.choice((("{", "}"), ("(", ")"), ("[", "]")))
        if shape[0] == "{":
            return "SELECT * WHERE " + "{ " * depth + "?s ?p ?o " + "} " * depth
        if shape[0] == "(":
            return "SELECT * WHERE { ?s ?p ?o FILTER " + "(" * depth + "1" + ")" * depth + " }"
        return "SELECT * WHERE { ?s ?p " + "[ ?p " * depth + "?o" + " ]" * depth + " }"
    if choice == 1:  # long operator chains, within and past the chain limit
        length = rng.choice((CHAIN - 1, CHAIN, CHAIN + 1, CHAIN * 10))
        op = rng.choice(("+", "||", "&&", "*", "/", "|", "="))
        if op == "|":
            return "SELECT * WHERE { ?s " + "|".join(["<p>"] * length) + " ?o } LIMIT 1"
        return "SELECT * WHERE { BIND(" + f" {op} ".join(["1"] * length) + " AS ?x) }"
    words = tokens(query)
    if not words:
        return query
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(words))
        if choice == 2 and len(words) > 1:
            del words[i]
        elif choice == 3:
            words.insert(i, words[i])
        elif choice == 4:
            j = rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
        elif choice == 5:
            words.insert(i, rng.choice(SPARQL_NOISE))
        elif choice == 6:
            words[i] = words[i][: rng.randrange(len(words[i]) + 1)]
        else:
            return query[: rng.randrange(len(query) + 1)]  # truncated
    return " ".join(words)


def reconcile_body(rng: random.Random) -> tuple[str, bytes]:
    """A form ``queries=…`` (the API's POST) or bare JSON, valid or mutated."""
    good = {"q0": {"query": rng.choice(("Wang", "", "x" * 3000, "\u00e9\u0301", "\x00")),
                   "type": rng.choice(("Person", "", None, 7, ["x"])),
                   "limit": rng.choice((3, 0, -1, 10 ** 30, "x", None)),
                   "properties": rng.choice(([], [{"pid": "p", "v": "x"}],
                                             [{"pid": "p", "v": ["x"] * 40}], "x"))}}
    batch = {f"q{i}": good["q0"] for i in range(rng.choice((1, 2, 60)))}
    text = json.dumps(rng.choice((good, batch, [], "x", None, {"q0": []}, {"q0": {"query": {}}})))
    if rng.random() < 0.3:
        text = text[: rng.randrange(len(text) + 1)]
    if rng.random() < 0.5:
        return "application/x-www-form-urlencoded", ("queries=" + quote(text)).encode()
    return "application/json", text.encode()


def random_bytes(rng: random.Random, size: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(size))


def sparql_case(rng: random.Random, queries: list[str]) -> Case:
    query = rng.choice(queries)
    if rng.random() < 0.85:
        query = mutate_sparql(rng, query)
    form = rng.randrange(3)
    if form == 0:
        return Case("GET", "/sparql?query=" + quote(query, safe="") +
                    (mutate_query_string(rng).replace("?", "&", 1) if rng.random() < 0.2 else ""),
                    {"Accept": rng.choice(ACCEPTS)})
    if form == 1:
        body = ("query=" + quote(query, safe="")).encode()
        return Case("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded",
                                        "Accept": rng.choice(ACCEPTS)}, body)
    return Case("POST", "/sparql", {"Content-Type": "application/sparql-query",
                                    "Accept": rng.choice(ACCEPTS)},
                query.encode("utf-8", "surrogatepass"))


def mutate_headers(rng: random.Random, case: Case) -> None:
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(("Accept", "Content-Type", "Host", "Range", "If-None-Match",
                           "If-Modified-Since", "Accept-Encoding", "Accept-Language",
                           "X-Forwarded-For", "Origin", "Cookie", "Transfer-Encoding"))
        values = {
            "Accept": ACCEPTS, "Content-Type": CONTENT_TYPES,
            "Host": ("", "evil.example", "127.0.0.1:0", "[::1", "a" * 3000, "x y"),
            "Range": ("bytes=0-0", "bytes=-1", "bytes=5-1", "bytes=0-0," * 200, "lines=1-2",
                      "bytes=99999999999999999999-", "bytes="),
            "If-None-Match": ("*", '"x"', "W/\"x\"", '"' * 51, ",,,", "x" * 4000),
            "If-Modified-Since": ("yesterday", "Thu, 01 Jan 1970 00:00:00 GMT", ""),
            "Accept-Encoding": ("gzip;q=2", "*", "identity;q=0, *;q=0", "br, zstd"),
            "Accept-Language": ("*", "zz-ZZ;q=2", "x" * 2000),
            "X-Forwarded-For": ("1.2.3.4", "not-an-ip", ", , "),
            "Origin": ("null", "http://evil.example"),
            "Cookie": ("a=" + "b" * 3000, ";;;"),
            "Transfer-Encoding": ("chunked", "gzip", "identity"),
        }[name]
        case.headers[name] = rng.choice(values)


def well_formed_case(rng: random.Random, paths: list[str], queries: list[str]) -> Case:
    kind = rng.randrange(10)
    if kind <= 3:
        case = sparql_case(rng, queries)
    elif kind <= 5:
        path = rng.choice(paths)
        case = Case("GET", mutate_path(rng, path) if rng.random() < 0.7 else path,
                    {"Accept": rng.choice(ACCEPTS)})
    elif kind == 6:
        content_type, body = reconcile_body(rng)
        case = Case("POST", "/reconcile", {"Content-Type": content_type}, body)
    elif kind == 7:
        text = reconcile_body(rng)[1].decode("latin-1").removeprefix("queries=")
        case = Case("GET", "/reconcile?queries=" + text[:3000])
    elif kind == 8:
        case = Case(rng.choice(METHODS), rng.choice(paths))
        if rng.random() < 0.5:
            case.body = random_bytes(rng, rng.choice((0, 1, 100, 5000)))
            case.headers["Content-Type"] = rng.choice(CONTENT_TYPES)
    else:
        case = Case("POST", rng.choice(("/sparql", "/reconcile", "/")),
                    {"Content-Type": rng.choice(CONTENT_TYPES)},
                    random_bytes(rng, rng.choice((0, 3, 500, 20_000))))
    if rng.random() < 0.4:
        mutate_headers(rng, case)
    # requests refuses these itself; they belong on the raw socket
    case.headers = {k: v for k, v in case.headers.items()
                    if v.isascii() and "\n" not in v and "\r" not in v}
    if case.headers.get("Transfer-Encoding"):
        case.headers.pop("Transfer-Encoding")
    return case


def raw_case(rng: random.Random, paths: list[str], queries: list[str]) -> Case:
    """Bytes a client library would not send: malformed request lines and headers,
    and bodies shorter or longer than their Content-Length."""
    path = rng.choice(paths).encode()
    kind = rng.randrange(9)
    host = b"Host: 127.0.0.1\r\n"
    if kind == 0:  # Content-Length mismatch: a body shorter than announced
        body = ("query=" + quote(rng.choice(queries), safe="")).encode()
        cut = body[: rng.randrange(len(body))]
        return Case(raw=b"POST /sparql HTTP/1.1\r\n" + host + b"Connection: close\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + cut)
    if kind == 1:  # longer than announced, or an odd Content-Length
        body = rng.choice(queries).encode()
        length = rng.choice((b"0", b"1", b"-1", b"abc", b"99999999999999999999", b"5, 6",
                             b" 3 ", b"0x10"))
        return Case(raw=b"POST /sparql HTTP/1.1\r\n" + host + b"Connection: close\r\n"
                    b"Content-Type: application/sparql-query\r\nContent-Length: " + length +
                    b"\r\n\r\n" + body)
    if kind == 2:  # broken request lines
        line = rng.choice((b"GET", b"GET / HTTP/9.9", b"GET  / HTTP/1.1", b"GET /\x00 HTTP/1.1",
                           b"GET / HTTP/1.1 extra", b"\x16\x03\x01\x00", b"G\xe9T / HTTP/1.1",
                           b"GET " + path + b"\xff\xfe HTTP/1.1", b"GET http://x/ HTTP/1.1",
                           b"GET * HTTP/1.1", b"GET /" + b"a" * 9000 + b" HTTP/1.1",
                           b"GET / HTTP/1.0", b"GET /\r HTTP/1.1", b" GET / HTTP/1.1",
                           b"GET / HTTP/2.0", b"GET / HTTP/1.2", b"PRI * HTTP/2.0"))
        return Case(raw=line + b"\r\n" + host + b"Connection: close\r\n\r\n")
    if kind == 3:  # broken header lines
        header = rng.choice((b"NoColon", b": empty-name", b"Bad Name: x", b"X: \x00",
                             b"X: \xff\xfe", b"Accept: text/\xe9", b" folded: x",
                             b"X-Long: " + b"a" * 9000, b"Host: a\r\nHost: b",
                             b"Content-Length: 1\r\nContent-Length: 2", b"X:\tx\t",
                             b"Expect: 200-go", b"Transfer-Encoding: gzip",
                             b"X-A: 1\r\n\tfolded"))
        return Case(raw=b"GET " + path + b" HTTP/1.1\r\n" + host + header +
                    b"\r\nConnection: close\r\n\r\n")
    if kind == 4:  # many headers
        many = b"".join(b"X-%d: y\r\n" % i for i in range(rng.choice((50, 150, 500))))
        return Case(raw=b"GET / HTTP/1.1\r\n" + host + many + b"Connection: close\r\n\r\n")
    if kind == 5:  # chunked bodies, good and bad
        chunks = rng.choice((b"5\r\nquery\r\n0\r\n\r\n", b"zz\r\nx\r\n0\r\n\r\n",
                             b"ffffffffffffffff\r\nx\r\n", b"3\r\nASK\r\n", b"0\r\n\r\n"))
        return Case(raw=b"POST /sparql HTTP/1.1\r\n" + host + b"Connection: close\r\n"
                    b"Content-Type: application/sparql-query\r\nTransfer-Encoding: chunked"
                    b"\r\n\r\n" + chunks)
    if kind == 6:  # raw percent-encoding and bytes in the path, no client normalising
        bad = rng.choice(PERCENT).encode() + rng.choice((b"", b"\x00", b"\x7f", b"\x80"))
        return Case(raw=b"GET " + path.rstrip(b"/") + b"/" + bad + b" HTTP/1.1\r\n" + host +
                    b"Connection: close\r\n\r\n")
    if kind == 7:  # no Host at all, or HTTP/1.0 keep-alive
        return Case(raw=b"GET " + path + rng.choice((b" HTTP/1.1\r\n", b" HTTP/1.0\r\n")) +
                    b"Connection: close\r\n\r\n")
    return Case(raw=random_bytes(rng, rng.choice((1, 10, 200))) + b"\r\n\r\n")


# A query that runs into the time limit: with a few in flight, the others meet a
# full server and get its busy answer.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def draw(rng: random.Random, paths: list[str], queries: list[str]) -> Case:
    if rng.random() < 0.005:  # rare: each holds a SPARQL slot for the whole time limit
        return Case("GET", "/sparql?query=" + quote(SLOW, safe=""))
    if rng.random() < 0.2:
        return raw_case(rng, paths, queries)
    return well_formed_case(rng, paths, queries)


# ------------------------------------------------------------------------ sending

def read_raw(port: int, data: bytes) -> tuple[int | None, bytes, bytes]:
    """Send bytes; the status (None if the server closed without one), the head and
    the body read until the server closes (``Connection: close`` was asked)."""
    with socket.create_connection(("127.0.0.1", port), timeout=CASE_TIMEOUT) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close early on a bad request: read what it said
        chunks: list[bytes] = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/\d\.\d (\d{3})", head)
    return (int(match.group(1)) if match else None), head, body


def send(server_url: str, port: int, case: Case) -> tuple[int | None, dict[str, str], bytes]:
    if case.raw is not None:
        status, head, body = read_raw(port, case.raw)
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
        return status, headers, body
    response = requests.request(case.method, server_url + case.path, headers=case.headers,
                                data=case.body, allow_redirects=False, timeout=CASE_TIMEOUT)
    return (response.status_code, {k.lower(): v for k, v in response.headers.items()},
            response.content)


def problem(status: int | None, headers: dict[str, str], body: bytes) -> str | None:
    if status is not None and status >= 500:
        if not (status == 503 and "retry-after" in headers):
            return f"status {status}: {body[:500]!r}"
    if TRACE.search(body):
        return f"a traceback in the body ({status}): {body[:1500]!r}"
    if GUNICORN_PAGE.search(body):
        return f"gunicorn's HTML error page ({status}): {body[:500]!r}"
    return None


def attempt(server_url: str, port: int, case: Case) -> tuple[str, str | None, float]:
    """What one case got, as a status to count, why it is a failure if it is, and
    the seconds it took."""
    started = time.monotonic()
    try:
        status, headers, body = send(server_url, port, case)
    except (requests.RequestException, OSError) as error:
        # a connection the server dropped is an answer to malformed bytes; to
        # well-formed HTTP it is a crash or a hang
        if case.raw is None:
            return "error", f"{type(error).__name__}: {error}", time.monotonic() - started
        return "closed", None, time.monotonic() - started
    return ((str(status) if status is not None else "no status line"),
            problem(status, headers, body), time.monotonic() - started)


def server_rss_mib(pid: int) -> tuple[int, int]:
    """The largest RSS of one process of the server (master, workers, query
    processes) and their sum, in MiB; for the run's figures, not a check."""
    sizes, todo = [], [pid]
    while todo:
        here = todo.pop()
        try:
            status = Path(f"/proc/{here}/status").read_text()
        except OSError:
            continue
        rss = next((line.split()[1] for line in status.splitlines()
                    if line.startswith("VmRSS:")), "0")
        sizes.append(int(rss) // 1024)
        todo += _children_of(here)
    return max(sizes, default=0), sum(sizes)


def _children_of(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def healthy(server_url: str) -> bool:
    try:
        return requests.get(server_url + "/", timeout=HEALTH_TIMEOUT).status_code == 200
    except requests.RequestException:
        return False


# ------------------------------------------------------------------------ the test

@pytest.fixture(scope="module")
def fuzz_server(built_dist: Path, start_server: Callable[..., object]) -> object:
    return start_server(built_dist, env=LIMITS)


@pytest.mark.xdist_group("http-fuzz")
def test_mutated_requests_get_no_5xx_and_no_traceback(fuzz_server: object) -> None:
    server = fuzz_server
    url, port = server.url, server.port  # type: ignore[attr-defined]
    rng = random.Random(SEED)
    paths, queries = corpus_paths(url), corpus_queries()
    deadline = time.monotonic() + SECONDS
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    sent = batches = 0
    slowest, slowest_case = 0.0, ""
    largest = total = 0
    server_pid = server.process.pid  # type: ignore[attr-defined]
    with ThreadPoolExecutor(PARALLEL) as pool:
        while sent < EXAMPLES and time.monotonic() < deadline and not failures:
            # drawn in order from the seed, so a batch is the same whatever the
            # threads' timing; sent side by side, so the busy answers come too
            batch = [draw(rng, paths, queries) for _ in range(min(BATCH, EXAMPLES - sent))]
            sent += len(batch)
            for case, outcome in zip(batch, pool.map(lambda c: attempt(url, port, c), batch),
                                     strict=True):
                statuses[outcome[0]] += 1
                if outcome[1]:
                    failures.append(f"{outcome[1]}\n  case: {case.show()}")
                if outcome[2] > slowest:
                    slowest, slowest_case = outcome[2], case.show()[:300]
            batches += 1
            one, every = server_rss_mib(server_pid)
            largest, total = max(largest, one), max(total, every)
            if not healthy(url):
                failures.append(f"GET / is not 200 after batch {batches}")
    # the whole log, not its tail: a traceback early in the run counts too
    log = server.log.read_text(errors="replace")  # type: ignore[attr-defined]
    print(f"\nhttp fuzz: seed {SEED}, {sent} cases in {batches} batches, statuses "
          f"{dict(sorted(statuses.items()))}; slowest case {slowest:.2f}s ({slowest_case}); "
          f"server RSS after a batch: one process at most {largest} MiB, all at most {total} MiB")
    assert not failures, "\n".join(failures) + f"\nseed {SEED}\nserver log:\n{log[-3000:]}"
    assert "Traceback" not in log, f"seed {SEED}: a traceback in the server's log:\n{log}"
    assert sent >= min(EXAMPLES, 50), f"only {sent} cases ran: the machine is too slow?"


def test_the_oracle_catches_what_the_fuzzer_looks_for() -> None:
    """The checks above would see a failure: a passing run means something."""
    assert problem(500, {}, b"Internal Server Error")
    assert problem(502, {}, b"")
    assert problem(503, {}, b"busy")  # busy without Retry-After is not the documented answer
    assert problem(400, {}, b'Traceback (most recent call last):\n  File "x.py"')
    assert problem(200, {}, b'  File "/srv/app.py", line 3')
    assert problem(400, {}, b"<html><body><h1><p>Bad Request</p></h1></body></html>")
    assert problem(503, {"retry-after": "1"}, b"busy") is None
    assert problem(404, {}, b"Not found\n") is None
    assert problem(None, {}, b"") is None

"""The request column of SECURITY.md for the linked-data routes and pages:
path tricks, forged Host, hostile literals in HTML, bodies and concurrency.

What reaches the app only through gunicorn (a path sent byte for byte, a Host
header, an oversized request line, a large body, many clients at once) is sent
to a real server; what the app alone decides (escaping in pages, headers and
error bodies) is asked of it in-process."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from ld_helpers import media_type, raw_request, scripts_of

PERSON = "/id/person/wang-xiaohong"

PATH_TRICKS = [
    "/id/..%2F..%2Fetc%2Fpasswd",
    "/id/person/..%2F..%2F..%2Fpyproject.toml",
    "/doc/person/..%2F..%2Fpyproject.toml",
    "/doc/person/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/dumps/..%2Fmanifest.json",
    "/dumps/..%2F..%2Fpyproject.toml",
    "/dumps/%2e%2e%2fstore",
    "/dumps/store",
    "/dumps/.%2Fnewsgraph.nq",
    "/static/..%2F..%2Fserve.py",
    "/static/..%2f..%2fconfig.py",
    "/static/%2e%2e/templates/base.html",
    "/id/person/wang-xiaohong%00",
    "/id/person/wang%00xiaohong",
    "/doc/person/wang-xiaohong%00.ttl",
    "/dumps/newsgraph.nq%00.txt",
    "/id/person%5C..%5Cwang-xiaohong",
    "/doc/person/..%5C..%5Cpyproject.toml",
    "/id/%09%2Fevil.example",
    "/%09/evil.example",
    "/%09%2Fevil.example",
    "//evil.example",
    "//evil.example/id/person/wang-xiaohong",
    "/id//person/wang-xiaohong",
    "/def/..%2F..%2Fsrc",
    "/id/person/wang-xiaohong%0d%0aSet-Cookie:%20x=y",
    "/id/person/%E2%80%AEwang",
]
SECRETS = (b"[build-system]", b"root:x:0", b"def create_app", b"<!doctype", b"PRAGMA")


@pytest.mark.http
@pytest.mark.parametrize("path", PATH_TRICKS)
def test_path_tricks_get_404_or_a_same_host_relative_redirect(live_server, path):
    r = raw_request(live_server.port, "GET", path, {"Host": f"127.0.0.1:{live_server.port}"})
    if 300 <= r.status < 400:
        location = r.getheader("Location") or ""
        assert location.startswith("/") and not location.startswith("//"), location
        assert "evil" not in location
    else:
        assert r.status == 404, (path, r.status)
    assert r.getheader("Set-Cookie") is None


@pytest.mark.http
@pytest.mark.parametrize("path", PATH_TRICKS)
def test_path_tricks_never_read_a_file(live_server, path):
    r = requests.get(live_server.url + path, timeout=30, allow_redirects=False)
    assert r.status_code in (301, 302, 303, 307, 308, 404, 400)
    for secret in SECRETS:
        assert secret not in r.content


@pytest.mark.http
@pytest.mark.parametrize("path", [PERSON, "/def/", "/shapes/", "/dataset/", "//evil.example",
                                  "/id/person//wang-xiaohong"])
@pytest.mark.parametrize("header", ["Host", "X-Forwarded-Host"])
def test_a_forged_host_is_never_reflected(live_server, path, header):
    headers = {"Host": f"127.0.0.1:{live_server.port}", "Accept": "text/turtle"}
    headers[header] = "evil.example"
    r = raw_request(live_server.port, "GET", path, headers)
    assert r.status in (200, 303, 400, 404)
    for name, value in r.getheaders():
        assert "evil.example" not in value, (name, value)
    if r.status == 303:
        assert r.getheader("Location").startswith("/")


def test_a_name_holding_script_is_escaped_in_every_page(mini_app):
    for path in ("/", "/doc/person/mallory-script.html", "/doc/article/fixture-article.html"):
        page = mini_app.get(path).text
        assert "<script>alert" not in page, path
        assert "&lt;script&gt;alert(" in page, path
        # the only script element is the JSON-LD data block (pages run no code)
        kinds = [attrs.get("type") for attrs, _ in scripts_of(page)]
        assert all(k == "application/ld+json" for k in kinds), path


def test_json_ld_in_pages_escapes_angle_brackets_and_still_reads_back(mini_app):
    page = mini_app.get("/doc/person/mallory-script.html").text
    (block,) = [b for attrs, b in scripts_of(page) if attrs.get("type") == "application/ld+json"]
    assert "<" not in block and ">" not in block and "&" not in block
    # compacted JSON-LD: one value bare, several in an array
    names = [
        value["@value"]
        for node in json.loads(block)["@graph"]
        for value in (lambda v: v if isinstance(v, list) else [v])(node.get("schema:name", []))
    ]
    assert '<script>alert("x")</script> & "Mallory"' in names


def test_pages_carry_a_content_security_policy_and_no_sniffing(live_app):
    for path in ("/", "/doc/person/wang-xiaohong.html", "/def", "/shapes", "/dataset", "/dumps"):
        r = live_app.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_error_bodies_reflect_nothing(live_app):
    # plain text for programs; a browser gets the site's 404 page, which names nothing it was sent
    probe = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    for path in (f"/id/person/{probe}", f"/doc/{probe}/x", f"/{probe}", f"/dumps/{probe}"):
        for accept, expected in (("text/html", "text/html"), ("*/*", "text/plain")):
            r = live_app.get(path, headers={"Accept": accept})
            assert r.status_code == 404
            assert media_type(r.headers["Content-Type"]) == expected
            assert "<script>" not in r.text and "alert(1)" not in r.text


@pytest.mark.http
def test_a_large_body_on_a_read_only_route_is_refused_and_the_server_carries_on(live_server):
    body = b"x" * (2 * 1024 * 1024)
    r = requests.post(live_server.url + "/doc/person/wang-xiaohong", data=body, timeout=30)
    assert r.status_code in (405, 413)
    assert live_server.get(PERSON).status_code == 303


@pytest.mark.http
def test_an_oversized_request_line_or_header_is_refused(live_server):
    long_path = "/id/person/" + "a" * 20000
    assert requests.get(live_server.url + long_path, timeout=30).status_code in (400, 404, 414)
    r = requests.get(live_server.url + PERSON, headers={"X-Big": "y" * 20000}, timeout=30,
                     allow_redirects=False)
    assert r.status_code in (400, 431)
    assert live_server.get(PERSON).status_code == 303


@pytest.mark.http
def test_dozens_of_concurrent_clients_get_answers_without_errors(live_server, things):
    paths = [t.replace("https://w3id.org/newsgraph/", "/") for t in things]

    def client(n: int) -> list[int]:
        statuses = []
        with requests.Session() as session:
            for i in range(20):
                path = paths[(n * 7 + i) % len(paths)]
                accept = ("text/turtle", "text/html", "application/ld+json")[i % 3]
                r = session.get(live_server.url + path, headers={"Accept": accept}, timeout=60)
                statuses.append(r.status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = [s for batch in pool.map(client, range(32)) for s in batch]
    assert len(results) == 32 * 20
    assert set(results) == {200}

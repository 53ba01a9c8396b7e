"""The static site (`newsgraph export site`) behind real nginx (Debian's, with its
njs module, both installed by scripts/test), replayed against the server's own
answers for the same release: the 303s, content negotiation, the formats by
extension, the pages, the tables, the 404s and 406s."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from deploy.slow_clients import wait_until
from newsgraph.config import Settings
from newsgraph.server.static_site import export_site
from newsgraph.server.web import create_app

pytestmark = [pytest.mark.http]

JS_MODULE = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")
ACCEPTS = (None, "*/*", "text/html", "text/turtle", "application/ld+json", "application/json",
           "application/n-triples", "text/plain", "application/rdf+xml", "application/xml",
           "text/n3", "application/*", "text/*", "text/turtle;q=0.5, text/html",
           "text/turtle;q=1.5", "application/rdf+xml;q=0.9, text/turtle",
           "text/turtle;q=0, */*", "application/*, text/html;q=0.1", "image/png",
           "text/html;q=0", 'text/turtle;profile="a,b", application/ld+json;q=0.5')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def site(built_dist: Path, tmp_path_factory: pytest.TempPathFactory):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    assert nginx and JS_MODULE.exists(), \
        "needs Debian's nginx and libnginx-mod-http-js (scripts/test installs both)"
    folder = tmp_path_factory.mktemp("static-site")
    port = _free_port()
    done = export_site(built_dist, folder / "site", Settings(), listen=f"127.0.0.1:{port}")
    run = folder / "run"
    run.mkdir()
    temp = " ".join(f"{k}_temp_path {run}/{k};" for k in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (run / "main.conf").write_text(
        f"load_module {JS_MODULE};\nuser root;\nworker_processes 1;\npid {run}/nginx.pid;\n"
        f"error_log {run}/error.log warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{ {temp} access_log off; include {done.config}; }}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(run), "-c", str(run / "main.conf")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([nginx, "-p", str(run), "-c", str(run / "main.conf"),
                                "-g", "daemon off;"], stderr=subprocess.PIPE)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    assert wait_until(lambda: listening() or process.poll() is not None, 30) and \
        process.poll() is None, process.stderr.read().decode() if process.stderr else ""
    try:
        yield f"http://127.0.0.1:{port}", done
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(built_dist: Path):
    return create_app(Settings(), data=built_dist).test_client()


def _media(value: str | None) -> str:
    return (value or "").split(";")[0].strip()


def _same(site_url: str, server, path: str, accept: str | None, body: bool = True) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    theirs = server.get(path, headers=headers)
    ours = requests.get(site_url + path, headers=headers if accept is not None else
                        {"Accept": None}, allow_redirects=False, timeout=30)
    where = f"{path} with Accept {accept!r}"
    assert ours.status_code == theirs.status_code, where
    if theirs.status_code == 303:
        assert ours.headers["Location"] == theirs.headers["Location"], where
    elif theirs.status_code == 200:
        assert _media(ours.headers["Content-Type"]) == _media(theirs.headers["Content-Type"]), where
        if body:
            assert ours.content == theirs.get_data(), where
        for name in ("Content-Location", "Link"):
            if name in theirs.headers:
                assert ours.headers.get(name) == theirs.headers[name], (where, name)
    else:
        assert _media(ours.headers["Content-Type"]) == _media(theirs.headers["Content-Type"]), where
    assert ("Accept" in ours.headers.get("Vary", "")) == ("Accept" in theirs.headers.get(
        "Vary", "")), (where, "Vary")


def test_things_and_descriptions_negotiate_as_the_server_does(site, server, union_things):
    url, _ = site
    for path in union_things[:6]:
        doc = path.replace("/id/", "/doc/", 1)
        for accept in ACCEPTS:
            _same(url, server, path, accept)
            _same(url, server, doc, accept)
    for path in union_things:
        doc = path.replace("/id/", "/doc/", 1)
        for ext in ("html", "ttl", "jsonld", "nt", "rdf"):
            _same(url, server, f"{doc}.{ext}", "*/*")


def test_dataset_vocabulary_shapes_and_graphs(site, server):
    url, _ = site
    for stem in ("/dataset", "/def", "/shapes", "/graph/entities"):
        for accept in ("text/html", "text/turtle", "application/ld+json", "image/png", None):
            _same(url, server, stem, accept)
        _same(url, server, stem + ".nt", None)


def test_pages_tables_dumps_and_errors(site, server):
    url, _ = site
    for path in ("/", "/tables", "/meetings", "/network", "/dumps"):
        _same(url, server, path, "text/html")
    for path in ("/tables/people.csv", "/tables/meetings.json", "/dumps/newsgraph.nq",
                 "/static/style.css"):
        _same(url, server, path, "*/*")
    for accept in ("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "*/*", None):
        _same(url, server, "/no/such/page", accept)
        _same(url, server, "/id/person/nobody-at-all", accept)


def test_a_new_export_of_the_same_release_changes_nothing(site, built_dist):
    _, done = site
    before = sorted(p.relative_to(done.folder) for p in done.folder.rglob("*"))
    again = export_site(built_dist, done.folder.parents[1], Settings(),
                        listen="127.0.0.1:1")  # the config is rewritten, the release kept
    assert again.folder == done.folder
    assert sorted(p.relative_to(done.folder) for p in done.folder.rglob("*")) == before

"""The static site (`newsgraph export site`) behind real nginx (Debian's, with its
njs module, both installed by scripts/test), replayed against the server's own
answers for the same release: the 303s, content negotiation, the formats by
extension, the pages, the tables, the 404s and 406s."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from deploy.static_nginx import static_site
from newsgraph.config import Settings
from newsgraph.server.static_site import export_site
from newsgraph.server.web import create_app

pytestmark = [pytest.mark.http]

ACCEPTS = (None, "*/*", "text/html", "text/turtle", "application/ld+json", "application/json",
           "application/n-triples", "text/plain", "application/rdf+xml", "application/xml",
           "text/n3", "application/*", "text/*", "text/turtle;q=0.5, text/html",
           "text/turtle;q=1.5", "application/rdf+xml;q=0.9, text/turtle",
           "text/turtle;q=0, */*", "application/*, text/html;q=0.1", "image/png",
           "text/html;q=0", 'text/turtle;profile="a,b", application/ld+json;q=0.5')


@pytest.fixture(scope="module")
def site(built_dist: Path, tmp_path_factory: pytest.TempPathFactory):
    with static_site(built_dist, tmp_path_factory.mktemp("static-site"), Settings()) as found:
        yield found


@pytest.fixture(scope="module")
def server(built_dist: Path):
    return create_app(Settings(), data=built_dist).test_client()


def _media(value: str | None) -> str:
    return (value or "").split(";")[0].strip()


def same(site_url: str, server, path: str, accept: str | None, body: bool = True) -> None:
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
            same(url, server, path, accept)
            same(url, server, doc, accept)
    for path in union_things:
        doc = path.replace("/id/", "/doc/", 1)
        for ext in ("html", "ttl", "jsonld", "nt", "rdf"):
            same(url, server, f"{doc}.{ext}", "*/*")


def test_dataset_vocabulary_shapes_and_graphs(site, server):
    url, _ = site
    for stem in ("/dataset", "/def", "/shapes", "/graph/entities"):
        for accept in ("text/html", "text/turtle", "application/ld+json", "image/png", None):
            same(url, server, stem, accept)
        same(url, server, stem + ".nt", None)


def test_pages_tables_dumps_and_errors(site, server):
    url, _ = site
    for path in ("/", "/tables", "/meetings", "/network", "/dumps"):
        same(url, server, path, "text/html")
    for path in ("/tables/people.csv", "/tables/meetings.json", "/dumps/newsgraph.nq",
                 "/static/style.css"):
        same(url, server, path, "*/*")
    for accept in ("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "*/*", None):
        same(url, server, "/no/such/page", accept)
        same(url, server, "/id/person/nobody-at-all", accept)


def test_a_new_export_of_the_same_release_changes_nothing(site, built_dist):
    _, done = site
    before = sorted(p.relative_to(done.folder) for p in done.folder.rglob("*"))
    again = export_site(built_dist, done.folder.parents[1], Settings(),
                        listen="127.0.0.1:1")  # the config is rewritten, the release kept
    assert again.folder == done.folder
    assert sorted(p.relative_to(done.folder) for p in done.folder.rglob("*")) == before

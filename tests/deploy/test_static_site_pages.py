"""The paged resources of the static site behind real nginx: each page of a
description's links (``?page=N``), of /dataset's graphs and of every
``/browse/{kind}`` list is a file of its own, answered with the Link and
Content-Location the server sends for that page; a page that is not there is a
404 as on the server. The pages are made small here (four incoming links,
one graph, two things a page) so that the seeds' release has many."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from deploy.static_nginx import static_site
from deploy.test_static_site import same
from newsgraph.config import Settings
from newsgraph.server.web import create_app, landing, linked_data

pytestmark = [pytest.mark.http]

SETTINGS = Settings(max_incoming_links=4)


@pytest.fixture(scope="module")
def paged(built_dist: Path, tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(landing, "LIST_PAGE_SIZE", 2)
        patch.setattr(linked_data, "GRAPHS_PAGE_SIZE", 1)
        server = create_app(SETTINGS, data=built_dist).test_client()
        with static_site(built_dist, tmp_path_factory.mktemp("paged-site"), SETTINGS) as found:
            yield found[0], server


def _pages(server, path: str) -> int:
    link = server.get(path, headers={"Accept": "text/turtle"}).headers.get("Link", "")
    last = [part for part in link.split(", ") if 'rel="last"' in part]
    return int(last[0].split("page=")[1].split(">")[0]) if last else 1


def test_hub_descriptions_page_as_the_server_pages_them(paged, union_things):
    url, server = paged
    docs = [p.replace("/id/", "/doc/", 1) for p in union_things]
    hubs = [d for d in docs if _pages(server, d) > 1]
    assert hubs, "with four incoming links a page, some description must have pages"
    for doc in hubs[:4]:
        pages = _pages(server, doc)
        for page in sorted({1, 2, pages // 2, pages, pages + 1}):  # after the last: a 404
            query = f"?page={page}"
            for accept in ("text/turtle", "text/html", "application/ld+json", None):
                same(url, server, doc + query, accept)
            for ext in ("ttl", "nt", "html"):
                same(url, server, f"{doc}.{ext}{query}", "*/*")
        for query in ("?page=0", "?page=x", "?page=01", "?page=", "?page=-1",
                      "?page=1234567890"):
            same(url, server, doc + query, "text/turtle")


def test_dataset_and_the_browse_lists_page_as_the_server_pages_them(paged):
    url, server = paged
    pages = _pages(server, "/dataset")
    assert pages > 1
    for page in range(1, pages + 2):
        for accept in ("text/html", "text/turtle", None):
            same(url, server, f"/dataset?page={page}", accept)
        same(url, server, f"/dataset.ttl?page={page}", "*/*")
    kinds = [k for k in ("person", "place", "organization", "post", "meeting", "article")
             if server.get(f"/browse/{k}").status_code == 200]
    assert kinds
    paged_lists = 0
    for kind in kinds:
        path = f"/browse/{kind}"
        link = server.get(path).headers.get("Link", "")
        count = int(link.split("page=")[-1].split(">")[0]) if 'rel="last"' in link else 1
        paged_lists += count > 1
        for page in range(1, count + 2):
            same(url, server, f"{path}?page={page}", "text/html")
        same(url, server, path, "text/html")
        same(url, server, f"{path}?page=0", "text/html")
    assert paged_lists, "with two things a page, some list must have pages"
    same(url, server, "/browse/nothing", "text/html")


def test_ignored_queries_stay_ignored(paged, union_things):
    url, server = paged
    doc = union_things[0].replace("/id/", "/doc/", 1)
    for path in (f"{union_things[0]}?page=2", "/def?page=2", "/shapes.ttl?page=3"):
        same(url, server, path, "text/turtle")
    # a thing's 303 names the description without the query, as the server's does
    got = requests.get(f"{url}{union_things[0]}?page=2", allow_redirects=False, timeout=30)
    assert got.headers["Location"] == doc.split("?")[0]

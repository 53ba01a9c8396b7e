"""A page that is not there: the site's 404 page for a browser, plain text for programs."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[str | None] = []
        self.header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(a.get("action"))
        if tag == "header" and a.get("class") == "site":
            self.header = True


@pytest.mark.parametrize("path", ["/id/person/nobody-at-all", "/no/such/page", "/doc/place/x"])
def test_a_browser_gets_the_sites_404_page(client, path: str) -> None:
    resp = client.get(path, headers={"Accept": BROWSER})
    assert resp.status_code == 404 and resp.content_type.startswith("text/html")
    page = _Page()
    page.feed(resp.data.decode())
    assert page.header and "/search" in page.forms
    assert "Accept" in resp.headers["Vary"]


@pytest.mark.parametrize("accept", [None, "*/*", "text/turtle", "application/json"])
def test_programs_get_one_line_of_text(client, accept: str | None) -> None:
    resp = client.get("/id/person/nobody-at-all", headers={"Accept": accept} if accept else {})
    assert resp.status_code == 404 and resp.content_type.startswith("text/plain")
    assert resp.data.count(b"\n") == 1


def test_the_404_page_does_not_reflect_markup(client) -> None:
    resp = client.get("/id/person/<script>alert(1)</script>", headers={"Accept": BROWSER})
    assert resp.status_code == 404 and b"alert(1)" not in resp.data

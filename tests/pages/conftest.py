"""What the page tests share: the app over the seeds' release, in process (the
pages are the app's own answers; no server process is the point here), and the
release's N-Quads dump read back independently with rdflib."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Dataset

from newsgraph.config import Settings
from newsgraph.server.web import create_app


@pytest.fixture(scope="module")
def client(built_dist: Path):
    return create_app(Settings(), data=built_dist).test_client()


@pytest.fixture(scope="session")
def union(built_dist: Path) -> Dataset:
    """Every quad of the release, from its dump (not through the server)."""
    ds = Dataset(default_union=True)
    ds.parse(built_dist / "newsgraph.nq", format="nquads")
    return ds


class _CardReader(HTMLParser):
    """The card of a page as {heading: [each line's text]}, and each line's links."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside <section class="card">: nesting of sections
        self.heading: str | None = None
        self.grab: str | None = None  # "dt", "h2" or "li"
        self.text = ""
        self.lines: dict[str, list[str]] = {}
        self.links: dict[str, list[list[str]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "section" and ("card" in classes or self.depth):
            self.depth += 1
        if not self.depth:
            return
        if tag in ("dt", "h2") and self.grab is None:
            self.grab, self.text = tag, ""
        elif tag == "li" and self.heading is not None:
            self.grab, self.text = "li", ""
            self.links.setdefault(self.heading, []).append([])
        elif tag == "a" and self.grab == "li" and self.heading is not None:
            self.links[self.heading][-1].append(dict(attrs).get("href") or "")
        elif tag == "small" and self.grab == "h2":
            self.grab = "h2-done"

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "section":
            self.depth -= 1
        elif tag in ("dt", "h2") and self.grab in ("dt", "h2", "h2-done"):
            self.heading = " ".join(self.text.split())
            self.lines.setdefault(self.heading, [])
            self.grab = None
        elif tag == "li" and self.grab == "li" and self.heading is not None:
            self.lines[self.heading].append(" ".join(self.text.split()))
            self.grab = None

    def handle_data(self, data: str) -> None:
        if self.grab in ("dt", "h2", "li"):
            self.text += data


def read_card(html: str) -> tuple[dict[str, list[str]], dict[str, list[list[str]]]]:
    reader = _CardReader()
    reader.feed(html)
    return reader.lines, reader.links

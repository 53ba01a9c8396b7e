"""Pages tell same-named things apart: two meetings of one name two years apart
show their date and place, two people of one name their office, on the landing
page's lists and in the link labels of entity pages (tests/fixtures/namesakes.trig)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "namesakes.trig"
MEETING_2023 = "/id/meeting/wang-rodriguez-2023-05-12"
MEETING_2025 = "/id/meeting/wang-rodriguez-2025-05-12"
NAME = "Meeting of Wang Yi and Bruno Rodríguez Parrilla"


class _Links(HTMLParser):
    """Every link of a page: its href and its text, as a browser shows it."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append([dict(attrs).get("href") or "", ""])

    def handle_data(self, data: str) -> None:
        for link in self._open:
            link[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, text = self._open.pop()
            self.links.append((href, " ".join(text.split())))


def links(html: str) -> dict[str, set[str]]:
    parser = _Links()
    parser.feed(html)
    out: dict[str, set[str]] = {}
    for href, text in parser.links:
        out.setdefault(href, set()).add(text)
    return out


@pytest.fixture(scope="module")
def server(start_app):
    return start_app(FIXTURE)


def test_the_landing_list_gives_each_namesake_what_tells_it_apart(server):
    found = links(server.get("/").text)
    assert found[MEETING_2023] == {f"{NAME} (2023-05-12, Beijing)"}
    assert found[MEETING_2025] == {f"{NAME} (2025-05-12, Havana)"}
    assert found["/id/person/wang-yi"] == {"Wang Yi (Minister of Foreign Affairs of China)"}
    assert found["/id/person/wang-yi-2"] == {"Wang Yi (Mayor of Harbin)"}
    # an office held twice: each holding by its dates (its name is made from its links)
    minister = "Wang Yi as Minister of Foreign Affairs of China"
    assert found["/id/tenure/wang-yi-minister-2013"] == {
        f"{minister} (from 2013-03-16 to 2022-12-30)"}
    assert found["/id/tenure/wang-yi-minister-2023"] == {f"{minister} (from 2023-07-25)"}
    # one text said by two: each statement by its speaker
    assert found["/id/statement/wang-strong-ties"] == {
        "the strong bilateral relationship (Wang Yi)"}
    # a name nobody else has stays as it is
    assert found["/id/person/bruno-rodriguez-parrilla"] == {"Bruno Rodríguez Parrilla"}
    assert found["/id/place/havana"] == {"Havana"}


def test_entity_pages_label_their_links_to_namesakes(server):
    # the person both meetings link to lists them apart among its incoming links
    person = links(server.get("/doc/person/bruno-rodriguez-parrilla.html").text)
    assert f"{NAME} (2023-05-12, Beijing)" in person[MEETING_2023]
    assert f"{NAME} (2025-05-12, Havana)" in person[MEETING_2025]
    # a meeting's attendee is the Wang Yi of that meeting, with the office
    meeting = links(server.get("/doc/meeting/wang-rodriguez-2025-05-12.html").text)
    assert meeting["/id/person/wang-yi-2"] == {"Wang Yi (Mayor of Harbin)"}
    assert meeting["/id/person/bruno-rodriguez-parrilla"] == {"Bruno Rodríguez Parrilla"}


def test_the_page_of_a_namesake_says_which_one_it_is(server):
    page = server.get("/doc/meeting/wang-rodriguez-2023-05-12.html").text
    assert f"<h1>{NAME} (2023-05-12, Beijing)</h1>" in page

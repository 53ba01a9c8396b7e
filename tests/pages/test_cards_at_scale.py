"""Cards stay small and cheap when a thing is a hub: a person in many meetings."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.pages.conftest import read_card

from newsgraph.config import Settings
from newsgraph.server.web import create_app, profiles

BASE = Settings().base
MEETINGS = 120


def _hub_trig(path: Path) -> Path:
    lines = [
        "@prefix schema: <https://schema.org/> .",
        "@prefix ng: <https://w3id.org/newsgraph/def#> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix org: <http://www.w3.org/ns/org#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        f"<{BASE}graph/entities> {{",
        f"<{BASE}id/person/hub> a schema:Person ; schema:name \"Hub Person\" .",
        # an office whose organisation has no country: a card must not list
        # every named thing as the country (an unbound OPTIONAL once did)
        f"<{BASE}id/tenure/hub-chair> a org:Membership ; org:member <{BASE}id/person/hub> ;",
        f"  ng:post <{BASE}id/post/chair> ; org:organization <{BASE}id/organization/club> .",
        f"<{BASE}id/post/chair> a org:Post ; skos:prefLabel \"Chair\" .",
        f"<{BASE}id/organization/club> a schema:Organization ; schema:name \"Club\" .",
    ]
    for i in range(MEETINGS):
        other = f"{BASE}id/person/p{i}"
        meeting = f"{BASE}id/meeting/m{i}"
        lines += [
            f"<{other}> a schema:Person ; schema:name \"Person {i}\" .",
            f"<{meeting}> a ng:Meeting ; schema:name \"Meeting {i}\" ;",
            f"  schema:startDate \"2025-01-{1 + i % 28:02d}\" ;",
            f"  prov:qualifiedAssociation <{meeting}#a>, <{meeting}#b> .",
            f"<{meeting}#a> prov:agent <{BASE}id/person/hub> .",
            f"<{meeting}#b> prov:agent <{other}> .",
        ]
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def hub_client(tmp_path_factory: pytest.TempPathFactory):
    data = _hub_trig(tmp_path_factory.mktemp("hub") / "hub.trig")
    return create_app(Settings(), data=data)


def test_a_hubs_card_lists_a_page_of_meetings_and_links_the_rest(hub_client) -> None:
    body = hub_client.test_client().get("/doc/person/hub",
                                        headers={"Accept": "text/html"}).data.decode()
    lines, links = read_card(body)
    assert lines["Offices"] == ["Chair"]
    assert "Country" not in lines
    assert len(lines["Meetings"]) == profiles.CARD_LIST_CAP
    assert f"({MEETINGS})" in body and 'href="/meetings?person=hub"' in body


def test_a_card_costs_a_few_queries_whatever_the_number_of_meetings(hub_client) -> None:
    with hub_client.app_context():
        release = hub_client.extensions["newsgraph"]["release"]
        asked: list[str] = []
        select = release.select

        def counting(query: str):
            asked.append(query)
            return select(query)

        release.select = counting  # type: ignore[method-assign]
        try:
            card = profiles._person(release, f"{BASE}id/person/hub", profiles._Linker(BASE))
        finally:
            del release.select
    assert card.lists[0].total == MEETINGS
    # one query per step of the walk, however many meetings there are
    assert len(asked) <= 15, len(asked)

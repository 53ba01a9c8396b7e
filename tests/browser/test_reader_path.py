"""A reader's path in headless Chromium: search, a person, a meeting, the
network, a CSV; then the reader's pages at a phone's width (390 px). Screenshots
of each page at 1280 and 390 px go to the test's temporary folder (printed), for
a reviewer to look at; they are not kept in the repository."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

pytestmark = pytest.mark.browser

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

READER_PAGES = ("/search?q=wang", "/meetings", "/network", "/tables", "/no/such/page",
                "/meetings?person=bruno-rodriguez-parrilla", "/doc/person/wang-xiaohong",
                "/doc/meeting/wang-xiaohong-alvarez-casas-beijing-2025-08-22",
                "/doc/article/cubaheadlines-309517", "/", "/def", "/shapes", "/dataset",
                "/dumps", "/sparql", "/doc/statement/alvarez-cuba-to-improve-coordination")


def _shoot(browser, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(folder / f"{name}.png"))


def test_search_a_person_their_meeting_the_network_and_a_csv(
    browser, live_server, same_origin_only, tmp_path_factory
):
    shots = tmp_path_factory.mktemp("screenshots")
    print(f"screenshots in {shots}")
    origin = live_server.url
    browser.set_window_size(1280, 1600)
    browser.get(origin + "/")
    box = browser.find_element(By.CSS_SELECTOR, "header.site input[type=search]")
    box.send_keys("alvarez", Keys.ENTER)
    assert urlsplit(browser.current_url).path == "/search"
    _shoot(browser, shots, "search-1280")
    first = browser.find_element(By.CSS_SELECTOR, ".search-results li a")
    assert first.text == "Lázaro Alberto Álvarez Casas"
    same_origin_only(browser, origin)
    first.click()
    assert urlsplit(browser.current_url).path == "/doc/person/lazaro-alberto-alvarez-casas"

    # his meetings, from the timeline filtered to him
    browser.get(origin + "/meetings?person=lazaro-alberto-alvarez-casas")
    _shoot(browser, shots, "meetings-1280")
    items = browser.find_elements(By.CSS_SELECTOR, ".timeline li")
    assert items and all("Álvarez" in li.text for li in items)
    items[0].find_element(By.CSS_SELECTOR, "a").click()
    assert urlsplit(browser.current_url).path.startswith("/doc/meeting/")
    assert "Who took part" in browser.find_element(By.CSS_SELECTOR, "section.card").text
    same_origin_only(browser, origin)

    # the article, at the sentence the meeting's evidence is in
    browser.find_element(By.CSS_SELECTOR, ".evidence figcaption a").click()
    at = urlsplit(browser.current_url)
    assert at.path.startswith("/doc/article/") and at.fragment.startswith("char=")
    target = browser.find_element(By.ID, at.fragment)
    top = browser.execute_script(
        "return [arguments[0].getBoundingClientRect().top, window.innerHeight, window.scrollY]",
        target)
    assert -2 <= top[0] < top[1], top  # scrolled to it (to the sub-pixel)
    _shoot(browser, shots, "article-at-sentence-1280")

    # the network: the pair is drawn and its line leads to their meetings together
    browser.get(origin + "/network")
    _shoot(browser, shots, "network-1280")
    names = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "figure.network text")]
    assert "Lázaro Alberto Álvarez Casas" in names and "Wang Xiaohong" in names
    pair = browser.find_element(By.CSS_SELECTOR, "table.pairs a")
    pair.click()
    assert urlsplit(browser.current_url).path == "/meetings"
    assert browser.find_elements(By.CSS_SELECTOR, ".timeline li")
    same_origin_only(browser, origin)

    # the CSV the tables page offers opens as a spreadsheet would read it
    browser.get(origin + "/tables")
    _shoot(browser, shots, "tables-1280")
    href = browser.find_element(By.CSS_SELECTOR, '#meetings a[type="text/csv"]').get_attribute(
        "href")
    rows = list(csv.DictReader(io.StringIO(requests.get(href, timeout=30).text)))
    assert any(r["participant_name"] == "Lázaro Alberto Álvarez Casas" for r in rows)


def test_the_readers_pages_fit_a_phone(browser, live_server, tmp_path_factory):
    shots = tmp_path_factory.mktemp("screenshots-390")
    print(f"screenshots in {shots}")
    browser.set_window_size(390, 844)
    too_wide: list[str] = []
    try:
        for path in READER_PAGES:
            browser.get(live_server.url + path)
            width = browser.execute_script("return window.innerWidth")
            wide = browser.execute_script(
                "return [...document.querySelectorAll('body *')]"
                ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
                ".map(e => e.tagName + '.' + e.className)")
            scroll = browser.execute_script("return document.documentElement.scrollWidth")
            _shoot(browser, shots, path.strip("/").replace("/", "_").replace("?", "_") or "home")
            too_wide.extend([f"{path}: {scroll} px wide at {width} px: {wide[:5]}"]
                            if scroll > width else [])
        assert not too_wide, too_wide
    finally:
        browser.set_window_size(1280, 1600)


def _background(element) -> str:
    return element.value_of_css_property("background-color")


def test_the_article_text_marks_kinds_that_a_reader_switches_on_and_off(browser, live_server):
    browser.set_window_size(1280, 1600)
    browser.get(live_server.url + "/doc/article/cubaheadlines-309517")
    text = browser.find_element(By.ID, "article-text")
    people = text.find_elements(By.CSS_SELECTOR, "a.mention.g-person")
    offices = text.find_elements(By.CSS_SELECTOR, "a.mention.g-office")
    claims = text.find_elements(By.CSS_SELECTOR, "a.mention.g-claim")
    assert people and offices and claims
    clear = "rgba(0, 0, 0, 0)"
    assert _background(people[0]) != clear  # people are marked at first
    assert _background(offices[0]) == clear  # offices are not
    assert claims[0].value_of_css_property("border-bottom-style") == "dashed"
    browser.find_element(By.CSS_SELECTOR, 'label[for="show-office"]').click()
    assert _background(offices[0]) != clear
    browser.find_element(By.CSS_SELECTOR, 'label[for="show-person"]').click()
    assert _background(people[0]) == clear
    # the outlet, date and original are at the top, before the text
    card = browser.find_element(By.CSS_SELECTOR, "section.card")
    assert card.location["y"] < text.location["y"]
    assert "cubaheadlines.com" in card.text

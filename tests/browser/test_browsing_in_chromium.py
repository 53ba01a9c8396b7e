"""Pages in a real browser: headless Debian ``chromium`` driven by Selenium and
``chromedriver``. A reader starts at the landing page and follows links to a
person, a meeting and the article; nothing is fetched from another origin and
no hostile literal runs as code."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]



from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


def _click_link(driver: webdriver.Chrome, selector: str, text: str) -> None:
    links = [a for a in driver.find_elements(By.CSS_SELECTOR, selector) if a.text.strip() == text]
    assert links, f"no link {text!r} under {selector}"
    links[0].click()


def test_a_reader_goes_from_the_landing_page_to_a_person_a_meeting_and_the_article(
    browser, live_server, same_origin_only
):
    origin = live_server.url
    browser.get(origin + "/")
    assert "newsgraph" in browser.title
    assert browser.find_element(By.CSS_SELECTOR, "ul.stats").text
    same_origin_only(browser, origin)

    # a person, through /id/ (303) to the HTML description
    _click_link(browser, "#person a", "Wang Xiaohong")
    assert urlsplit(browser.current_url).path == "/doc/person/wang-xiaohong"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Wang Xiaohong"
    assert browser.find_element(By.CSS_SELECTOR, ".kind").text.lower() == "person"
    wikidata = browser.find_element(By.CSS_SELECTOR, "a.wikidata")
    assert wikidata.get_attribute("href") == "http://www.wikidata.org/entity/Q18109475"
    marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".evidence mark")]
    assert "Wang Xiaohong" in marks
    same_origin_only(browser, origin)

    # the meeting he attended, from the incoming links
    meeting = "/id/meeting/wang-xiaohong-alvarez-casas-beijing-2025-08-22"
    browser.find_element(By.CSS_SELECTOR, f'.incoming a[href="{meeting}"]').click()
    assert urlsplit(browser.current_url).path.startswith("/doc/meeting/")
    assert "Wang Xiaohong" in browser.find_element(By.TAG_NAME, "h1").text
    facts = browser.find_element(By.CSS_SELECTOR, "table.facts").text
    assert "Beijing" in facts and "2025-08-22" in facts
    # its sub-nodes are on the page, reachable by their fragment
    assert browser.find_element(By.ID, "interval")
    same_origin_only(browser, origin)

    # the article, from an evidence snippet: the browser keeps the #char= fragment
    browser.find_element(By.CSS_SELECTOR, ".evidence figcaption a").click()
    parts = urlsplit(browser.current_url)
    assert parts.path == "/doc/article/cubaheadlines-309517"
    assert parts.fragment.startswith("char=")
    assert browser.find_element(By.ID, parts.fragment)
    text = browser.find_element(By.ID, "article-text")
    assert text.text.startswith("Last Friday, a meeting took place in Beijing")
    mentions = text.find_elements(By.CSS_SELECTOR, "a.mention")
    assert len(mentions) > 20
    hrefs = {urlsplit(a.get_attribute("href")).path for a in mentions}
    assert "/id/person/wang-xiaohong" in hrefs
    assert any(h.startswith("/id/meeting/") for h in hrefs)
    same_origin_only(browser, origin)

    # and a highlighted mention leads back to its entity
    next(a for a in mentions if a.text == "Lázaro Alberto Álvarez Casas").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Lázaro Alberto Álvarez Casas"


def test_the_vocabulary_page_jumps_to_a_term_by_its_hash_iri(
    browser, live_server, same_origin_only
):
    browser.get(live_server.url + "/def#Meeting")
    section = browser.find_element(By.ID, "Meeting")
    assert "ng:Meeting" in section.text
    assert "schema:Event" in section.text
    same_origin_only(browser, live_server.url)


def test_hostile_literals_are_shown_as_text_and_never_run(
    browser, mini_server, same_origin_only
):
    browser.get(mini_server.url + "/id/person/mallory-script")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - raises when no alert opened
    assert browser.find_element(By.TAG_NAME, "h1").text == '<script>alert("x")</script> & "Mallory"'
    browser.get(mini_server.url + "/id/article/fixture-article")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert '<script>alert("x")</script>' in browser.find_element(By.ID, "article-text").text
    same_origin_only(browser, mini_server.url)

"""The query page in headless Chromium (Debian's ``chromium`` + ``chromedriver``):
run an example, see the results, follow a link to an entity page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _results_table(driver: webdriver.Chrome):
    WebDriverWait(driver, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#results table.results-table")))
    return driver.find_element(By.CSS_SELECTOR, "#results table.results-table")


def test_the_editor_highlights_sparql_with_the_prefixes_filled_in(
    browser, live_server, same_origin_only
):
    browser.get(live_server.url + "/sparql")
    editor = browser.find_element(By.CSS_SELECTOR, ".CodeMirror")
    assert "PREFIX schema:" in editor.text and "PREFIX ng:" in editor.text
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")
    assert browser.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-variable-2")  # ?variables
    same_origin_only(browser, live_server.url)


def test_an_example_runs_shows_results_and_its_links_lead_to_entity_pages(
    browser, live_server, same_origin_only
):
    browser.get(live_server.url + "/sparql")
    browser.find_element(By.ID, "example-meetings").click()
    table = _results_table(browser)
    headers = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["article", "date", "meeting", "placeName", "participant", "name",
                       "role"]
    body_rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(body_rows) >= 4
    assert "rows in" in browser.find_element(By.ID, "status").text
    assert "Wang Xiaohong" in table.text and "Beijing" in table.text
    # the query is in the editor and in the address
    assert "ng:Meeting" in browser.find_element(By.CSS_SELECTOR, "#sparql form").text
    assert "query=" in browser.current_url
    # dataset IRIs link to this host; Wikidata-like IRIs stay as they are
    links = [a for a in table.find_elements(By.CSS_SELECTOR, "a.iri")
             if (a.get_attribute("href") or "").startswith(live_server.url + "/id/person/")]
    assert links, "no link to a person"
    target = links[0].get_attribute("title")
    links[0].click()
    WebDriverWait(browser, 30).until(lambda d: "/doc/person/" in d.current_url)
    assert urlsplit(browser.current_url).path == "/doc/" + target.split("/id/", 1)[1]
    assert browser.find_element(By.TAG_NAME, "h1").text
    same_origin_only(browser, live_server.url)


def test_a_describe_answer_is_drawn_as_triples(browser, live_server):
    browser.get(live_server.url + "/sparql")
    browser.find_element(By.ID, "example-describe").click()
    table = _results_table(browser)
    assert [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")] == [
        "subject", "predicate", "object"]
    assert "triples in" in browser.find_element(By.ID, "status").text
    assert "schema:NewsArticle" in table.text


def test_an_error_is_shown_as_text(browser, live_server):
    browser.get(live_server.url + "/sparql?query=SELECT%20%3Cscript%3E")
    WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#results pre.error-text")))
    assert "400" in browser.find_element(By.ID, "status").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#results script")

"""Namesakes in a real browser: a reader choosing between two meetings of one
name, and two people of one name, sees what tells them apart before clicking
(tests/fixtures/namesakes.trig)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "namesakes.trig"
NAME = "Meeting of Wang Yi and Bruno Rodríguez Parrilla"


def test_a_reader_picks_the_right_meeting_and_the_right_wang_yi(browser, start_server):
    from selenium.webdriver.common.by import By

    server = start_server(FIXTURE)
    browser.get(server.url + "/")
    meetings = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#meeting a")]
    assert sorted(meetings) == [f"{NAME} (2023-05-12, Beijing)", f"{NAME} (2025-05-12, Havana)"]
    people = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#person a")]
    assert "Wang Yi (Minister of Foreign Affairs of China)" in people
    assert "Wang Yi (Mayor of Harbin)" in people

    (later,) = [a for a in browser.find_elements(By.CSS_SELECTOR, "#meeting a")
                if "2025" in a.text]
    later.click()
    assert urlsplit(browser.current_url).path == "/doc/meeting/wang-rodriguez-2025-05-12"
    assert browser.find_element(By.TAG_NAME, "h1").text == f"{NAME} (2025-05-12, Havana)"
    attendee = browser.find_element(By.CSS_SELECTOR, 'a[href="/id/person/wang-yi-2"]')
    assert attendee.text == "Wang Yi (Mayor of Harbin)"

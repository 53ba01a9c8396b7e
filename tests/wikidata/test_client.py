"""The Wikidata client: polite (User-Agent, pacing, Retry-After) and clear when it fails."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from newsgraph.curation.wikidata.client import (
    USER_AGENT,
    HttpResponse,
    WikidataClient,
    WikidataError,
    WikidataUnavailable,
    retry_after_seconds,
)
from newsgraph.curation.wikidata.replay import ReplayTransport, fixture_name

from .conftest import RECORDED, json_answer


class Recorder:
    """A transport answering from a list, remembering what it was asked."""

    def __init__(self, *answers: HttpResponse) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, dict[str, str], float]] = []

    def __call__(self, url: str, headers: dict[str, str], timeout: float) -> HttpResponse:
        self.calls.append((url, headers, timeout))
        return self.answers.pop(0)


def ok(data: object) -> HttpResponse:
    return HttpResponse(200, {}, json.dumps(data).encode())


def client_with(transport, **kw) -> tuple[WikidataClient, list[float]]:
    slept: list[float] = []
    kw.setdefault("min_interval", 0.0)
    return WikidataClient("https://www.wikidata.org", transport=transport,
                          sleep=slept.append, **kw), slept


def test_every_request_names_the_project_in_its_user_agent():
    transport = Recorder(ok({"search": []}))
    client, _ = client_with(transport)
    client.search("Havana")
    url, headers, timeout = transport.calls[0]
    assert headers["User-Agent"] == USER_AGENT
    assert "newsgraph/" in USER_AGENT and "https://w3id.org/newsgraph/" in USER_AGENT
    assert url.startswith("https://www.wikidata.org/w/api.php?")
    assert "action=wbsearchentities" in url and "search=Havana" in url
    assert timeout == 15.0


def test_a_429_is_retried_after_the_wait_retry_after_names():
    transport = Recorder(HttpResponse(429, {"retry-after": "7"}, b"slow down"),
                         ok({"search": [{"id": "Q1563", "label": "Havana"}]}))
    client, slept = client_with(transport)
    hits = client.search("Havana")
    assert [h["id"] for h in hits] == ["Q1563"]
    assert slept == [7.0]
    assert len(transport.calls) == 2


def test_retry_after_as_an_http_date_is_honoured():
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0) == 10.0
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_wait_longer_than_the_bound_gives_up_with_a_clear_error():
    transport = Recorder(HttpResponse(429, {"retry-after": "3600"}, b""))
    client, slept = client_with(transport, max_wait=120.0)
    with pytest.raises(WikidataError, match="asks to wait 3600 s"):
        client.search("Havana")
    assert slept == []


def test_repeated_429s_stop_after_the_retries():
    transport = Recorder(*[HttpResponse(429, {"retry-after": "1"}, b"")] * 3)
    client, slept = client_with(transport, max_retries=2)
    with pytest.raises(WikidataError, match="still refusing"):
        client.search("Havana")
    assert slept == [1.0, 1.0]


def test_requests_are_paced_by_the_minimum_interval():
    now = [100.0]
    transport = Recorder(ok({"search": []}), ok({"search": []}))
    slept: list[float] = []
    client = WikidataClient(transport=transport, min_interval=1.0, sleep=slept.append,
                            clock=lambda: now[0])
    client.search("a")
    now[0] += 0.25
    client.search("b")
    assert slept == [0.75]


def test_a_deleted_item_is_none_and_a_redirect_is_seen():
    client = WikidataClient(transport=ReplayTransport(RECORDED), min_interval=0.0)
    assert client.item("Q999999931") is None
    moved = client.item("Q999999921")
    assert moved is not None and moved.redirected and moved.id == "Q999999922"
    same = client.item("Q1563")
    assert same is not None and not same.redirected and same.label == "Havana"


def test_item_reads_types_context_and_tenure_starts():
    client = WikidataClient(transport=ReplayTransport(RECORDED), min_interval=0.0)
    item = client.item("Q114436521")
    assert item.claims["P31"] == ["Q5"]
    assert item.claims["P27"] == ["Q241"]
    assert item.position_starts == {"Q114433457": ["2019-12-21"]}
    assert "Lázaro Álvarez Casas" in item.names


def test_answers_that_are_not_json_or_errors_are_reported():
    client, _ = client_with(Recorder(HttpResponse(200, {}, b"<html>")))
    with pytest.raises(WikidataError, match="not JSON"):
        client.search("x")
    client, _ = client_with(Recorder(HttpResponse(500, {}, b"")))
    with pytest.raises(WikidataError, match="HTTP 500"):
        client.item("Q1")
    client, _ = client_with(Recorder(ok({"error": {"info": "bad param"}})))
    with pytest.raises(WikidataError, match="bad param"):
        client.search("x")


def test_malformed_ids_and_urls_are_refused_before_any_request():
    transport = Recorder()
    client, _ = client_with(transport)
    for bad in ("Q0", "Q042", "Q42\n", "P31", "q42"):
        with pytest.raises(WikidataError, match="malformed"):
            client.item(bad)
    assert transport.calls == []
    with pytest.raises(WikidataError, match="http"):
        WikidataClient("file:///etc/")


def test_replay_names_the_missing_file_rather_than_guessing(tmp_path):
    client = WikidataClient(transport=ReplayTransport(tmp_path), min_interval=0.0)
    with pytest.raises(WikidataError, match="entity/Q42.json"):
        client.item("Q42")
    assert fixture_name("https://www.wikidata.org/w/api.php?action=wbsearchentities"
                        "&search=L%C3%A1zaro+%C3%81lvarez") == "search/lazaro-alvarez.json"


# ---------------------------------------------------------------- over real HTTP


def test_over_http_a_429_with_retry_after_is_retried_and_the_agent_sent(stand_in):
    turns = iter([json_answer({"error": "slow"}, 429, {"Retry-After": "0"}),
                  json_answer({"search": [{"id": "Q956", "label": "Beijing"}]})])
    server = stand_in(lambda req: next(turns))
    client = WikidataClient(server.url, min_interval=0.0)
    assert [h["id"] for h in client.search("Beijing")] == ["Q956"]
    assert len(server.requests) == 2
    assert all(r["headers"]["user-agent"] == USER_AGENT for r in server.requests)
    assert server.requests[0]["path"].startswith("/w/api.php?action=wbsearchentities")


def test_over_http_entity_data_404_is_a_deleted_item(stand_in):
    server = stand_in(lambda req: (404, {"Content-Type": "text/plain"}, b"Not Found"))
    client = WikidataClient(server.url, min_interval=0.0)
    assert client.item("Q999999931") is None
    assert server.requests[0]["path"] == "/wiki/Special:EntityData/Q999999931.json"


def test_offline_is_a_clear_unavailable_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = WikidataClient(f"http://127.0.0.1:{port}", min_interval=0.0, timeout=5)
    with pytest.raises(WikidataUnavailable, match=f"cannot reach 127.0.0.1:{port}"):
        client.search("Havana")


def test_a_server_that_never_answers_times_out_clearly():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        client = WikidataClient(f"http://127.0.0.1:{port}", min_interval=0.0, timeout=0.5)
        with pytest.raises(WikidataUnavailable, match="did not answer|timed out"):
            client.search("Havana")
    finally:
        for conn in accepted:
            conn.close()
        listener.close()

"""``/reconcile``'s bounds with Flask's test client: CPU per request, and the
limits read from the settings (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsgraph.config import Settings
from newsgraph.server.web import create_app


def client(built_dist: Path, **limits: object):
    return create_app(Settings(**limits), data=built_dist).test_client()  # type: ignore[arg-type]


def batch(n: int, text: str) -> dict[str, str]:
    return {"queries": json.dumps({f"q{i}": {"query": f"{text} {i}"} for i in range(n)})}


def test_a_request_past_its_cpu_budget_is_503_with_retry_after(built_dist):
    resp = client(built_dist, reconcile_cpu_s=0.01).post(
        "/reconcile", data=batch(50, ("Xi Jinping Havana " * 20)[:290]))
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "1"
    assert "more than 0.01 s of CPU" in resp.get_json()["message"]


def test_within_the_budget_the_same_batch_is_answered(built_dist):
    resp = client(built_dist).post("/reconcile", data=batch(5, "Wang Xiaohong"))
    assert resp.status_code == 200
    assert resp.get_json()["q0"]["result"][0]["id"] == "person/wang-xiaohong"


@pytest.mark.parametrize(("limits", "form", "status", "message"), [
    ({"reconcile_max_queries": 3}, batch(4, "x"), 413, "at most 3 queries"),
    ({"reconcile_max_text": 10}, batch(1, "Xi Jinping Havana"), 400, "longer than 10"),
    # "ﬃ" is one character and three once normalised
    ({"reconcile_max_text": 10}, {"queries": json.dumps({"q": "\ufb03" * 5})}, 400,
     "once normalised"),
])
def test_the_limits_come_from_the_settings(built_dist, limits, form, status, message):
    resp = client(built_dist, **limits).post("/reconcile", data=form)
    assert resp.status_code == status
    assert message in resp.get_json()["message"]


def test_suggest_folds_the_prefix_once_and_still_finds_by_any_word(built_dist):
    resp = client(built_dist).get("/reconcile/suggest/entity", query_string={"prefix": "xiao"})
    assert resp.status_code == 200
    assert "person/wang-xiaohong" in {hit["id"] for hit in resp.get_json()["result"]}

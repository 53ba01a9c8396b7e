"""``newsgraph export quickstatements``: one CREATE block per meeting, only linked entities."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newsgraph.curation.quickstatements import qs_string, qs_time
from newsgraph.pipeline.annotations import load_corpus, target, targets

from .conftest import REPO, confirmed_qids


def seeded_meetings() -> dict[str, dict]:
    """Each meeting of the seeds by its quoted label: its article's URL, its sources'
    URLs, and whether a participant has a Wikidata link (else it has no block)."""
    corpus = load_corpus(REPO / "seeds")
    out = {}
    for article in corpus.articles:
        for r in article.records.values():
            if r.kind != "meeting":
                continue
            sources = {corpus.entities[w].get("url") for w in targets(r.get("source"))}
            out[qs_string(r.fields["name"])] = {
                "article": article.meta["url"],
                "sources": sources - {None},
                "linked": any(corpus.entities[target(p["agent"])].get("wikidata")
                              for p in r.fields["participants"]),
            }
    return out


def export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsgraph", "--project", str(REPO), "export",
                           "quickstatements", *args], capture_output=True, text=True,
                          timeout=120)


def blocks(text: str) -> list[dict[str, list[list[str]]]]:
    """Each CREATE block as {command: [fields…]}, checking the v1 syntax on the way."""
    out = []
    for chunk in text.strip().split("\n\n"):
        lines = chunk.split("\n")
        assert lines[0] == "CREATE"
        block: dict[str, list[list[str]]] = {}
        for line in lines[1:]:
            fields = line.split("\t")
            assert fields[0] == "LAST", line
            block.setdefault(fields[1], []).append(fields[2:])
        out.append(block)
    return out


@pytest.fixture(scope="module")
def exported(built_dist: Path) -> subprocess.CompletedProcess:
    proc = export("--data", str(built_dist))
    assert proc.returncode == 0, proc.stderr
    return proc


def test_every_meeting_with_a_linked_participant_is_one_create_block(exported):
    found = blocks(exported.stdout)
    labels = sorted(b["Len"][0][0] for b in found)
    assert set(labels) >= {  # the first article's
        '"Meeting of Wang Xiaohong and Lázaro Alberto Álvarez Casas in Beijing"',
        '"Meeting of Bruno Rodríguez Parrilla and Qiu Xiaoqi in Havana"',
        '"Fourth Ministerial Meeting of the China–CELAC Forum"',
        '"Meeting of Miguel Díaz-Canel and Xi Jinping in Moscow"',
    }
    assert labels == sorted(label for label, m in seeded_meetings().items() if m["linked"])


def test_only_confirmed_qids_appear_and_every_statement_cites_the_article(exported):
    confirmed = {q for q in confirmed_qids().values() if q}
    meetings = seeded_meetings()
    for block in blocks(exported.stdout):
        meeting = meetings[block["Len"][0][0]]
        cited = ["S854", f'"{meeting["article"]}"']
        for prop in ("P710", "P276", "P585"):
            assert cited in [fields[1:] for fields in block[prop]], block[prop]
            for fields in block[prop]:  # the article, or a source of the place and date
                assert fields[1:] == cited or (
                    prop != "P710" and fields[1] == "S854"
                    and fields[2].strip('"') in meeting["sources"]), fields
        for prop in ("P710", "P276"):
            assert {f[0] for f in block[prop]} <= confirmed
    assert "P31" not in exported.stdout  # no class QID is invented


def test_participants_places_and_dates_with_their_precision(exported):
    by_label = {b["Len"][0][0]: b for b in blocks(exported.stdout)}
    beijing = by_label['"Meeting of Wang Xiaohong and Lázaro Alberto Álvarez Casas in Beijing"']
    assert sorted(f[0] for f in beijing["P710"]) == ["Q114436521", "Q18109475"]
    assert [f[0] for f in beijing["P276"]] == ["Q956"]
    assert [f[0] for f in beijing["P585"]] == ["+2025-08-22T00:00:00Z/11"]
    havana = by_label['"Meeting of Bruno Rodríguez Parrilla and Qiu Xiaoqi in Havana"']
    assert [f[0] for f in havana["P710"]] == ["Q58183"]  # Qiu Xiaoqi has no QID
    assert [f[0] for f in havana["P585"]] == ["+2025-06-00T00:00:00Z/10"]  # month precision
    assert [f[0] for f in havana["P276"]] == ["Q1563"]


def test_the_review_notes_say_what_was_left_out(exported):
    notes = exported.stderr
    assert "participant Qiu Xiaoqi left out: no Wikidata link" in notes
    assert "no P31 (instance of)" in notes
    assert "CREATE always makes a new item" in notes


def test_instance_of_is_added_only_when_the_editor_names_a_qid(built_dist, tmp_path):
    out = tmp_path / "meetings.qs"
    proc = export("--data", str(built_dist), "--instance-of", "Q999999999", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    meetings = seeded_meetings()
    found = blocks(out.read_text(encoding="utf-8"))
    assert found
    for b in found:
        assert b["P31"] == [["Q999999999", "S854", f'"{meetings[b["Len"][0][0]]["article"]}"']]
    bad = export("--data", str(built_dist), "--instance-of", "meeting")
    assert bad.returncode == 2 and "needs a QID" in bad.stderr and not bad.stdout


def test_unreadable_data_is_a_clear_error(tmp_path):
    (tmp_path / "broken.nq").write_text("<not a quad\n", encoding="utf-8")
    proc = export("--data", str(tmp_path / "broken.nq"))
    assert proc.returncode == 2 and "not valid" in proc.stderr
    assert "Traceback" not in proc.stderr
    (tmp_path / "data.json").write_text("{}", encoding="utf-8")
    proc = export("--data", str(tmp_path / "data.json"))
    assert proc.returncode == 2 and "cannot tell the format" in proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = export("--data", str(empty))
    assert proc.returncode == 2 and "newsgraph build" in proc.stderr


def test_strings_and_times_in_quickstatements_syntax():
    assert qs_string('a "quoted"\tname\n') == "\"a 'quoted' name\""
    assert qs_time("2025-08-22", 11) == "+2025-08-22T00:00:00Z/11"
    assert qs_time("2025-06", 10) == "+2025-06-00T00:00:00Z/10"
    assert qs_time("2025-06", None) == "+2025-06-00T00:00:00Z/10"

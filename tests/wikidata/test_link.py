"""``newsgraph link``: ranked candidates with evidence; a link is written only when accepted."""

from __future__ import annotations

import difflib
import socket

import yaml

from newsgraph.curation.wikidata.candidates import score, targets_from_corpus
from newsgraph.curation.wikidata.client import WikidataClient
from newsgraph.curation.wikidata.replay import ReplayTransport
from newsgraph.names import similarity
from newsgraph.pipeline.annotations import load_corpus

from .conftest import RECORDED, REPO


def added_lines(before: str, after: str) -> list[str]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [d for d in diff if d.startswith("- ")], "a line of the register was changed"
    return [d[2:] for d in diff if d.startswith("+ ")]


def test_names_compare_folded_and_by_words():
    assert similarity("Lázaro Alberto Álvarez Casas", "LAZARO ALBERTO ALVAREZ CASAS") == 1.0
    assert similarity("Miguel Díaz-Canel", "Miguel Díaz-Canel Bermúdez") > 0.8
    assert similarity("Qiu Xiaoqi", "Qiu Xiaoqing") < similarity("Qiu Xiaoqi", "Qiu Xiaoqi")
    assert similarity("Havana", "Beijing") < 0.3
    assert similarity("", "Havana") == 0.0


def test_context_comes_from_the_register():
    targets = {t.id: t for t in targets_from_corpus(load_corpus(REPO / "seeds"))}
    wang = targets["wang-xiaohong"]
    assert ("P39", "Q6866288") in {(e.props[0], e.qid) for e in wang.expects}
    assert ("P27", "Q148") in {(e.props[0], e.qid) for e in wang.expects}
    assert wang.tenure_starts["Q6866288"][0] == "2022-06-24"
    assert {e.qid for e in targets["havana"].expects} == {"Q241"}
    assert "qiu-xiaoqi" in targets and targets["qiu-xiaoqi"].qid is None
    # tenures, concepts, events and works are not linkable
    assert not {"community-with-a-shared-future", "cibercuba-309517"} & set(targets)


def test_a_human_scores_above_a_namesake_and_a_disambiguation_page():
    target = next(t for t in targets_from_corpus(load_corpus(REPO / "seeds"))
                  if t.id == "qiu-xiaoqi")
    client = WikidataClient(transport=ReplayTransport(RECORDED), min_interval=0.0)
    person, namesake, disamb = (score(target, client.item(q))
                                for q in ("Q999999911", "Q999999912", "Q999999913"))
    assert person.score > namesake.score > disamb.score
    assert person.type_score == 1 and disamb.type_score == -1
    assert any("P27 Q148 agrees" in line for line in person.evidence)
    assert any("we expect Q148" in line for line in namesake.evidence)


def test_link_prints_a_ranked_table_with_evidence_and_writes_nothing(run, register):
    before = register.read_bytes()
    result = run("link", "qiu-xiaoqi", "--replay", str(RECORDED))
    assert result.exit_code == 0, result.output
    out = result.output
    rows = [line.split() for line in out.splitlines() if line[:4].strip().isdigit()]
    assert [r[2] for r in rows] == ["Q999999911", "Q999999912", "Q999999913"]
    scores = [float(r[1]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert "P31 human (Q5)" in out and "Wikimedia disambiguation page" in out
    assert "Q1058356" not in out  # a known wrong id is never proposed
    assert "nothing written" in out
    assert register.read_bytes() == before


def test_accept_writes_one_line_and_keeps_comments_and_order(run, register):
    before = register.read_text(encoding="utf-8")
    result = run("link", "--accept", "qiu-xiaoqi=Q999999911", "--replay", str(RECORDED))
    assert result.exit_code == 0, result.output
    assert "linked people.qiu-xiaoqi -> Q999999911" in result.output
    after = register.read_text(encoding="utf-8")
    assert added_lines(before, after) == ["    wikidata: Q999999911"]
    assert after.index("name: Qiu Xiaoqi") < after.index("wikidata: Q999999911") < after.index(
        "miguel-diaz-canel:")
    assert yaml.safe_load(after)["people"]["qiu-xiaoqi"]["wikidata"] == "Q999999911"
    load_corpus(register.parent)  # still a valid register


def test_interactive_accepts_the_chosen_number(run, register):
    before = register.read_text(encoding="utf-8")
    result = run("link", "qiu-xiaoqi", "-i", "--replay", str(RECORDED), input="x\n1\n")
    assert result.exit_code == 0, result.output
    assert added_lines(before, register.read_text(encoding="utf-8")) == [
        "    wikidata: Q999999911"]


def test_interactive_skip_writes_nothing(run, register):
    before = register.read_bytes()
    result = run("link", "qiu-xiaoqi", "-i", "--replay", str(RECORDED), input="s\n")
    assert result.exit_code == 0, result.output
    assert register.read_bytes() == before


def test_refused_links_leave_the_register_unchanged(run, register):
    before = register.read_bytes()
    cases = {
        "qiu-xiaoqi=Q999999921": "redirects to Q999999922",
        "qiu-xiaoqi=Q999999931": "no such item",
        "qiu-xiaoqi=Q999999913": "not a person",
        "qiu-xiaoqi=Q1058356": "known wrong identifier",
        "qiu-xiaoqi=Q042": "malformed",
        "xi-jinping=Q999999911": "already linked to Q15031",
    }
    for pair, message in cases.items():
        result = run("link", "--accept", pair, "--replay", str(RECORDED))
        assert result.exit_code == 1, (pair, result.output)
        assert message in result.output, (pair, result.output)
        assert register.read_bytes() == before, pair


def test_bad_arguments_are_usage_errors(run, register):
    before = register.read_bytes()
    assert "unknown or unlinkable id" in run("link", "nobody", "--replay", str(RECORDED)).output
    assert "unknown or unlinkable" in run("link", "cibercuba-309517",
                                          "--replay", str(RECORDED)).output
    result = run("link", "--accept", "qiu-xiaoqi", "--replay", str(RECORDED))
    assert result.exit_code == 2 and "ID=QID" in result.output
    result = run("link", "--check", "qiu-xiaoqi")
    assert result.exit_code == 2
    assert register.read_bytes() == before


def test_offline_says_so_and_changes_nothing(run, register):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = register.read_bytes()
    for args in (["link", "qiu-xiaoqi"], ["link", "--accept", "qiu-xiaoqi=Q999999911"],
                 ["link", "--check"]):
        result = run(*args, "--wikidata-url", f"http://127.0.0.1:{port}")
        assert result.exit_code == 2, result.output
        assert "Wikidata is unreachable" in result.output
        assert register.read_bytes() == before


def test_a_missing_recorded_answer_is_an_error_not_a_guess(run, register, tmp_path):
    before = register.read_bytes()
    result = run("link", "government-of-cuba", "--replay", str(tmp_path))
    assert result.exit_code == 2
    assert "no recorded response" in result.output and "search/government-of-cuba.json" in \
        result.output
    assert register.read_bytes() == before


def test_broken_annotations_stop_link_before_asking_wikidata(run, register):
    register.write_text(register.read_text(encoding="utf-8") + "\npeople:\n  x:\n    name: X\n",
                        encoding="utf-8")
    result = run("link", "qiu-xiaoqi", "--replay", str(RECORDED))
    assert result.exit_code == 2
    assert "duplicate key 'people'" in result.output

"""``newsgraph link --check``: stored links re-verified on recorded answers; drift reported."""

from __future__ import annotations

from .conftest import RECORDED, confirmed_qids


def rows(output: str) -> dict[tuple[str, str], list[str]]:
    """(status, entity) -> details, from the check's table."""
    found: dict[tuple[str, str], list[str]] = {}
    for line in output.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[0] in ("ok", "drift", "note"):
            found.setdefault((parts[0], parts[1]), []).append(parts[3])
    return found


def test_the_register_as_published_has_no_drift(run, register):
    before = register.read_bytes()
    result = run("link", "--check", "--replay", str(RECORDED))
    assert result.exit_code == 0, result.output
    table = rows(result.output)
    linked = {k for k, v in confirmed_qids().items() if v}
    assert {entity for status, entity in table if status == "ok"} == linked
    assert f"{len(linked)} link(s) checked, 0 drifted" in result.output
    assert register.read_bytes() == before


def test_wikidatas_wrong_tenure_starts_are_noted_not_adopted(run):
    result = run("link", "--check", "--replay", str(RECORDED))
    notes = rows(result.output)
    alvarez = " ".join(notes[("note", "lazaro-alberto-alvarez-casas")])
    assert "Wikidata 2019-12-21, ours 2020-11-24" in alvarez and "ours stands" in alvarez
    assert "our note records it" in alvarez
    wang = " ".join(notes[("note", "wang-xiaohong")])
    assert "Wikidata 2022-06-25, ours 2022-06-24" in wang
    assert ("note", "xi-jinping") not in notes  # agreeing starts say nothing


def test_redirected_deleted_relabelled_and_retyped_items_are_drift(run, edit_register):
    edit_register("celac", "Q999999921")  # redirected to Q999999922
    edit_register("cibercuba", "Q999999931")  # deleted
    edit_register("cubaheadlines", "Q999999941")  # label now 'Havana Times'
    edit_register("government-of-cuba", "Q999999951")  # now a human
    result = run("link", "--check", "--replay", str(RECORDED))
    assert result.exit_code == 1, result.output
    drift = {entity: " ".join(d) for (status, entity), d in rows(result.output).items()
             if status == "drift"}
    assert set(drift) == {"celac", "cibercuba", "cubaheadlines", "government-of-cuba"}
    assert "redirected: Q999999921 now redirects to Q999999922" in drift["celac"]
    assert "deleted" in drift["cibercuba"]
    assert "label: ours 'CubaHeadlines', Wikidata's 'Havana Times'" in drift["cubaheadlines"]
    assert "type: P31 human (Q5): not an organization" in drift["government-of-cuba"]
    assert "4 drifted: celac, cibercuba, cubaheadlines, government-of-cuba" in result.output


def test_a_known_wrong_identifier_in_the_register_is_drift(run, edit_register, tmp_path):
    edit_register("celac", "Q1014127")
    recorded = tmp_path / "recorded"
    import shutil

    shutil.copytree(RECORDED, recorded)
    shutil.copy(recorded / "entity" / "Q999999951.json", recorded / "entity" / "Q1014127.json")
    result = run("link", "--check", "--replay", str(recorded))
    assert result.exit_code == 1
    assert "known wrong identifier: Q1014127" in result.output


def test_a_429_during_the_check_is_waited_out(run, tmp_path):
    import json
    import shutil

    recorded = tmp_path / "recorded"
    shutil.copytree(RECORDED, recorded)
    body = json.loads((recorded / "entity" / "Q956.json").read_text(encoding="utf-8"))
    (recorded / "entity" / "Q956.json").write_text(json.dumps([
        {"status": 429, "headers": {"Retry-After": "0"}, "body": "Too Many Requests"},
        body]), encoding="utf-8")
    result = run("link", "--check", "--replay", str(recorded))
    assert result.exit_code == 0, result.output
    assert ("ok", "beijing") in rows(result.output)

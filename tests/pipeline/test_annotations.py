"""Each way a curator can get the annotations wrong gets one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsgraph.pipeline.annotations import AnnotationError, load_corpus

from .conftest import ANNOTATIONS, ENTITIES


def problems(project: Path) -> list[str]:
    with pytest.raises(AnnotationError) as info:
        load_corpus(project / "seeds")
    return [str(p) for p in info.value.problems]


def only(project: Path) -> str:
    found = problems(project)
    assert len(found) == 1, found
    return found[0]


def test_the_seed_annotations_load(project):
    corpus = load_corpus(project / "seeds")
    folders = sorted(p.name for p in (project / "seeds").iterdir() if p.is_dir())
    assert [a.slug for a in corpus.articles] == folders
    assert "cubaheadlines-309517" in folders
    assert corpus.entities["wang-xiaohong"].fields["wikidata"] == "Q18109475"


def test_while_an_article_cannot_be_read_its_meetings_are_not_called_unknown(project):
    # Another article refers to a meeting the first one defines: while the first
    # cannot be read, that reference is not reported as unknown.
    path = project / ANNOTATIONS
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    found = problems(project)
    assert len(found) == 1 and "byte order mark" in found[0], found
    assert any("china-celac-forum-fourth-ministerial-meeting-2025-05-13" in a.read_text(
        encoding="utf-8") for a in (project / "seeds").glob("*/annotations.yaml")
        if a != path), "no other article refers to the first one's meetings"


def test_misspelled_field_names_file_line_record_and_suggests(project, edit):
    edit(ANNOTATIONS, "    location: beijing\n    date: 2025-08-22",
         "    locaton: beijing\n    date: 2025-08-22")
    line = only(project)
    assert line.startswith("seeds/cubaheadlines-309517/annotations.yaml:")
    assert "meetings.wang-xiaohong-alvarez-casas-beijing-2025-08-22" in line
    assert "unknown field 'locaton' (did you mean 'location'?)" in line
    assert "[rule: known-fields]" in line


def test_missing_required_field(project, edit):
    edit(ENTITIES, "    name: Qiu Xiaoqi\n", "")
    line = only(project)
    assert "people.qiu-xiaoqi" in line and "missing field 'name'" in line
    assert "[rule: required]" in line


def test_evidence_not_in_the_text(project, edit):
    edit(ANNOTATIONS, "      - describing the exchange as \"fruitful.\"",
         "      - describing the exchange as \"very fruitful.\"")
    line = only(project)
    assert "statements.rodriguez-exchange-fruitful" in line
    assert "quote not found" in line and "[rule: evidence]" in line


def test_evidence_with_curly_quotes_still_matches(project, edit):
    edit(ANNOTATIONS, "      - describing the exchange as \"fruitful.\"",
         "      - describing the exchange as \u201cfruitful.\u201d")
    load_corpus(project / "seeds")


def test_evidence_inside_a_word_is_not_found(project, edit):
    edit(ANNOTATIONS, "    - Global South\n", "    - Global Sout\n")
    assert "quote not found" in only(project)


def test_empty_quote_is_an_error(project, edit):
    edit(ANNOTATIONS, "    - Global South\n", "    - \"\"\n")
    assert "empty quote" in only(project)


def test_duplicate_ids_in_one_section_are_duplicate_keys(project, edit):
    edit(ENTITIES, "  qiu-xiaoqi:\n    name: Qiu Xiaoqi\n",
         "  qiu-xiaoqi:\n    name: Qiu Xiaoqi\n  qiu-xiaoqi:\n    name: Qiu Xiaoqi\n")
    line = only(project)
    assert "duplicate key 'qiu-xiaoqi'" in line and "[rule: yaml]" in line
    assert line.startswith("seeds/entities.yaml:")


def test_duplicate_ids_across_files(project, edit):
    edit(ENTITIES, "concepts:\n", "concepts:\n  diaz-canel-greater-deepening:\n"
         "    label: greater deepening\n")
    line = only(project)
    assert "id 'diaz-canel-greater-deepening' already used" in line
    assert "[rule: unique-id]" in line


def test_duplicate_keys_inside_a_record(project, edit):
    edit(ENTITIES, "    name: Xi Jinping\n", "    name: Xi Jinping\n    name: Xi\n")
    assert "duplicate key 'name'" in only(project)


@pytest.mark.parametrize("qid", ["Q0", "Q042", '"Q42\\n"', "Q\u0664\u0662", "P31", "q42", "42"])
def test_malformed_qids_are_refused(project, edit, qid):
    edit(ENTITIES, "    wikidata: Q15031\n", f"    wikidata: {qid}\n")
    line = only(project)
    assert "people.xi-jinping" in line and "[rule: wikidata-id]" in line


def test_unknown_type_is_refused(project, edit):
    edit(ENTITIES, "    name: Beijing\n    type: city", "    name: Beijing\n    type: town")
    line = only(project)
    assert "'town' is not one of city, country" in line and "[rule: choice]" in line


def test_unknown_role_is_refused_with_a_hint(project, edit):
    edit(ANNOTATIONS, "        role: visitor\n        capacity: minister-of-the-interior-cuba",
         "        role: vistor\n        capacity: minister-of-the-interior-cuba")
    line = only(project)
    assert "'vistor' is not one of host, visitor, participant (did you mean 'visitor'?)" in line


def test_unknown_statement_kind_is_refused(project, edit):
    edit(ANNOTATIONS, "    kind: editorial-claim\n", "    kind: opinion\n")
    assert "[rule: choice]" in only(project)


def test_reference_to_an_unknown_id(project, edit):
    edit(ANNOTATIONS, "    location: moscow\n", "    location: moskow\n")
    line = only(project)
    assert "unknown id 'moskow' (did you mean 'moscow'?)" in line


def test_reference_to_the_wrong_kind(project, edit):
    edit(ANNOTATIONS, "    location: moscow\n", "    location: xi-jinping\n")
    assert "'xi-jinping' is a person, expected place" in only(project)


def test_a_date_after_publication_is_refused(project, edit):
    edit(ANNOTATIONS, "    date: 2025-05-09\n", "    date: 2025-09-09\n")
    found = problems(project)
    assert any("[rule: date-after-publication]" in p and "2025-09-09" in p for p in found)


def test_a_date_contradicting_the_article_words_is_refused(project, edit):
    edit(ANNOTATIONS, "    date: 2025-08-22\n", "    date: 2025-08-15\n")
    assert "does not fit 'Last Friday'" in only(project)


def test_an_impossible_date_is_refused(project, edit):
    edit(ANNOTATIONS, "    date: 2025-08-22\n", "    date: 2025-02-30\n")
    assert "no such day" in only(project)


def test_a_direct_quote_must_occur_in_its_evidence(project, edit):
    edit(ANNOTATIONS, "    text: fruitful\n", "    text: very fruitful\n")
    assert "[rule: direct-quote]" in only(project)


def test_a_meeting_needs_two_participants(project, edit):
    edit(ANNOTATIONS, "      - agent: xi-jinping\n", "      - agent: miguel-diaz-canel\n")
    found = problems(project)
    assert any("at least two distinct participants" in p for p in found)


def test_a_bom_is_refused(project):
    path = project / ANNOTATIONS
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    line = only(project)
    assert "byte order mark" in line and line.startswith(f"{ANNOTATIONS}:1:")


def test_invalid_utf8_is_refused_with_its_line(project):
    path = project / ENTITIES
    data = path.read_bytes().replace(b"Qiu Xiaoqi", b"Qiu Xiaoq\xff", 1)
    path.write_bytes(data)
    line = only(project)
    assert "invalid UTF-8" in line and "[rule: utf-8]" in line


def test_article_text_bom_is_refused(project):
    path = project / "seeds/cubaheadlines-309517/article.txt"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert "byte order mark" in only(project)


def test_a_url_that_cannot_be_written_as_an_iri_is_refused(project, edit):
    edit(ANNOTATIONS, "  url: https://www.cubaheadlines.com/articles/309517",
         "  url: https://www.cubaheadlines.com/articles/309 517")
    assert "[rule: url]" in only(project)


def test_a_javascript_url_is_refused(project, edit):
    edit(ANNOTATIONS, "  url: https://www.cubaheadlines.com/articles/309517",
         "  url: javascript:alert(1)")
    assert "[rule: url]" in only(project)


def test_every_problem_is_reported_in_one_run(project, edit):
    edit(ENTITIES, "    wikidata: Q15031\n", "    wikidata: Q015031\n")
    edit(ANNOTATIONS, "    location: moscow\n", "    location: moskow\n")
    assert len(problems(project)) == 2


def test_article_fields_refer_to_known_ids_of_the_right_kind(project, edit):
    edit(ANNOTATIONS, "  publisher: cubaheadlines\n", "  publisher: cubaheadline\n")
    edit(ANNOTATIONS, "  based-on: cibercuba-309517\n", "  based-on: cibercuba\n")
    found = problems(project)
    assert any("article: publisher: unknown id 'cubaheadline' (did you mean 'cubaheadlines'?)"
               in p and "[rule: reference]" in p for p in found)
    assert any("article: based-on: 'cibercuba' is a organization, expected work" in p
               and "[rule: reference-kind]" in p for p in found)


def test_a_mention_of_an_unknown_id_suggests_the_right_one(project, edit):
    edit(ANNOTATIONS, "  global-south:\n", "  global-sout:\n")
    assert "unknown id 'global-sout' (did you mean 'global-south'?)" in only(project)

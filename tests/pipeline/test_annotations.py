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


# --------------------------------------------------------------------------
# Dates in words (the article is published on Saturday 2025-08-23)
# --------------------------------------------------------------------------

TEXT = "seeds/cubaheadlines-309517/article.txt"
BEIJING = "meetings.wang-xiaohong-alvarez-casas-beijing-2025-08-22"


def _bare_weekday(edit, weekday: str) -> None:
    """The article says "On <weekday>, a meeting took place" instead of "Last Friday"."""
    edit(TEXT, "Last Friday, a meeting", f"On {weekday}, a meeting")
    edit(ANNOTATIONS, "    date-expression: Last Friday\n", f"    date-expression: {weekday}\n")
    edit(ANNOTATIONS, "      - Last Friday, a meeting", f"      - On {weekday}, a meeting")


def test_a_bare_weekday_is_the_latest_such_day_on_or_before_publication(project, edit):
    _bare_weekday(edit, "Friday")
    corpus = load_corpus(project / "seeds")
    article = next(a for a in corpus.articles if a.slug == "cubaheadlines-309517")
    ev = article.date_evidence["wang-xiaohong-alvarez-casas-beijing-2025-08-22"]
    assert article.spans[ev].anchor == "Friday"


@pytest.mark.parametrize("date", ["2025-08-22", "2025-08-16"])
def test_saturday_is_the_publication_day_not_the_day_before_or_a_week_earlier(
        project, edit, date):
    _bare_weekday(edit, "Saturday")
    edit(ANNOTATIONS, "    date: 2025-08-22\n", f"    date: {date}\n")
    line = only(project)
    assert BEIJING in line and "[rule: date-expression]" in line
    assert f"date {date} does not fit 'Saturday', which means 2025-08-23" in line


def test_date_expression_words_must_be_in_the_article(project, edit):
    edit(ANNOTATIONS, "    date-expression: Last Friday\n", "    date-expression: last Friday\n")
    line = only(project)
    assert BEIJING in line and "[rule: date-expression]" in line
    assert "'last Friday' is not in the article text" in line
    assert "(did you mean 'Last Friday'?)" in line


def test_words_not_understood_need_a_source(project, edit):
    # "Just days earlier" dates the Moscow meeting, which gives its source: fine
    load_corpus(project / "seeds")
    edit(ANNOTATIONS, "    source: [radio-rebelde-2025-05-10-diaz-canel-xi]\n", "")
    line = only(project)
    assert "meetings.diaz-canel-xi-jinping-moscow-2025-05-09" in line
    assert "'Just days earlier' is not a date expression the build understands" in line
    assert "[rule: date-expression]" in line


def test_a_range_is_checked_with_between(project, edit):
    # "In June" with between [2025-06-01, 2025-06-02] loads; a `between` in July does not
    edit(ANNOTATIONS, "    between: [2025-06-01, 2025-06-02]\n",
         "    between: [2025-07-01, 2025-07-02]\n")
    found = problems(project)
    assert any("does not fit 'In June'" in p and "2025-07-01 to 2025-07-02" in p
               for p in found), found


def test_a_date_expression_at_the_edge_of_the_calendar_is_one_line(project, edit):
    edit(ANNOTATIONS, "  published: 2025-08-23\n", "  published: 0001-01-01\n")
    found = problems(project)
    assert any(BEIJING in p and "outside the calendar" in p for p in found), found
    assert all("\n" not in p and "Traceback" not in p for p in found)


def test_a_quote_with_the_accents_left_out_suggests_the_text(project, edit):
    edit(ANNOTATIONS, "      - China's Minister of Public Security, Wang Xiaohong, conveyed to "
         "Cuba's Minister of the Interior, Lázaro Alberto Álvarez Casas\n",
         "      - Lazaro Alberto Alvarez Casas\n")
    line = only(project)
    assert "quote not found in the article text: 'Lazaro Alberto Alvarez Casas'" in line
    assert "(did you mean 'Lázaro Alberto Álvarez Casas'?)" in line


def test_a_misspelt_quote_suggests_the_nearest_spelling(project, edit):
    edit(ANNOTATIONS, "    - Global South\n", "    - Global Sout\n")
    assert "(did you mean 'Global South'?)" in only(project)


# --------------------------------------------------------------------------
# Offices over time
# --------------------------------------------------------------------------

WANG_TENURE = "  wang-xiaohong-minister-of-public-security:\n"


def test_a_tenure_may_end_and_needs_its_source(project, edit):
    edit(ENTITIES, "    start: 2022-06-24\n", "    start: 2022-06-24\n    end: 2030-01-01\n")
    corpus = load_corpus(project / "seeds")
    assert str(corpus.entities["wang-xiaohong-minister-of-public-security"]
               .fields["end"]) == "2030-01-01"


def test_a_tenure_end_without_source_is_refused(project, edit):
    edit(ENTITIES, "  qiu-xiaoqi-special-representative:\n"
         "    person: qiu-xiaoqi\n",
         "  qiu-xiaoqi-special-representative:\n"
         "    person: qiu-xiaoqi\n    end: 2030-01-01\n")
    line = only(project)
    assert "tenures.qiu-xiaoqi-special-representative" in line
    assert "a tenure end needs its 'source'" in line and "[rule: source]" in line


def test_a_tenure_that_ends_before_it_starts_is_refused(project, edit):
    edit(ENTITIES, "    start: 2022-06-24\n", "    start: 2022-06-24\n    end: 2021-01-01\n")
    line = only(project)
    assert "tenures.wang-xiaohong-minister-of-public-security" in line
    assert "[rule: tenure-dates]" in line


def test_a_participant_may_act_in_several_capacities(project, edit):
    edit(ANNOTATIONS, "        capacity: minister-of-public-security-china\n",
         "        capacity: [minister-of-public-security-china,"
         " minister-of-foreign-affairs-china]\n")
    corpus = load_corpus(project / "seeds")
    meeting = corpus.entities["wang-xiaohong-alvarez-casas-beijing-2025-08-22"]
    capacities = [c[0] for c in meeting.fields["participants"][0]["capacity"]]
    assert capacities == ["minister-of-public-security-china", "minister-of-foreign-affairs-china"]


@pytest.mark.slow
@pytest.mark.parametrize("published", ["0001-01-01", "9999-12-31"])
def test_no_form_of_date_words_gives_a_traceback_at_the_ends_of_the_calendar(
        project, edit, published):
    from newsgraph.pipeline.dates import FORMS

    edit(ANNOTATIONS, "  published: 2025-08-23\n", f"  published: {published}\n")
    path = project / ANNOTATIONS
    original = path.read_text(encoding="utf-8")
    for example, _ in FORMS:
        path.write_text(original.replace("    date-expression: Last Friday\n",
                                         f"    date-expression: {example}\n"), encoding="utf-8")
        try:
            load_corpus(project / "seeds")
        except AnnotationError as exc:
            assert all("\n" not in str(p) for p in exc.problems), example

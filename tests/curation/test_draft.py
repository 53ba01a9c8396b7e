"""`newsgraph draft`: proposals for an article that has only its text and metadata.

The figures are measured on the two real articles with their annotations
removed (both at once, so that neither lends the other its curated surface
forms): the draft's mention proposals (kinds ``mention`` and ``tenure``) are
compared with the curated ``mentions:`` as sets of spans, (quote, start, end),
whatever id each names, since a draft's guess of the id is the curator's to
check and a span found is the work saved.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from newsgraph.curation.draft import Drafter, Register, draft, load_register
from newsgraph.pipeline.annotations import AnnotationError, load_corpus, read_yaml
from newsgraph.pipeline.grounding import find_span

REPO = Path(__file__).resolve().parents[2]
ARTICLES = ("cubaheadlines-309517", "radioreloj-2025-05-12-rodriguez-wang-yi")
MENTION_KINDS = ("mention", "tenure")


def newsgraph(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", "newsgraph", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def only_article_block(path: Path) -> None:
    """Keep the `article:` block of an annotations file, as a new article has it."""
    data = read_yaml(path, path.name)
    meta = data["article"]
    path.write_text("article:\n" + "".join(f"  {k}: {json.dumps(v, ensure_ascii=False)}\n"
                                           for k, v in meta.items()), encoding="utf-8")


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A copy of the project where both real articles have only their article: block."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy2(REPO / "newsgraph.toml", root / "newsgraph.toml")
    for slug in ARTICLES:
        only_article_block(root / "seeds" / slug / "annotations.yaml")
    return root


def curated_spans() -> dict[str, set[tuple[str, int, int]]]:
    corpus = load_corpus(REPO / "seeds")
    return {a.slug: {(a.spans[ev].anchor, a.spans[ev].begin, a.spans[ev].end)
                     for evs in a.mentions.values() for ev in evs}
            for a in corpus.articles}


def test_the_ids_the_draft_proposes_agree_with_the_curators(bare: Path) -> None:
    """A second, stricter figure: the same comparison as sets of (entity id,
    start, end), one element per id a span stands for (printed; the bar is lower,
    since an id is the guess a curator checks anyway)."""
    corpus = load_corpus(REPO / "seeds")
    hit = wanted = proposed = 0
    for article in corpus.articles:
        gold = {(eid, article.spans[ev].begin, article.spans[ev].end)
                for eid, evs in article.mentions.items() for ev in evs}
        _, proposals, _, _ = draft(bare / "seeds" / article.slug, bare / "seeds")
        got = {(i, p.start, p.end) for p in proposals if p.kind in MENTION_KINDS
               for i in p.ids}
        hit, wanted, proposed = hit + len(gold & got), wanted + len(gold), proposed + len(got)
    print(f"ids: recall {hit / wanted:.1%} ({hit}/{wanted}), precision {hit / proposed:.1%} "
          f"({hit}/{proposed}), compared as sets of (entity id, start, end)")
    assert hit / wanted >= 0.75 and hit / proposed >= 0.75


def test_draft_recovers_the_curated_mentions_of_both_articles(bare: Path) -> None:
    gold = curated_spans()
    found = wanted = proposed = 0
    for slug in ARTICLES:
        _, proposals, _, _ = draft(bare / "seeds" / slug, bare / "seeds")
        got = {(p.quote, p.start, p.end) for p in proposals if p.kind in MENTION_KINDS}
        hit = got & gold[slug]
        print(f"{slug}: {len(hit)} of {len(gold[slug])} curated mention spans recovered "
              f"(recall {len(hit) / len(gold[slug]):.1%}); {len(hit)} of {len(got)} "
              f"proposed spans curated (precision {len(hit) / len(got):.1%})")
        found, wanted, proposed = found + len(hit), wanted + len(gold[slug]), proposed + len(got)
    recall, precision = found / wanted, found / proposed
    print(f"both articles: recall {recall:.1%} ({found}/{wanted}), "
          f"precision {precision:.1%} ({found}/{proposed}), "
          "compared as sets of (quote, start, end)")
    assert recall >= 0.8
    assert precision >= 0.8


def test_every_proposal_quotes_the_text_at_its_offsets(bare: Path) -> None:
    for slug in ARTICLES:
        text = (bare / "seeds" / slug / "article.txt").read_text(encoding="utf-8")
        _, proposals, _, _ = draft(bare / "seeds" / slug, bare / "seeds")
        assert {p.kind for p in proposals} >= {"mention", "tenure"}
        for p in proposals:
            assert text[p.start:p.end] == p.quote, p
            span = find_span(text, p.quote, p.occurrence)
            assert (span.begin, span.end) == (p.start, p.end), p
            if p.kind == "quotation":
                assert text[p.details["quote_start"]:p.details["quote_end"]] == p.details["text"]


def test_json_lists_the_records_tools_need_and_is_the_same_every_run(bare: Path) -> None:
    folder = "seeds/cubaheadlines-309517"
    first = newsgraph("draft", folder, "--format", "json", cwd=bare)
    second = newsgraph("draft", folder, "--format", "json", cwd=bare)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    records = json.loads(first.stdout)
    for r in records:
        assert {"kind", "quote", "occurrence", "start", "end", "entity", "proposed_id",
                "confidence"} <= set(r)
        assert r["entity"] or r["proposed_id"] or r["kind"] in ("quotation", "date")
    kinds = {r["kind"] for r in records}
    assert kinds == {"mention", "tenure", "quotation", "date", "meeting"}
    dates = {r["quote"]: (r["first"], r["last"]) for r in records if r["kind"] == "date"}
    assert dates["Last Friday"] == ("2025-08-22", "2025-08-22")  # published Saturday 08-23
    assert dates["In June"] == ("2025-06-01", "2025-06-30")
    by_quote = {r["quote"]: r for r in records if r["kind"] == "tenure"}
    assert by_quote["Cuban Foreign Minister Bruno Rodríguez Parrilla"]["entity"] == \
        "bruno-rodriguez-parrilla-minister-of-foreign-affairs"
    speakers = {r["text"]: r["speaker"] for r in records if r["kind"] == "quotation"}
    assert speakers["ironclad friendship"] == "xi-jinping"
    assert speakers["stronger stage"] == "miguel-diaz-canel"
    meetings = [r for r in records if r["kind"] == "meeting"]
    first_meeting = meetings[0]
    assert [p["agent"] for p in first_meeting["participants"]][:2] == [
        "wang-xiaohong", "lazaro-alberto-alvarez-casas"]
    assert (first_meeting["location"], first_meeting["date"]) == ("beijing", "2025-08-22")
    # "… Qiu Xiaoqi, …, who was visiting Cuba": a month, the place, host and visitor
    june = meetings[1]
    assert (june["location"], june["date"], june["date_expression"]) == ("cuba", "2025-06",
                                                                         "In June")
    assert {p["agent"]: p["role"] for p in june["participants"]} == {
        "bruno-rodriguez-parrilla": "host", "qiu-xiaoqi": "visitor"}


def review_marks(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()
               if re.search(r"(^\s*|[{,] )review: proposed", line))


def test_validate_refuses_the_draft_with_one_line_per_mark(bare: Path) -> None:
    folder = bare / "seeds" / "cubaheadlines-309517"
    wrote = newsgraph("draft", "seeds/cubaheadlines-309517", "--write", cwd=bare)
    assert wrote.returncode == 0, wrote.stderr
    marks = review_marks(folder / "annotations.yaml")
    assert marks > 50
    checked = newsgraph("validate", cwd=bare)
    assert checked.returncode != 0
    errors = [line for line in checked.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == marks, checked.stderr
    assert all(line.endswith("[rule: reviewed]") for line in errors), checked.stderr
    assert "accept it by deleting the `review:` line, or delete the" in errors[0]
    assert "Traceback" not in checked.stderr


def test_accepted_mentions_load_and_ground(bare: Path) -> None:
    """A curator keeping only the mentions of known things: the file then loads."""
    folder = bare / "seeds" / "radioreloj-2025-05-12-rodriguez-wang-yi"
    assert newsgraph("draft", str(folder), "--write", cwd=bare).returncode == 0
    path = folder / "annotations.yaml"
    data = read_yaml(path, "annotations.yaml")
    register = load_corpus(REPO / "seeds").entities
    kept = {}
    for entity_id, quotes in data["mentions"].items():
        if entity_id in register and register[entity_id].section != "meetings":
            kept[entity_id] = [{k: v for k, v in q.items() if k != "review"} for q in quotes]
    accepted = {"article": dict(data["article"]), "mentions": kept}
    path.write_text(yaml.safe_dump(accepted, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    corpus = load_corpus(bare / "seeds")
    (article,) = [a for a in corpus.articles if a.slug == folder.name]
    assert sum(len(v) for v in article.mentions.values()) >= 20
    assert len(article.spans) == len({ev for v in article.mentions.values() for ev in v})


def test_the_loader_refuses_marks_on_every_kind_of_record(bare: Path) -> None:
    folder = bare / "seeds" / "radioreloj-2025-05-12-rodriguez-wang-yi"
    path = folder / "annotations.yaml"
    path.write_text(path.read_text(encoding="utf-8") + """
mentions:
  wang-yi:
    - {quote: Wang Yi, occurrence: 1, review: proposed}
    - {quote: Wang Yi, occurrence: 2}
new-entities:
  people:
    li-ming:
      name: Li Ming
""", encoding="utf-8")
    with pytest.raises(AnnotationError) as caught:
        load_corpus(bare / "seeds")
    lines = [str(p) for p in caught.value.problems]
    assert len(lines) == 2, lines
    assert "mentions.wang-yi: 'Wang Yi': proposed by `newsgraph draft`" in lines[0]
    assert "new-entities.people.li-ming" in lines[1]
    assert "seeds/entities.yaml" in lines[1]


def test_write_never_overwrites_curated_work(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy2(REPO / "newsgraph.toml", root / "newsgraph.toml")
    path = root / "seeds" / "cubaheadlines-309517" / "annotations.yaml"
    before = path.read_bytes()
    result = newsgraph("draft", "seeds/cubaheadlines-309517", "--write", cwd=root)
    assert result.returncode == 2
    assert path.read_bytes() == before
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert "not overwritten" in line
    # without --write the draft of a curated article is printed, ignoring its curation
    printed = newsgraph("draft", "seeds/cubaheadlines-309517", cwd=root)
    assert printed.returncode == 0 and "review: proposed" in printed.stdout


def test_a_new_article_folder_outside_the_register(bare: Path) -> None:
    """A folder with only article.txt: names folded, occurrences counted, the
    article: block left for the curator to fill in, marked."""
    folder = bare / "incoming" / "new-article"
    folder.mkdir(parents=True)
    (folder / "article.txt").write_text(
        "Lazaro Alberto Alvarez Casas received Wang Xiaohong in Havana last Friday. "
        "ALVAREZ said the talks were \"useful.\" Cuban Interior Minister Lazaro Alberto "
        "Alvarez Casas thanked the Chinese official. Ambassador Hua Xin attended.",
        encoding="utf-8")
    result = newsgraph("draft", str(folder), cwd=bare)
    assert result.returncode == 0, result.stderr
    data = yaml.load(result.stdout, Loader=yaml.BaseLoader)  # noqa: S506 - strings only
    assert data["article"]["review"] == "proposed"
    quotes = [(q["quote"], q.get("occurrence"))
              for q in data["mentions"]["lazaro-alberto-alvarez-casas"]]
    assert quotes.count(("Lazaro Alberto Alvarez Casas", "1")) == 1
    assert quotes.count(("Lazaro Alberto Alvarez Casas", "2")) == 1
    assert ("ALVAREZ", None) in quotes  # once in the text: no occurrence needed
    tenures = {q["quote"] for q in
               data["mentions"]["lazaro-alberto-alvarez-casas-minister-of-the-interior"]}
    assert tenures == {"Cuban Interior Minister Lazaro Alberto Alvarez Casas"}
    assert "hua-xin" in data["new-entities"]["people"]
    assert "the Chinese official" in {q["quote"] for q in data["mentions"]["wang-xiaohong"]}
    assert "no 'published' date" in result.stderr


def test_meetings_and_dates_of_a_small_article(bare: Path) -> None:
    corpus, _ = load_register(bare / "seeds", None)
    text = ("On Monday, Cuban Foreign Minister Bruno Rodríguez Parrilla held talks with Wang Yi "
            "in Beijing. He said the talks were \"fruitful.\"")
    import datetime as dt

    proposals = Drafter(text, {"published": dt.date(2025, 5, 14)}, Register(corpus)).run()
    (meeting,) = [p for p in proposals if p.kind == "meeting"]
    assert meeting.details["date"] == "2025-05-12"
    assert meeting.details["location"] == "beijing"
    assert [x["agent"] for x in meeting.details["participants"]] == [
        "bruno-rodriguez-parrilla", "wang-yi"]
    (quote,) = [p for p in proposals if p.kind == "quotation"]
    assert quote.details["speaker"] == "bruno-rodriguez-parrilla"


@pytest.mark.parametrize("case", ["missing-folder", "no-text", "not-utf8", "bad-register"])
def test_bad_input_is_one_line_and_no_traceback(bare: Path, case: str) -> None:
    folder = bare / "incoming" / case
    if case != "missing-folder":
        folder.mkdir(parents=True)
    if case == "not-utf8":
        (folder / "article.txt").write_bytes(b"caf\xe9")
    if case == "bad-register":
        (folder / "article.txt").write_text("Wang Yi spoke.", encoding="utf-8")
        (bare / "seeds" / "entities.yaml").write_text("people: [", encoding="utf-8")
    result = newsgraph("draft", str(folder), cwd=bare)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1, result.stderr


@pytest.mark.slow
def test_any_text_gives_a_draft_the_loader_refuses_only_for_its_marks(bare: Path) -> None:
    """Texts cut and shuffled from the real articles, with YAML's special
    characters and stray quotation marks: every offset holds, and the loader
    reads every draft and refuses it with exactly one line per mark."""
    import random

    source = " ".join((bare / "seeds" / slug / "article.txt").read_text(encoding="utf-8")
                      for slug in ARTICLES)
    words = source.split() + ['"', "\u201c", "\u201d", "\u2019s", "He", "For his part,",
                              "Last Monday", "received", "met with", "Ambassador Li Wei",
                              "#", ": ", "- ", "{", "}", "'", "%", "&x", "*a", "`", "\\"]
    for slug in ARTICLES:
        shutil.rmtree(bare / "seeds" / slug)
    folder = bare / "seeds" / "shuffled"
    folder.mkdir()
    rng = random.Random(20250823)
    for _ in range(40):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 120)))
        (folder / "article.txt").write_text(text, encoding="utf-8")
        (folder / "annotations.yaml").write_text(
            "article:\n  url: https://example.org/a\n  published: 2025-05-14\n"
            "  publisher: xinhua\n  language: en\n", encoding="utf-8")
        article, proposals, register, _ = draft(folder, bare / "seeds")
        for p in proposals:
            span = find_span(text, p.quote, p.occurrence)
            assert (span.begin, span.end, text[p.start:p.end]) == (p.start, p.end, p.quote)
        from newsgraph.curation.draft import as_yaml

        (folder / "annotations.yaml").write_text(as_yaml(article, proposals, register),
                                                 encoding="utf-8")
        marks = review_marks(folder / "annotations.yaml")
        try:
            load_corpus(bare / "seeds")
            problems = []
        except AnnotationError as exc:
            problems = exc.problems
        assert [p.rule for p in problems] == ["reviewed"] * marks, text


def test_new_people_places_organisations_offices_and_their_tenures(bare: Path) -> None:
    import datetime as dt

    corpus, _ = load_register(bare / "seeds", None)
    text = ("On Tuesday, Cuban Minister of Interior Lázaro Alberto Álvarez Casas met with "
            "Governor Zhang Wei in Harbin. Later, the Ministry of State Security of Laos "
            "received him at Vientiane.")
    proposals = Drafter(text, {"published": dt.date(2025, 5, 14)}, Register(corpus)).run()
    got = {(p.quote, p.entity or p.proposed, p.entity_kind) for p in proposals
           if p.kind in MENTION_KINDS}
    assert {
        # known: an office written without its "the", and who holds it
        ("Minister of Interior", "minister-of-the-interior-cuba", "post"),
        ("Cuban Minister of Interior Lázaro Alberto Álvarez Casas",
         "lazaro-alberto-alvarez-casas-minister-of-the-interior", "tenure"),
        # new
        ("Governor", "governor", "post"),
        ("Zhang Wei", "zhang-wei", "person"),
        ("Governor Zhang Wei", "zhang-wei-governor", "tenure"),
        ("Harbin", "harbin", "place"),
        ("Vientiane", "vientiane", "place"),
        ("Ministry of State Security of Laos", "ministry-of-state-security-of-laos",
         "organization"),
    } <= got
    (meeting,) = [p for p in proposals if p.kind == "meeting"]
    assert (meeting.details["date"], meeting.details["location"]) == ("2025-05-13", "harbin")
    assert [x["agent"] for x in meeting.details["participants"]] == [
        "lazaro-alberto-alvarez-casas", "zhang-wei"]

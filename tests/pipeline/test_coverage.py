from __future__ import annotations

from pathlib import Path

from newsgraph.curation.coverage import coverage_markdown, sentence_facts, sentences
from newsgraph.pipeline.annotations import load_corpus

REPO = Path(__file__).resolve().parents[2]


def test_sentences_split_after_closing_quotes_and_at_line_ends():
    text = 'He said "yes." Then he left.\nA heading\nWhy? Because.'
    assert [text[b:e] for b, e in sentences(text)] == [
        'He said "yes."', "Then he left.", "A heading", "Why?", "Because."]


def test_docs_coverage_is_up_to_date():
    corpus = load_corpus(REPO / "seeds")
    expected = coverage_markdown(corpus) + "\n"
    actual = (REPO / "docs/coverage.md").read_text(encoding="utf-8")
    assert actual == expected, "run: python3 -m newsgraph coverage > docs/coverage.md"


def article(corpus, slug):
    (found,) = [a for a in corpus.articles if a.slug == slug]
    return found


def test_every_sentence_of_the_first_article_yields_facts_but_the_faq_questions():
    corpus = load_corpus(REPO / "seeds")
    first = article(corpus, "cubaheadlines-309517")
    empty = [s for s, facts in sentence_facts(corpus, first) if not facts]
    assert empty == ["Understanding Cuba-China Relations",
                     "Why is Cuba seeking support from China?"]


def test_every_sentence_of_the_second_article_yields_a_statement():
    corpus = load_corpus(REPO / "seeds")
    second = article(corpus, "radioreloj-2025-05-12-rodriguez-wang-yi")
    rows = sentence_facts(corpus, second)
    assert len(rows) == 8
    assert all(any("quote `" in f or "claim `" in f for f in facts) for _, facts in rows), rows

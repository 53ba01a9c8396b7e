"""The register validated once and each article with only the register nodes it
needs finds what validating each article with the whole register found.

Every shape fixture (tests/fixtures/shapes/, see tests/test_shapes.py) is split
the way the mapping splits a corpus: the article, its meetings, statements and
spans, and every ng:evidence link, in the article's graph; everything else in
the register. Both ways of validating must give the same findings, not only the
same Violations: a Warning or a note lost or added would be a change as well.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef

from newsgraph import iris
from newsgraph.config import Settings, load_settings
from newsgraph.iris import NG
from newsgraph.pipeline.annotations import load_corpus
from newsgraph.pipeline.build import (
    article_findings,
    register_context,
    validate_article,
    validate_corpus,
    validate_corpus_whole_register,
)
from newsgraph.pipeline.cache import RegisterIndex, graph_text
from newsgraph.pipeline.mapping import map_corpus
from newsgraph.pipeline.validation import Finding, format_finding, load_trusted, validate_with
from shape_fixtures import BROKEN, patched

ROOT = Path(__file__).resolve().parents[2]
ID = "https://w3id.org/newsgraph/id/"
ARTICLE_KINDS = ("article/", "meeting/", "statement/")


def split(graph: Graph) -> tuple[Graph, Graph]:
    """(register, article) as the mapping writes them."""
    register, article = Graph(), Graph()
    for s, p, o in graph:
        own = str(s).startswith(tuple(ID + kind for kind in ARTICLE_KINDS))
        (article if own or p == NG.evidence else register).add((s, p, o))
    return register, article


def same(findings: set[Finding]) -> set[tuple]:
    """Findings up to the order of a message's listed values: GROUP_CONCAT lists
    them in the order the store yields them ("typed ng:DirectQuote and
    ng:IndirectQuote"), which differs between two graphs of the same triples."""
    return {(f.severity, f.focus, f.path, f.value, f.shape,
             tuple(sorted(re.findall(r"[\w:-]+", f.message)))) for f in findings}


def whole(register: Graph, article: Graph, trusted) -> set[Finding]:
    return set(validate_with(register + article, trusted).findings)


def linear(register: Graph, article: Graph, trusted) -> set[Finding]:
    data = register_context(register, article)
    for triple in article:
        data.add(triple)
    found = set(article_findings(validate_with(data, trusted).findings, article, register))
    # the build's way, which skips the register nodes the article adds nothing to
    assert set(validate_article(register, article, trusted)) == found
    # and a worker's, which reads the register from its cached text through an index
    index = RegisterIndex(graph_text(register))
    assert set(register_context(index, article)) == set(register_context(register, article))
    assert set(validate_article(index, article, trusted)) == found
    return set(validate_with(register, trusted).findings) | found


@pytest.fixture(scope="module")
def trusted():
    return load_trusted(Settings(root=ROOT))


def _diff(a: set[Finding], b: set[Finding]) -> str:
    return ("only with the whole register:\n" + "\n".join(map(format_finding, a - b))
            + "\nonly the linear way:\n" + "\n".join(map(format_finding, b - a)))


@pytest.mark.parametrize("patch_path", [None, *BROKEN],
                         ids=lambda p: "valid" if p is None else p.stem)
def test_a_fixture_gives_the_same_findings_both_ways(trusted, patch_path):
    register, article = split(patched(patch_path))
    assert len(register) and len(article)
    before, after = whole(register, article, trusted), linear(register, article, trusted)
    assert same(before) == same(after), _diff(before, after)
    if patch_path is not None and patch_path.name.split("--")[0] != "TrustedInput":
        # the fixture still breaks something, so the comparison compared something
        assert any(f.severity in ("Violation", "Warning") for f in after)


def test_an_article_sees_only_the_register_nodes_it_needs(trusted):
    register, article = split(patched(None))
    context = register_context(register, article)
    subjects = {str(s) for s in context.subjects(unique=True)}
    assert f"{ID}person/wang-xiaohong" in subjects
    assert f"{ID}tenure/wang-xiaohong-minister-of-public-security#begin" in subjects
    # nothing of the article names Reuters' or the tenure source's publisher chain
    assert len(context) < len(register)


def test_the_real_corpus_gives_the_same_findings_both_ways():
    settings = load_settings(ROOT)
    corpus = load_corpus(settings.seeds)
    ds: Dataset = map_corpus(corpus, settings.base)
    trusted = load_trusted(settings)
    before = {f for _, found in validate_corpus_whole_register(ds, corpus, settings, trusted)
              for f in found}
    after = {f for _, found in validate_corpus(ds, corpus, settings, trusted) for f in found}
    assert same(before) == same(after), _diff(before, after)
    assert not [f for f in after if f.severity == "Violation"]


def test_a_break_in_the_register_is_found_by_the_register_run_and_only_where_spoken_of():
    settings = load_settings(ROOT)
    corpus = load_corpus(settings.seeds)
    ds = map_corpus(corpus, settings.base)
    register = ds.graph(URIRef(iris.entities_graph(settings.base)))
    beijing = URIRef(f"{ID}place/beijing")
    register.remove((beijing, URIRef("https://schema.org/name"), None))
    runs = list(validate_corpus(ds, corpus, settings, load_trusted(settings)))
    assert len(runs) == len(corpus.articles) + 1
    hits = {article.slug if article else None for article, found in runs for f in found
            if f.focus == str(beijing) and f.severity == "Violation"}
    graphs = {a.slug: ds.graph(URIRef(iris.article_graph(a.slug, settings.base)))
              for a in corpus.articles}
    speaking = {slug for slug, g in graphs.items() if (beijing, None, None) in g}
    # found once by the register's run; again only by articles that add to Beijing
    assert hits == {None, *speaking}

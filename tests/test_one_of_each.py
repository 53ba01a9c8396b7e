"""One of each (issue 11, item 4): one JSON-LD writer, one sentence splitter,
one ``curie``, one namespace table, one LRU, one registry of kinds.

In-process (Flask's test client on the built release): what is tested is what
the server writes, not how it gets over the wire.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import re
import tracemalloc
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from newsgraph import iris, jsonld
from newsgraph.config import Settings
from newsgraph.curation.coverage import sentence_facts
from newsgraph.pipeline import annotations, mapping, validation
from newsgraph.pipeline.annotations import load_corpus
from newsgraph.resources import CONTEXT_FILE
from newsgraph.sentences import sentence_bounds, sentences
from newsgraph.server.lru import LRU
from newsgraph.server.sparql.cache import AnswerCache
from newsgraph.server.web import create_app, entity_pages, reconcile, vocabulary

REPO = Path(__file__).resolve().parents[1]
SEED_ARTICLES = ("cubaheadlines-309517", "radioreloj-2025-05-12-rodriguez-wang-yi")
SHIPPED_CONTEXT = json.loads(CONTEXT_FILE.read_text("utf-8"))["@context"]


@pytest.fixture(scope="module")
def client(built_dist: Path):
    return create_app(Settings(), data=built_dist).test_client()


@pytest.fixture(scope="module")
def things(built_dist: Path) -> list[str]:
    """Every thing of the release (an ``id/`` IRI without a fragment), from its dump."""
    ds = Dataset()
    ds.parse(built_dist / "newsgraph.nq", format="nquads")
    found = {str(s).split("#", 1)[0] for s, _, _, _ in ds.quads()
             if str(s).startswith(f"{iris.DEFAULT_BASE}id/")}
    return sorted(found)


def doc_path(thing: str) -> str:
    return "/doc/" + thing[len(f"{iris.DEFAULT_BASE}id/"):]


# ------------------------------------------------------------------ the namespace table


def test_the_shipped_context_is_the_namespace_table():
    assert SHIPPED_CONTEXT == {"@version": 1.1, **iris.PREFIXES}
    assert iris.PREFIXES["ngsh"] == f"{iris.SHAPES}#"


# SPARQL prologues still written by hand, in modules another change is reworking
PROLOGUES_BY_HAND: set[str] = set()


def test_no_module_but_iris_defines_a_namespace():
    """A namespace is written once: no ``Namespace(...)``, no string constant
    holding a namespace of the table and no hand-written ``PREFIX`` line
    (``iris.with_prefixes`` writes them) anywhere else in the package."""
    namespaces = set(iris.PREFIXES.values())
    offenders = []
    package = REPO / "src" / "newsgraph"
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        if name == "iris.py":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            constant = re.match(r"\s*[A-Z_]+\s*(?::[^=]+)?=\s*\"([^\"]+)\"\s*$", line)
            prologue = re.match(r"\s*(?:\"\"\")?PREFIX \w*: <", line)
            if ("Namespace(" in line or (constant and constant.group(1) in namespaces)
                    or (prologue and name not in PROLOGUES_BY_HAND)):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


# ------------------------------------------------------------------ one curie


@pytest.mark.parametrize("iri, expected", [
    ("https://schema.org/Person", "schema:Person"),
    ("https://schema.org/a/b", "https://schema.org/a/b"),  # a "/" is no local name
    ("https://schema.org/", "https://schema.org/"),
    ("https://w3id.org/newsgraph/shapes#MeetingShape", "ngsh:MeetingShape"),
    ("https://w3id.org/newsgraph/def#Meeting", "ng:Meeting"),
    ("http://xmlns.com/foaf/0.1/primaryTopic", "foaf:primaryTopic"),
    ("http://example.org/x", "http://example.org/x"),
])
def test_one_curie_everywhere(iri, expected):
    assert iris.curie(iri) == expected
    # pages, the vocabulary documentation and the build's messages use that one
    for module in (entity_pages, vocabulary):
        assert module.curie(iri) == expected
    assert validation.compact(iri) == expected


# ------------------------------------------------------------------ one JSON-LD writer


def _turtle(client, path: str) -> Graph:
    return Graph().parse(data=client.get(path + ".ttl").data, format="turtle")


def _jsonld_graph(body: bytes | str) -> Graph:
    return Graph().parse(data=body, format="json-ld")


def test_every_description_in_json_ld_is_its_turtle_with_the_shipped_context(client, things):
    assert things
    for thing in things:
        path = doc_path(thing)
        body = client.get(path + ".jsonld").data
        doc = json.loads(body)
        assert doc["@context"] == SHIPPED_CONTEXT, path
        assert isomorphic(_jsonld_graph(body), _turtle(client, path)), path
        # the same description gives the same bytes
        assert client.get(path + ".jsonld").data == body


def test_the_json_ld_embedded_in_a_page_is_the_description(client, things):
    thing = things[0]
    page = client.get(doc_path(thing), headers={"Accept": "text/html"}).get_data(as_text=True)
    (script,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert json.loads(script)["@context"] == SHIPPED_CONTEXT
    assert isomorphic(_jsonld_graph(script), _turtle(client, doc_path(thing)))


def test_a_construct_answer_in_json_ld_is_its_turtle_with_the_shipped_context(client):
    query = ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
             "FILTER(STRSTARTS(STR(?s), \"https://w3id.org/newsgraph/id/meeting/\")) }")
    as_jsonld = client.get("/sparql", query_string={"query": query},
                           headers={"Accept": "application/ld+json"})
    as_turtle = client.get("/sparql", query_string={"query": query},
                           headers={"Accept": "text/turtle"})
    assert as_jsonld.status_code == 200 and as_turtle.status_code == 200
    doc = json.loads(as_jsonld.data)
    assert doc["@context"] == SHIPPED_CONTEXT
    turtle = Graph().parse(data=as_turtle.data, format="turtle")
    assert len(turtle) > 0
    assert isomorphic(_jsonld_graph(as_jsonld.data), turtle)


def test_the_json_ld_dump_is_its_n_quads_with_the_shipped_context(built_dist):
    body = (built_dist / "newsgraph.jsonld").read_bytes()
    assert json.loads(body)["@context"] == SHIPPED_CONTEXT
    from_jsonld, from_nquads = Dataset(), Dataset()
    from_jsonld.parse(data=body, format="json-ld")
    from_nquads.parse(built_dist / "newsgraph.nq", format="nquads")
    names = {g.identifier for g in from_nquads.graphs() if len(g)}
    assert names == {g.identifier for g in from_jsonld.graphs() if len(g)}
    for name in names:
        assert isomorphic(from_jsonld.graph(name), from_nquads.graph(name)), name
    # the writer, run again on the same quads, gives the same bytes
    quads = sorted(ox.parse(path=str(built_dist / "newsgraph.nq"), format=ox.RdfFormat.N_QUADS),
                   key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                                  str(q.object)))
    out = io.BytesIO()
    jsonld.write_dataset(out, itertools.groupby(quads, key=lambda q: q.graph_name))
    assert out.getvalue() == body


def _graphs(count: int, written: io.BytesIO | None = None, sizes: list[int] | None = None):
    """``count`` small graphs of 20 triples each, made as they are asked for."""
    for i in range(count):
        if written is not None and sizes is not None:
            sizes.append(written.tell())
        name = ox.NamedNode(f"{iris.DEFAULT_BASE}graph/g{i:06d}")
        subject = ox.NamedNode(f"{iris.DEFAULT_BASE}id/place/p{i:06d}")
        yield name, [ox.Quad(subject, ox.NamedNode(f"https://schema.org/p{j}"),
                             ox.Literal(f"value {i} {j}"), name) for j in range(20)]


class _Counting(io.RawIOBase):
    """A binary file that keeps nothing, only counts what it is given."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.size += len(data)
        return len(data)


def test_the_dump_writer_streams_graph_by_graph():
    # each graph is written before the next is asked for
    out, sizes = io.BytesIO(), []
    jsonld.write_dataset(out, _graphs(50, out, sizes))
    assert all(a < b for a, b in itertools.pairwise(sizes))
    doc = json.loads(out.getvalue())
    assert len(doc["@graph"]) == 50 and doc["@context"] == SHIPPED_CONTEXT
    # and what it holds does not grow with the number of graphs
    peaks = []
    for count in (100, 3000):
        sink = _Counting()
        tracemalloc.start()
        jsonld.write_dataset(sink, _graphs(count))  # type: ignore[arg-type]
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert sink.size > count * 20 * 20
    assert peaks[1] < 2 * peaks[0], peaks


def test_the_dump_writer_refuses_graphs_out_of_order():
    a, b = ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/b")
    with pytest.raises(ValueError, match="out of order"):
        jsonld.write_dataset(io.BytesIO(), [(b, []), (a, [])])
    with pytest.raises(ValueError, match="out of order"):
        jsonld.write_dataset(io.BytesIO(), [(a, []), (a, [])])


def test_compaction_never_writes_what_a_reader_would_expand_otherwise():
    assert jsonld.compact_iri("https://schema.org/name") == "schema:name"
    assert jsonld.compact_iri("https://schema.org/") == "https://schema.org/"
    assert jsonld.compact_iri("https://schema.org///x") == "https://schema.org///x"
    with pytest.raises(ValueError):
        jsonld.compact_iri("schema:name")  # an IRI whose scheme is a prefix of the context


# ------------------------------------------------------------------ one sentence splitter


@pytest.mark.parametrize("text, expected", [
    ('He said "yes." Then he left.\nA heading\nWhy? Because.',
     ['He said "yes."', "Then he left.", "A heading", "Why?", "Because."]),
    ('describing the exchange as "fruitful." In May, he went.',
     ['describing the exchange as "fruitful."', "In May, he went."]),
    ("It ended (as planned.) Then it rained.", ["It ended (as planned.)", "Then it rained."]),
    ('She said: "We agree. We will act." He nodded.',
     ['She said: "We agree. We will act."', "He nodded."]),
    ("Havana, Cuba.- Ministers met.", ["Havana, Cuba.- Ministers met."]),
])
def test_sentences_keep_their_closing_quotes_and_brackets(text, expected):
    assert [text[b:e] for b, e in sentences(text)] == expected


def test_a_span_across_sentences_takes_both_whole():
    text = "One two. Three four. Five."
    assert text[slice(*sentence_bounds(text, 4, 12))] == "One two. Three four."


def _snippets(page: str) -> list[str]:
    found = re.findall(r"<blockquote>(.*?)</blockquote>", page, re.S)
    return [html.unescape(re.sub(r"</?mark>", "", s)) for s in found]


def test_pages_and_coverage_cut_the_same_sentences_and_keep_quotes_in_pairs(client, things):
    corpus = load_corpus(REPO / "seeds")
    by_slug = {a.slug: a for a in corpus.articles}
    texts = {slug: by_slug[slug].text for slug in SEED_ARTICLES}
    cuts: dict[str, tuple[set[int], set[int]]] = {}
    for slug, text in texts.items():
        rows = sentence_facts(corpus, by_slug[slug])
        bounds = sentences(text)
        assert [s for s, _ in rows] == [text[b:e] for b, e in bounds]  # coverage's sentences
        cuts[slug] = ({b for b, _ in bounds}, {e for _, e in bounds})
    seen = 0
    for thing in things:
        page = client.get(doc_path(thing), headers={"Accept": "text/html"})
        for snippet in _snippets(page.get_data(as_text=True)):
            seen += 1
            assert snippet.count('"') % 2 == 0, (thing, snippet)
            assert snippet.count("\u201c") == snippet.count("\u201d"), (thing, snippet)
            # whole sentences of one of the articles, as coverage cuts them
            homes = [slug for slug, text in texts.items() if snippet in text]
            assert homes, (thing, snippet)
            assert any(
                (start := texts[slug].find(snippet)) in cuts[slug][0]
                and start + len(snippet) in cuts[slug][1] for slug in homes), (thing, snippet)
    assert seen > 0


# ------------------------------------------------------------------ one LRU


def test_one_lru_with_an_entry_and_a_byte_budget():
    by_entries: LRU[str] = LRU(2)
    for key in ("a", "b", "c"):
        by_entries.put(key, key.upper())
    assert by_entries.get("a") is None and by_entries.get("c") == "C"
    by_bytes: LRU[bytes] = LRU(100, max_bytes=100, size=lambda k, v: len(v))
    for i in range(5):
        by_bytes.put(i, b"x" * 30)
    assert by_bytes.bytes <= 100 and len(by_bytes) == 3
    assert by_bytes.get_or_compute("new", lambda: b"y" * 10) == b"y" * 10
    assert by_bytes.get("new") == b"y" * 10
    # the SPARQL answers and the descriptions are that class
    assert isinstance(AnswerCache(1024), LRU)
    from newsgraph.server import store
    assert store.LRU is LRU


# ------------------------------------------------------------------ one registry of kinds


def test_every_per_kind_table_comes_from_the_registry():
    names = [k.name for k in iris.KIND_TABLE]
    assert iris.KINDS == tuple(names)
    assert set(entity_pages.KIND_LABELS) == set(entity_pages.KIND_PLURALS) == set(names)
    assert set(entity_pages.KIND_PRIORITY) == set(names)
    assert len(set(entity_pages.KIND_PRIORITY.values())) == len(names)
    assert {k: tuple(map(str, v)) for k, v in mapping.KIND_TYPES.items()} == {
        k: iris.kind_types(k) for k in names}
    assert {kind for kind, _ in annotations.REGISTER.values()} == {
        k.name for k in iris.KIND_TABLE if k.section}
    assert set(reconcile.TYPES) <= set(names)
    for kind in iris.KIND_TABLE:
        for curie in kind.types:
            assert iris.expand(curie) != curie, curie  # every type is a CURIE of the table

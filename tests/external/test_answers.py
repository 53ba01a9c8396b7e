"""After ``newsgraph publish``, each engine answers as the embedded store of
the same release does, datatypes and language tags included.

One difference is known and kept visible: the embedded store (pyoxigraph) and
Oxigraph server read ``xsd:nonNegativeInteger`` back as ``xsd:integer``;
Virtuoso keeps the datatype of the dump. The dialect says which
(``keeps_integer_subtypes``); where it keeps them, the answers must carry the
dump's own datatype, and equal the embedded store's once it is mapped."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from newsgraph import release

from .engines import Engine

pytestmark = pytest.mark.xdist_group("external")

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
INTEGER_SUBTYPES = {f"{XSD}{t}" for t in (
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
BASE = "https://w3id.org/newsgraph/"

Term = tuple[str, str, str, str]  # kind, value, datatype, language


def _remote(binding: dict | None) -> Term | None:
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "uri":
        return ("iri", binding["value"], "", "")
    if kind == "bnode":
        return ("bnode", "", "", "")
    lang = binding.get("xml:lang", "")
    datatype = binding.get("datatype") or (RDF_LANG_STRING if lang else f"{XSD}string")
    return ("literal", binding["value"], datatype, lang.lower())


def _embedded(term: object) -> Term | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value, "", "")
    if isinstance(term, ox.BlankNode):
        return ("bnode", "", "", "")
    assert isinstance(term, ox.Literal)
    return ("literal", term.value, term.datatype.value, (term.language or "").lower())


def _as_integer(row: tuple[Term | None, ...]) -> tuple[Term | None, ...]:
    return tuple(("literal", t[1], f"{XSD}integer", t[3])
                 if t and t[2] in INTEGER_SUBTYPES else t for t in row)


QUERIES = {
    # every quad of every named graph of the data
    "graphs": "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
              f'FILTER(STRSTARTS(STR(?g), "{BASE}") && !isBlank(?s) && !isBlank(?o)) }}',
    # the union default graph: things of each class
    "classes": "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class "
               f'FILTER(STRSTARTS(STR(?s), "{BASE}")) }} GROUP BY ?class',
    # typed literals compared by value
    "dates": "SELECT ?s ?p ?d WHERE { ?s ?p ?d FILTER(isLiteral(?d) && "
             f'datatype(?d) = <{XSD}date> && ?d >= "2025-05-01"^^<{XSD}date> '
             f'&& STRSTARTS(STR(?s), "{BASE}")) }}',
    "offsets": "SELECT ?s ?begin WHERE { ?s <http://persistence.uni-leipzig.org/nlp2rdf/"
               "ontologies/nif-core#beginIndex> ?begin FILTER(?begin > 100 && "
               f'STRSTARTS(STR(?s), "{BASE}")) }}',
    # language-tagged labels
    "labels": "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label "
              f'FILTER(langMatches(lang(?label), "en") && STRSTARTS(STR(?s), "{BASE}")) }}',
}


@pytest.fixture(scope="module")
def embedded(seed_release: Path) -> ox.Store:
    release.verify(seed_release, full=False)
    return ox.Store.read_only(str(release.store_dir(seed_release)))


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_answers_equal_the_embedded_stores(seeded: Engine, embedded: ox.Store,
                                           name: str) -> None:
    query = QUERIES[name]
    solutions = embedded.query(query, use_default_graph_as_union=True)
    variables = [v.value for v in solutions.variables]
    theirs = sorted((tuple(_embedded(s[v]) for v in variables) for s in solutions), key=str)
    assert theirs, f"{name}: the query finds nothing in the release, so it tests nothing"
    with seeded.client() as client:
        ours = sorted((tuple(_remote(row.get(v)) for v in variables)
                       for row in client.select(query)), key=str)
    if client.dialect.keeps_integer_subtypes:
        ours = sorted((_as_integer(row) for row in ours), key=str)
    assert ours == theirs


def test_integer_subtypes_are_the_dumps_where_the_engine_keeps_them(
        seeded: Engine, seed_release: Path) -> None:
    manifest = release.verify(seed_release, full=False)
    dump = next(seed_release / name for name, rec in release.files_of(manifest, "dump").items()
                if rec["mediaType"] == "application/n-quads")
    typed = {(q.subject.value, q.predicate.value, q.object.value): q.object.datatype.value
             for q in ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS)
             if isinstance(q.object, ox.Literal) and q.object.datatype.value in INTEGER_SUBTYPES}
    assert typed, "the release holds no xsd:nonNegativeInteger, so this tests nothing"
    with seeded.client() as client:
        rows = client.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && "
                             f"datatype(?o) IN (<{XSD}integer>, "
                             + ", ".join(f"<{t}>" for t in sorted(INTEGER_SUBTYPES))
                             + f') && STRSTARTS(STR(?s), "{BASE}")) }}')
        keeps = client.dialect.keeps_integer_subtypes
    got = {(r["s"]["value"], r["p"]["value"], r["o"]["value"]): r["o"]["datatype"]
           for r in rows if (r["s"]["value"], r["p"]["value"], r["o"]["value"]) in typed}
    assert set(got) == set(typed)
    if keeps:
        assert got == typed
    else:
        assert set(got.values()) == {f"{XSD}integer"}

"""The query guard: what it refuses before anything runs, and what it lets through.

The SERVICE cases are also run through pyoxigraph itself with a loopback
canary, in a process where the guard is the only lock (no sandbox): every
query the engine would send out must be one the guard refuses.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from newsgraph.server.sparql.guard import QueryRefused, inspect_query, tokenize

GRAPHS = {"https://w3id.org/newsgraph/graph/entities", "http://ex/g"}
BASE = "https://w3id.org/newsgraph/"


def check(query: str, **kwargs: object):
    kwargs.setdefault("graphs", GRAPHS)
    kwargs.setdefault("base", BASE)
    return inspect_query(query, **kwargs)  # type: ignore[arg-type]


def refused(query: str, **kwargs: object) -> QueryRefused:
    with pytest.raises(QueryRefused) as info:
        check(query, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("select * where { ?s ?p ?o } limit 1", "SELECT"),
        ("PREFIX ex: <http://ex/> BASE <http://b/> ASK { ex:a ?p ?o }", "ASK"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <https://w3id.org/newsgraph/id/person/x>", "DESCRIBE"),
        ("# a comment\nSELECT*{?s ?p ?o}", "SELECT"),
    ],
)
def test_the_query_form_is_found(query, form):
    assert check(query).form == form


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <a> <b> <c> }",
        "PREFIX x: <http://x/> DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/data.ttl>",
        "DROP ALL",
        "CLEAR DEFAULT",
        "CREATE GRAPH <http://ex/new>",
        "WITH <http://ex/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "COPY DEFAULT TO <http://ex/g>",
    ],
)
def test_updates_are_refused_as_read_only(query):
    assert "read-only" in refused(query).message


SERVICE_SPELLINGS = [
    # (query, whether pyoxigraph unguarded really connects to the endpoint)
    ("SELECT * { SERVICE <{u}> { ?s ?p ?o } }", True),
    ("SELECT * { SERVICE<{u}>{ ?s ?p ?o } }", True),
    ("SELECT * { sErViCe <{u}> { ?s ?p ?o } }", True),
    ("PREFIX ex: <{root}> SELECT * { SERVICE ex:sparql { ?s ?p ?o } }", True),
    ("PREFIX ex: <{root}> SELECT * { SERVICEex:sparql { ?s ?p ?o } }", True),
    ("PREFIX : <{root}> SELECT * { SERVICE:sparql { ?s ?p ?o } }", True),
    ("SELECT * { SERVICE SILENT <{u}> { ?s ?p ?o } }", True),
    ("SELECT * { SERVICESILENT<{u}> { ?s ?p ?o } }", True),
    ("SELECT * { { } UNION{}SERVICE<{u}>{} }", True),
    ("SELECT * { OPTIONAL{}SERVICE<{u}>{} }", True),
    ("BASE <{root}> SELECT * { SERVICE <sparql> { ?s ?p ?o } }", True),
    ("SELECT * { SERVICE <{root}\\u0073parql> { ?s ?p ?o } }", True),
    ("SELECT * { SERVICE <{u}> #comment\n { ?s ?p ?o } }", True),
    ("SELECT * { SERVICE #a\n SILENT #b\n <{u}> #c\n { ?s ?p ?o } }", True),
    ("SELECT * { FILTER EXISTS { SERVICE <{u}> {} } }", True),
    ("SELECT * { ?s ?p trueSERVICE <{u}> { ?s ?p ?o } }", False),
    ("SELECT * { BIND(<{u}> AS ?e) SERVICE ?e { ?s ?p ?o } }", False),
    ("SELECT * { VALUES ?e { <{u}> } SERVICE ?e { ?s ?p ?o } }", False),
]


@pytest.mark.parametrize(("query", "calls_out"), SERVICE_SPELLINGS)
def test_service_is_refused_however_it_is_spelt(query, calls_out, canary):
    root = f"http://127.0.0.1:{canary.port}/"
    text = query.replace("{u}", canary.url).replace("{root}", root)
    error = refused(text)
    assert "SERVICE" in error.message
    # The guard's reading agrees with the engine's: run the query unguarded in
    # this test process and see pyoxigraph call out (to our canary only).
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p"),
                      ox.NamedNode("http://ex/o")))
    try:
        list(store.query(text, use_default_graph_as_union=True))
    except (OSError, SyntaxError, RuntimeError):
        pass
    if calls_out:
        assert canary.connections >= 1


def test_the_canary_saw_the_unguarded_engine_call_out(canary):
    """The test above is meaningful: pyoxigraph itself does send SERVICE requests."""
    store = ox.Store()
    try:
        list(store.query(f"SELECT * {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"))
    except OSError:
        pass
    assert canary.connections == 1


def test_an_allow_listed_service_passes_and_others_do_not():
    allowed = "https://query.wikidata.org/sparql"
    info = check(f"SELECT * {{ SERVICE <{allowed}> {{ ?s ?p ?o }} }}",
                 service_allow_list=[allowed])
    assert info.services == [allowed]
    prefixed = check(
        "PREFIX w: <https://query.wikidata.org/> SELECT * { SERVICE w:sparql {} }",
        service_allow_list=[allowed],
    )
    assert prefixed.services == [allowed]
    for other in (allowed + "/", "https://query.wikidata.org/sparq", "http://127.0.0.1:1/"):
        assert "refused" in refused(f"SELECT * {{ SERVICE <{other}> {{ }} }}",
                                    service_allow_list=[allowed]).message
    assert "refused" in refused("SELECT * { SERVICE ?x { } }",
                                service_allow_list=[allowed]).message


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { ?s ?p ?o FILTER(?o = 'SERVICE <http://127.0.0.1:9/> {}') }",
        "SELECT * { ?s <http://ex/SERVICE> ?o }",
        'SELECT * { ?s ?p """SERVICE <http://x/> { }""" }',
        "SELECT * { ?service ?p ?o } # SERVICE <http://127.0.0.1:9/> { }",
        "PREFIX ex: <http://ex/> SELECT * { GRAPH ex:myservice { ?s ?p ?o } }",
        "PREFIX ex: <http://ex/> SELECT * { ?s ex:serviceType ?o }",
    ],
)
def test_the_word_service_in_strings_iris_names_and_comments_is_not_a_call(query):
    assert check(query).services == []


def test_from_names_only_graphs_of_the_dataset():
    info = check("SELECT * FROM <http://ex/g> FROM NAMED <https://w3id.org/newsgraph/graph/"
                 "entities> { ?s ?p ?o }")
    assert info.from_graphs == ["http://ex/g"]
    assert info.from_named_graphs == ["https://w3id.org/newsgraph/graph/entities"]
    assert info.has_dataset_clause
    assert check("PREFIX g: <https://w3id.org/newsgraph/graph/> SELECT * FROM g:entities "
                 "{ ?s ?p ?o }").from_graphs == ["https://w3id.org/newsgraph/graph/entities"]
    # relative IRIs resolve against the dataset's base, as the engine does
    assert check("SELECT * FROM <graph/entities> { ?s ?p ?o }").from_graphs == [
        "https://w3id.org/newsgraph/graph/entities"]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }",
        "SELECT * FROM <http://example.org/remote.ttl> { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://127.0.0.1:9/x> { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * FROMNAMED<http://example.org/x> { ?s ?p ?o }",
        "ASK FROM <https://w3id.org/newsgraph/graph/nope> { }",
        "SELECT * FROM undeclared:g { ?s ?p ?o }",
    ],
)
def test_from_outside_the_dataset_is_refused(query):
    assert "FROM" in refused(query).message


def test_nesting_deeper_than_the_limit_is_refused_quickly():
    deep = "SELECT * WHERE " + "{ " * 200 + "?s ?p ?o " + "} " * 200
    assert "nests deeper" in refused(deep, max_nesting=64).message
    huge = "ASK " + "{" * 100_000
    assert "nests deeper" in refused(huge, max_nesting=64).message
    ok = "SELECT * WHERE " + "{ " * 10 + "?s ?p ?o " + "} " * 10
    assert check(ok, max_nesting=64).max_depth == 10
    parens = "SELECT * WHERE { FILTER(" + "(" * 70 + "1" + ")" * 70 + ") }"
    assert "nests deeper" in refused(parens, max_nesting=64).message


@pytest.mark.parametrize("char", ["\u00a0", "\u2028", "\x0c", "\x00"])
def test_characters_outside_the_grammar_are_refused_with_their_position(char):
    error = refused(f"SELECT * {{ ?s{char}?p ?o }}")
    assert "line 1, column 14" in error.message
    assert f"U+{ord(char):04X}" in error.message


def test_tokens_of_strings_iris_and_escaped_local_names():
    kinds = [t.kind for t in tokenize(
        "PREFIX ex: <http://ex/> SELECT ?x WHERE { ex:a\\.b ex:p '''x''y''' ; ex:q \"a\\\"b\"@en }"
    )]
    assert kinds.count("string") == 2
    assert kinds.count("pname") == 4
    assert kinds.count("lang") == 1


def test_an_empty_query_is_refused():
    assert "empty" in refused("  # nothing\n").message


# Flat chains that overflowed the query process's stack (issue 12): brackets alone
# never show them, so the nesting check let them through to the engine.
@pytest.mark.parametrize(
    "query",
    [
        "ASK { FILTER(" + "!" * 10_000 + "true) }",
        "SELECT (" + "+".join(["1"] * 10_000) + " AS ?x) {}",
        "ASK { FILTER(" + "&&".join(["true"] * 2_000) + ") }",
        "SELECT * {" + " UNION ".join(["{}"] * 8_000) + "}",
        "SELECT * {" + "OPTIONAL{}" * 6_000 + "}",
        "SELECT * {" + "".join(f"BIND(1 AS ?v{i})" for i in range(3_000)) + "}",
        "SELECT * { ?s " + "/".join(["<p>"] * 8_000) + " ?o }",
        "SELECT * {" + "{}UNION" * 3_000 + "{} }",  # keywords glued to braces
        # a chain spread over brackets still counts as one
        "ASK { FILTER(" + "(!" * 60 + "!" * 600 + "true" + ")" * 60 + ") }",
    ],
    ids=["not", "plus", "and", "union", "optional", "bind", "path", "glued", "spread"],
)
def test_operator_and_clause_chains_beyond_the_limit_are_refused_naming_it(query):
    error = refused(query, max_chain=500)
    assert error.status == 400
    assert "chains more than 500 operators and clauses" in error.message
    assert "line 1, column" in error.message


def test_chains_within_the_limit_and_long_lists_pass():
    assert check("SELECT (" + "+".join(["1"] * 400) + " AS ?x) {}", max_chain=500).max_chain == 399
    # siblings in brackets of their own do not add up: each closes before the next
    siblings = "SELECT " + " ".join(f"(1+2+3 AS ?v{i})" for i in range(1_000)) + " {}"
    assert check(siblings, max_chain=500).max_chain == 2
    # long lists the engine holds flat: IN, function arguments, VALUES with signs
    assert check("ASK { FILTER(1 IN (" + ",".join(["-1"] * 5_000) + ")) }", max_chain=500)
    assert check("SELECT ?x { VALUES ?x {" + " -1" * 5_000 + "} }", max_chain=500).max_chain == 0
    assert check("SELECT ?x { VALUES (?x ?y) {" + " (-1 +2)" * 3_000 + "} FILTER(?x < -?y) }",
                 max_chain=500).max_chain == 3


def test_clauses_chain_through_their_group_whatever_separates_them():
    spread = "SELECT * {" + " ?s ?p ?o ; ?q ?o . ".join(["FILTER(true)"] * 600) + "}"
    assert "chains more than 500" in refused(spread, max_chain=500).message

"""Each dialect against its engine: the differences it claims are there, and
the client, told the dialect, hides them (system graphs, cut answers, HEAD,
appends, endpoints)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from requests.auth import HTTPDigestAuth

from newsgraph import release
from newsgraph.external import (
    Dialect,
    ExternalStoreError,
    Oxigraph,
    QueryRejected,
    StoreClient,
    StoreTimeout,
    TruncatedAnswer,
    Virtuoso,
    dialect_named,
    open_client,
)
from newsgraph.external.dialects import dialect_for_server

from .conftest import BIG_GRAPH, BIG_ROWS, publish, with_big_graph
from .engines import Engine

pytestmark = pytest.mark.xdist_group("external")

XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
VIRTRDF_THING = "http://www.openlinksw.com/virtrdf-data-formats#default-iid"
BNODE_BODY = b'_:b <urn:x:p> "with a blank node" .\n'


def _count(rows: list[dict]) -> int:
    return int(rows[0]["n"]["value"])


# ------------------------------------------------------------------ generic


def test_generic_needs_every_endpoint_and_names_the_choices() -> None:
    with pytest.raises(ExternalStoreError, match="--update URL and --gsp URL"):
        Dialect().endpoints("http://127.0.0.1:1/sparql")
    with pytest.raises(ExternalStoreError, match="generic, oxigraph, virtuoso"):
        dialect_named("blazegraph")
    assert dialect_for_server("Apache-Jena-Fuseki").name == "generic"


def test_generic_refuses_more_rows_than_asked() -> None:
    assert Dialect().truncated({}, 11, 10) == "the store sent 11 rows where at most 10 were asked"
    assert Dialect().truncated({}, 10, 10) is None
    assert Dialect().truncated({}, 1_000_000, None) is None


def test_generic_publishes_by_graph_store_protocol_puts(oxigraph: Engine, seed_release: Path,
                                                        tmp_path: Path) -> None:
    base = oxigraph.query.rsplit("/", 1)[0]
    result = publish(oxigraph, seed_release, tmp_path / "state.json", "--dialect", "generic",
                     "--update", f"{base}/update", "--gsp", f"{base}/store")
    assert result.returncode == 0, result.stderr
    assert "(generic;" in result.stderr
    manifest = release.verify(seed_release)
    with oxigraph.client() as client:
        assert client.graph_counts(sorted(manifest["graphs"])) == manifest["graphs"]
    missing = subprocess.run(
        [sys.executable, "-m", "newsgraph", "publish", "--to", oxigraph.query, "--dialect",
         "generic", "--release", str(seed_release)],
        capture_output=True, text=True, env=oxigraph.env(), timeout=120)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines()[-1].startswith(
        "error: a generic SPARQL store needs --update URL and --gsp URL")


# ------------------------------------------------------------------ Oxigraph


def test_oxigraph_is_recognised_and_its_endpoints_follow(oxigraph: Engine) -> None:
    with oxigraph.client() as client:
        assert isinstance(client.dialect, Oxigraph)
        base = oxigraph.query.rsplit("/", 1)[0]
        assert (client.endpoints.update, client.endpoints.gsp) == (f"{base}/update",
                                                                    f"{base}/store")


def test_oxigraph_union_default_graph_and_from(oxigraph_seeded: Engine,
                                               seed_release: Path) -> None:
    seeded = oxigraph_seeded
    graphs = sorted(release.verify(seed_release)["graphs"])
    article = next(g for g in graphs if "/graph/" in g and not g.endswith("/entities"))
    with seeded.client() as client:
        # without FROM: the union of the graphs, by the protocol parameter
        ask = "ASK { ?s a <https://w3id.org/newsgraph/def#Statement> }"
        assert client.ask(ask)
        assert not client.ask(ask, union=False)  # the store's own default graph is empty
        # with FROM the graph named is the default graph: the parameter would
        # make the engine ignore FROM (oxigraph#959), so it is not sent
        one = _count(client.select(
            f"SELECT (COUNT(*) AS ?n) FROM <{article}> WHERE {{ ?s ?p ?o }}", has_dataset=True))
        assert one == client.graph_counts([article])[article]
        ignored = _count(client.select(
            f"SELECT (COUNT(*) AS ?n) FROM <{article}> WHERE {{ ?s ?p ?o }}"))
        assert ignored > one  # what happens when the parameter is sent with FROM


def test_oxigraph_never_cuts_an_answer(oxigraph: Engine) -> None:
    engine = with_big_graph(oxigraph)
    with engine.client() as client:
        rows = client.select(f"SELECT ?s WHERE {{ GRAPH <{BIG_GRAPH}> {{ ?s ?p ?o }} }}",
                             union=False)
        assert len(rows) == BIG_ROWS
        construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BIG_GRAPH}> {{ ?s ?p ?o }} }}"
        assert len(client.construct(construct, union=False)) == BIG_ROWS


def test_oxigraph_head_and_appending_blank_nodes(oxigraph: Engine) -> None:
    with oxigraph.client() as client:
        client.put_graph("urn:x:oxi-bnodes", BNODE_BODY)
        assert client.has_graph("urn:x:oxi-bnodes")
        assert not client.has_graph("urn:x:oxi-none")
        client.post_graph("urn:x:oxi-bnodes", BNODE_BODY)
        # why a graph is never appended to: the same blank node is a new one
        assert len(client.get_graph("urn:x:oxi-bnodes") or []) == 2
        client.put_graph("urn:x:oxi-bnodes", BNODE_BODY)
        assert len(client.get_graph("urn:x:oxi-bnodes") or []) == 1
        assert client.delete_graph("urn:x:oxi-bnodes")
        assert client.get_graph("urn:x:oxi-bnodes") is None


# ------------------------------------------------------------------ Virtuoso


def test_virtuoso_is_recognised_and_writes_need_digest(virtuoso: Engine) -> None:
    with virtuoso.client() as client:
        assert isinstance(client.dialect, Virtuoso)
        base = virtuoso.query.rsplit("/", 1)[0]
        assert client.endpoints.gsp == f"{base}/sparql-graph-crud-auth"
        gsp = client.endpoints.gsp
    anonymous = requests.put(gsp, params={"graph": "urn:x:v"}, data=BNODE_BODY, timeout=30,
                             headers={"Content-Type": "text/turtle"})
    assert anonymous.status_code == 401
    assert "digest" in anonymous.headers.get("WWW-Authenticate", "").lower()


def test_virtuoso_union_default_graph_leaves_out_its_system_graphs(
        virtuoso_seeded: Engine) -> None:
    seeded = virtuoso_seeded
    thing = f"ASK {{ <{VIRTRDF_THING}> ?p ?o }}"
    article = "ASK { ?s a <https://w3id.org/newsgraph/def#Statement> }"
    with seeded.client() as client:
        assert client.ask(thing, union=False)  # the engine's own default graph has them
        assert not client.ask(thing)
        assert client.ask(article)
        named = {row["g"]["value"] for row in client.select(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
        assert not named & set(client.dialect.system_graphs)
        assert "https://w3id.org/newsgraph/graph/entities" in named


def test_virtuoso_cut_answers_are_refused(virtuoso: Engine) -> None:
    engine = with_big_graph(virtuoso)
    select = f"SELECT ?s WHERE {{ GRAPH <{BIG_GRAPH}> {{ ?s ?p ?o }} }}"
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{BIG_GRAPH}> {{ ?s ?p ?o }} }}"
    # what the engine does: 200, 10,000 of 12,000 rows, and a header
    raw = requests.post(engine.query, data={"query": select}, timeout=60,
                        headers={"Accept": "application/sparql-results+json"})
    assert raw.status_code == 200 and raw.headers.get("X-SPARQL-MaxRows") == "10000"
    assert len(raw.json()["results"]["bindings"]) == 10_000 < BIG_ROWS
    with engine.client() as client:
        with pytest.raises(TruncatedAnswer, match="X-SPARQL-MaxRows"):
            client.select(select, union=False)
        # a CONSTRUCT is cut with no sign at all: its length gives it away
        with pytest.raises(TruncatedAnswer, match="cuts answers at 10000 rows"):
            client.construct(construct, union=False)
        assert len(client.select(select + " LIMIT 100", union=False)) == 100
        count = client.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BIG_GRAPH}> "
                              "{ ?s ?p ?o } }", union=False)
        assert _count(count) == BIG_ROWS
        assert count[0]["n"]["datatype"] == XSD_INTEGER


def test_virtuoso_head_is_501_and_answers_no_nquads(virtuoso: Engine) -> None:
    with virtuoso.client() as client:
        client.put_graph("urn:x:virt-head", BNODE_BODY, client.dialect.put_media_type)
        gsp = client.endpoints.gsp
        auth = HTTPDigestAuth(virtuoso.credentials.user, virtuoso.credentials.password)
        assert requests.head(gsp, params={"graph": "urn:x:virt-head"}, auth=auth,
                             timeout=30).status_code == 501
        assert client.has_graph("urn:x:virt-head")  # by ASK instead
        assert not client.has_graph("urn:x:virt-none")
        nquads = requests.post(virtuoso.query, data={"query": "CONSTRUCT WHERE { ?s ?p ?o } "
                                                              "LIMIT 1"},
                               headers={"Accept": "application/n-quads"}, timeout=30)
        assert nquads.status_code == 406
        assert not client.dialect.nquads


def test_virtuoso_appending_duplicates_blank_nodes_and_put_replaces(virtuoso: Engine) -> None:
    with virtuoso.client() as client:
        kind = client.dialect.put_media_type
        client.put_graph("urn:x:virt-bnodes", BNODE_BODY, kind)
        client.post_graph("urn:x:virt-bnodes", BNODE_BODY, kind)
        assert client.graph_counts(["urn:x:virt-bnodes"])["urn:x:virt-bnodes"] == 2
        client.put_graph("urn:x:virt-bnodes", BNODE_BODY, kind)
        assert client.graph_counts(["urn:x:virt-bnodes"])["urn:x:virt-bnodes"] == 1
        client.drop_graphs(["urn:x:virt-bnodes"])
        assert client.graph_counts(["urn:x:virt-bnodes"])["urn:x:virt-bnodes"] == 0


def test_virtuoso_errors_carry_the_engines_message(virtuoso: Engine) -> None:
    with virtuoso.client() as client:
        with pytest.raises(ExternalStoreError) as caught:
            client.select("SELECT WHERE { nonsense")
    message = str(caught.value)
    assert "\n" not in message and "answered 400 to run a query" in message
    assert "SP030" in message  # Virtuoso's own code for a syntax error


def test_virtuoso_answers_ask_as_a_select_and_the_dialect_reads_it(virtuoso: Engine) -> None:
    for query, truth in (("ASK { GRAPH ?g { ?s ?p ?o } }", True),
                         ("ASK { ?s <urn:x:nothing-has-this> ?o }", False)):
        raw = requests.post(virtuoso.query, data={"query": query}, timeout=30,
                            headers={"Accept": "application/sparql-results+json"}).json()
        assert "boolean" not in raw and raw["head"]["vars"] == ["__ASK_RETVAL"]
        with virtuoso.client() as client:
            assert client.ask(query, union=False) is truth


def test_virtuoso_counts_every_graph_a_page_at_a_time(virtuoso_seeded: Engine,
                                                      seed_release: Path) -> None:
    graphs = release.verify(seed_release)["graphs"]
    # a cap of 6 rows makes pages of 3 groups: the store holds many more graphs
    with open_client(virtuoso_seeded.query, dialect=Virtuoso(max_rows=6)) as client:
        assert client.dialect.count_every_graph
        assert client.graph_counts(sorted(graphs)) == graphs
        assert client.graph_counts(["urn:x:no-such-graph"]) == {"urn:x:no-such-graph": 0}


def test_virtuoso_graph_iri_with_pragmas_and_what_the_dialect_sends(
        virtuoso_seeded: Engine) -> None:
    """With any input: pragma but a list of named graphs, GRAPH <iri> matches
    nothing on Virtuoso 7.2; told the graphs a query names, the dialect lists
    them as its named graphs, and refuses a query that also has GRAPH ?g."""
    graph = "https://w3id.org/newsgraph/graph/entities"
    query = f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    with virtuoso_seeded.client() as client:
        wanted = len(client.select(query, union=False))
        assert wanted > 0
        excluded = "".join(f"define input:named-graph-exclude <{g}>\n"
                           for g in client.dialect.system_graphs)
        assert client.select(excluded + query, union=False) == []  # the engine's fault
        assert len(list(client.solutions(query, graphs=([graph], False)))) == wanted
        assert len(client.triples(query.replace("SELECT ?s WHERE", "CONSTRUCT WHERE"),
                                  graphs=([graph], False))) == wanted
        with pytest.raises(QueryRejected, match="GRAPH <iri> and GRAPH \\?variable"):
            client.solutions(query + " GRAPH ?g {}", graphs=([graph], True))


def test_virtuoso_stops_a_query_at_its_timeout_and_the_answer_is_refused(
        virtuoso_seeded: Engine) -> None:
    """Given ``timeout``, Virtuoso answers 200 with what it found so far and
    X-SQL-State S1TAT (an "anytime" answer), or now and then a 500 saying it
    killed the statement (SQLCancel): either is refused as a time-out, not served."""
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    raw = requests.post(virtuoso_seeded.query, data={"query": runaway},
                        params={"timeout": "500"}, timeout=60,
                        headers={"Accept": "application/sparql-results+json"})
    assert (raw.status_code == 200 and raw.headers.get("X-SQL-State") == "S1TAT") or (
        raw.status_code == 500 and "SQLCancel" in raw.text), (raw.status_code, raw.text[:300])
    with virtuoso_seeded.client() as client:
        # the engine's limit comes first (as one set lower in its ini would)
        class Sooner(Virtuoso):
            def timeout_params(self, seconds: float) -> dict[str, str]:
                return {"timeout": "500"}

        sooner = StoreClient(client.endpoints, Sooner())
        with pytest.raises(StoreTimeout, match="time limit"):
            sooner.solutions(runaway, timeout_s=30)
        # the wait ends at the limit, whatever the engine does
        with pytest.raises(StoreTimeout, match="did not answer within 0.5 s"):
            client.solutions(runaway, timeout_s=0.5)


def test_virtuoso_answers_booleans_as_integers(virtuoso_seeded: Engine) -> None:
    """Known and left visible: a boolean value comes back as xsd:integer 1 (so
    the server's own queries bind strings where they need a flag)."""
    with virtuoso_seeded.client() as client:
        rows = client.select("SELECT ?t WHERE { BIND(true AS ?t) }")
    assert rows[0]["t"]["value"] == "1" and rows[0]["t"]["datatype"] == XSD_INTEGER


def test_graphs_are_read_without_credentials_and_checked_against_the_count(
        seeded: Engine) -> None:
    graph = "https://w3id.org/newsgraph/graph/entities"
    with open_client(seeded.query) as client:  # no credentials
        triples = client.read_graph(graph)
        assert triples
        assert client.read_graph(graph, expected=len(triples)) == triples
        with pytest.raises(TruncatedAnswer, match="where the release has"):
            client.read_graph(graph, expected=len(triples) + 1)
        assert client.read_graph("urn:x-newsgraph-test:no-such-graph") is None


def test_only_virtuosos_own_time_limit_errors_are_time_outs() -> None:
    virtuoso = Virtuoso()
    assert virtuoso.cancelled(500, "Virtuoso HY008 Error Async statement killed by SQLCancel.")
    assert virtuoso.cancelled(500, "Virtuoso S1T00 Error SR171: Transaction timed out")
    assert virtuoso.cancelled(500, "Virtuoso 37000 Error SP030: SPARQL compiler, line 1") is None
    assert virtuoso.cancelled(400, "SQLCancel") is None
    assert Dialect().cancelled(500, "SQLCancel") is None

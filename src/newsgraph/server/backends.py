"""Where the server reads the data from: the one interface every reader uses.

Two backends answer it:

* :class:`EmbeddedStore` — the release's own pyoxigraph store (on disk,
  read-only) or an RDF file loaded in memory;
* :class:`RemoteStore` — an external SPARQL store (``newsgraph serve --store
  URL``) through :class:`newsgraph.external.StoreClient`: the SPARQL 1.1
  Protocol for queries, the Graph Store Protocol to read a named graph. A web
  process holding one holds no data, only a pool of HTTP connections.

Both answer in pyoxigraph's types (``QuerySolutions``, ``QueryBoolean``, an
iterable of ``Triple``), so a reader does not know which it talks to. A
remote answer is complete or refused: a cut answer raises
:class:`newsgraph.external.TruncatedAnswer`, a time limit
:class:`newsgraph.external.StoreTimeout` (both ``ExternalStoreError``, which
pages answer 502/503: see ``web/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox

from newsgraph.external import ExternalStoreError, StoreClient
from newsgraph.server.sparql.guard import QueryRefused, graphs_named, query_form

QueryAnswer = ox.QuerySolutions | ox.QueryBoolean | Iterable[ox.Triple]


@runtime_checkable
class DataStore(Protocol):
    """What the server asks of the data, whichever store holds it."""

    kind: str  # "embedded" or "remote"

    def query(self, query: str, *, use_default_graph_as_union: bool = False,
              default_graph: Sequence[ox.NamedNode] | None = None,
              named_graphs: Sequence[ox.NamedNode] | None = None,
              base_iri: str | None = None, timeout_s: float | None = None,
              max_bytes: int | None = None) -> QueryAnswer:
        """A SPARQL query, with pyoxigraph's ``Store.query`` arguments; a remote
        store also takes a time limit and the longest answer to read."""
        ...

    def has_subject(self, iri: str) -> bool:
        """Whether any graph has a triple about ``iri``."""
        ...

    def graph_triples(self, iri: str, expected: int | None = None) -> list[ox.Triple] | None:
        """The triples of named graph ``iri``, None when there is no such graph."""
        ...

    def graph_names(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        ...


class EmbeddedStore:
    """A pyoxigraph store in this process: the release's, or a file's."""

    kind = "embedded"

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def query(self, query: str, *, use_default_graph_as_union: bool = False,
              default_graph: Sequence[ox.NamedNode] | None = None,
              named_graphs: Sequence[ox.NamedNode] | None = None,
              base_iri: str | None = None, timeout_s: float | None = None,
              max_bytes: int | None = None) -> QueryAnswer:
        # no timeout in pyoxigraph: the SPARQL endpoint runs these in killable
        # worker processes instead (sparql/pool.py)
        kwargs: dict[str, Any] = {"base_iri": base_iri}
        if default_graph is not None or named_graphs is not None:
            kwargs["default_graph"] = list(default_graph or [])
            kwargs["named_graphs"] = list(named_graphs or [])
        elif use_default_graph_as_union:
            kwargs["use_default_graph_as_union"] = True
        return self.store.query(query, **kwargs)

    def has_subject(self, iri: str) -> bool:
        return next(iter(self.store.quads_for_pattern(ox.NamedNode(iri), None, None)),
                    None) is not None

    def graph_triples(self, iri: str, expected: int | None = None) -> list[ox.Triple] | None:
        graph = ox.NamedNode(iri)
        if not self.store.contains_named_graph(graph):
            return None
        return [ox.Triple(q.subject, q.predicate, q.object)
                for q in self.store.quads_for_pattern(None, None, None, graph)]

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))


class RemoteStore:
    """An external SPARQL store, read through one client per process.

    ``graphs``: the named graphs of the release it serves and their quad
    counts (the manifest's, which ``serve --store`` checked against the store
    before serving): the graph list needs no query, and a graph read by GSP is
    refused if its length is not the release's. ``timeout_s``: the wait for
    one answer (the SPARQL endpoint passes its own, shorter limit per query).
    """

    kind = "remote"

    def __init__(self, client: StoreClient, graphs: dict[str, int]) -> None:
        self.client = client
        self.graphs = dict(graphs)

    def query(self, query: str, *, use_default_graph_as_union: bool = False,
              default_graph: Sequence[ox.NamedNode] | None = None,
              named_graphs: Sequence[ox.NamedNode] | None = None,
              base_iri: str | None = None, timeout_s: float | None = None,
              max_bytes: int | None = None) -> QueryAnswer:
        if base_iri is not None:
            # the protocol has no base IRI: a BASE of the query's own comes later and wins
            query = f"BASE <{base_iri}>\n{query}"
        try:
            form = query_form(query)
            graphs = graphs_named(query)
        except QueryRefused as refused:
            raise SyntaxError(refused.message) from None
        dataset = None
        if default_graph is not None or named_graphs is not None:
            dataset = ([g.value for g in default_graph or []],
                       [g.value for g in named_graphs or []])
        # Without a dataset of the protocol's the query is always sent with the
        # dialect's union default graph: it also keeps the engine's own system
        # graphs out of GRAPH ?g (Virtuoso), and a query naming its graphs with
        # FROM (``use_default_graph_as_union`` False) is sent as it is.
        has_dataset = dataset is None and not use_default_graph_as_union
        if form in ("SELECT", "ASK"):
            return self.client.solutions(query, has_dataset=has_dataset, dataset=dataset,
                                         timeout_s=timeout_s, graphs=graphs,
                                         max_bytes=max_bytes)
        return self.client.triples(query, has_dataset=has_dataset, dataset=dataset,
                                   timeout_s=timeout_s, graphs=graphs, max_bytes=max_bytes)

    def has_subject(self, iri: str) -> bool:
        answer = self.query(f"ASK {{ {ox.NamedNode(iri)} ?p ?o }}",
                            use_default_graph_as_union=True)
        return bool(answer)

    def graph_triples(self, iri: str, expected: int | None = None) -> list[ox.Triple] | None:
        if iri not in self.graphs:
            return None  # not a graph of the release, whatever else the store holds
        return self.client.read_graph(iri, self.graphs[iri] if expected is None else expected)

    def graph_names(self) -> list[str]:
        return sorted(self.graphs)


def check_store_holds(client: StoreClient, manifest: dict[str, Any]) -> list[str]:
    """What the store lacks of the release ``manifest`` describes: one line per
    graph whose quad count differs (empty: it holds the release)."""
    wanted: dict[str, int] = manifest.get("graphs") or {}
    if not wanted:
        raise ExternalStoreError("the release's manifest lists no graphs to look for")
    counts = client.graph_counts(sorted(wanted))
    return [f"graph <{iri}>: {counts.get(iri, 0)} quads in the store, {n} in the release"
            for iri, n in sorted(wanted.items()) if counts.get(iri, 0) != n]


def other_graphs(client: StoreClient, manifest: dict[str, Any]) -> int:
    """How many graphs the store holds besides the release's (the engine's own
    system graphs left out): their triples would be part of the union default
    graph the pages and the SPARQL endpoint read."""
    rows = client.select("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                         limit=1)
    try:
        held = int(rows[0]["n"]["value"])
    except (IndexError, KeyError, ValueError):
        raise ExternalStoreError("the store answered a count of its graphs with something "
                                 "not a count") from None
    return max(0, held - len(manifest.get("graphs") or {}))

"""What differs between SPARQL engines, each engine in one small named class.

The client (:mod:`newsgraph.external.client`) speaks the standard protocols;
a dialect says where an engine departs from them or offers more:

* the endpoints an engine serves by default, given the query endpoint;
* how writes authenticate (Virtuoso: digest, on its ``-auth`` endpoints);
* its bulk path, and how a graph is replaced (never appended: Virtuoso
  duplicates blank nodes when a graph is appended to);
* how a query reads the union of the data's graphs as its default graph
  without the engine's own system graphs;
* how a cut answer shows (Virtuoso's ``ResultSetMaxRows``: an
  ``X-SPARQL-MaxRows`` header on a SELECT, nothing at all on a CONSTRUCT);
* which parts of the Graph Store Protocol and which formats it lacks.

Each fact here was measured on the engine (tests/external test each dialect
against the real one); docs/external-stores.md lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from newsgraph.external.errors import ExternalStoreError, QueryRejected

NQUADS = "application/n-quads"
NTRIPLES = "application/n-triples"
TURTLE = "text/turtle"


@dataclass(frozen=True)
class Endpoints:
    """Where a store answers: queries, updates, the Graph Store Protocol, bulk loads."""

    query: str
    update: str
    gsp: str


def _sibling(url: str, path: str) -> str:
    """``url`` with its path replaced (``/query`` → ``/store`` on the same server)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True)
class Dialect:
    """The standard: SPARQL 1.1 Protocol and Graph Store Protocol, nothing more.

    Writes replace a graph with GSP ``PUT``, one graph a request; the union
    default graph is whatever the engine's default graph is (the caller lists
    the graphs with ``FROM`` where it matters).
    """

    name: ClassVar[str] = "generic"
    # the ``Server`` header an engine sends, for --dialect auto
    server_header: ClassVar[str] = ""
    # how writes authenticate when credentials are given
    auth: ClassVar[str] = "basic"
    # GSP query parameter naming the graph
    graph_param: ClassVar[str] = "graph"
    # the media type of a graph PUT (its body is N-Triples, which is Turtle too)
    put_media_type: ClassVar[str] = NTRIPLES
    # whether HEAD on a graph is implemented (Virtuoso: 501)
    head_supported: ClassVar[bool] = True
    # whether the engine loads and answers N-Quads (Virtuoso: 406 on CONSTRUCT)
    nquads: ClassVar[bool] = False
    # whether xsd:nonNegativeInteger and other integer subtypes come back as
    # stored; Oxigraph (and so the embedded store) answers xsd:integer for them
    keeps_integer_subtypes: ClassVar[bool] = True
    # answers of at least this many rows may have been cut by the engine
    # (None: the engine never cuts an answer silently)
    max_rows: int | None = None
    # graphs of the engine itself, never part of the data
    system_graphs: tuple[str, ...] = field(default=())

    def endpoints(self, query: str, update: str | None = None,
                  gsp: str | None = None) -> Endpoints:
        """The endpoints of a store whose query endpoint is ``query``; the ones
        given win. A generic store must be told both others."""
        if update is None or gsp is None:
            raise ExternalStoreError(
                "a generic SPARQL store needs --update URL and --gsp URL as well as --to "
                "(or name its engine with --dialect oxigraph|virtuoso)")
        return Endpoints(query=query, update=update, gsp=gsp)

    # ------------------------------------------------------------- reading

    def union_query(self, query: str, has_dataset: bool,
                    graphs: tuple[Sequence[str], bool] | None = None
                    ) -> tuple[str, dict[str, str]]:
        """The query text and extra protocol parameters that make the default
        graph the union of the data's graphs. ``has_dataset``: the query names
        its own graphs (``FROM``/``FROM NAMED``), which must then be honoured.
        ``graphs``: the graphs the query names after ``GRAPH`` and whether a
        ``GRAPH`` takes a variable, where the caller knows (None: unknown)."""
        return query, {}

    def read_gsp(self, endpoints: Endpoints) -> str:
        """Where a graph is read by the Graph Store Protocol without credentials."""
        return endpoints.gsp

    def timeout_params(self, seconds: float) -> dict[str, str]:
        """Protocol parameters asking the engine itself to stop a query after
        ``seconds`` (None known: only the HTTP timeout bounds the wait, and the
        engine's own configured limit, if any, the work)."""
        return {}

    def interrupted(self, headers: dict[str, str]) -> str | None:
        """Why an answer the engine sent is one it cut at a time limit, or None."""
        return None

    def cancelled(self, status: int, why: str) -> str | None:
        """Why an error the engine answered is its time limit, or None."""
        return None

    def ask_result(self, answer: Any) -> bool:
        """The boolean of an ASK answered in SPARQL JSON results."""
        value = answer["boolean"]
        if not isinstance(value, bool):
            raise TypeError("not a boolean")
        return value

    def truncated(self, headers: dict[str, str], rows: int, limit: int | None) -> str | None:
        """Why an answer of ``rows`` rows (the caller asked for at most
        ``limit``) may be incomplete, or None when it is complete."""
        if limit is not None and rows > limit:
            return f"the store sent {rows} rows where at most {limit} were asked"
        if self.max_rows is not None and rows >= self.max_rows:
            return (f"the store cuts answers at {self.max_rows} rows and this one has {rows}, "
                    "so it may be incomplete")
        return None

    # ------------------------------------------------------------- writing

    # count graphs by one GROUP BY over every graph of the store, a page at a
    # time, rather than by VALUES lists of the graphs wanted
    count_every_graph: ClassVar[bool] = False
    # how graphs are replaced: "put" (one GSP PUT a graph), "nquads" (drop
    # the graphs, then one N-Quads POST of them all), "update" (one SPARQL
    # update clearing the graphs and inserting their triples)
    bulk: ClassVar[str] = "put"

    def bulk_batch_quads(self) -> int:
        """About how many quads to send in one write (several graphs when small)."""
        return 0  # one graph a request

    def update_prologue(self) -> str:
        """What an engine needs at the head of a long update (nothing here)."""
        return ""

    def replace_update(self, graphs: Sequence[tuple[str, str]]) -> str:
        """The SPARQL update replacing each ``(graph IRI, its N-Triples)``."""
        return self.update_prologue() + "".join(
            f"CLEAR SILENT GRAPH <{iri}> ;\n" for iri, _ in graphs) + self._insert(graphs)

    def insert_update(self, graphs: Sequence[tuple[str, str]]) -> str:
        """The SPARQL update adding N-Triples to each graph (the next part of a
        graph too long for one update, once it was cleared by the first)."""
        return self.update_prologue() + self._insert(graphs)

    @staticmethod
    def _insert(graphs: Sequence[tuple[str, str]]) -> str:
        return "INSERT DATA {\n" + "".join(f"GRAPH <{iri}> {{\n{body}}}\n"
                                          for iri, body in graphs) + "}"


@dataclass(frozen=True)
class Oxigraph(Dialect):
    """Oxigraph server (``oxigraph serve``): ``/query``, ``/update``, ``/store``.

    Bulk path: ``POST /store?no_transaction`` with N-Quads of many graphs at
    once, after ``DROP SILENT GRAPH`` of each (so a graph is replaced, never
    appended to). Its per-graph GSP ``PUT`` slows as the store grows.
    Union default graph: the ``union-default-graph`` protocol parameter, sent
    only for a query without ``FROM``: with it the engine ignores ``FROM``
    (oxigraph#959). It has no system graphs and never cuts an answer.
    """

    name: ClassVar[str] = "oxigraph"
    server_header: ClassVar[str] = "oxigraph"
    nquads: ClassVar[bool] = True
    keeps_integer_subtypes: ClassVar[bool] = False

    def endpoints(self, query: str, update: str | None = None,
                  gsp: str | None = None) -> Endpoints:
        return Endpoints(query=query, update=update or _sibling(query, "/update"),
                         gsp=gsp or _sibling(query, "/store"))

    def union_query(self, query: str, has_dataset: bool,
                    graphs: tuple[Sequence[str], bool] | None = None
                    ) -> tuple[str, dict[str, str]]:
        return query, ({} if has_dataset else {"union-default-graph": ""})

    bulk: ClassVar[str] = "nquads"

    def bulk_batch_quads(self) -> int:
        return 50_000


VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://localhost:8890/sparql",
    "http://localuriqaserver/sparql",
    "http://www.w3.org/2002/07/owl#",
    "http://www.openlinksw.com/schemas/oplweb#",
)


@dataclass(frozen=True)
class Virtuoso(Dialect):
    """Virtuoso Open Source 7 (``/sparql``; writes on ``/sparql-auth`` and
    ``/sparql-graph-crud-auth`` with digest authentication).

    Replacing graphs: one SPARQL update ``CLEAR`` + ``INSERT DATA`` of a few
    thousand quads of many graphs (each GSP ``PUT`` is a transaction of its own:
    half the speed for small graphs), but a graph with blank nodes or of more
    than 2,000 quads by ``PUT`` (``INSERT DATA`` refuses blank nodes, and its
    parser runs out of memory near 5,000 triples); appending would duplicate
    blank nodes. Its
    default graph holds its system graphs, left out with
    ``define input:default-graph-exclude`` (and ``named-graph-exclude``) for a
    query without ``FROM``. It cuts answers at ``ResultSetMaxRows`` (10,000 in
    its shipped ini): a SELECT says so in ``X-SPARQL-MaxRows``, a CONSTRUCT
    returns ``max_rows + 1`` triples and says nothing, so any answer that
    long is refused. ``HEAD`` on a graph is 501; no N-Quads; an ASK is
    answered as a SELECT of ``__ASK_RETVAL``.
    """

    name: ClassVar[str] = "virtuoso"
    server_header: ClassVar[str] = "virtuoso"
    auth: ClassVar[str] = "digest"
    # the type its GSP documents (it sniffs the body whatever the header says)
    put_media_type: ClassVar[str] = TURTLE
    head_supported: ClassVar[bool] = False
    max_rows: int | None = 10_000
    system_graphs: tuple[str, ...] = VIRTUOSO_SYSTEM_GRAPHS

    def endpoints(self, query: str, update: str | None = None,
                  gsp: str | None = None) -> Endpoints:
        return Endpoints(query=query, update=update or _sibling(query, "/sparql-auth"),
                         gsp=gsp or _sibling(query, "/sparql-graph-crud-auth"))

    def union_query(self, query: str, has_dataset: bool,
                    graphs: tuple[Sequence[str], bool] | None = None
                    ) -> tuple[str, dict[str, str]]:
        if has_dataset:
            return query, {}
        excluded = "".join(f"define input:default-graph-exclude <{g}>\n"
                           for g in self.system_graphs)
        named, variable = graphs if graphs is not None else ((), False)
        if not named:
            return excluded + "".join(f"define input:named-graph-exclude <{g}>\n"
                                      for g in self.system_graphs) + query, {}
        # Measured on 7.2: with any input: pragma but a list of named graphs, a
        # GRAPH <iri> pattern matches nothing (a COUNT of it says 1). So the graphs
        # such a query names are its named graphs; one that also has GRAPH ?g
        # would then see only those, and is refused rather than answered wrong.
        if variable:
            raise QueryRejected(
                "this store (Virtuoso) cannot answer a query that has both GRAPH <iri> and "
                "GRAPH ?variable without its own system graphs; write the graph as "
                "VALUES ?g { <iri> } GRAPH ?g, or name the graphs with FROM NAMED")
        return excluded + "".join(f"define input:named-graph-uri <{g}>\n"
                                  for g in named) + query, {}

    bulk: ClassVar[str] = "update"
    # a VALUES count compiled while the store is empty keeps its plan: once the
    # data is in, each 100 graphs cost 1 s of its CPU, where one GROUP BY over
    # every graph of a 92,000-quad store takes 0.07 s
    count_every_graph: ClassVar[bool] = True

    def bulk_batch_quads(self) -> int:
        # its SPARQL parser runs out of memory at about 5,000 triples an update
        return 2_000

    def update_prologue(self) -> str:
        # without big-data-const the engine turns each triple into SQL and
        # refuses an update of more than 10,000 lines of it (a few thousand triples)
        return "define sql:big-data-const 1\n"

    def read_gsp(self, endpoints: Endpoints) -> str:
        # reads need no digest: the same service without "-auth" answers GET
        return endpoints.gsp[:-len("-auth")] if endpoints.gsp.endswith("-auth") else endpoints.gsp

    def timeout_params(self, seconds: float) -> dict[str, str]:
        # milliseconds; past it the engine answers 200 with what it has found so
        # far and X-SQL-State S1TAT ("anytime" queries): see interrupted()
        return {"timeout": str(max(1, int(seconds * 1000)))}

    def cancelled(self, status: int, why: str) -> str | None:
        # at its time limit it may also give up with no answer at all: a 500
        # saying the statement was killed (SQLCancel) or the transaction timed out
        if status == 500 and any(m in why for m in ("SQLCancel", "S1T00", "HYT00")):
            return f"the store stopped the query at its time limit ({why})"
        return None

    def interrupted(self, headers: dict[str, str]) -> str | None:
        if headers.get("x-sql-state", "").strip().upper() == "S1TAT":
            return ("the store stopped the query at its time limit and sent an incomplete "
                    "answer (Virtuoso's X-SQL-State S1TAT)")
        return None

    def ask_result(self, answer: Any) -> bool:
        # Virtuoso 7.2 answers an ASK as a SELECT of one variable, __ASK_RETVAL,
        # bound to 1 in one row when true and with no row when false
        if "boolean" in answer:
            return super().ask_result(answer)
        rows = answer["results"]["bindings"]
        return bool(rows) and rows[0]["__ASK_RETVAL"]["value"] == "1"

    def truncated(self, headers: dict[str, str], rows: int, limit: int | None) -> str | None:
        cap = headers.get("x-sparql-maxrows")
        if cap is not None:
            return (f"the store cut the answer at {cap} rows (Virtuoso's ResultSetMaxRows; "
                    "X-SPARQL-MaxRows)")
        return super().truncated(headers, rows, limit)


DIALECTS: dict[str, type[Dialect]] = {d.name: d for d in (Dialect, Oxigraph, Virtuoso)}


def dialect_named(name: str, max_rows: int | None = None) -> Dialect:
    """The dialect called ``name``; ``max_rows`` overrides the engine's row cap
    (Virtuoso's ``ResultSetMaxRows`` when its ini changes it)."""
    try:
        kind = DIALECTS[name.lower()]
    except KeyError:
        raise ExternalStoreError(f"unknown dialect {name!r}; choose one of "
                                 f"{', '.join(sorted(DIALECTS))}") from None
    return kind(max_rows=max_rows) if max_rows is not None else kind()


def dialect_for_server(header: str) -> Dialect:
    """The dialect of the engine whose ``Server`` header is ``header``."""
    low = header.lower()
    for kind in (Oxigraph, Virtuoso):
        if kind.server_header in low:
            return kind()
    return Dialect()

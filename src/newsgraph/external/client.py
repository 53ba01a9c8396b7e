"""A client of a SPARQL store over HTTP: the SPARQL 1.1 Protocol (query,
update) and the Graph Store Protocol (PUT, DELETE, POST, HEAD, GET of a named
graph), with an engine's differences taken from its dialect.

Built on ``requests`` rather than ``urllib3``: Virtuoso takes writes only with
HTTP digest authentication, which ``requests`` implements (and keeps its nonce
across requests, so only the first request of a session is sent twice) and
``urllib3`` does not; its ``Session`` pools the connections as ``urllib3`` would.

Every failure is an :class:`ExternalStoreError` of one line: what was asked,
of which store, what came back, and what to do. Nothing here imports the
pipeline or the server: both use it (``newsgraph publish`` to write a release,
the server's remote backend to read).
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from newsgraph.external.credentials import Credentials
from newsgraph.external.dialects import (
    NQUADS,
    NTRIPLES,
    Dialect,
    Endpoints,
    dialect_for_server,
)
from newsgraph.external.errors import (
    AnswerTooLarge,
    ExternalStoreError,
    QueryRejected,
    StoreTimeout,
    TruncatedAnswer,
)
from newsgraph.external.nquads import GraphBody

SPARQL_JSON = "application/sparql-results+json"
DEFAULT_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 10.0
# graphs counted in one VALUES query: Virtuoso took 0.3 s for 100 IRIs in VALUES, 20 s
# for 500 (it grows faster than the list), and the answer stays far below any row cap
COUNT_BATCH = 100
# where every graph is counted at once (Virtuoso), the groups a query
COUNT_PAGE = 5_000
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_MESSAGE = re.compile(r"<xmp>(.*?)</xmp>", re.S | re.I)
# a blank node label pyoxigraph reads (Virtuoso's are "nodeID://b10006")
_BNODE_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-.]*(?<!\.)")


def _iri(value: str) -> str:
    if any(c in value for c in '<>"{}|^`\\ \n'):
        raise ExternalStoreError(f"not an IRI that can be written in a query: {value!r}")
    return f"<{value}>"


def _why(response: requests.Response) -> str:
    """The gist of an error body: tags dropped, one line, at most 200 characters."""
    try:
        text = response.text
    except (requests.RequestException, UnicodeDecodeError):
        text = ""
    if "html" in response.headers.get("Content-Type", "").lower():
        # Virtuoso's error pages hold the engine's message in <xmp>, unescaped
        # (an IRI in it is written <like this>), so only the rest loses its tags
        inner = _MESSAGE.search(text)
        text = html.unescape(inner.group(1) if inner else _TAGS.sub(" ", text))
    text = _SPACE.sub(" ", text).strip()
    return (text[:197] + "...") if len(text) > 200 else text


def _read_at_most(response: requests.Response, max_bytes: int, url: str) -> None:
    """Read a streamed answer's body, refusing it past ``max_bytes`` (a web
    worker must not hold whatever a store sends)."""
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            response.close()
            raise AnswerTooLarge(f"the store at {url} sent an answer of more than "
                                 f"{max_bytes} bytes")
    response._content = bytes(body)  # what .content and .json() then read


def _relabel_blank_nodes(answer: dict[str, Any]) -> bool:
    """Give the blank nodes of a SPARQL JSON answer labels pyoxigraph reads,
    the same label for the same node throughout; whether any was changed."""
    nodes = [term for row in answer["results"]["bindings"] for term in row.values()
             if term.get("type") == "bnode"]
    if all(_BNODE_LABEL.fullmatch(term["value"]) for term in nodes):
        return False
    labels: dict[str, str] = {}  # all of them, so a new label meets no old one
    for term in nodes:
        term["value"] = labels.setdefault(term["value"], f"b{len(labels)}")
    return True


class StoreClient:
    """One external store: its endpoints, its dialect, the credentials to write with."""

    def __init__(self, endpoints: Endpoints, dialect: Dialect,
                 credentials: Credentials | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, auth_reads: bool = False) -> None:
        self.endpoints = endpoints
        # reads are anonymous unless the store wants credentials for them too
        # (serve --store of a store behind an authenticating proxy)
        self.auth_reads = auth_reads
        self.dialect = dialect
        self.timeout_s = timeout_s
        self._session = requests.Session()
        self._auth: AuthBase | None = None
        if credentials is not None:
            kind = HTTPDigestAuth if dialect.auth == "digest" else HTTPBasicAuth
            self._auth = kind(credentials.user, credentials.password)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> StoreClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ HTTP

    def _request(self, method: str, url: str, what: str, *, write: bool = False,
                 ok: Sequence[int] = (200, 201, 204), timeout_s: float | None = None,
                 max_bytes: int | None = None, **kwargs: Any) -> requests.Response:
        wait = self.timeout_s if timeout_s is None else timeout_s
        try:
            response = self._session.request(
                method, url, auth=self._auth if write or self.auth_reads else None,
                timeout=(min(CONNECT_TIMEOUT_S, wait), wait), stream=max_bytes is not None,
                **kwargs)
            if max_bytes is not None and response.status_code in ok:
                _read_at_most(response, max_bytes, url)
        except requests.exceptions.ConnectTimeout:
            raise ExternalStoreError(f"cannot reach the store at {url} to {what}: no "
                                     f"connection within {CONNECT_TIMEOUT_S:g} s") from None
        except requests.exceptions.Timeout:
            raise StoreTimeout(f"the store at {url} did not answer within {wait:g} s to "
                               f"{what}; give it more time (--timeout) or a smaller load"
                               ) from None
        except requests.exceptions.ConnectionError as exc:
            reason = "connection refused" if "refused" in str(exc).lower() else \
                _SPACE.sub(" ", str(exc.args[0] if exc.args else exc))[:160]
            raise ExternalStoreError(f"cannot reach the store at {url} to {what}: "
                                     f"{reason}") from None
        except requests.RequestException as exc:
            raise ExternalStoreError(f"cannot {what} at {url}: {exc}") from None
        if response.status_code in ok:
            return response
        status = response.status_code
        if status in (401, 403):
            hint = ("give credentials in NEWSGRAPH_STORE_USER and NEWSGRAPH_STORE_PASSWORD "
                    "(or a file in NEWSGRAPH_STORE_CREDENTIALS)" if self._auth is None or
                    not write else "check the user, the password and its rights")
            raise ExternalStoreError(f"the store at {url} refused to {what} ({status}): {hint}")
        why = _why(response)
        stopped = self.dialect.cancelled(status, why)
        if stopped:
            raise StoreTimeout(f"refused to {what} at {url}: {stopped}")
        # a query the engine cannot parse or evaluate is the query's fault
        kind = QueryRejected if status == 400 and url == self.endpoints.query else \
            ExternalStoreError
        raise kind(f"the store at {url} answered {status} to {what}"
                   + (f": {why}" if why else ""))

    def server_header(self) -> str:
        """The ``Server`` header of the query endpoint (for --dialect auto)."""
        response = self._request("GET", self.endpoints.query, "ask ASK {}",
                                 params={"query": "ASK {}"}, headers={"Accept": SPARQL_JSON})
        return response.headers.get("Server", "")

    # ------------------------------------------------------------- SPARQL

    def _query(self, query: str, accept: str, has_dataset: bool, union: bool,
               dataset: tuple[Sequence[str], Sequence[str]] | None = None,
               timeout_s: float | None = None,
               graphs: tuple[Sequence[str], bool] | None = None,
               max_bytes: int | None = None) -> requests.Response:
        params: dict[str, str] = {}
        if union and dataset is None:
            query, params = self.dialect.union_query(query, has_dataset, graphs)
        form: dict[str, Any] = {"query": query}
        if dataset is not None:  # the protocol's dataset replaces the query's
            form["default-graph-uri"] = list(dataset[0])
            form["named-graph-uri"] = list(dataset[1])
        if timeout_s is not None:
            # the HTTP wait ends at the limit (the caller's promise); the engine,
            # asked to stop too, ends the work soon after (Virtuoso: within 2 s,
            # its granularity), or answers first with an answer it says it cut
            # (Dialect.interrupted), which is refused
            params = {**params, **self.dialect.timeout_params(timeout_s)}
        return self._request("POST", self.endpoints.query, "run a query", params=params,
                             data=form, headers={"Accept": accept}, timeout_s=timeout_s,
                             max_bytes=max_bytes)

    def solutions(self, query: str, *, has_dataset: bool = False, union: bool = True,
                  dataset: tuple[Sequence[str], Sequence[str]] | None = None,
                  timeout_s: float | None = None, limit: int | None = None,
                  graphs: tuple[Sequence[str], bool] | None = None,
                  max_bytes: int | None = None) -> ox.QuerySolutions | ox.QueryBoolean:
        """The answer to a SELECT or an ASK as pyoxigraph reads it from SPARQL
        JSON results (the types the embedded store answers), refused when the
        store may have cut it. ``dataset``: the protocol's default and named
        graphs, which replace the query's; ``timeout_s``: the wait, also asked
        of the engine where its dialect knows how; ``graphs``: what the query
        names after GRAPH (see ``Dialect.union_query``); ``max_bytes``: the
        longest answer taken (:class:`AnswerTooLarge` beyond)."""
        response = self._query(query, SPARQL_JSON, has_dataset, union, dataset, timeout_s,
                               graphs, max_bytes)
        try:
            answer = response.json()
            rows = None if "boolean" in answer else len(answer["results"]["bindings"])
            if rows is not None and "__ASK_RETVAL" in answer.get("head", {}).get("vars", ()):
                # Virtuoso's ASK (see its dialect): a boolean, as the protocol says
                value = "true" if self.dialect.ask_result(answer) else "false"
                return ox.parse_query_results(f'{{"head":{{}},"boolean":{value}}}',
                                              format=ox.QueryResultsFormat.JSON)
            body = response.content
            if rows and _relabel_blank_nodes(answer):
                body = json.dumps(answer).encode("utf-8")
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (ValueError, KeyError, TypeError, IndexError, SyntaxError):
            raise ExternalStoreError(f"the store at {self.endpoints.query} sent no SPARQL JSON "
                                     "results to a query") from None
        self._check_complete(response, rows or 0, limit)
        return parsed

    def triples(self, query: str, *, has_dataset: bool = False, union: bool = True,
                dataset: tuple[Sequence[str], Sequence[str]] | None = None,
                timeout_s: float | None = None, limit: int | None = None,
                graphs: tuple[Sequence[str], bool] | None = None,
                max_bytes: int | None = None) -> list[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE (see :meth:`solutions`)."""
        response = self._query(query, NTRIPLES, has_dataset, union, dataset, timeout_s,
                               graphs, max_bytes)
        return self._triples_of(response, limit)

    def _triples_of(self, response: requests.Response, limit: int | None) -> list[ox.Triple]:
        try:
            triples = list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as exc:
            raise ExternalStoreError(f"the store at {self.endpoints.query} sent N-Triples "
                                     f"that do not parse: {exc}") from None
        self._check_complete(response, len(triples), limit)
        return triples

    def select(self, query: str, *, has_dataset: bool = False, union: bool = True,
               limit: int | None = None) -> list[dict[str, Any]]:
        """The bindings of a SELECT (SPARQL JSON results), refused when the
        store may have cut them (:class:`TruncatedAnswer`)."""
        response = self._query(query, SPARQL_JSON, has_dataset, union)
        try:
            bindings = response.json()["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise ExternalStoreError(f"the store at {self.endpoints.query} sent no SPARQL JSON "
                                     "results to a SELECT") from None
        self._check_complete(response, len(bindings), limit)
        return bindings

    def ask(self, query: str, *, has_dataset: bool = False, union: bool = True) -> bool:
        response = self._query(query, SPARQL_JSON, has_dataset, union)
        try:
            return self.dialect.ask_result(response.json())
        except (ValueError, KeyError, TypeError, IndexError):
            raise ExternalStoreError(f"the store at {self.endpoints.query} sent no boolean "
                                     "to an ASK") from None

    def construct(self, query: str, *, has_dataset: bool = False, union: bool = True,
                  limit: int | None = None) -> list[ox.Triple]:
        """The triples of a CONSTRUCT (asked as N-Triples, which every engine
        writes), refused when the store may have cut them."""
        return self._triples_of(self._query(query, NTRIPLES, has_dataset, union), limit)

    def _check_complete(self, response: requests.Response, rows: int,
                        limit: int | None) -> None:
        headers = {k.lower(): v for k, v in response.headers.items()}
        stopped = self.dialect.interrupted(headers)
        if stopped:
            raise StoreTimeout(f"refused an incomplete answer from {self.endpoints.query}: "
                               f"{stopped}")
        why = self.dialect.truncated(headers, rows, limit)
        if why:
            raise TruncatedAnswer(f"refused an incomplete answer from {self.endpoints.query}: "
                                  f"{why}")

    def update(self, text: str) -> None:
        self._request("POST", self.endpoints.update, "run an update", write=True,
                      data={"update": text})

    # ------------------------------------------------- Graph Store Protocol

    def _graph(self, iri: str) -> dict[str, str]:
        return {self.dialect.graph_param: iri}

    def put_graph(self, iri: str, body: bytes, media_type: str = NTRIPLES) -> None:
        """Replace graph ``iri`` with ``body``."""
        self._request("PUT", self.endpoints.gsp, f"replace graph <{iri}>", write=True,
                      params=self._graph(iri), data=body,
                      headers={"Content-Type": media_type})

    def post_graph(self, iri: str, body: bytes, media_type: str = NTRIPLES) -> None:
        """Add ``body`` to graph ``iri`` (never used to republish: see the dialects)."""
        self._request("POST", self.endpoints.gsp, f"add to graph <{iri}>", write=True,
                      params=self._graph(iri), data=body,
                      headers={"Content-Type": media_type})

    def delete_graph(self, iri: str) -> bool:
        """Delete graph ``iri``; False when there was none."""
        response = self._request("DELETE", self.endpoints.gsp, f"delete graph <{iri}>",
                                 write=True, params=self._graph(iri), ok=(200, 201, 204, 404))
        return response.status_code != 404

    def get_graph(self, iri: str) -> list[ox.Triple] | None:
        """The triples of graph ``iri``, None when the store has no such graph."""
        response = self._request("GET", self.endpoints.gsp, f"read graph <{iri}>",
                                 write=True, params=self._graph(iri),
                                 headers={"Accept": NTRIPLES}, ok=(200, 404))
        if response.status_code == 404:
            return None
        return list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))

    def read_graph(self, iri: str, expected: int | None = None) -> list[ox.Triple] | None:
        """The triples of graph ``iri`` read without credentials (the dialect's
        reading endpoint), None when the store has no such graph. With
        ``expected`` (the release's count), an answer of another length is
        refused: a GSP answer carries no sign of being cut."""
        url = self.dialect.read_gsp(self.endpoints)
        response = self._request("GET", url, f"read graph <{iri}>", params=self._graph(iri),
                                 headers={"Accept": NTRIPLES}, ok=(200, 404))
        if response.status_code == 404:
            return None
        try:
            triples = list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as exc:
            raise ExternalStoreError(f"the store at {url} sent N-Triples that do not parse: "
                                     f"{exc}") from None
        if expected is not None and len(triples) != expected:
            raise TruncatedAnswer(f"refused graph <{iri}> from {url}: {len(triples)} triples "
                                  f"where the release has {expected}")
        return triples

    def has_graph(self, iri: str) -> bool:
        """Whether the store holds graph ``iri``: GSP ``HEAD``, or an ASK where
        the engine does not implement it (Virtuoso: 501)."""
        if self.dialect.head_supported:
            response = self._request("HEAD", self.endpoints.gsp, f"look for graph <{iri}>",
                                     write=True, params=self._graph(iri), ok=(200, 404))
            return response.status_code == 200
        return self.ask(f"ASK {{ GRAPH {_iri(iri)} {{ ?s ?p ?o }} }}", union=False)

    # -------------------------------------------------------------- loading

    def replace_graphs(self, graphs: Sequence[GraphBody]) -> None:
        """Replace each graph with its quads, by the engine's bulk path where it
        has one (see the dialects), else one GSP ``PUT`` a graph."""
        bulk = self.dialect.bulk if self.dialect.bulk_batch_quads() else "put"
        if bulk == "nquads":
            self.drop_graphs([g.iri for g in graphs])
            self._request("POST", self.endpoints.gsp, f"bulk-load {len(graphs)} graphs",
                          write=True, params={"no_transaction": ""},
                          data=b"".join(g.nquads for g in graphs),
                          headers={"Content-Type": NQUADS})
        elif bulk == "update":
            # blank nodes are refused in INSERT DATA (Virtuoso: "not allowed in a
            # constant clause"), so a graph holding some is PUT on its own; a
            # long one exhausts the parser's memory, so it is cleared and sent
            # in parts (one PUT of a 418,000-quad graph took Virtuoso over 300 s)
            batch = self.dialect.bulk_batch_quads()
            plain = [g for g in graphs if b"_:" not in g.nquads and g.quads <= batch]
            for graph in graphs:
                _iri(graph.iri)
                if b"_:" in graph.nquads:
                    self.put_graph(graph.iri, graph.ntriples(), self.dialect.put_media_type)
                elif graph.quads > batch:
                    self._replace_in_parts(graph, batch)
            if plain:
                text = self.dialect.replace_update(
                    [(g.iri, g.ntriples().decode("utf-8")) for g in plain])
                what = (f"replace graph <{plain[0].iri}>" if len(plain) == 1
                        else f"replace {len(plain)} graphs")
                self._request("POST", self.endpoints.update, what, write=True,
                              data={"update": text})
        else:
            for graph in graphs:
                self.put_graph(graph.iri, graph.ntriples(), self.dialect.put_media_type)

    def _replace_in_parts(self, graph: GraphBody, batch: int) -> None:
        """Replace a graph too long for one update: cleared by the first part,
        each further part added. Killed halfway, the graph is short, which the
        count after publishing sees, and publishing again replaces it whole."""
        lines = graph.ntriples().decode("utf-8").splitlines(keepends=True)
        parts = [lines[i:i + batch] for i in range(0, len(lines), batch)]
        for number, part in enumerate(parts):
            body = [(graph.iri, "".join(part))]
            text = (self.dialect.replace_update(body) if number == 0
                    else self.dialect.insert_update(body))
            self._request("POST", self.endpoints.update,
                          f"replace graph <{graph.iri}> (part {number + 1} of {len(parts)})",
                          write=True, data={"update": text})

    def drop_graphs(self, iris: Sequence[str]) -> None:
        if iris:
            self.update(";\n".join(f"DROP SILENT GRAPH {_iri(iri)}" for iri in iris))

    def graph_counts(self, iris: Sequence[str]) -> dict[str, int]:
        """Quads in each of the named graphs ``iris`` (absent ones: 0), 100
        graphs a query."""
        counts = dict.fromkeys(iris, 0)
        if self.dialect.count_every_graph:
            for iri, n in self._every_graph_count().items():
                if iri in counts:
                    counts[iri] = n
            return counts
        for start in range(0, len(iris), COUNT_BATCH):
            batch = iris[start:start + COUNT_BATCH]
            query = ("SELECT ?g (COUNT(*) AS ?n) WHERE { VALUES ?g { "
                     + " ".join(_iri(i) for i in batch)
                     + " } GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
            for row in self.select(query, union=False, limit=len(batch)):
                try:
                    counts[row["g"]["value"]] = int(row["n"]["value"])
                except (KeyError, ValueError):
                    raise ExternalStoreError(f"the store at {self.endpoints.query} answered "
                                             "a count with something not a count") from None
        return counts

    def _every_graph_count(self) -> dict[str, int]:
        """Quads of every named graph of the store, a page of them a query."""
        page = COUNT_PAGE if self.dialect.max_rows is None else \
            max(1, min(COUNT_PAGE, self.dialect.max_rows // 2))
        counts: dict[str, int] = {}
        after = ""
        while True:
            # each page starts after the last graph of the one before, never at an
            # OFFSET: Virtuoso sorts at most 10,000 rows for a LIMIT + OFFSET
            # (MaxSortedTopRows), which 10,001 graphs passed
            start = f"FILTER(STR(?g) > STR({_iri(after)})) " if after else ""
            rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                               f"{start}}} GROUP BY ?g ORDER BY STR(?g) LIMIT {page}",
                               union=False, limit=page)
            try:
                counts.update((row["g"]["value"], int(row["n"]["value"])) for row in rows)
            except (KeyError, ValueError):
                raise ExternalStoreError(f"the store at {self.endpoints.query} answered "
                                         "a count with something not a count") from None
            if len(rows) < page:
                return counts
            after = rows[-1]["g"]["value"]


def open_client(query_url: str, *, dialect: Dialect | None = None, update_url: str | None = None,
                gsp_url: str | None = None, credentials: Credentials | None = None,
                timeout_s: float = DEFAULT_TIMEOUT_S, max_rows: int | None = None,
                auth_reads: bool = False) -> StoreClient:
    """A client of the store whose query endpoint is ``query_url``; without a
    dialect, the engine is recognised by its ``Server`` header. ``max_rows``:
    the store's cap on answers where it is not the engine's default."""
    for url in (query_url, update_url, gsp_url):
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ExternalStoreError(f"{url!r} is not an http:// or https:// address of "
                                         "a SPARQL store")
    if dialect is None:
        probe = StoreClient(Endpoints(query_url, query_url, query_url), Dialect(),
                            timeout_s=timeout_s)
        try:
            dialect = dialect_for_server(probe.server_header())
        finally:
            probe.close()
    if max_rows is not None:
        dialect = dataclasses.replace(dialect, max_rows=max_rows)
    return StoreClient(dialect.endpoints(query_url, update_url, gsp_url), dialect,
                       credentials, timeout_s, auth_reads)


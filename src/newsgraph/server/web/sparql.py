"""``/sparql``: the SPARQL 1.1 Protocol, the Service Description and the query page.

One route reads the request the protocol's way (GET, POST form, POST
``application/sparql-query``), checks the query before anything runs
(``newsgraph.server.sparql.guard``), picks the answer's format, and has a killable
worker process evaluate it (``newsgraph.server.sparql.pool``). A GET without a query
answers the Service Description, or the query page when a browser asks for HTML.

The answer's format: ``format=``, ``output=`` and ``results=`` (what clients
send: SPARQLWrapper all three, each in its own words) choose it when the values
that name a format this answer comes in all name the same one; otherwise
(none given, unknown, unsuitable, or conflicting) ``Accept`` decides. Every
answer varies on ``Accept``, errors too.

Status codes: 400 bad query or parameters (text/plain, the parser's message),
or an answer over the row or byte cap, 403 updates, 405 other methods (with
``Allow``), 406 no acceptable format, 413 too large, 415 wrong media type,
429/503 busy (``Retry-After``), 503 past the time limit (``Retry-After``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, render_template, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from newsgraph import iris
from newsgraph.config import Settings
from newsgraph.server.backends import RemoteStore
from newsgraph.server.sparql import description, examples, formats, results
from newsgraph.server.sparql.cache import AnswerCache
from newsgraph.server.sparql.guard import QueryRefused, inspect_query
from newsgraph.server.sparql.pool import PoolError, QueryPool, WorkerSpec
from newsgraph.server.sparql.remote import RemoteQueries
from newsgraph.server.store import DataError, OpenRelease
from newsgraph.server.web import (
    CORS_HEADERS,
    SECURITY_HEADERS,
    data_license,
    error_response,
    license_link,
)

bp = Blueprint("sparql", __name__)

ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
# the names clients give the answer's format: Virtuoso's, Joseki's, Rasqal's
FORMAT_PARAMS = ("format", "output", "results")
PROTOCOL_PARAMS = ("query", "update", "default-graph-uri", "named-graph-uri", *FORMAT_PARAMS)


class ProtocolError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Operation:
    """What one request asks, read from wherever the protocol puts it."""

    query: str | None = None
    update: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    formats: tuple[str, ...] = ()  # every format= / output= / results= value, in order


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    resp = error_response(status, message.rstrip("\n"), headers)
    resp.headers["Cache-Control"] = "no-store"
    # what a request gets depends on Accept until the format is chosen (406, or
    # an error in the format the client asked for), so caches must keep them apart
    resp.vary.add("Accept")
    return resp


def _settings() -> Settings:
    return current_app.extensions["newsgraph"].settings


# -- reading the request ---------------------------------------------------------
def _pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        text = raw.decode("ascii")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                         encoding="utf-8", errors="strict", max_num_fields=200)
    except UnicodeDecodeError:
        raise ProtocolError(400, f"The {where} is not valid UTF-8 once percent-decoded.") from None
    except ValueError as error:
        raise ProtocolError(400, f"The {where} cannot be read: {error}") from None


def _read_body(settings: Settings) -> bytes:
    limit = settings.sparql_max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ProtocolError(413, f"The request body is {request.content_length} bytes; "
                                 f"at most {limit} are accepted.")
    try:
        body = request.stream.read(limit + 1)
    except RequestEntityTooLarge:
        raise ProtocolError(413, f"The request body is larger than {limit} bytes.") from None
    except ClientDisconnected:
        raise ProtocolError(400, "The request body ended early.") from None
    if len(body) > limit:
        raise ProtocolError(413, f"The request body is larger than {limit} bytes.")
    return body


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def read_operation(settings: Settings) -> Operation:
    """The protocol operation of the current request (or ``ProtocolError``)."""
    url_pairs = _pairs(request.query_string, "query string")
    body_pairs: list[tuple[str, str]] = []
    direct: str | None = None
    update_direct = False
    if request.method == "POST":
        content_type = request.headers.get("Content-Type", "")
        media = content_type.split(";")[0].strip().lower()
        if media == UPDATE:
            update_direct = True
        elif media == FORM:
            body_pairs = _pairs(_read_body(settings), "form body")
        elif media == DIRECT:
            charset = _charset(content_type)
            if charset not in (None, "utf-8", "utf8"):
                raise ProtocolError(415, f"A query must be sent as UTF-8, not {charset}.")
            raw = _read_body(settings)
            try:
                direct = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError(400, "The query is not valid UTF-8.") from None
        else:
            raise ProtocolError(
                415,
                f"POST a query as {FORM} (query=...) or as {DIRECT}; "
                f"got {media or 'no Content-Type'}.",
            )
    op = Operation()
    values: dict[str, list[str]] = {}
    for name, value in url_pairs + body_pairs:
        values.setdefault(name, []).append(value)
    queries = values.get("query", []) + ([direct] if direct is not None else [])
    updates = values.get("update", [])
    if update_direct or updates:
        op.update = updates[0] if updates else ""
        return op
    if len(queries) > 1:
        raise ProtocolError(400, f"The request carries {len(queries)} queries; send exactly one.")
    op.query = queries[0] if queries else None
    op.default_graphs = values.get("default-graph-uri", [])
    op.named_graphs = values.get("named-graph-uri", [])
    op.formats = tuple(v for name in FORMAT_PARAMS for v in values.get(name, []))
    for iri in op.default_graphs + op.named_graphs:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise ProtocolError(
                400, f"default-graph-uri / named-graph-uri must be absolute IRIs: {iri[:200]!r}"
            ) from None
    if op.query is not None:
        size = len(op.query.encode("utf-8"))
        if size > settings.sparql_max_query_bytes:
            raise ProtocolError(413, f"The query is {size} bytes; at most "
                                     f"{settings.sparql_max_query_bytes} are accepted.")
        if not op.query.strip():
            raise ProtocolError(400, "The query is empty.")
    return op


# -- the pool of query workers for this process and release ---------------------
_POOL_LOCK = threading.Lock()


def query_pool() -> QueryPool | RemoteQueries:
    """The pool serving the current release in this process (a new release, a new
    pool); for a release in an external store, what forwards queries to it."""
    state = current_app.extensions["newsgraph"]
    settings: Settings = state.settings
    release = state.data.current()
    key = (os.getpid(), str(release.source), release.release_id)
    holder = current_app.extensions.setdefault("newsgraph.server.sparql", {})
    pool = holder.get("pool")
    if pool is not None and holder.get("key") == key:
        return pool
    with _POOL_LOCK:
        pool = holder.get("pool")
        if pool is not None and holder.get("key") == key:
            return pool
        fresh: QueryPool | RemoteQueries
        if isinstance(release.backend, RemoteStore):
            fresh = RemoteQueries(release.backend, dict(examples.PAGE_PREFIXES),
                                  settings.sparql_max_concurrent, settings.sparql_queue_wait_s)
        else:
            fresh = QueryPool(_worker_spec(release, settings), settings.sparql_max_concurrent,
                              settings.sparql_queue_wait_s)
        old = pool if holder.get("key", (None,))[0] == os.getpid() else None
        holder["pool"], holder["key"] = fresh, key
        holder["sizes"] = None
        holder["cache"] = AnswerCache(settings.sparql_cache_bytes,
                                      settings.sparql_cache_entries)
    if old is not None:
        old.close(busy_too=False)  # queries running on the old release finish there
    return fresh


def _worker_spec(release: OpenRelease, settings: Settings) -> WorkerSpec:
    sandbox = not settings.service_allow_list
    prefixes = dict(examples.PAGE_PREFIXES)
    memory_mb = settings.sparql_worker_memory_mb
    if not release.source.is_dir():
        return WorkerSpec("file", str(release.source), sandbox, prefixes=prefixes,
                          memory_mb=memory_mb)
    store = str(release.store_path)
    quads = release.manifest.get("quads")
    dump = next((d.path for d in release.dumps.values() if d.path.suffix == ".nq"), None)
    if (
        dump is not None
        and isinstance(quads, int)
        and 0 <= quads <= settings.sparql_memory_max_quads
    ):
        return WorkerSpec("store", store, sandbox, str(dump), quads, prefixes, memory_mb)
    return WorkerSpec("store", store, sandbox, prefixes=prefixes, memory_mb=memory_mb)


def _cache() -> AnswerCache:
    return current_app.extensions["newsgraph.server.sparql"]["cache"]


def _run(pool: QueryPool | RemoteQueries, settings: Settings,
         payload: dict) -> tuple[dict, bytes]:
    try:
        header, body = pool.run(payload, settings.sparql_timeout_s)
    except PoolError as error:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
        raise ProtocolError(error.status, error.message, headers) from None
    if not header.get("ok"):
        raise ProtocolError(int(header.get("status", 500)), header.get("message", "failed"))
    return header, body


# -- the route --------------------------------------------------------------------
@bp.route("/sparql", methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"],
          provide_automatic_options=False)
def endpoint() -> Response:
    if request.method == "OPTIONS":
        # the CORS answer is the app's, the same on every route (web/__init__.py)
        resp = Response(status=204)
        resp.headers["Allow"] = ALLOWED_METHODS
        return resp
    if request.method not in ("GET", "HEAD", "POST"):
        return _text(405, f"{request.method} is not allowed here: the endpoint is read-only. "
                          f"Query with GET or POST.", {"Allow": ALLOWED_METHODS})
    settings = _settings()
    try:
        op = read_operation(settings)
        if op.update is not None:
            raise ProtocolError(
                403,
                "This endpoint is read-only: SPARQL Update is not accepted, and nothing "
                "was changed.",
            )
        if op.query is None:
            if request.method == "POST":
                raise ProtocolError(400, "The request carries no query (query=... in the form "
                                         "body, or the query itself as application/sparql-query).")
            return _describe_or_page(settings, op)
        return _answer(settings, op)
    except ProtocolError as error:
        return _text(error.status, error.message, error.headers)


def _choose(op: Operation, offers: tuple[formats.Format, ...], page: bool) -> formats.Format:
    """The answer's format: the one its format= values agree on, else Accept's
    choice; with ``page``, the query page (HTML) is one of the offers."""
    if page:
        offers = (*offers, formats.HTML)
    fmt = formats.by_words(op.formats, offers)
    if fmt is None:
        fmt = formats.negotiate(request.headers.get("Accept"), offers)
    if fmt is None:
        supported = ", ".join(f.media_type for f in offers)
        asked = (f" (format= named none of them: {', '.join(op.formats)[:120]!r})"
                 if op.formats else "")
        raise ProtocolError(406, f"None of the accepted media types can carry this answer"
                                 f"{asked}; supported: {supported}.")
    return fmt


def _answer(settings: Settings, op: Operation) -> Response:
    assert op.query is not None
    pool = query_pool()
    cache_key = (op.query, tuple(op.default_graphs), tuple(op.named_graphs), op.formats,
                 request.headers.get("Accept"))
    cached = _cache().get(cache_key)
    if cached is not None:
        _remember_raw(*cached)
        return _result_response(*cached)
    try:
        pool.wait_ready()
    except PoolError as error:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
        raise ProtocolError(error.status, error.message, headers) from None
    try:
        info = inspect_query(
            op.query,
            graphs=pool.graphs,
            service_allow_list=settings.service_allow_list,
            max_nesting=settings.sparql_max_nesting,
            max_chain=settings.sparql_max_chain,
            base=settings.base,
        )
    except QueryRefused as refused:
        raise ProtocolError(refused.status, refused.message) from None
    fmt = _choose(op, formats.offers_for(info.form), page=True)
    if fmt is formats.HTML:
        return _page(settings, op.query)
    protocol_dataset = bool(op.default_graphs or op.named_graphs)
    payload = {
        "query": op.query,
        "format": fmt.name,
        "default_graphs": op.default_graphs if protocol_dataset else None,
        "named_graphs": op.named_graphs if protocol_dataset else None,
        # the default graph is the union of the named graphs, unless the
        # request or the query says which graphs make the dataset
        "union": not protocol_dataset and not info.has_dataset_clause,
        "max_rows": settings.sparql_max_rows,
        "max_bytes": settings.sparql_max_answer_bytes,
        "base": settings.base,
    }
    header, body = _run(pool, settings, payload)
    _cache().keep(cache_key, fmt.content_type, body)
    _remember_raw(fmt.content_type, body)
    return _result_response(fmt.content_type, body)


# -- the fast path: a GET answered before, answered again before Flask runs -------
# A cheap query costs about what one Flask request costs; a repeated one need
# not pay it. The answer was made by a query that passed the guard under these
# settings and this release, and the raw request (query string and Accept,
# all the answer depends on) names exactly that answer.
def _raw_key(environ: dict) -> tuple[str, str, str | None]:
    return ("GET", environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT"))


def _remember_raw(content_type: str, body: bytes) -> None:
    # kept under the parsed key too (POST and other spellings of the same query
    # share that one); the body is one bytes object, though the budget counts it twice
    if request.method == "GET":
        _cache().keep(_raw_key(request.environ), content_type, body)


def _answered_before(app: Flask, environ: dict) -> tuple[str, bytes, str] | None:
    """(content type, body, the release's licence) of an answer kept before."""
    holder = app.extensions.get("newsgraph.server.sparql")
    if not holder or "cache" not in holder:
        return None
    try:
        release = app.extensions["newsgraph"].data.current()
    except DataError:
        return None
    if holder.get("key") != (os.getpid(), str(release.source), release.release_id):
        return None  # a new release: Flask's path starts its pool and an empty cache
    hit = holder["cache"].get(_raw_key(environ))
    if hit is None:
        return None
    return (*hit, data_license(app.extensions["newsgraph"].settings, release))


def install_fast_path(app: Flask) -> None:
    """Answer a ``GET /sparql`` whose exact request was answered before, from the
    answer cache, without building a Flask request (same status, headers, body)."""
    inner = app.wsgi_app
    # the headers Flask's path sends (``_result_response``, then ``_common_headers``)
    # the release's licence goes between them (it is the release's, read on each hit)
    fixed = [("Vary", "Accept"), ("Cache-Control", "no-cache"),
             ("X-Content-Type-Options", "nosniff")]
    after = [(k, v) for k, v in {**SECURITY_HEADERS, **CORS_HEADERS}.items()
             if k not in {*dict(fixed), "Link"}]

    def wsgi_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") == "/sparql":
            hit = _answered_before(app, environ)
            if hit is not None:
                content_type, body, licence = hit
                start_response("200 OK", [("Content-Type", content_type),
                                          ("Content-Length", str(len(body))), *fixed,
                                          ("Link", license_link(licence)), *after])
                return [body]
        return inner(environ, start_response)

    app.wsgi_app = wsgi_app  # type: ignore[method-assign]


def _result_response(content_type: str, body: bytes) -> Response:
    resp = Response(body, status=200, content_type=content_type)
    resp.headers["Vary"] = "Accept"
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    # answers are made of the data, under the data's licence
    resp.headers["Link"] = license_link(
        data_license(_settings(), current_app.extensions["newsgraph"].data.current()))
    return resp


# -- service description and page ------------------------------------------------
def _limits_text(settings: Settings, store: bool = False) -> str:
    """The endpoint's limits in words; with ``store``, what an external store adds
    (the query page says it; the service description is the same from every store)."""
    service = (
        "SERVICE may only call: " + ", ".join(settings.service_allow_list)
        if settings.service_allow_list
        else "no SERVICE, LOAD or FROM outside the dataset: the endpoint makes no outbound "
             "requests"
    )
    return (
        f"Read-only. Each query may run {settings.sparql_timeout_s:g} s (then 503 with "
        f"Retry-After); an answer holds at most {settings.sparql_max_rows} rows or triples "
        f"and {settings.sparql_max_answer_bytes} bytes (more is refused with 400, never "
        f"cut); queries up to {settings.sparql_max_query_bytes} bytes, nesting up to "
        f"{settings.sparql_max_nesting} levels, chains of up to {settings.sparql_max_chain} "
        f"operators and clauses; {service}. The default graph is the union "
        "of the named graphs." + (_store_text() if store else "")
    )


def _store_text() -> str:
    """What an external store adds to the limits (``serve --store``)."""
    backend = current_app.extensions["newsgraph"].data.current().backend
    if not isinstance(backend, RemoteStore):
        return ""
    cap = backend.client.dialect.max_rows
    return (" Queries are answered by an external SPARQL store"
            + (f", which returns at most {cap} rows an answer: a longer answer is refused "
               "too, never cut" if cap else "") + ".")


def _graph_sizes(pool: QueryPool | RemoteQueries,
                 settings: Settings) -> dict[str, int | None]:
    if isinstance(pool, RemoteQueries):
        return pool.sizes  # the release's, checked against the store at start
    holder = current_app.extensions.setdefault("newsgraph.server.sparql", {})
    sizes = holder.get("sizes")
    if sizes is not None:
        return sizes
    sizes = {g: None for g in pool.graphs}
    try:
        header, body = pool.run(
            {"query": description.GRAPH_SIZES_QUERY, "format": "tsv", "default_graphs": None,
             "named_graphs": None, "union": False, "max_rows": 10_000_000, "base": None},
            settings.sparql_timeout_s,
        )
    except PoolError:
        return sizes  # counts are a nicety: describe without them, try again next time
    if header.get("ok"):
        for line in body.decode("utf-8").splitlines()[1:]:
            graph, _, count = line.partition("\t")
            if graph.startswith("<") and graph.endswith(">"):
                value = count.split("^^")[0].strip('"')
                if value.isdigit():
                    sizes[graph[1:-1]] = int(value)
        holder["sizes"] = sizes
    return sizes


def _describe_or_page(settings: Settings, op: Operation) -> Response:
    fmt = _choose(op, formats.GRAPH, page=request.method in ("GET", "HEAD"))
    if fmt is formats.HTML:
        return _page(settings, None)
    if op.default_graphs or op.named_graphs:
        raise ProtocolError(400, "default-graph-uri / named-graph-uri need a query.")
    pool = query_pool()
    try:
        pool.wait_ready()
    except PoolError as error:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
        raise ProtocolError(error.status, error.message, headers) from None
    # Named from the configured base (the release's, else newsgraph.toml's),
    # never from the Host header a client sent (issue 12: it was reflected).
    triples = description.service_description(
        iris.sparql_endpoint(settings.base),
        _graph_sizes(pool, settings),
        dataset_page=iris.dataset(settings.base),
        limits=_limits_text(settings),
        federation=bool(settings.service_allow_list),
    )
    body = results.graph(triples, fmt.name, description.PREFIXES)
    resp = Response(body, status=200, content_type=fmt.content_type)
    resp.headers["Vary"] = "Accept"
    return resp


def _page(settings: Settings, query: str | None) -> Response:
    html = render_template(
        "sparql.html",
        query=query,
        default_query=examples.prologue()
        + "\nSELECT ?thing ?name WHERE {\n  ?thing schema:name ?name .\n}\nLIMIT 50\n",
        examples=examples.EXAMPLES,
        prefixes=examples.PAGE_PREFIXES,
        base=settings.base,
        limits=_limits_text(settings, store=True),
        timeout=settings.sparql_timeout_s,
        max_rows=settings.sparql_max_rows,
        alternates=[],
        jsonld=None,
    )
    resp = Response(html, status=200, content_type="text/html; charset=utf-8")
    resp.headers["Vary"] = "Accept"
    return resp


"""The web application: ``create_app(settings, data)`` builds it; nothing happens at import.

Blueprints per area of the HTTP interface (see docs/http.md):

* ``linked_data`` — ``/id``, ``/doc``, ``/def``, ``/shapes``, ``/dataset``, ``/dumps``
* ``landing`` — ``/`` (descriptions are drawn as pages by ``entity_pages``)
* ``sparql`` — ``/sparql``
* ``reconcile`` — ``/reconcile``
* ``search`` — ``/search``
* ``meetings`` — ``/meetings`` in time order and ``/network``, who met whom
* ``tables`` — ``/tables``: CSV and JSON of people, meetings, statements, mentions

The data is opened lazily in each worker process (a pyoxigraph store must not
cross a fork) and reached through :func:`current_release`, or, for blueprints
that prefer it, ``current_app.extensions["newsgraph"]["backend"]`` /
``["settings"]`` / ``["release"]``. Every read of the data goes through the
release's backend (``newsgraph.server.backends``): the embedded store, or an
external one (``serve --store``), whose failures pages answer with 502 or 503
in one line (:func:`_store_error`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, has_request_context, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from newsgraph import release as release_layout
from newsgraph.config import Settings, load_settings
from newsgraph.external import ExternalStoreError, StoreTimeout
from newsgraph.server import request_body
from newsgraph.server.store import DataHolder, OpenRelease, RemoteSpec

log = logging.getLogger(__name__)

# Pages and data never load anything from another origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "cross-origin",
}
# CORS: anyone may read, nobody sends credentials
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": (
        "ETag, Last-Modified, Link, Location, Content-Location, Vary, Retry-After"
    ),
}
CORS_PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Headers": "Accept, Accept-Language, Content-Type, If-None-Match, "
    "If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}


class WebState(Mapping[str, Any]):
    """What the blueprints share: the settings and the data, the data looked up
    afresh on each access so that a new release is seen without a restart."""

    def __init__(self, settings: Settings, data: DataHolder) -> None:
        self.settings = settings
        self.data = data

    def __getitem__(self, key: str) -> Any:
        if key == "settings":
            return self.settings
        if key == "release":
            return self.data.current()
        if key == "backend":
            return self.data.current().backend
        if key == "data":
            return self.data
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("settings", "release", "backend", "data"))

    def __len__(self) -> int:
        return 4


def state() -> WebState:
    return current_app.extensions["newsgraph"]


def current_release() -> OpenRelease:
    return state().data.current()


def current_settings() -> Settings:
    return state().settings


def create_app(settings: Settings | None = None, data: Path | None = None,
               fallback: Path | None = None, remote: RemoteSpec | None = None) -> Flask:
    """The Flask app serving ``data`` (a built dist/ folder or an RDF file;
    default: the settings' dist/); ``fallback``, a release verified before, is
    served while ``data`` points at one that fails its checks; with
    ``remote``, the release's data is read from that external store."""
    settings = settings or load_settings()
    app = Flask(__name__)  # templates/ and static/ sit beside this module
    app.config.update(
        # nothing here takes a large body; the SPARQL POST limit is the largest
        MAX_CONTENT_LENGTH=settings.sparql_max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.sparql_max_body_bytes,
        MAX_FORM_PARTS=100,
        JSON_SORT_KEYS=False,
    )
    # Werkzeug would answer "//x" and "/x/" with a redirect built from the Host
    # header; with these off such paths simply do not match (404).
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.extensions["newsgraph"] = WebState(
        settings,
        DataHolder(
            data if data is not None else settings.dist_dir,
            cache_size=settings.description_cache_size,
            base=settings.base,  # a release built for another base is never swapped in
            fallback=fallback,
            remote=remote,
        ),
    )

    from newsgraph.server.web import (
        entity_pages,
        landing,
        linked_data,
        meetings,
        reconcile,
        search,
        sparql,
        tables,
    )

    app.register_blueprint(landing.bp)
    app.register_blueprint(linked_data.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(reconcile.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(tables.bp)
    app.register_blueprint(meetings.bp)
    entity_pages.init_app(app)
    app.after_request(_common_headers)
    sparql.install_fast_path(app)
    # chunked-encoding errors from gunicorn's reader: 400/413 here, not a 500 in a view
    app.wsgi_app = request_body.wrap(app.wsgi_app, settings.sparql_max_body_bytes)  # type: ignore[method-assign]
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ExternalStoreError, _store_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _common_headers(response: Response) -> Response:
    for name, value in {**SECURITY_HEADERS, **CORS_HEADERS}.items():
        response.headers.setdefault(name, value)
    if request.method == "OPTIONS" and response.status_code < 300:
        _options_answer(response)
    return response


def _options_answer(response: Response) -> None:
    """One answer to OPTIONS on every route: what ``Allow`` says, the same CORS
    preflight headers, and no body, so no body type (Flask's own OPTIONS answer
    is an empty ``text/html``)."""
    response.status_code = 204
    response.set_data(b"")
    for name in ("Content-Type", "Content-Length"):
        response.headers.pop(name, None)
    # a route's Allow is the truth about its methods; the preflight repeats it
    response.headers["Access-Control-Allow-Methods"] = response.headers.get(
        "Allow", "GET, HEAD, OPTIONS")
    for name, value in CORS_PREFLIGHT_HEADERS.items():
        response.headers[name] = value


def data_license(settings: Settings, release: OpenRelease | None = None) -> str:
    """The licence the data is published under, for every answer made of it:
    the one the release's manifest names (the build wrote it there, so it
    travels with the data), else (a single RDF file, or a release built before
    the manifest carried it) the settings' ``data_license``."""
    found = release_layout.license_of(release.manifest) if release is not None else None
    return found or settings.data_license


def license_link(iri: str) -> str:
    return f'<{iri}>; rel="license"'


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """Errors are short plain text, never a trace; a browser asking for a page
    that is not there gets the site's 404 page instead (its header, a search
    box), which repeats nothing of the request."""
    if status == 404 and has_request_context() and _wants_page():
        resp = Response(render_template("not_found.html", alternates=[]),
                        status=404, mimetype="text/html")
        resp.vary.add("Accept")
    else:
        resp = Response(f"{message}\n", status=status, mimetype="text/plain")
        if status == 404 and has_request_context():
            resp.vary.add("Accept")  # a browser would have had the page
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def _wants_page() -> bool:
    from newsgraph.server.web.negotiation import HTML, NOT_FOUND, negotiate

    return request.method in ("GET", "HEAD") and negotiate(
        request.headers.get("Accept"), NOT_FOUND) is HTML


def _http_error(exc: HTTPException) -> Response:
    if exc.response is not None:
        return exc.response
    headers = {
        k: v for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")
    }
    return error_response(exc.code or 500, f"{exc.code} {exc.name}: {exc.description}", headers)


def _store_error(exc: ExternalStoreError) -> Response:
    """The external store failed or sent an answer that may be cut: never a
    page made of part of the data. 503 (retry) when it was too slow, else 502."""
    log.warning("the store failed on %s %s: %s", request.method, request.path, exc)
    if isinstance(exc, StoreTimeout):
        return error_response(503, "503 Service Unavailable: the data store did not answer "
                                   f"in time ({exc}); try again later.", {"Retry-After": "5"})
    return error_response(502, f"502 Bad Gateway: the data store behind this site failed: {exc}")


def _unexpected_error(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unexpected error on %s %s", request.method, request.path)
    err = InternalServerError()
    return error_response(500, f"500 {err.name}: the server could not answer this request.")

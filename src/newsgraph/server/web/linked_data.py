"""Linked data routes: ``/id`` (303), ``/doc`` (descriptions), ``/def``, ``/shapes``,
``/dataset`` and ``/dumps``.

Route → view → renderer: each view builds its :class:`~newsgraph.server.web.renderers.View`
once per release (cached on the release), negotiation picks the renderer, and
the rendered bytes are cached too. Every redirect is relative and built from
the path only, never from the ``Host`` header.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, send_file

from newsgraph import iris
from newsgraph.iris import KINDS, is_slug
from newsgraph.server.dataset_description import description_triples, statistics
from newsgraph.server.store import OpenRelease
from newsgraph.server.web import (
    current_release,
    current_settings,
    data_license,
    error_response,
    license_link,
)
from newsgraph.server.web.describe import (
    DCT_LICENSE,
    PageNotFound,
    describe,
    document_triples,
    from_triples,
    labels_for,
    restore_datatypes,
)
from newsgraph.server.web.entity_pages import Link, Linker, entity_page, generic_page, paging
from newsgraph.server.web.negotiation import (
    BY_EXT,
    FORMATS,
    HTML,
    Format,
    negotiate,
    supported_types,
)
from newsgraph.server.web.renderers import View, render
from newsgraph.server.web.vocabulary import (
    TurtleFolder,
    documented_terms,
    integer_datatypes,
    load_turtle,
    ontology_doc,
    shapes_doc,
)

bp = Blueprint("linked_data", __name__)

# descriptions change only on rebuild; clients revalidate cheaply with the ETag
MAX_AGE = 300


def conditional(resp: Response, release: OpenRelease, tag: str) -> Response:
    """ETag (from the release id: the data changes only on rebuild), Last-Modified,
    and a 304 when the client already holds this representation."""
    resp.set_etag(f"{release.release_id}-{tag}")
    resp.last_modified = release.modified
    resp.cache_control.public = True
    resp.cache_control.max_age = MAX_AGE
    return resp.make_conditional(request)


def _not_acceptable() -> Response:
    resp = error_response(
        406, "406 Not Acceptable: this resource is available as " + ", ".join(supported_types())
    )
    resp.vary.add("Accept")
    return resp


def _not_found(what: str = "no such resource") -> Response:
    return error_response(404, f"404 Not Found: {what}")


def _pick(ext: str | None) -> Format | None:
    """The format named by the extension, else by the Accept header."""
    if ext is not None:
        return BY_EXT.get(ext)
    return negotiate(request.headers.get("Accept"))


def _link_header(path_stem: str, extra: list[str] | None = None, query: str = "") -> str:
    links = [f'<{path_stem}.{f.ext}{query}>; rel="alternate"; type="{f.media_type}"'
             for f in FORMATS]
    return ", ".join([*(extra or []), *links])


def page_number() -> int | None:
    """The ``?page=N`` of a paged resource (1 without one); None if it is not a
    whole number from 1 (answered 404: there is no such page)."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        return None
    return int(raw)


def page_query(page: int) -> str:
    """The query string that names page ``page`` (none for the first)."""
    return "" if page == 1 else f"?page={page}"


def page_links(path: str, page: int, pages: int) -> list[str]:
    """``Link`` values to the first, previous, next and last pages (RFC 8288)."""
    if pages <= 1:
        return []
    out = [f'<{path}>; rel="first"', f'<{path}{page_query(pages)}>; rel="last"']
    if page > 1:
        out.append(f'<{path}{page_query(page - 1)}>; rel="prev"')
    if page < pages:
        out.append(f'<{path}{page_query(page + 1)}>; rel="next"')
    return out


def _data_license() -> str:
    return data_license(current_settings(), current_release())


def _declared_license(folder: TurtleFolder) -> str | None:
    """The licence the ontology or the shapes declare for themselves (their own
    dct:license, which need not be the data's)."""
    found = sorted(t.object.value for t in folder.triples
                   if t.predicate == DCT_LICENSE and isinstance(t.object, ox.NamedNode))
    return found[0] if found else None


def represent(
    release: OpenRelease,
    key: tuple[object, ...],
    path_stem: str,
    ext: str | None,
    build: Callable[[], View],
    extra_links: list[str] | None = None,
    license_iri: str | None = None,
    query: str = "",
) -> Response:
    """The negotiated representation of a resource whose view ``build`` makes;
    ``license_iri``, the licence it is under, is linked with ``rel="license"``;
    ``query`` names one page of a paged resource (``?page=N``)."""
    fmt = _pick(ext)
    if fmt is None:
        return _not_found("no such format") if ext is not None else _not_acceptable()
    view = release.cached((*key, "view"), build)
    body = release.cached((*key, fmt.ext), lambda: render(fmt, view))
    resp = Response(body, content_type=fmt.content_type)
    resp.headers["Content-Location"] = f"{path_stem}.{fmt.ext}{query}"
    if ext is None:
        resp.vary.add("Accept")
    links = [*(extra_links or []), *([license_link(license_iri)] if license_iri else [])]
    resp.headers["Link"] = _link_header(path_stem, links, query)
    return conditional(resp, release, "-".join(str(k) for k in (*key[1:], fmt.ext)))


def _split_ext(name: str) -> tuple[str, str | None]:
    stem, dot, ext = name.rpartition(".")
    return (stem, ext) if dot else (name, None)


def _thing_iri(kind: str, slug: str) -> str | None:
    if kind not in KINDS or not is_slug(slug):
        return None
    return iris.entity(kind, slug, current_settings().base)


@bp.get("/id/<kind>/<slug>")
def thing(kind: str, slug: str) -> Response:
    """The thing itself: 303 See Other to its description (relative, path only)."""
    iri = _thing_iri(kind, slug)
    release = current_release()
    if iri is None or not release.has_subject(iri):
        return _not_found(f"nothing is known as /id/{kind}/{slug}" if iri else "no such thing")
    if negotiate(request.headers.get("Accept")) is None:
        return _not_acceptable()
    target = f"/doc/{kind}/{slug}"
    resp = Response(f"303 See Other: {target}\n", status=303, mimetype="text/plain")
    resp.headers["Location"] = target
    resp.headers["Link"] = f'<{target}>; rel="describedby"'
    resp.vary.add("Accept")
    resp.cache_control.public = True
    resp.cache_control.max_age = MAX_AGE
    return resp


@bp.get("/doc/<kind>/<name>")
def description(kind: str, name: str) -> Response:
    """The thing's description, in the format of the extension or of ``Accept``;
    ``?page=N``: the N-th page of its incoming and evidence links."""
    slug, ext = _split_ext(name)
    iri = _thing_iri(kind, slug)
    release = current_release()
    if iri is None or not release.has_subject(iri):
        return _not_found(f"nothing is known as /id/{kind}/{slug}" if iri else "no such thing")
    page = page_number()
    if page is None:
        return _not_found("no such page")
    settings = current_settings()
    path_stem = f"/doc/{kind}/{slug}"
    licence = _data_license()

    def build() -> tuple[View, int]:
        datatypes = release.once(
            ("integer-datatypes",), lambda: integer_datatypes(_folder(release, "shapes"))
        )
        desc = describe(release, iri, settings.base, settings.max_incoming_links, datatypes,
                        page=page)
        linker = Linker(settings.base, _documented(release))
        own = document_triples(release, kind, slug, settings.base, licence, page=page)
        return View([*desc.triples, *own], entity_page(desc, linker, path_stem)), desc.pages

    try:
        view, pages = release.cached(("doc", kind, slug, page, "paged"), build)
    except PageNotFound:
        return _not_found(f"/doc/{kind}/{slug} has no page {page}")
    fmt = _pick(ext)
    here = f"{path_stem}.{fmt.ext}" if ext is not None and fmt is not None else path_stem
    return represent(
        release,
        ("doc", kind, slug, page),
        path_stem,
        ext,
        lambda: view,
        [f'<{"/id/" + kind + "/" + slug}>; rel="describes"', *page_links(here, page, pages)],
        licence,
        page_query(page),
    )


# ------------------------------------------------------------------ /def and /shapes


def _folder(release: OpenRelease, which: str) -> TurtleFolder:
    """The release's own copy of the ontology or the shapes (never the settings'
    folders: what is served is what the data was built and checked with)."""
    files = release.ontology if which == "ontology" else release.shapes
    return release.once(("folder", which), lambda: load_turtle(files))


def _documented(release: OpenRelease) -> frozenset[str]:
    folder = _folder(release, "ontology")
    return release.once(("documented", folder.fingerprint), lambda: documented_terms(folder))


def _documentation(
    ext: str | None,
    which: str,
    path: str,
    template: str,
    make_doc: Callable[[OpenRelease, TurtleFolder], object],
) -> Response:
    """A folder of Turtle as its HTML documentation, or as the RDF itself."""
    release = current_release()
    folder = _folder(release, which)

    def build() -> View:
        doc = make_doc(release, folder)
        linker = Linker(current_settings().base, _documented(release))
        return View(folder.triples, generic_page(template, path, doc=doc, linker=linker))

    return represent(release, (which, folder.fingerprint), path, ext, build,
                     license_iri=_declared_license(folder))


@bp.get("/def")
@bp.get("/def.<ext>")
def vocabulary(ext: str | None = None) -> Response:
    return _documentation(
        ext,
        "ontology",
        "/def",
        "ontology.html",
        lambda release, folder: ontology_doc(folder, release),
    )


@bp.get("/shapes")
@bp.get("/shapes.<ext>")
def shapes(ext: str | None = None) -> Response:
    return _documentation(
        ext, "shapes", "/shapes", "shapes.html", lambda release, folder: shapes_doc(folder)
    )


# ------------------------------------------------------------------ /graph


@bp.get("/graph/<name>")
def named_graph(name: str) -> Response:
    """A named graph of the dataset (an article's facts, the register, …) as data,
    or as a page listing the things it speaks of."""
    slug, ext = _split_ext(name)
    release = current_release()
    settings = current_settings()
    if not is_slug(slug):
        return _not_found("no such graph")
    iri = f"{settings.base}graph/{slug}"
    names = release.once(("graph-names",), lambda: frozenset(release.backend.graph_names()))
    if iri not in names:
        return _not_found(f"no graph is named /graph/{slug}")
    path_stem = f"/graph/{slug}"

    def build() -> View:
        datatypes = release.once(
            ("integer-datatypes",), lambda: integer_datatypes(_folder(release, "shapes"))
        )
        # the store reads integer subtypes back as xsd:integer (oxigraph#526)
        triples = sorted(restore_datatypes(release.graph_triples(iri) or [], datatypes),
                         key=str)
        prefix = f"{settings.base}id/"
        subjects = sorted({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)
                           and t.subject.value.startswith(prefix) and "#" not in t.subject.value})
        names = labels_for(release, subjects)
        things = [Link(names.get(s, s[len(prefix):]), href="/" + s[len(settings.base):])
                  for s in subjects]
        article_iri = iris.article(slug, settings.base)
        article = next((t for t in things if t.href == "/" + article_iri[len(settings.base):]),
                       None)
        return View(triples, generic_page("graph.html", path_stem, name=slug, iri=iri,
                                          triples=len(triples), things=things, article=article))

    return represent(release, ("graph", slug), path_stem, ext, build,
                     license_iri=_data_license())


# ------------------------------------------------------------------ /dataset and /dumps


# named graphs listed on one page of /dataset (one per article: thousands)
GRAPHS_PAGE_SIZE = 100


@bp.get("/dataset")
@bp.get("/dataset.<ext>")
def dataset(ext: str | None = None) -> Response:
    """VoID + DCAT from the build's statistics; the HTML lists the named graphs a
    page at a time (``?page=N``)."""
    release = current_release()
    settings = current_settings()
    stats = release.once(("statistics",), lambda: statistics(release, settings.base))
    page = page_number()
    pages = max(1, -(-len(stats.named_graphs) // GRAPHS_PAGE_SIZE))
    if page is None or page > pages:
        return _not_found("/dataset has no such page")

    def build() -> View:
        from newsgraph.server.web.tables import TABLES_LIST, distribution_triples

        triples = description_triples(release, stats, settings.base, _data_license())
        triples += distribution_triples(iris.dataset(settings.base), settings.base)
        desc = from_triples(iris.dataset(settings.base), triples)
        start = (page - 1) * GRAPHS_PAGE_SIZE
        prefix = f"{settings.base}graph/"
        return View(
            desc.triples,
            generic_page(
                "dataset.html",
                "/dataset",
                stats=stats,
                release=release,
                license=_data_license(),
                dumps=sorted(release.dumps.values(), key=lambda d: d.name),
                tables=TABLES_LIST,
                linker=Linker(settings.base, _documented(release)),
                sparql="/sparql",
                graphs=[(g, "/graph/" + g[len(prefix):] if g.startswith(prefix) else None)
                        for g in stats.named_graphs[start:start + GRAPHS_PAGE_SIZE]],
                paging=paging("/dataset", page, pages, GRAPHS_PAGE_SIZE,
                              {"graphs": len(stats.named_graphs)}),
            ),
        )

    here = f"/dataset.{ext}" if ext is not None else "/dataset"
    return represent(release, ("dataset", page), "/dataset", ext, build,
                     page_links(here, page, pages), license_iri=_data_license(),
                     query=page_query(page))


@bp.get("/dumps")
def dumps_index() -> Response:
    release = current_release()

    def draw() -> bytes:
        return render_template(
            "dumps.html",
            dumps=sorted(release.dumps.values(), key=lambda d: d.name),
            release=release,
            alternates=[],
            jsonld="",
        ).encode("utf-8")

    resp = Response(release.cached(("dumps-index",), draw), content_type=HTML.content_type)
    return conditional(resp, release, "dumps")


@bp.get("/dumps/<name>")
def dump(name: str) -> Response:
    """A dump of the release being served: only names the release lists, so no
    path reaches outside it; the file is read from the release folder that was
    open when the request began, so a rebuild never mixes two versions."""
    release = current_release()
    found = release.dumps.get(name)
    if found is None:
        return _not_found("no such dump")
    resp = send_file(
        Path(found.path),
        mimetype=found.media_type,
        conditional=True,
        etag=found.sha256,
        last_modified=release.modified,
        max_age=MAX_AGE,
    )
    resp.headers["Link"] = f'</dataset>; rel="describedby", {license_link(_data_license())}'
    return resp

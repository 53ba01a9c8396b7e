"""``newsgraph export site``: the release as a static linked-data site for nginx.

Every description in every format and every page is asked of the server's own
app (the Flask test client: the same renderers, byte for byte) and written as
a file under ``OUT/releases/<release id>/``, a folder that is never changed
once written; ``OUT/current`` then points at it, swapped atomically, so nginx
serves either the old release or the new one, never a mix. Beside the files:
``negotiate.js``, the server's content negotiation for nginx's njs module, its
offers written in from the server's one format table, and ``nginx.conf``, the
site's configuration, doing the 303s and the negotiation with the same rules
as ``newsgraph serve``. What needs a running server (search, filtered lists,
SPARQL, reconciliation) is left to one (docs/deploy.md).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from newsgraph.config import Settings
from newsgraph.server.dataset_description import Statistics, statistics
from newsgraph.server.web import CORS_HEADERS, SECURITY_HEADERS, create_app
from newsgraph.server.web.negotiation import DESCRIPTIONS, NOT_FOUND, Format

_HERE = resources.files(__package__)


class ExportError(Exception):
    """The site could not be written; the message says why, in one line."""


@dataclass(frozen=True)
class Exported:
    folder: Path  # OUT/releases/<id>
    config: Path  # the nginx configuration
    files: int
    release_id: str


def _offers(formats: tuple[Format, ...]) -> list[dict[str, object]]:
    return [{"media_type": f.media_type, "aliases": list(f.aliases), "ext": f.ext}
            for f in formats]


def negotiate_js() -> str:
    offers = {"descriptions": _offers(DESCRIPTIONS), "not_found": _offers(NOT_FOUND)}
    return (_HERE / "negotiate.js").read_text("utf-8").replace(
        "__OFFERS__", json.dumps(offers, indent=1))


def _nginx_string(value: str) -> str:
    """``value`` as the inside of a double-quoted nginx string (no variables in it)."""
    if "$" in value:
        raise ExportError(f"a header holds a '$', which nginx would read as a variable: {value}")
    return value.replace("\\", "\\\\").replace('"', '\\"')


_LAST = re.compile(r'[?&]page=([0-9]+)>; rel="last"')


def _pages_of(link: str) -> int:
    """How many pages a resource has, from the ``rel="last"`` of its Link."""
    found = _LAST.search(link)
    return int(found[1]) if found else 1


def paged_file(file: str, page: int) -> str:
    """The file of page ``page`` of a paged resource: ``doc/person/x.page-2.ttl``
    (the first page keeps the resource's own name)."""
    if page == 1:
        return file
    stem, dot, ext = file.rpartition(".")
    return f"{stem}.page-{page}.{ext}" if dot else f"{file}.page-{page}"


class _Writer:
    def __init__(self, client: object, folder: Path) -> None:
        self.client = client
        self.folder = folder
        self.files = 0
        # (path as asked, page) -> the Link the server sent for that page of a
        # paged resource; nginx sends it back from a map (site.nginx.conf)
        self.paged_links: dict[tuple[str, int], str] = {}

    def save_pages(self, path: str, file: str | None = None, accept: str = "*/*",
                   negotiated: str | None = None) -> object:
        """``path`` and, if the server pages it, each of its pages (``?page=N``)
        as files of their own; ``negotiated``: the path without extension that
        negotiates to it, whose Link of each page is kept too."""
        file = file or path.lstrip("/")
        first = self.save(path, file, accept)
        pages = _pages_of(first.headers.get("Link", ""))  # type: ignore[attr-defined]
        if pages == 1:
            return first
        for page in range(1, pages + 1):
            query = "" if page == 1 else f"?page={page}"
            resp = first if page == 1 else self.save(f"{path}{query}", paged_file(file, page),
                                                     accept)
            self.paged_links[(path, page)] = resp.headers["Link"]  # type: ignore[attr-defined]
            if negotiated is not None:
                self.paged_links[(negotiated, page)] = self.get(
                    f"{negotiated}{query}", accept).headers["Link"]  # type: ignore[attr-defined]
        return first

    def get(self, path: str, accept: str = "*/*") -> object:
        resp = self.client.get(path, headers={"Accept": accept})  # type: ignore[attr-defined]
        if resp.status_code != 200:
            raise ExportError(f"the server answered {resp.status_code} for {path}")
        return resp

    def save(self, path: str, file: str | None = None, accept: str = "*/*") -> object:
        resp = self.get(path, accept)
        target = self.folder / (file or path.lstrip("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(resp.get_data())  # type: ignore[attr-defined]
        self.files += 1
        return resp


def _things(stats: Statistics, base: str) -> list[tuple[str, str]]:
    """(kind, slug) of every thing the release's statistics list."""
    return sorted({tuple(iri[len(base) + 3:].split("/", 1))  # type: ignore[misc]
                   for rows in stats.entities_by_kind.values() for iri, _ in rows})


def _first_link(writer: _Writer, negotiated: str, resp: object) -> str:
    """The Link of a document's first page as its negotiated path sends it
    (page links name the path asked for, so that of an extension differs)."""
    return writer.paged_links.get((negotiated, 1)) or resp.headers["Link"]  # type: ignore[attr-defined]


def export_site(data: Path, out: Path, settings: Settings, listen: str = "80",
                server_name: str = "_") -> Exported:
    """Write the static site of the release in ``data`` under ``out``."""
    app = create_app(settings, data=data)
    client = app.test_client()
    with app.app_context():
        release = app.extensions["newsgraph"]["release"]
    release_id = release.release_id
    releases = out / "releases"
    final = releases / release_id
    staging = releases / f".{release_id}.tmp-{os.getpid()}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        writer = _Writer(client, staging)
        link_doc = link_graph = None
        link_dataset = ""
        documents: list[str] = []
        base = settings.base
        exts = [f.ext for f in DESCRIPTIONS]
        stats = statistics(release, base)  # read once: the things and the lists
        for kind, slug in _things(stats, base):
            for ext in exts:
                resp = writer.save_pages(f"/doc/{kind}/{slug}.{ext}",
                                         negotiated=f"/doc/{kind}/{slug}")
            if link_doc is None and (f"/doc/{kind}/{slug}.{exts[-1]}", 1) not in \
                    writer.paged_links:  # the Link every description without pages sends
                link_doc = resp.headers["Link"].replace(  # type: ignore[attr-defined]
                    f"/doc/{kind}/{slug}", "/doc/$kind/$slug").replace(
                    f"/id/{kind}/{slug}", "/id/$kind/$slug")
        graphs = sorted(g.rsplit("/", 1)[-1] for g in release.backend.graph_names()
                        if g.startswith(f"{base}graph/"))
        for slug in graphs:
            for ext in exts:
                resp = writer.save(f"/graph/{slug}.{ext}")
            if link_graph is None:
                link_graph = resp.headers["Link"].replace(  # type: ignore[attr-defined]
                    f"/graph/{slug}", "/graph/$slug")
        for stem in ("dataset", "def", "shapes"):
            for ext in exts:
                # only /dataset is paged (its list of graphs); the others ignore ?page
                resp = (writer.save_pages(f"/{stem}.{ext}", negotiated=f"/{stem}")
                        if stem == "dataset" else writer.save(f"/{stem}.{ext}"))
            first_link = _first_link(writer, f"/{stem}", resp)
            if stem == "dataset":
                link_dataset = first_link
            documents.append(_document_block(stem, first_link, paged=stem == "dataset"))
        pages: list[str] = []
        for path, file in (("/", "index.html"), *((f"/{p}", f"{p}.html") for p in
                                                   ("dumps", "tables", "meetings", "network"))):
            resp = writer.save(path, file, accept="text/html")
            pages.append(_page_block(path, file, resp.headers))  # type: ignore[attr-defined]
        for kind in sorted(kind for kind, rows in stats.entities_by_kind.items() if rows):
            writer.save_pages(f"/browse/{kind}", f"browse/{kind}.html", accept="text/html")
        for dump in release.dumps.values():
            target = staging / "dumps" / dump.name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:  # a dump may be gigabytes: linked where the file system allows
                os.link(dump.path, target)
            except OSError:
                shutil.copyfile(dump.path, target)
            writer.files += 1
            head = client.head(f"/dumps/{dump.name}")
            pages.append(_page_block(f"/dumps/{dump.name}", f"dumps/{dump.name}", head.headers))
        from newsgraph.server.web.tables import TABLES_LIST

        for table in TABLES_LIST:
            for ext in ("csv", "json"):
                path = f"/tables/{table.name}.{ext}"
                resp = writer.save(path)
                pages.append(_page_block(path, path.lstrip("/"), resp.headers))  # type: ignore[attr-defined]
        static = Path(app.static_folder or "")
        for file in sorted(p for p in static.rglob("*") if p.is_file()):
            rel = file.relative_to(static).as_posix()
            writer.save(f"/static/{rel}")
        not_found = client.get("/no-such-page", headers={"Accept": "text/html"})
        (staging / "404.html").write_bytes(not_found.get_data())
        text = client.get("/no-such-page", headers={"Accept": "text/plain"})
        (staging / "404.txt").write_bytes(text.get_data())
        refused = client.get("/dataset", headers={"Accept": "image/png"})
        (staging / "406.txt").write_bytes(refused.get_data())
        writer.files += 3
        (staging / "negotiate.js").write_text(negotiate_js(), "utf-8")
        if final.exists():
            shutil.rmtree(staging)  # the same release, written before: it never changes
        else:
            os.replace(staging, final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"cannot write the site into {out}: {exc.strerror or exc}") from exc
    current = out / "current"
    link_tmp = out / f".current-{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(final, out), link_tmp)
    os.replace(link_tmp, current)
    config = out / "nginx.conf"
    config.write_text(_config(current.absolute(), release_id, listen, server_name,
                              link_doc or "", link_graph or "", documents, pages,
                              writer.paged_links, link_dataset), "utf-8")
    return Exported(final, config, writer.files, release_id)


def _headers() -> str:
    return " ".join(f'add_header {name} "{_nginx_string(value)}" always;'
                    for name, value in {**SECURITY_HEADERS, **CORS_HEADERS}.items())


def _document_block(stem: str, link: str, paged: bool = False) -> str:
    """``/{stem}`` negotiated and by extension; ``paged``: ``?page=N`` names a
    page of it, its own file, sent with that page's Link (the map in
    site.nginx.conf), else the query is ignored as the server ignores it."""
    h = _headers()
    page = "$ng_page_file" if paged else ""
    query = "$ng_page_query" if paged else ""
    value = "$ng_paged_link" if paged else f'"{_nginx_string(link)}"'
    return (
        f'    location = /{stem} {{\n'
        f'        set $ng_path $uri;\n'
        f'        if ($ng_desc = "") {{ return 406; }}\n'
        f'        {h}\n'
        f'        add_header Vary Accept always;\n'
        f'        add_header Content-Location /{stem}.$ng_desc{query} always;\n'
        f'        add_header Link {value} always;\n'
        f'        try_files /{stem}{page}.$ng_desc =404;\n'
        f'    }}\n'
        f'    location ~ "^/{stem}\\.(?<ng_ext>html|ttl|jsonld|nt|rdf)$" {{\n'
        f'        set $ng_path $uri;\n'
        f'        {h}\n'
        f'        add_header Content-Location /{stem}.$ng_ext{query} always;\n'
        f'        add_header Link {value} always;\n'
        f'        try_files /{stem}{page}.$ng_ext =404;\n'
        f'    }}\n')


def _map_sizing(paged: dict[tuple[str, int], str]) -> str:
    """nginx's map hash must fit the longest key and every key: sized from
    them (the defaults, 64 bytes and 2048 keys, are written only if larger).
    nginx takes these only before the first ``map``."""
    longest = max((len(f"{path}|{page}") for path, page in paged), default=0)
    bucket = 64
    while bucket < longest + 32:
        bucket *= 2
    return (f"map_hash_bucket_size {bucket};\n" if bucket > 64 else "") + (
        f"map_hash_max_size {2 * len(paged)};\n" if 2 * len(paged) > 2048 else "")


def _paged_links_map(paged: dict[tuple[str, int], str], link_doc: str, link_dataset: str
                     ) -> str:
    """The Link of each page of each paged resource, by path and page number;
    any other description sends the one Link every description sends."""
    lines = [f'        "{_nginx_string(path)}|{page}" "{_nginx_string(link)}";\n'
             for (path, page), link in sorted(paged.items())]
    return ('map "$ng_path|$ng_page" $ng_paged_link {\n'
            f'        default "";\n'
            f'        ~^/doc/ "{_template_link(link_doc)}";\n'
            f'        ~^/dataset "{_nginx_string(link_dataset)}";\n'
            + "".join(lines) + "    }\n")


# the headers of a page that the static site repeats as the server sends them
_KEPT = ("Link", "Content-Disposition", "Vary")


def _page_block(path: str, file: str, headers: object) -> str:
    kept = " ".join(f'add_header {name} "{_nginx_string(headers[name])}" always;'  # type: ignore[index]
                    for name in _KEPT if name in headers)  # type: ignore[operator]
    return f"    location = {path} {{ {_headers()} {kept} try_files /{file} =404; }}\n"


def _template_link(link: str) -> str:
    # the Link of a description with $kind/$slug in it: quotes escaped, variables kept
    return link.replace("\\", "\\\\").replace('"', '\\"')


def _config(root: Path, release_id: str, listen: str, server_name: str, link_doc: str,
            link_graph: str, documents: list[str], pages: list[str],
            paged: dict[tuple[str, int], str], link_dataset: str) -> str:
    from newsgraph.server.web.linked_data import MAX_AGE

    text = (_HERE / "site.nginx.conf").read_text("utf-8")
    for key, value in (("__DOCUMENTS__", "".join(documents)), ("__PAGES__", "".join(pages)),
                       ("__PAGED_LINKS__", _paged_links_map(paged, link_doc, link_dataset)),
                       ("__MAP_SIZING__", _map_sizing(paged)),
                       ("__HEADERS__", _headers()),
                       ("__LINK_DOC__", _template_link(link_doc)),
                       ("__LINK_GRAPH__", _template_link(link_graph)),
                       ("__ROOT__", str(root)), ("__RELEASE__", release_id),
                       ("__LISTEN__", listen), ("__SERVER_NAME__", server_name),
                       ("__MAX_AGE__", str(MAX_AGE))):
        text = text.replace(key, value)
    return text

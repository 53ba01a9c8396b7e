"""``/search?q=``: find people, organisations, places, meetings and statements by name.

A reader types part of a name as it comes to mind ("alvarez", "wang xiao",
"diaz canel"): accents, case and punctuation do not matter, and each typed word
matches the start of a word of a name, an alias or a statement's text. Hits are
ranked: the whole name, then a name starting with the query, then every word
in one name (an alias counting a little less than the main name at each step),
then a statement's words; ties go by kind (people first) and name. The words
come from the release's name index (built once per release, shared with
``/reconcile``), so a search costs no query.

HTML for people, JSON (``Accept: application/json`` or ``format=json``) for
programs; both paginated with ``page=``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request

from newsgraph.names import fold
from newsgraph.server.web import current_release, current_settings, error_response
from newsgraph.server.web.entity_pages import KIND_LABELS, KIND_PRIORITY
from newsgraph.server.web.linked_data import conditional
from newsgraph.server.web.name_index import Entry, NameIndex, current_index
from newsgraph.server.web.negotiation import HTML, JSON, SEARCH, by_word, negotiate

bp = Blueprint("search", __name__)

PAGE_SIZE = 20
MAX_PAGE = 1000
# Kinds a reader searches for, in the order a tie is broken; the rest (an office
# holding, a text span) are reached from these.
SEARCHED = ("person", "organization", "place", "post", "meeting", "statement", "event",
            "article", "work", "concept")


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: int
    alias: str | None  # the alias that matched, when it was not the main name
    text: str | None  # the statement's words that matched, when it is a statement


def _words_match(words: list[str], folded_name: str) -> bool:
    name_words = folded_name.split()
    return all(any(nw.startswith(w) for nw in name_words) for w in words)


def _score(entry: Entry, query: str, words: list[str]) -> tuple[int, str | None, str | None]:
    """How well ``entry`` answers the folded query (0: not at all), and what matched."""
    best, alias = 0, None
    for i, name in enumerate(entry.folded):
        if name == query:
            score = 100
        elif name.startswith(query):
            score = 90
        elif _words_match(words, name):
            score = 80
        else:
            continue
        score -= 5 if i else 0  # an alias counts a little less than the main name
        if score > best:
            best, alias = score, (entry.names[i] if i else None)
    if best:
        return best, alias, None
    for text in entry.texts:
        if _words_match(words, fold(text)):
            return 50, None, text
    return 0, None, None


def search(query: str, kind: str | None = None) -> list[Hit]:
    """Every entry of the served release that matches ``query``, best first."""
    return rank(current_index(), query, kind)


def rank(index: NameIndex, query: str, kind: str | None = None) -> list[Hit]:
    """Every entry of ``index`` that matches ``query``, best first."""
    folded = fold(query)
    words = folded.split()
    if not words:
        return []
    candidates: set[str] | None = None
    # the rarest word first: the intersection never grows past its hits
    for word in sorted(set(words), key=len, reverse=True):
        found = index.starting_with(word)
        candidates = found if candidates is None else candidates & found
        if not candidates:
            return []
    hits = []
    for iri in candidates or ():
        entry = index.entries[iri]
        if entry.kind not in SEARCHED or (kind and entry.kind != kind):
            continue
        score, alias, text = _score(entry, folded, words)
        if score:
            hits.append(Hit(entry, score, alias, text))
    hits.sort(key=lambda h: (-h.score, SEARCHED.index(h.entry.kind),
                             KIND_PRIORITY.get(h.entry.kind, 99), fold(h.entry.name),
                             h.entry.iri))
    return hits


def _page_number() -> int | None:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return int(raw)


def _page_href(q: str, kind: str | None, page: int) -> str:
    args = {"q": q, **({"kind": kind} if kind else {}), **({"page": page} if page > 1 else {})}
    return "/search?" + urlencode(args)


@bp.get("/search")
def search_page() -> Response:
    settings = current_settings()
    fmt = by_word(request.args.get("format", ""), SEARCH) or negotiate(
        request.headers.get("Accept"), SEARCH)
    if fmt is None:
        resp = error_response(406, "406 Not Acceptable: search results come as text/html "
                              "or application/json")
        resp.vary.add("Accept")
        return resp
    q = request.args.get("q", "").strip()
    kind = request.args.get("kind") or None
    page = _page_number()
    problem = None
    if len(q) > settings.reconcile_max_text or len(fold(q)) > settings.reconcile_max_text:
        problem = f"Search for at most {settings.reconcile_max_text} characters."
    elif kind is not None and kind not in SEARCHED:
        problem = f"Unknown kind {kind!r}; search one of: {', '.join(SEARCHED)}."
    elif page is None:
        problem = f"page is a whole number from 1 to {MAX_PAGE}."
    if problem:
        resp = error_response(400, f"400 Bad Request: {problem}")
        resp.vary.add("Accept")
        return resp
    assert page is not None
    hits = search(q, kind) if q else []
    shown = hits[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    base = settings.base
    release = current_release()
    prev_href = _page_href(q, kind, page - 1) if page > 1 else None
    next_href = _page_href(q, kind, page + 1) if page * PAGE_SIZE < len(hits) else None
    rows = [{
        "iri": h.entry.iri,
        "href": "/" + h.entry.iri[len(base):],
        "kind": h.entry.kind,
        "kind_label": KIND_LABELS.get(h.entry.kind, h.entry.kind),
        "name": h.entry.name,
        "alias": h.alias,
        "description": h.entry.description(),
        "score": h.score,
        "wikidata": h.entry.qid,
    } for h in shown]
    if fmt is JSON:
        body = json.dumps({
            "query": q, "kind": kind, "total": len(hits), "page": page,
            "page_size": PAGE_SIZE, "next": next_href, "prev": prev_href,
            "results": [{k: v for k, v in r.items() if k != "kind_label"} for r in rows],
        }, ensure_ascii=False, indent=1)
        resp = Response(body + "\n", content_type=JSON.content_type)
    else:
        html = render_template(
            "search.html", q=q, kind=kind, kinds=[(k, KIND_LABELS.get(k, k)) for k in SEARCHED],
            rows=rows, total=len(hits), page=page, first=(page - 1) * PAGE_SIZE + 1,
            prev_href=prev_href, next_href=next_href, alternates=[])
        resp = Response(html, content_type=HTML.content_type)
    links = [f'<{h}>; rel="{rel}"' for rel, h in (("prev", prev_href), ("next", next_href)) if h]
    if links:
        resp.headers["Link"] = ", ".join(links)
    resp.vary.add("Accept")
    return conditional(resp, release, "search-" + fmt.name + "-" + request.query_string.hex())

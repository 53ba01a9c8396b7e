"""Content negotiation for every route: the one table of formats, the one ``Accept``
parser (RFC 9110 §12.5.1), and the reading of ``format=`` words.

Werkzeug's ``best_match`` gives up on ``text/turtle;charset=utf-8`` and on
``application/ld+json;profile=…``; here media-type parameters other than ``q``
never stop a range from matching, q-values are honoured, ``q=0`` excludes, and
a more specific range wins over a wildcard for the same type.

Each format has one media type it answers with and aliases: older or looser
names clients still send (``text/n3`` and ``application/x-turtle`` for Turtle,
``text/plain`` for N-Triples, ``application/xml`` for RDF/XML or SPARQL XML).
An alias counts only when it is asked for by name: a wildcard (``application/*``,
``text/*``) matches main types only, or ``application/*`` would pick HTML
through ``application/xhtml+xml``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """One output format: the name its writer goes by, the media type it is sent
    as, its file extension, and the other names clients ask for it by."""

    name: str  # the writer's name (newsgraph.server.sparql.results), also a format= word
    media_type: str
    ext: str
    aliases: tuple[str, ...] = ()  # other media types that name it (never matched by wildcards)
    words: tuple[str, ...] = ()  # other format= / output= / results= words for it

    @property
    def content_type(self) -> str:
        # every format here is text in UTF-8; saying so costs nothing and helps
        # browsers show the RDF types
        return f"{self.media_type}; charset=utf-8"

    def named_by(self, media_type: str) -> bool:
        return media_type == self.media_type or media_type in self.aliases


# -- the table -------------------------------------------------------------------------
HTML = Format("html", "text/html", "html", ("application/xhtml+xml",), ("table",))
# Turtle is a subset of N3: clients asking for N3 read it (Oxigraph answers the same)
TURTLE = Format("turtle", "text/turtle", "ttl",
                ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3",
                 "application/n3"),
                ("ttl", "n3"))
# plain JSON readers read JSON-LD; "json" for a graph means its JSON form
JSONLD = Format("jsonld", "application/ld+json", "jsonld",
                ("application/json", "application/x-json+ld"), ("json-ld", "json"))
# N-Triples was registered as text/plain before application/n-triples
NTRIPLES = Format("ntriples", "application/n-triples", "nt", ("text/plain",),
                  ("nt", "n-triples"))
# "xml" for a graph is RDF/XML (SPARQLWrapper's default for CONSTRUCT and DESCRIBE)
RDFXML = Format("rdfxml", "application/rdf+xml", "rdf", ("application/xml", "text/xml"),
                ("rdf", "rdf+xml", "rdf/xml", "xml"))
NQUADS = Format("nquads", "application/n-quads", "nq", (), ("nq", "n-quads"))
TRIG = Format("trig", "application/trig", "trig")
RESULTS_JSON = Format("json", "application/sparql-results+json", "srj",
                      ("application/json", "text/javascript", "application/javascript"),
                      ("srj",))
RESULTS_XML = Format("xml", "application/sparql-results+xml", "srx",
                     ("application/xml", "text/xml"), ("srx",))
CSV = Format("csv", "text/csv", "csv")
TSV = Format("tsv", "text/tab-separated-values", "tsv")
# plain JSON, for what is not RDF: search hits, table rows
JSON = Format("json", "application/json", "json")
# plain text: how errors are told to programs
TEXT = Format("text", "text/plain", "txt")

# What each kind of answer comes in, in server preference order: the first wins
# ties (``*/*``, no Accept header). People in browsers get HTML first.
DESCRIPTIONS: tuple[Format, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
RESULTS: tuple[Format, ...] = (RESULTS_JSON, RESULTS_XML, CSV, TSV)
GRAPHS: tuple[Format, ...] = (TURTLE, NTRIPLES, RDFXML, JSONLD, NQUADS, TRIG)
SEARCH: tuple[Format, ...] = (HTML, JSON)  # /search
# a 404: a page with the site's header and a search box for a browser, plain
# text for everyone else (curl's */* included: the first offer wins a tie)
NOT_FOUND: tuple[Format, ...] = (TEXT, HTML)
TABLES: tuple[Format, ...] = (CSV, JSON)  # /tables/<name>: CSV first, what they are for

FORMATS = DESCRIPTIONS  # what a description (/doc, /def, /dataset, …) is offered in
BY_EXT: dict[str, Format] = {f.ext: f for f in DESCRIPTIONS}


# -- Accept ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    @property
    def specificity(self) -> int:
        if self.type == "*":
            return 0
        return 1 if self.subtype == "*" else 2

    def matches(self, fmt: Format) -> bool:
        if self.specificity == 2:
            return fmt.named_by(f"{self.type}/{self.subtype}")
        mtype = fmt.media_type.partition("/")[0]
        return self.type in ("*", mtype)


_QVALUE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")


def _parse_q(raw: str) -> float | None:
    """A q-value, or None when it is no number (the member is then skipped).

    RFC 9110 allows 0 to 1 with three decimals; a larger number (``q=1.5``) is
    read as 1: the client plainly wants the type, and refusing it helps nobody."""
    raw = raw.strip().strip('"')
    if not _QVALUE.fullmatch(raw):
        return None
    return min(float(raw), 1.0)


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed members are skipped.

    An absent or empty header means ``*/*``.
    """
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges: list[MediaRange] = []
    for order, member in enumerate(_split_members(header)):
        parts = [p.strip() for p in member.split(";")]
        mtype, slash, msub = parts[0].lower().partition("/")
        mtype, msub = mtype.strip(), msub.strip()
        if not slash or not mtype or not msub or (mtype == "*" and msub != "*"):
            continue
        q: float | None = 1.0
        for param in parts[1:]:
            name, eq, value = param.partition("=")
            if eq and name.strip().lower() == "q":
                q = _parse_q(value)
                break  # what follows q are accept-extensions, not type parameters
        if q is None:
            continue
        ranges.append(MediaRange(mtype, msub, q, order))
    return ranges


def _split_members(header: str) -> list[str]:
    """Split on commas outside quoted strings (``profile="a,b"`` is one parameter)."""
    members, current, quoted, escaped = [], [], False, False
    for ch in header:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            members.append("".join(current))
            current = []
            continue
        current.append(ch)
    members.append("".join(current))
    return [m for m in (m.strip() for m in members) if m]


@functools.lru_cache(maxsize=512)
def negotiate(header: str | None, offers: tuple[Format, ...] = DESCRIPTIONS) -> Format | None:
    """The offer the client prefers, or None when it accepts none of them (406).

    Each offer takes the q of the most specific range matching it; the highest
    q wins, then the more specific range, then the client's order, then ours.

    Remembered: clients send few distinct Accept headers, and reading one afresh
    was ~8% of the web process's time for a cheap query.
    """
    ranges = parse_accept(header)
    best: tuple[float, int, int, int] | None = None
    chosen: Format | None = None
    for rank, offer in enumerate(offers):
        score = _score(offer, ranges)
        if score is None:
            continue
        q, specificity, order = score
        key = (q, specificity, -order, -rank)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen


def _score(offer: Format, ranges: list[MediaRange]) -> tuple[float, int, int] | None:
    match: MediaRange | None = None
    for r in ranges:
        if not r.matches(offer):
            continue
        # the most specific matching range decides, even when its q is lower
        # (``text/turtle;q=0, */*`` refuses Turtle under every name)
        if (
            match is None
            or r.specificity > match.specificity
            or (r.specificity == match.specificity and r.q > match.q)
        ):
            match = r
    if match is None or match.q <= 0.0:
        return None
    return match.q, match.specificity, match.order


def supported_types(offers: tuple[Format, ...] = DESCRIPTIONS) -> list[str]:
    return [f.media_type for f in offers]


# -- format= words ---------------------------------------------------------------------
def by_word(value: str, offers: tuple[Format, ...]) -> Format | None:
    """The offer a ``format=`` value names: a word (``json``, ``ttl``, ``xml``) or a
    media type; clients also send a list of media types (SPARQLWrapper sends its
    Accept list there), whose first member naming an offer counts."""
    for member in _split_members(value):
        word = member.strip().lower()
        for fmt in offers:
            if word == fmt.name or word in fmt.words:
                return fmt
        media = word.split(";")[0].strip()
        for fmt in offers:
            if fmt.named_by(media):
                return fmt
    return None


def by_words(values: Iterable[str], offers: tuple[Format, ...]) -> Format | None:
    """The offer all the given ``format=`` / ``output=`` / ``results=`` values agree
    on, else None and ``Accept`` decides.

    Values that name no offer (empty, unknown, or a format this answer cannot
    come in, such as ``turtle`` for a SELECT) are passed over; when those left
    name different offers, they conflict, and that is left to ``Accept`` too.
    """
    named = {fmt for fmt in (by_word(v, offers) for v in values if v.strip()) if fmt}
    return named.pop() if len(named) == 1 else None

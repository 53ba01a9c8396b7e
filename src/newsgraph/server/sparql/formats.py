"""Result formats of the endpoint and the choice among them (content negotiation).

One table says which media types answer which kind of result; ``negotiate``
picks one from an ``Accept`` header (with q-values and parameters, which
Werkzeug's ``best_match`` mishandles) or from an explicit ``format=`` value.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str  # short name, also accepted as ``format=``
    media_type: str  # what we answer with
    aliases: tuple[str, ...] = ()  # other media types a client may ask for
    charset: bool = False  # text formats say ``charset=utf-8``
    extension: str = ""

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


JSON = Format("json", "application/sparql-results+json", ("application/json",), False, "srj")
XML = Format(
    "xml", "application/sparql-results+xml", ("application/xml", "text/xml"), False, "srx"
)
CSV = Format("csv", "text/csv", (), True, "csv")
TSV = Format("tsv", "text/tab-separated-values", (), True, "tsv")
TURTLE = Format("turtle", "text/turtle", ("application/x-turtle",), True, "ttl")
NTRIPLES = Format("ntriples", "application/n-triples", (), False, "nt")
RDFXML = Format("rdfxml", "application/rdf+xml", ("application/xml", "text/xml"), False, "rdf")
JSONLD = Format("jsonld", "application/ld+json", ("application/json",), False, "jsonld")
NQUADS = Format("nquads", "application/n-quads", (), False, "nq")
TRIG = Format("trig", "application/trig", (), True, "trig")
HTML = Format("html", "text/html", ("application/xhtml+xml",), True, "html")

# Server preference comes first: it wins ties (``*/*``, no Accept at all).
TABULAR = (JSON, XML, CSV, TSV)
BOOLEAN = (JSON, XML, CSV, TSV)
GRAPH = (TURTLE, NTRIPLES, RDFXML, JSONLD, NQUADS, TRIG)

BY_NAME: dict[str, Format] = {
    f.name: f for f in (JSON, XML, CSV, TSV, TURTLE, NTRIPLES, RDFXML, JSONLD, NQUADS, TRIG, HTML)
}
NAME_ALIASES = {
    "srj": "json",
    "srx": "xml",
    "ttl": "turtle",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "rdf": "rdfxml",
    "rdf+xml": "rdfxml",
    "json-ld": "jsonld",
    "nq": "nquads",
    "table": "html",
}

_PARAM = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)')


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """How precisely this range names ``media_type``: 2 exact, 1 type/*, 0 */*, -1 no."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type == kind and self.subtype == "*":
            return 1
        if self.type == kind and self.subtype == sub:
            return 2
        return -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed parts are skipped."""
    ranges: list[MediaRange] = []
    for part in (header or "").split(","):
        part = part.strip()
        if not part:
            continue
        main, _, params = part.partition(";")
        kind, slash, sub = main.strip().lower().partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for name, value in _PARAM.findall(";" + params):
            if name.lower() == "q":
                try:
                    q = min(max(float(value.strip('"')), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges


def quality(ranges: list[MediaRange], fmt: Format) -> float:
    """The q-value the client gives ``fmt``: the most specific range matching any of its
    media types decides (``text/turtle;q=0, */*`` refuses Turtle under every alias)."""
    best_score, best_q = -1, 0.0
    for media_type in (fmt.media_type, *fmt.aliases):
        for r in ranges:
            s = r.specificity(media_type)
            if s > best_score or (s == best_score and r.q > best_q):
                best_score, best_q = s, r.q
    return best_q if best_score >= 0 else 0.0


@functools.lru_cache(maxsize=512)
def negotiate(accept: str | None, offers: tuple[Format, ...]) -> Format | None:
    """The offer the client prefers most; the first offer without a usable header.

    Remembered: clients send few distinct Accept headers, and reading one afresh
    was ~8% of the web process's time for a cheap query."""
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    chosen, chosen_q = None, 0.0
    for fmt in offers:
        q = quality(ranges, fmt)
        if q > chosen_q:
            chosen, chosen_q = fmt, q
    return chosen


def by_name(value: str, offers: tuple[Format, ...]) -> Format | None:
    """A ``format=`` value (short name or media type) among ``offers``."""
    value = value.strip().lower()
    name = NAME_ALIASES.get(value, value)
    for fmt in offers:
        if name == fmt.name:
            return fmt
    media = value.split(";")[0].strip()
    for fmt in offers:
        if media == fmt.media_type or media in fmt.aliases:
            return fmt
    return None


def offers_for(form: str) -> tuple[Format, ...]:
    if form == "SELECT":
        return TABULAR
    if form == "ASK":
        return BOOLEAN
    return GRAPH

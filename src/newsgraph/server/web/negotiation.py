"""Content negotiation: parse ``Accept`` (RFC 9110 §12.5.1) and pick a format.

Werkzeug's ``best_match`` gives up on ``text/turtle;charset=utf-8`` and on
``application/ld+json;profile=…``; here media-type parameters other than ``q``
never stop a range from matching, q-values are honoured, ``q=0`` excludes, and
a more specific range wins over a wildcard for the same type.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """One output format: its extension, media type and the aliases it answers to."""

    ext: str
    media_type: str
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        # text/* types say their charset; the RDF types are UTF-8 by definition,
        # a charset there is harmless and helps browsers show them
        return f"{self.media_type}; charset=utf-8"


# Server preference order: where the client accepts several equally (``*/*``,
# no Accept header), people in browsers get HTML first.
HTML = Format("html", "text/html", ("application/xhtml+xml",))
TURTLE = Format("ttl", "text/turtle", ("application/x-turtle",))
JSONLD = Format("jsonld", "application/ld+json", ("application/json",))
NTRIPLES = Format("nt", "application/n-triples")
RDFXML = Format("rdf", "application/rdf+xml")

FORMATS: tuple[Format, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
BY_EXT: dict[str, Format] = {f.ext: f for f in FORMATS}


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

    def matches(self, media_type: str) -> bool:
        mtype, _, msub = media_type.partition("/")
        return (self.type in ("*", mtype)) and (self.subtype in ("*", msub))


def _parse_q(raw: str) -> float | None:
    # qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    try:
        q = float(raw)
    except ValueError:
        return None
    return q if 0.0 <= q <= 1.0 else None


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
        if not slash or not mtype or not msub or (mtype == "*" and msub != "*"):
            continue
        q: float | None = 1.0
        for param in parts[1:]:
            name, eq, value = param.partition("=")
            if eq and name.strip().lower() == "q":
                q = _parse_q(value.strip())
                break  # what follows q are accept-extensions, not type parameters
        if q is None:
            continue
        ranges.append(MediaRange(mtype.strip(), msub.strip(), q, order))
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


def negotiate(header: str | None, offers: tuple[Format, ...] = FORMATS) -> Format | None:
    """The offer the client prefers, or None when it accepts none of them (406).

    Each offer takes the q of the most specific range matching it (its own type
    or one of its aliases); ties go to the client's order, then to ours.
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
    for media_type in (offer.media_type, *offer.aliases):
        for r in ranges:
            if not r.matches(media_type):
                continue
            # the most specific matching range decides, even when its q is lower
            if (
                match is None
                or r.specificity > match.specificity
                or (r.specificity == match.specificity and r.q > match.q)
            ):
                match = r
    if match is None or match.q <= 0.0:
        return None
    return match.q, match.specificity, match.order


def supported_types(offers: tuple[Format, ...] = FORMATS) -> list[str]:
    return [f.media_type for f in offers]

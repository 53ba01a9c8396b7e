"""``newsgraph export quickstatements``: our meetings as commands a Wikidata editor can paste.

Each meeting becomes one ``CREATE`` block (meetings have no QID) in the
tab-separated QuickStatements v1 format:

    CREATE
    LAST	Len	"Meeting of Wang Xiaohong and Lázaro Alberto Álvarez Casas in Beijing"
    LAST	Den	"meeting in Beijing on 2025-08-22, reported by CubaHeadlines"
    LAST	P710	Q18109475	S854	"https://www.cubaheadlines.com/articles/309517"
    LAST	P276	Q956	S854	"https://www.cubaheadlines.com/articles/309517"
    LAST	P585	+2025-08-22T00:00:00Z/11	S854	"https://www.cubaheadlines.com/articles/309517"

Only entities with a Wikidata link appear; a meeting without any linked
participant is left out. Every statement cites the article (S854); a date or
place taken from another source with a URL cites that too. ``P31`` (instance of)
is added only when the editor names the class with ``--instance-of``: we publish
no QID that is not confirmed. What was left out goes to the review notes, since
an editor must judge each item before creating it (CREATE always makes a new
item, even if Wikidata has one already).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from newsgraph import iris
from newsgraph.config import Settings
from newsgraph.server.store import DataError, open_data

PRECISION = {"unitDay": 11, "unitMonth": 10, "unitYear": 9}

_MEETINGS = iris.with_prefixes("""
SELECT DISTINCT ?m ?name ?date ?precision ?url ?publisher WHERE {
  GRAPH ?g { ?m a ng:Meeting ; schema:name ?name .
             OPTIONAL { ?m schema:startDate ?date }
             OPTIONAL { ?m ng:datePrecision ?precision }
             OPTIONAL { ?m ng:evidence/nif:referenceContext ?article } }
  OPTIONAL { GRAPH ?h { ?article schema:url ?url } }
  OPTIONAL { GRAPH ?i { ?article schema:publisher ?org } GRAPH ?j { ?org schema:name ?publisher } }
}""")
_LINKED = iris.with_prefixes("""
SELECT DISTINCT ?m ?what ?thing ?name ?same WHERE {
  GRAPH ?g { ?m a ng:Meeting .
             { ?m schema:attendee ?thing BIND("attendee" AS ?what) }
             UNION { ?m schema:location ?thing BIND("location" AS ?what) }
             UNION { ?m prov:wasDerivedFrom ?thing BIND("source" AS ?what) } }
  OPTIONAL { GRAPH ?h { ?thing schema:name ?name } }
  OPTIONAL { GRAPH ?k { ?thing owl:sameAs ?same } }
  OPTIONAL { GRAPH ?l { ?thing schema:url ?same } }
}""")


class ExportError(Exception):
    """The data could not be read; the message says what to do."""


@dataclass
class Linked:
    iri: str
    name: str
    qid: str | None = None
    url: str | None = None


@dataclass
class Meeting:
    iri: str
    name: str
    date: str | None = None
    precision: int | None = None
    article_url: str | None = None
    publisher: str | None = None
    attendees: list[Linked] = field(default_factory=list)
    locations: list[Linked] = field(default_factory=list)
    sources: list[Linked] = field(default_factory=list)


def _rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    solutions = store.query(query)
    names = [v.value for v in solutions.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in solutions]


def _qid(iri: str | None) -> str | None:
    if iri and iri.startswith(str(iris.WD)) and iris.is_qid(iri[len(str(iris.WD)):]):
        return iri[len(str(iris.WD)):]
    return None


def read_meetings(store: ox.Store) -> list[Meeting]:
    meetings: dict[str, Meeting] = {}
    for row in _rows(store, _MEETINGS):
        m = meetings.setdefault(row["m"], Meeting(row["m"], row["name"]))
        m.date = row.get("date") or m.date
        unit = row.get("precision", "").rsplit("#", 1)[-1]
        m.precision = PRECISION.get(unit, m.precision)
        m.article_url = m.article_url or row.get("url")
        m.publisher = m.publisher or row.get("publisher")
    for row in _rows(store, _LINKED):
        m = meetings.get(row["m"])
        if m is None:
            continue
        bucket = {"attendee": m.attendees, "location": m.locations, "source": m.sources}[
            row["what"]]
        entry = next((x for x in bucket if x.iri == row["thing"]), None)
        if entry is None:
            entry = Linked(row["thing"], row.get("name") or row["thing"].rsplit("/", 1)[-1])
            bucket.append(entry)
        same = row.get("same")
        if _qid(same):
            entry.qid = _qid(same)
        elif same and same.startswith(("http://", "https://")) and row["what"] == "source":
            entry.url = same
    for m in meetings.values():
        for bucket in (m.attendees, m.locations, m.sources):
            bucket.sort(key=lambda x: x.iri)
    return sorted(meetings.values(), key=lambda m: (m.date or "", m.iri))


def qs_string(text: str) -> str:
    """A QuickStatements string: tabs and line breaks would split the command, and
    the format has no escape for a double quote."""
    clean = " ".join(text.replace('"', "'").split())
    return f'"{clean}"'


def qs_time(date: str, precision: int | None) -> str:
    """``+YYYY-MM-DDT00:00:00Z/P``; a month alone is written with day 00."""
    parts = date.split("-")
    if len(parts) == 2:
        year, month, day, precision = parts[0], parts[1], "00", precision or 10
    elif len(parts) == 3:
        year, month, day = parts
        precision = precision or 11
    else:
        raise ExportError(f"cannot write date {date!r} for QuickStatements")
    if precision == 10:
        day = "00"
    return f"+{year}-{month}-{day}T00:00:00Z/{precision}"


def meeting_commands(m: Meeting, instance_of: str | None = None) -> tuple[list[str], list[str]]:
    """(commands, review notes) for one meeting; no commands if nothing can be said."""
    notes: list[str] = []
    linked = [a for a in m.attendees if a.qid]
    for a in m.attendees:
        if not a.qid:
            notes.append(f"participant {a.name} left out: no Wikidata link")
    if not linked:
        notes.append("not exported: no participant has a Wikidata link")
        return [], notes
    if not m.article_url:
        notes.append("not exported: the reporting article has no URL to cite")
        return [], notes
    ref = f"S854\t{qs_string(m.article_url)}"
    other_refs = [f"S854\t{qs_string(s.url)}" for s in m.sources if s.url]
    for s in m.sources:
        if not s.url:
            notes.append(f"source without URL, cite by hand if wanted: {s.name}")
    place = next((p for p in m.locations if p.qid), None)
    where = f" in {place.name}" if place else ""
    when = (f" on {m.date}" if m.precision != 10 else f" in {m.date}") if m.date else ""
    by = f", reported by {m.publisher}" if m.publisher else ""
    lines = ["CREATE", f"LAST\tLen\t{qs_string(m.name)}",
             f"LAST\tDen\t{qs_string(f'meeting{where}{when}{by}')}"]
    if instance_of:
        lines.append(f"LAST\tP31\t{instance_of}\t{ref}")
    for a in linked:
        lines.append(f"LAST\tP710\t{a.qid}\t{ref}")
    for p in m.locations:
        if p.qid:
            lines.append(f"LAST\tP276\t{p.qid}\t{ref}")
            lines.extend(f"LAST\tP276\t{p.qid}\t{r}" for r in other_refs)
        else:
            notes.append(f"location {p.name} left out: no Wikidata link")
    if m.date:
        stamp = qs_time(m.date, m.precision)
        lines.append(f"LAST\tP585\t{stamp}\t{ref}")
        lines.extend(f"LAST\tP585\t{stamp}\t{r}" for r in other_refs)
    else:
        notes.append("no date: P585 left out")
    if not instance_of:
        notes.append("no P31 (instance of): add it, or pass --instance-of with the class QID")
    return lines, notes


def export(store: ox.Store, instance_of: str | None = None) -> tuple[str, list[str]]:
    """The QuickStatements text and the review notes for every meeting."""
    blocks: list[str] = []
    notes: list[str] = []
    for m in read_meetings(store):
        lines, why = meeting_commands(m, instance_of)
        if lines:
            blocks.append("\n".join(lines))
        notes.extend(f"{m.name} ({m.date or 'no date'}): {n}" for n in why)
    if blocks:
        notes.append("CREATE always makes a new item: search Wikidata for each event first "
                     "(e.g. by its participants and date) and drop blocks it already has")
    return ("\n\n".join(blocks) + "\n") if blocks else "", notes


def run_export(settings: Settings, *, data: Path | None = None, output: Path | None = None,
               instance_of: str | None = None,
               err: Callable[[str], None] | None = None) -> int:
    """The CLI step; exit status 0, or 2 with a message when the data cannot be read."""
    err = err or (lambda line: print(line, file=sys.stderr))
    if instance_of is not None and not iris.is_qid(instance_of):
        err(f"error: --instance-of needs a QID such as Q123, got {instance_of!r}")
        return 2
    try:
        release = open_data(data or settings.dist_dir)
        text, notes = export(release.store, instance_of)
    except (DataError, ExportError) as exc:
        err(f"error: {exc}")
        return 2
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    for note in notes:
        err(f"review: {note}")
    if not text:
        err("review: no meeting has a participant with a Wikidata link; nothing to export")
    return 0

"""``/tables``: the data as spreadsheets, CSV and JSON.

A data journalist opens people, meetings (one row per participant), statements
and mentions in a spreadsheet and joins them by IRI and Wikidata id. Each table
is one SPARQL SELECT over the union of the graphs, kept here with its columns
and what each means (``/tables`` shows both, and the query opens on the SPARQL
page, as Scholia links every panel to its query). Rows are written as the store
yields them, so a table of a million mentions is never held in memory.

``/tables/<name>.csv`` (RFC 4180, UTF-8, a header row) and ``.json`` (an array
of objects); ``/tables/<name>`` picks one by ``Accept``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from newsgraph import iris
from newsgraph.server.web import current_release, error_response
from newsgraph.server.web.linked_data import conditional
from newsgraph.server.web.negotiation import CSV, HTML, JSON, TABLES, negotiate

bp = Blueprint("tables", __name__)

_PREFIXES = iris.prologue("schema", "ng", "nif", "org", "owl", "prov", "skos", "time", "wd")
WIKIDATA = iris.PREFIXES["wd"]
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    about: str
    columns: tuple[tuple[str, str], ...]  # (column = query variable, what it holds)
    query: str

    @property
    def sparql(self) -> str:
        return _PREFIXES + self.query.strip() + "\n"


TABLES_LIST: tuple[Table, ...] = (
    Table(
        "people", "People",
        "Every person, with their Wikidata item, the offices they hold and how many "
        "articles mention them.",
        (("person", "the person's IRI"),
         ("name", "the name they go by"),
         ("wikidata", "their Wikidata item (a QID such as Q123), if linked"),
         ("offices", "the offices they hold, separated by \" | \""),
         ("articles", "how many articles mention them")),
        """
SELECT ?person ?name ?wikidata ?offices ?articles WHERE {
  { SELECT ?person (SAMPLE(?n) AS ?name) (SAMPLE(?same) AS ?wikidata)
           (GROUP_CONCAT(DISTINCT ?office; separator=" | ") AS ?offices)
           (COUNT(DISTINCT ?article) AS ?articles) WHERE {
      ?person a schema:Person ; schema:name ?n .
      OPTIONAL { ?person owl:sameAs ?same FILTER(STRSTARTS(STR(?same), STR(wd:))) }
      OPTIONAL { ?person org:holds/skos:prefLabel ?office }
      OPTIONAL { ?person ng:evidence/nif:referenceContext ?article }
    } GROUP BY ?person }
} ORDER BY ?name ?person""",
    ),
    Table(
        "meetings", "Meetings, one row per participant",
        "Every meeting with its date and place, one row for each person who took part, "
        "in which role and office.",
        (("meeting", "the meeting's IRI"),
         ("meeting_name", "its name"),
         ("date", "when it began (a year, year-month or day, as precise as the article)"),
         ("place", "the IRI of where it took place"),
         ("place_name", "the place's name"),
         ("place_wikidata", "the place's Wikidata item"),
         ("participant", "the IRI of one person (or organisation) who took part"),
         ("participant_kind", "person or organization"),
         ("participant_name", "their name"),
         ("participant_wikidata", "their Wikidata item"),
         ("role", "their role in it (host, visitor, …)"),
         ("capacity", "the IRI of the office they acted in"),
         ("capacity_name", "that office's name"),
         ("articles", "the articles the meeting is reported in, separated by \" | \"")),
        """
SELECT ?meeting ?meeting_name ?date ?place ?place_name ?place_wikidata ?participant
       ?participant_kind ?participant_name ?participant_wikidata ?role ?capacity ?capacity_name
       (GROUP_CONCAT(DISTINCT STR(?in_article); separator=" | ") AS ?articles) WHERE {
  ?meeting a ng:Meeting ; prov:qualifiedAssociation ?assoc .
  ?assoc prov:agent ?participant .
  BIND(IF(EXISTS { ?participant a schema:Person }, "person", "organization")
       AS ?participant_kind)
  OPTIONAL { ?meeting schema:name ?meeting_name }
  OPTIONAL { ?meeting schema:startDate ?date }
  OPTIONAL { ?meeting schema:location ?place . OPTIONAL { ?place schema:name ?place_name }
             OPTIONAL { ?place owl:sameAs ?place_wikidata
                        FILTER(STRSTARTS(STR(?place_wikidata), STR(wd:))) } }
  OPTIONAL { ?participant schema:name ?participant_name }
  OPTIONAL { ?participant owl:sameAs ?participant_wikidata
             FILTER(STRSTARTS(STR(?participant_wikidata), STR(wd:))) }
  OPTIONAL { ?assoc prov:hadRole/skos:prefLabel ?role }
  OPTIONAL { ?assoc ng:capacity ?capacity OPTIONAL { ?capacity skos:prefLabel ?capacity_name } }
  OPTIONAL { ?meeting ng:evidence/nif:referenceContext ?in_article }
} GROUP BY ?meeting ?meeting_name ?date ?place ?place_name ?place_wikidata ?participant
           ?participant_kind ?participant_name ?participant_wikidata ?role ?capacity ?capacity_name
  ORDER BY ?date ?meeting ?participant""",
    ),
    Table(
        "statements", "Statements",
        "Everything said or claimed: direct and indirect quotes and the outlets' own claims, "
        "with who said it, at which meeting, quoted from which source, in which article.",
        (("statement", "the statement's IRI"),
         ("kind", "direct quote, indirect quote or editorial claim"),
         ("text", "what was said, in the article's words"),
         ("speaker", "the IRI of who said it"),
         ("speaker_name", "their name"),
         ("speaker_wikidata", "their Wikidata item"),
         ("meeting", "the meeting where it was said, if any"),
         ("quoted_from", "the IRI of the source the article quotes it from, if any"),
         ("article", "the article it appears in"),
         ("outlet", "the name of the outlet that published that article")),
        """
SELECT DISTINCT ?statement ?kind ?text ?speaker ?speaker_name ?speaker_wikidata ?meeting
       ?quoted_from ?article ?outlet WHERE {
  ?statement a ng:Statement ; a ?type ; schema:text ?text .
  VALUES (?type ?kind) { (ng:DirectQuote "direct quote") (ng:IndirectQuote "indirect quote")
                         (ng:EditorialClaim "editorial claim") }
  OPTIONAL { ?statement prov:wasAttributedTo ?speaker
             OPTIONAL { ?speaker schema:name ?speaker_name }
             OPTIONAL { ?speaker owl:sameAs ?speaker_wikidata
                        FILTER(STRSTARTS(STR(?speaker_wikidata), STR(wd:))) } }
  OPTIONAL { ?statement prov:wasGeneratedBy ?meeting }
  OPTIONAL { ?statement prov:wasQuotedFrom ?quoted_from }
  OPTIONAL { ?statement ng:evidence/nif:referenceContext ?article
             OPTIONAL { ?article schema:publisher/schema:name ?outlet } }
} ORDER BY ?article ?statement""",
    ),
    Table(
        "mentions", "Mentions",
        "Every stretch of an article's text that names or supports a thing: the evidence "
        "behind each fact.",
        (("article", "the article's IRI"),
         ("begin", "where the words begin in the article's text (a character offset)"),
         ("end", "where they end"),
         ("words", "the words themselves"),
         ("thing", "the IRI of what they name or support"),
         ("thing_name", "that thing's name, if it has one")),
        """
SELECT DISTINCT ?article ?begin ?end ?words ?thing ?thing_name WHERE {
  ?thing ng:evidence ?span .
  ?span nif:referenceContext ?article ; nif:beginIndex ?begin ; nif:endIndex ?end ;
        nif:anchorOf ?words .
  OPTIONAL { ?thing schema:name ?name }
  OPTIONAL { ?thing skos:prefLabel ?label }
  BIND(COALESCE(?name, ?label) AS ?thing_name)
} ORDER BY ?article ?begin ?end ?thing""",
    ),
)
BY_NAME = {t.name: t for t in TABLES_LIST}


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode) and term.value.startswith(WIKIDATA):
        return term.value[len(WIKIDATA):]  # a QID joins with Wikidata exports
    return term.value  # type: ignore[attr-defined]


LIST_SEPARATOR = " | "


def _rows(table: Table, solutions: Iterable[Any]) -> Iterator[list[str]]:
    variables = [name for name, _ in table.columns]
    # a GROUP_CONCAT's order is the engine's (Virtuoso's differs from the
    # embedded store's): a list cell is sorted, so every store gives one table
    lists = [f'separated by "{LIST_SEPARATOR}"' in about for _, about in table.columns]
    for solution in solutions:
        cells = [_cell(solution[v]) for v in variables]
        yield [LIST_SEPARATOR.join(sorted(c.split(LIST_SEPARATOR))) if is_list and c else c
               for c, is_list in zip(cells, lists, strict=True)]


def _csv(table: Table, solutions: Iterable[Any]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([name for name, _ in table.columns])
    for i, row in enumerate(_rows(table, solutions)):
        writer.writerow(row)
        if i % 500 == 499:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")


def _json(table: Table, solutions: Iterable[Any]) -> Iterator[bytes]:
    names = [name for name, _ in table.columns]
    yield b"["
    for i, row in enumerate(_rows(table, solutions)):
        obj = {k: v for k, v in zip(names, row, strict=True) if v != ""}
        yield (("," if i else "") + "\n" + json.dumps(obj, ensure_ascii=False)).encode("utf-8")
    yield b"\n]\n"


def distribution_triples(dataset: str, base: str) -> list[ox.Triple]:
    """The tables as DCAT distributions of the dataset, for ``/dataset``."""
    dcat, dct = iris.PREFIXES["dcat"], iris.PREFIXES["dcterms"]
    out = []
    for t in TABLES_LIST:
        for ext, media in (("csv", "text/csv"), ("json", "application/json")):
            url = ox.NamedNode(f"{base}tables/{t.name}.{ext}")
            out += [
                ox.Triple(ox.NamedNode(dataset), ox.NamedNode(dcat + "distribution"), url),
                ox.Triple(url, ox.NamedNode(_RDF_TYPE), ox.NamedNode(dcat + "Distribution")),
                ox.Triple(url, ox.NamedNode(dcat + "accessURL"), url),
                ox.Triple(url, ox.NamedNode(dcat + "mediaType"),
                          ox.NamedNode("https://www.iana.org/assignments/media-types/" + media)),
                ox.Triple(url, ox.NamedNode(dct + "title"),
                          ox.Literal(f"{t.title} ({ext.upper()})", language="en")),
                ox.Triple(url, ox.NamedNode(dct + "description"),
                          ox.Literal(t.about, language="en")),
            ]
    return out


def sparql_href(table: Table) -> str:
    return "/sparql?query=" + quote(table.sparql, safe="")


@bp.get("/tables")
def tables_index() -> Response:
    release = current_release()
    html = render_template("tables.html", tables=TABLES_LIST, sparql_href=sparql_href,
                           alternates=[])
    return conditional(Response(html, content_type=HTML.content_type), release, "tables")


@bp.get("/tables/<name>")
@bp.get("/tables/<name>.<ext>")
def table(name: str, ext: str | None = None) -> Response:
    found = BY_NAME.get(name)
    if found is None:
        return error_response(404, f"404 Not Found: no table {name!r}; the tables are "
                              + ", ".join(BY_NAME))
    if ext is not None:
        fmt = {"csv": CSV, "json": JSON}.get(ext)
        if fmt is None:
            return error_response(404, f"404 Not Found: tables come as .csv or .json, not .{ext}")
    else:
        fmt = negotiate(request.headers.get("Accept"), TABLES)
        if fmt is None:
            resp = error_response(406, "406 Not Acceptable: tables come as text/csv or "
                                  "application/json")
            resp.vary.add("Accept")
            return resp
    # asked before the answer starts: a store that fails (or would send part of
    # the rows) is a 502 in one line, never a table cut short under a 200; the
    # embedded store's solutions still stream
    solutions = current_release().query(found.sparql)
    body = _csv(found, solutions) if fmt is CSV else _json(found, solutions)
    content_type = ("text/csv; charset=utf-8; header=present" if fmt is CSV
                    else JSON.content_type)
    resp = Response(body, content_type=content_type)
    resp.headers["Content-Disposition"] = f'inline; filename="{found.name}.{fmt.ext}"'
    resp.headers["Link"] = f'<{sparql_href(found)}>; rel="describedby"; title="the query"'
    if ext is None:
        resp.vary.add("Accept")
    return conditional(resp, current_release(), f"table-{name}-{fmt.ext}")

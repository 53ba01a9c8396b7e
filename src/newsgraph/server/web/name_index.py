"""One index of names per release, for reconciliation and for search.

Every ``{base}id/…`` thing with a name (``schema:name``, ``skos:prefLabel``,
aliases from ``skos:altLabel``) and every statement (by what it says) becomes
an :class:`Entry`, read from the store by a handful of SELECT queries once per
release (the data changes only when a rebuild swaps the release), so that a
batch of reconciliation queries or a search costs no query at all. Names are
folded once (``names.fold``: accents, case and punctuation dropped), and a
sorted list of every folded word lets a search find the entries whose words
start with what was typed without looking at every entry.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from newsgraph import iris
from newsgraph.names import fold


@dataclass
class Entry:
    """What the service knows of one entity."""

    iri: str
    kind: str
    slug: str
    names: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    qid: str | None = None
    posts: list[tuple[str, str | None]] = field(default_factory=list)  # (label, qid)
    locations: list[tuple[str, str | None]] = field(default_factory=list)  # (name, qid)
    date: str | None = None
    folded: list[str] = field(default_factory=list)  # the names, folded once
    texts: list[str] = field(default_factory=list)  # what a statement says
    speakers: list[str] = field(default_factory=list)  # who said it

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.slug}"

    @property
    def name(self) -> str:
        if self.names:
            return self.names[0]
        if self.texts:  # a statement goes by its words, shortened
            text = self.texts[0]
            return text if len(text) <= 120 else text[:117].rstrip() + "…"
        return self.slug

    def description(self) -> str:
        parts: list[str] = []
        if self.posts:
            parts.append("; ".join(label for label, _ in self.posts))
        if self.locations:
            parts.append("in " + ", ".join(name for name, _ in self.locations))
        if self.date:
            parts.append(self.date)
        if self.speakers:
            parts.append("said by " + ", ".join(self.speakers))
        if self.qid:
            parts.append(f"Wikidata {self.qid}")
        return " · ".join(parts)


# ---------------------------------------------------------------- reading the store

_NAMES = iris.with_prefixes("""
SELECT DISTINCT ?s ?name ?alt WHERE {
  GRAPH ?g { { ?s schema:name ?name } UNION { ?s skos:prefLabel ?name }
             UNION { ?s skos:altLabel ?name BIND(true AS ?alt) } }
}""")
_FACTS = iris.with_prefixes("""
SELECT DISTINCT ?s ?type ?same WHERE {
  GRAPH ?g { { ?s a ?type } UNION { ?s owl:sameAs ?same } }
}""")
_POSTS = iris.with_prefixes("""
SELECT DISTINCT ?s ?label ?same WHERE {
  GRAPH ?g { ?s org:holds ?post }
  GRAPH ?h { ?post skos:prefLabel ?label }
  OPTIONAL { GRAPH ?k { ?post owl:sameAs ?same } }
}""")
_LOCATIONS = iris.with_prefixes("""
SELECT DISTINCT ?s ?name ?same ?date WHERE {
  GRAPH ?g { ?s schema:location ?place }
  GRAPH ?h { ?place schema:name ?name }
  OPTIONAL { GRAPH ?k { ?place owl:sameAs ?same } }
  OPTIONAL { GRAPH ?g { ?s schema:startDate ?date } }
}""")


_TEXTS = iris.with_prefixes("""
SELECT DISTINCT ?s ?text ?speaker WHERE {
  GRAPH ?g { ?s a ng:Statement ; schema:text ?text
             OPTIONAL { ?s prov:wasAttributedTo ?who } }
  OPTIONAL { GRAPH ?h { ?who schema:name ?speaker } }
}""")


def _qid_of(iri: str | None) -> str | None:
    if iri and iri.startswith(str(iris.WD)):
        qid = iri[len(str(iris.WD)):]
        return qid if iris.is_qid(qid) else None
    return None


def build_index(select: Any, base: str) -> dict[str, Entry]:
    """Entries for every ``{base}id/…`` thing that has a name, and every
    statement (by its text; ``names`` stays empty for those).

    ``select(query)`` runs a SPARQL SELECT and yields dicts of variable -> str.
    """
    entries: dict[str, Entry] = {}

    def entry_of(iri: str) -> Entry | None:
        """The entry of a thing (made on first sight); None for a sub-node or another IRI."""
        found = iris.split_thing(iri, base)
        if found is None or "#" in iri:
            return None
        if iri not in entries:
            entries[iri] = Entry(iri, *found)
        return entries[iri]

    # the main name first (schema:name / skos:prefLabel), then alternatives
    for row in sorted(select(_NAMES), key=lambda r: ("alt" in r, r["name"])):
        entry = entry_of(row["s"])
        if entry is None:
            continue
        if row["name"] not in entry.names:
            entry.names.append(row["name"])
    for row in select(_FACTS):
        entry = entries.get(row["s"])
        if entry is None:
            continue
        if row.get("type"):
            entry.types.add(row["type"])
        if row.get("same"):
            entry.qid = _qid_of(row["same"]) or entry.qid
    for row in select(_POSTS):
        entry = entries.get(row["s"])
        if entry is not None:
            entry.posts.append((row["label"], _qid_of(row.get("same"))))
    for row in select(_LOCATIONS):
        entry = entries.get(row["s"])
        if entry is not None:
            place = (row["name"], _qid_of(row.get("same")))
            if place not in entry.locations:
                entry.locations.append(place)
            entry.date = row.get("date") or entry.date
    for row in sorted(select(_TEXTS), key=lambda r: (r["text"], r.get("speaker", ""))):
        entry = entry_of(row["s"])
        if entry is None:
            continue
        if row["text"] not in entry.texts:
            entry.texts.append(row["text"])
        if row.get("speaker") and row["speaker"] not in entry.speakers:
            entry.speakers.append(row["speaker"])
    for entry in entries.values():
        entry.posts.sort()
        entry.locations.sort()
        entry.folded = [fold(name) for name in entry.names]
    return entries


@dataclass
class NameIndex:
    """The entries of one release and a word index over their names and texts."""

    entries: dict[str, Entry]
    words: list[tuple[str, str]] = field(default_factory=list)  # (folded word, iri), sorted

    @classmethod
    def of(cls, entries: dict[str, Entry]) -> NameIndex:
        words = {(word, iri) for iri, entry in entries.items()
                 for text in (*entry.folded, *(fold(t) for t in entry.texts))
                 for word in text.split()}
        return cls(entries, sorted(words))

    def named(self) -> dict[str, Entry]:
        """The entries that have a name (a statement has none): what reconciliation offers."""
        return {iri: e for iri, e in self.entries.items() if e.names}

    def starting_with(self, prefix: str) -> set[str]:
        """The IRIs of entries with a folded word that starts with ``prefix``."""
        found: set[str] = set()
        i = bisect.bisect_left(self.words, (prefix, ""))
        while i < len(self.words) and self.words[i][0].startswith(prefix):
            found.add(self.words[i][1])
            i += 1
        return found


def current_index() -> NameIndex:
    """The index of the release now served, built once per release (its cache)."""
    state = current_app.extensions["newsgraph"]
    release = state["release"]
    base = state["settings"].base

    def select(query: str) -> list[dict[str, str]]:
        solutions = release.query(query)
        names = [v.value for v in solutions.variables]
        return [{n: s[n].value for n in names if s[n] is not None} for s in solutions]

    return release.once(("name-index",), lambda: NameIndex.of(build_index(select, base)))


def named_entries() -> dict[str, Entry]:
    """The named entries of the release now served (cached with the index)."""
    index = current_index()
    return current_app.extensions["newsgraph"]["release"].once(
        ("name-index", "named"), index.named)

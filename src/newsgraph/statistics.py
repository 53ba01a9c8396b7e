"""What a dataset holds, counted once: by the build into the release's
``statistics.json`` (newsgraph.release), read back by the server for ``/`` and
``/dataset`` (a single served file, which has none, is counted by the server).

Counting is a handful of whole-data queries, so it is done where the data is
made, once, rather than by every server process on its first request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from newsgraph import iris
from newsgraph.iris import KINDS

OWL_SAMEAS = "http://www.w3.org/2002/07/owl#sameAs"


def _term(term: ox.NamedNode | ox.Literal) -> str:
    """A term written into a query in pyoxigraph's N-Triples form (escaped)."""
    return str(term)


@dataclass(frozen=True)
class Statistics:
    triples: int
    quads: int
    graphs: int
    distinct_subjects: int
    entities_by_kind: dict[str, list[tuple[str, str]]]  # kind -> [(iri, label)]
    classes: dict[str, int]  # class -> distinct instances
    properties: dict[str, int]  # property -> distinct triples
    wikidata_links: int
    named_graphs: list[str] = field(default_factory=list)

    @property
    def entities(self) -> int:
        return sum(len(v) for v in self.entities_by_kind.values())


def _select(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    return list(store.query(query, use_default_graph_as_union=True))


def _count(store: ox.Store, query: str) -> int:
    rows = _select(store, query)
    return int(rows[0]["n"].value) if rows and rows[0]["n"] is not None else 0


ENTITIES_QUERY = iris.with_prefixes("""
SELECT ?s (SAMPLE(?name) AS ?label) WHERE {
  ?s ?p ?o .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), %s) && !CONTAINS(STR(?s), "#"))
  OPTIONAL { ?s schema:name|skos:prefLabel|schema:text ?name
             FILTER(LANGMATCHES(LANG(?name), "en") || LANG(?name) = "") }
} GROUP BY ?s
""")


def _entities_by_kind(store: ox.Store, base: str) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    for row in _select(store, ENTITIES_QUERY % _term(ox.Literal(f"{base}id/"))):
        iri = row["s"].value
        parts = iris.split_thing(iri, base)
        if parts is None or parts[0] not in found:
            continue
        label = row["label"].value if row["label"] is not None else parts[1]
        found[parts[0]].append((iri, label))
    for rows in found.values():
        rows.sort(key=lambda r: (r[1].casefold(), r[0]))
    return found


def count_statistics(store: ox.Store, base: str) -> Statistics:
    """What the data holds, counted over the union of its graphs."""
    quads = len(store)
    triples = _count(
        store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    )
    subjects = _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")
    classes = {
        row["c"].value: int(row["n"].value)
        for row in _select(store,
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c"
        )
    }
    properties = {
        row["p"].value: int(row["n"].value)
        for row in _select(store,
            "SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } "
            "GROUP BY ?p"
        )
    }
    links = _count(
        store,
        f"""SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{
              ?s <{OWL_SAMEAS}> ?o
              FILTER(STRSTARTS(STR(?o), {_term(ox.Literal(str(iris.WD)))})) }} }}""",
    )
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return Statistics(
        triples=triples,
        quads=quads,
        graphs=len(graphs),
        distinct_subjects=subjects,
        entities_by_kind=_entities_by_kind(store, base),
        classes=dict(sorted(classes.items())),
        properties=dict(sorted(properties.items())),
        wikidata_links=links,
        named_graphs=graphs,
    )


def stats_to_json(stats: Statistics) -> bytes:
    doc = {
        "triples": stats.triples,
        "quads": stats.quads,
        "graphs": stats.graphs,
        "distinct_subjects": stats.distinct_subjects,
        "entities_by_kind": {k: [list(row) for row in rows]
                             for k, rows in stats.entities_by_kind.items()},
        "classes": stats.classes,
        "properties": stats.properties,
        "wikidata_links": stats.wikidata_links,
        "named_graphs": stats.named_graphs,
    }
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def stats_from_json(doc: dict[str, Any]) -> Statistics:
    return Statistics(
        triples=doc["triples"],
        quads=doc["quads"],
        graphs=doc["graphs"],
        distinct_subjects=doc["distinct_subjects"],
        entities_by_kind={k: [(iri, label) for iri, label in rows]
                          for k, rows in doc["entities_by_kind"].items()},
        classes=dict(doc["classes"]),
        properties=dict(doc["properties"]),
        wikidata_links=doc["wikidata_links"],
        named_graphs=list(doc["named_graphs"]),
    )

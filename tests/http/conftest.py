"""Fixtures for the HTTP tests: the built dump as the graph every answer is
compared with."""

from __future__ import annotations

from pathlib import Path

import pytest
from ld_helpers import BASE
from rdflib import Dataset, Graph, URIRef


@pytest.fixture(scope="session")
def dump_graph(built_dist: Path) -> Graph:
    """Every triple of the built dataset (union of its named graphs)."""
    dataset = Dataset()
    dataset.parse(built_dist / "newsgraph.nq", format="nquads")
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


@pytest.fixture(scope="session")
def things(dump_graph: Graph) -> list[str]:
    """Every thing with an ``id/`` IRI in the dump (sub-nodes excluded)."""
    found = {
        str(s) for s in dump_graph.subjects()
        if isinstance(s, URIRef) and str(s).startswith(BASE + "id/") and "#" not in str(s)
    }
    assert found, "the built dataset holds no things"
    return sorted(found)

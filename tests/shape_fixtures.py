"""The shape fixtures (``tests/fixtures/shapes/``): one valid graph, and broken
ones written as patches of it. Shared by the shape tests and the tests that
compare the build's two ways of validating."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
VALID = FIXTURES / "valid.ttl"
BROKEN = sorted((FIXTURES / "broken").glob("*.ttl"))
# in a patch, "this property has no value" (the patch removes it)
NONE = URIRef("urn:newsgraph:test#none")


def load(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def patched(patch_path: Path | None) -> Graph:
    """The valid graph with a broken fixture's patch applied: each (subject,
    property) of the patch replaces the valid graph's values."""
    graph = load(VALID)
    if patch_path is None:
        return graph
    patch = load(patch_path)
    for s, p in {(s, p) for s, p, _ in patch}:
        graph.remove((s, p, None))
    for s, p, o in patch:
        if o != NONE:
            graph.add((s, p, o))
    return graph

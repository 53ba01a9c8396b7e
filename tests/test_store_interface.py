"""One store interface (issue 13): the web modules read the data through the
release's backend (``newsgraph.server.backends``: ``release.query``,
``release.select``, ``release.has_subject``, ``release.graph_triples``), never a
pyoxigraph store directly, so the same pages can be served from an external
store. The one pyoxigraph store a web module may hold is web/vocabulary.py's,
an in-memory store of the ontology's own files, not of the data."""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[1] / "src" / "newsgraph" / "server"
WEB = SERVER / "web"
# the readers of the data: the pages and the static site made from them
READERS = (WEB, SERVER / "static_site")
# methods only a pyoxigraph store offers (called: ``stats.named_graphs`` is a list).
# The SPARQL endpoint's worker processes of the embedded store are given its
# path (``release.store_path``): they are that backend's way of querying.
STORE_ONLY = {"quads_for_pattern", "contains_named_graph", "named_graphs", "quads"}
STORE_KEYWORDS = {"use_default_graph_as_union", "default_graph"}
# web/vocabulary.py documents the ontology from its files, in a store of its own
ONTOLOGY_STORES = {"self", "folder"}


def store_touches(source: str, ontology_module: bool = False) -> list[str]:
    """Where ``source`` reaches a pyoxigraph store of the data: ``x.store``,
    the store-only methods, ``ox.Store(...)`` and the store's query keywords."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in STORE_ONLY and not ontology_module:
                found.append(f"line {node.lineno}: .{node.func.attr}()")
        if isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if node.attr == "store" and not (ontology_module and owner in ONTOLOGY_STORES):
                found.append(f"line {node.lineno}: .store")
            elif node.attr == "Store" and owner == "ox" and not ontology_module:
                found.append(f"line {node.lineno}: ox.Store")
        elif isinstance(node, ast.keyword) and node.arg in STORE_KEYWORDS:
            found.append(f"line {node.lineno}: {node.arg}=")
    return found


def test_the_check_sees_a_reader_that_goes_around_the_interface():
    assert store_touches("rows = release.store.query(q, use_default_graph_as_union=True)")
    assert store_touches("g = next(release.backend.store.quads_for_pattern(None, None, None))")
    assert store_touches("s = ox.Store()")
    assert store_touches("folder.store.quads_for_pattern(x, None, None)", ontology_module=True
                         ) == []
    assert store_touches("release.store.named_graphs()", ontology_module=True)
    assert store_touches("rows = release.query(q)") == []


def test_no_web_module_touches_a_pyoxigraph_store_of_the_data():
    offenders = {
        f"{path.name} {where}"
        for folder in READERS
        for path in sorted(folder.glob("*.py"))
        for where in store_touches(path.read_text(encoding="utf-8"),
                                   ontology_module=path.name == "vocabulary.py")
    }
    assert not offenders, sorted(offenders)

"""The package's layout follows the data's one direction: the pipeline builds a
release, the server reads one, and neither imports the other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "newsgraph"


def imported_modules(path: Path) -> set[str]:
    """Every ``newsgraph…`` module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "newsgraph"}


@pytest.mark.parametrize(("part", "forbidden"), [
    ("pipeline", ("newsgraph.server", "newsgraph.curation")),
    ("server", ("newsgraph.pipeline", "newsgraph.curation")),
])
def test_the_pipeline_and_the_server_never_import_each_other(part, forbidden):
    offenders = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / part).rglob("*.py")
        for name in imported_modules(path)
        if name.startswith(forbidden)
    }
    assert not offenders, sorted(offenders)


def test_shared_modules_import_neither_side():
    shared = [p for p in PACKAGE.glob("*.py") if p.name not in ("cli.py", "__main__.py")]
    offenders = {
        f"{path.name} imports {name}"
        for path in shared
        for name in imported_modules(path)
        if name.startswith(("newsgraph.pipeline", "newsgraph.server", "newsgraph.curation"))
    }
    assert not offenders, sorted(offenders)

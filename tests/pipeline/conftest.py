"""Fixtures for the pipeline tests: a throw-away copy of the project to break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repository's project (newsgraph.toml and seeds/) that a test
    may edit; the ontology and shapes are the package's, as for any project."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy2(REPO / "newsgraph.toml", root / "newsgraph.toml")
    return root


@pytest.fixture
def edit(project: Path) -> Callable[[str, str, str], None]:
    """Replace text in one of the copied files; fails loudly if the text is absent."""

    def replace(relpath: str, old: str, new: str, count: int = 1) -> None:
        path = project / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    return replace


ANNOTATIONS = "seeds/cubaheadlines-309517/annotations.yaml"
ENTITIES = "seeds/entities.yaml"

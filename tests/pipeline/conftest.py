"""Fixtures for the pipeline tests: a throw-away copy of the project to break."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def bench_build() -> ModuleType:
    """bench/bench_build.py, whose corpus generator writes synthetic articles in
    the real seed format (the build tests use it for corpora larger than the seeds)."""
    spec = importlib.util.spec_from_file_location("bench_build", REPO / "bench" / "bench_build.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


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

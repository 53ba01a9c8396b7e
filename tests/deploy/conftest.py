"""What the deploy tests share: the things of the built release, as /id/ paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset

from newsgraph.config import Settings


@pytest.fixture(scope="module")
def union_things(built_dist: Path) -> list[str]:
    base = Settings().base
    ds = Dataset()
    ds.parse(built_dist / "newsgraph.nq", format="nquads")
    return sorted({"/" + str(s)[len(base):] for s, _, _, _ in ds.quads()
                   if str(s).startswith(f"{base}id/") and "#" not in str(s)})

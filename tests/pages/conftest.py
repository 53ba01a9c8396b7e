"""What the page tests share: the app over the seeds' release, in process (the
pages are the app's own answers; no server process is the point here), and the
release's N-Quads dump read back independently with rdflib."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset

from newsgraph.config import Settings
from newsgraph.server.web import create_app


@pytest.fixture(scope="module")
def client(built_dist: Path):
    return create_app(Settings(), data=built_dist).test_client()


@pytest.fixture(scope="session")
def union(built_dist: Path) -> Dataset:
    """Every quad of the release, from its dump (not through the server)."""
    ds = Dataset(default_union=True)
    ds.parse(built_dist / "newsgraph.nq", format="nquads")
    return ds

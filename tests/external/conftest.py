"""Real SPARQL engines for tests/external, started once a session on 127.0.0.1.

* ``oxigraph`` — Oxigraph server (the ``oxigraph`` command of the PyPI package
  ``oxigraph``, in the test extra), ``oxigraph serve`` on a free port with its
  data in a temporary folder;
* ``virtuoso`` — Virtuoso Open Source 7 (Debian's ``virtuoso-opensource-7-bin``,
  installed by scripts/test) with a generated ``virtuoso.ini``: its own ports,
  its folders in a temporary folder, ``ResultSetMaxRows`` at the 10,000 of the
  ini Virtuoso ships, so cut answers are exercised.

Both are waited for by polling their query endpoint, and stopped at the end.
Where an engine is missing the tests that need it are skipped with the reason
locally, and fail in CI (``CI`` set): CI must run them.

Every test here is in one xdist group, so one worker starts the engines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .engines import (
    Engine,
    EngineError,
    oxigraph_binary,
    start_oxigraph,
    start_virtuoso,
    virtuoso_binary,
)


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}, and CI must run the external-store tests")
    pytest.skip(what)


def _started(start: Callable[[Path], Engine], folder: Path) -> Engine:
    try:
        return start(folder)
    except EngineError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if oxigraph_binary() is None:
        _missing("the oxigraph command is not installed (pip install oxigraph==0.5.13)")
    engine = _started(start_oxigraph, tmp_path_factory.mktemp("oxigraph"))
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if virtuoso_binary() is None:
        _missing("virtuoso-t is not installed (apt-get install virtuoso-opensource-7-bin)")
    engine = _started(start_virtuoso, tmp_path_factory.mktemp("virtuoso"))
    yield engine
    engine.stop()


@pytest.fixture(scope="session", params=["oxigraph", "virtuoso"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def seed_release(built_dist: Path) -> Path:
    """The project's release, built once for the session (tests/conftest.py)."""
    return built_dist.resolve()


def publish(engine: Engine, folder: Path, state: Path, *args: str,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``newsgraph publish`` of ``folder`` to ``engine``, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "newsgraph", "publish", "--to", engine.query,
         "--release", str(folder), "--state", str(state), *args],
        capture_output=True, text=True, timeout=600, env=env or engine.env(), cwd=folder)



def _seed(engine: Engine, seed_release: Path, state: Path) -> Engine:
    result = publish(engine, seed_release, state)
    if result.returncode != 0:
        pytest.fail(f"publishing the seed release to {engine.name} failed:\n{result.stderr}")
    return engine


@pytest.fixture(scope="session")
def oxigraph_seeded(oxigraph: Engine, seed_release: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """Oxigraph with the seed release published into it."""
    return _seed(oxigraph, seed_release, tmp_path_factory.mktemp("state") / "seed.json")


@pytest.fixture(scope="session")
def virtuoso_seeded(virtuoso: Engine, seed_release: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """Virtuoso with the seed release published into it."""
    return _seed(virtuoso, seed_release, tmp_path_factory.mktemp("state") / "seed.json")


@pytest.fixture(scope="session", params=["oxigraph", "virtuoso"])
def seeded(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn, with the seed release published into it."""
    return request.getfixturevalue(f"{request.param}_seeded")


BIG_GRAPH = "urn:x-newsgraph-test:big"
BIG_ROWS = 12_000  # more than Virtuoso's 10,000 rows an answer


def with_big_graph(engine: Engine) -> Engine:
    """``engine`` holding a synthetic graph of ``BIG_ROWS`` triples."""
    body = "".join(f'<urn:x:s{i}> <urn:x:n> "{i}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
                   for i in range(BIG_ROWS)).encode()
    with engine.client() as client:
        client.put_graph(BIG_GRAPH, body, client.dialect.put_media_type)
    return engine

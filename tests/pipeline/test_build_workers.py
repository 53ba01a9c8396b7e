"""`newsgraph build --jobs N` and `--executor dask`: the same release and the same
messages, in the same order, wherever the articles are validated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from newsgraph.config import load_settings
from newsgraph.pipeline import build
from newsgraph.pipeline.cache import CACHE_DIR
from pipeline.conftest import bench_build
from ports import free_port


def release_of(dist: Path) -> tuple[str, dict[str, bytes]]:
    folder = dist.resolve()
    manifest = json.loads((folder / "manifest.json").read_text())
    dumps = {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("newsgraph.")}
    return manifest["release"], dumps


def build_with(root: Path, capsys, **how) -> tuple[int, str, Path]:
    """A cold build of ``root`` into a dist/ of its own; (status, stderr, dist)."""
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    dist = root / f"dist-{'-'.join(f'{k}{v}' for k, v in sorted(how.items()))}"
    settings = load_settings(root).with_overrides(dist=dist)
    capsys.readouterr()
    status = build.run_build(settings, echo=None, **how)
    return status, capsys.readouterr().err, dist


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    root = tmp_path / "synthetic"
    bench_build().generate(root, 7)
    return root


@pytest.fixture
def seeds(project: Path) -> Path:
    return project


@pytest.mark.parametrize("corpus", ["seeds", "synthetic"])
def test_one_job_and_two_give_the_same_release(corpus, request, capsys):
    root = request.getfixturevalue(corpus)
    one, err_one, dist_one = build_with(root, capsys, jobs=1)
    two, err_two, dist_two = build_with(root, capsys, jobs=2)
    assert one == two == build.EXIT_OK, err_one + err_two
    assert len(build.CACHE_COUNTS["validated"]) >= 2  # the workers had articles to share
    assert release_of(dist_one) == release_of(dist_two)
    # the messages name the release, which is the same, and nothing else differs
    assert err_one.replace(str(dist_one), "DIST") == err_two.replace(str(dist_two), "DIST")


def _break_capacities(root: Path) -> None:
    """Every meeting dated before its participants took office: Violations in
    every article."""
    for folder in sorted((root / "seeds").glob("article-*")):
        path = folder / "annotations.yaml"
        text = path.read_text("utf-8")
        assert "    date: 2025-06-" in text
        path.write_text(text.replace("    date: 2025-06-", "    date: 2009-06-"), encoding="utf-8")


def test_the_errors_are_the_same_lines_in_the_same_order_for_any_number_of_jobs(
        synthetic, capsys):
    _break_capacities(synthetic)
    one, err_one, _ = build_with(synthetic, capsys, jobs=1)
    two, err_two, _ = build_with(synthetic, capsys, jobs=2)
    assert one == two == build.EXIT_INVALID
    errors = [line for line in err_one.splitlines() if line.startswith("error: ")]
    assert len(errors) >= 2, err_one
    # one line each: file, line, record, then the rule
    assert all(line.startswith("error: seeds/article-") and "[shape ngsh:" in line
               for line in errors), errors
    assert err_one == err_two


def test_an_unreachable_scheduler_is_one_clear_line(synthetic, capsys):
    pytest.importorskip("distributed")
    scheduler = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    status, err, dist = build_with(synthetic, capsys, executor="dask", scheduler=scheduler)
    assert status == build.EXIT_INVALID
    [line] = err.strip().splitlines()[-1:]
    assert line.startswith(f"error: cannot reach the Dask scheduler at {scheduler}"), err
    assert "\n" not in line and not dist.exists()


def test_without_dask_installed_the_build_says_what_to_install(synthetic, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)  # import fails
    status, err, _ = build_with(synthetic, capsys, executor="dask", scheduler="tcp://127.0.0.1:1")
    assert status == build.EXIT_INVALID
    assert err.strip().splitlines()[-1] == (
        "error: --executor dask needs Dask distributed: pip install 'newsgraph[cluster]'")


def test_a_dask_cluster_gives_the_release_a_local_build_gives(synthetic, capsys):
    distributed = pytest.importorskip("distributed")
    local, err_local, dist_local = build_with(synthetic, capsys, jobs=1)
    assert local == build.EXIT_OK, err_local
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        status, err, dist = build_with(synthetic, capsys, executor="dask",
                                       scheduler=cluster.scheduler_address)
        with distributed.Client(cluster.scheduler_address) as client:
            # both workers were there to take chunks
            assert len(client.scheduler_info()["workers"]) == 2
    assert status == build.EXIT_OK, err
    assert release_of(dist) == release_of(dist_local)

"""A build killed (SIGKILL) at any step of publishing leaves ``dist`` serving a
complete release, and the next build succeeds and cleans up after it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from newsgraph import release
from newsgraph.pipeline import publish

from .conftest import (
    assert_serves_a_complete_release,
    leftovers,
    publish_in_child,
    publish_quads,
    quads_of,
    write_nquads,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

# every step of publishing that has a fault point, in the order they run
STEPS = ["debris-removed", "staged-files", "staged-store", "manifest-written", "before-rename",
         "renamed", "before-link-swap", "swapped", "pruning", "discarding"]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, built_nquads: Path) -> Path:
    """``dist`` after KEEP_RELEASES builds of different content, so that the
    next build of new content prunes one."""
    root = tmp_path_factory.mktemp("history")
    for extra in range(1, publish.KEEP_RELEASES + 1):
        publish_quads(quads_of(built_nquads, extra), root / "dist")
    return root


@pytest.fixture
def dist(history: Path, tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(history, root, symlinks=True)  # keeps the folders' times: pruning order
    return root / "dist"


@pytest.fixture(scope="module")
def new_content(built_nquads: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_nquads(quads_of(built_nquads, 9), tmp_path_factory.mktemp("new") / "new.nq")


def test_the_fault_points_are_inert_unless_a_test_sets_one():
    assert publish.CRASH_AT is None


@pytest.mark.parametrize("step", STEPS)
def test_a_build_killed_at_a_step_leaves_a_complete_release_and_the_next_build_succeeds(
    dist, new_content, step
):
    before = dist.resolve()
    killed = publish_in_child(new_content, dist, crash_at=step)
    assert killed.returncode == -signal.SIGKILL, f"never reached {step}: {killed.stderr}"

    served = assert_serves_a_complete_release(dist)
    swapped = STEPS.index(step) >= STEPS.index("swapped")
    assert (dist.resolve() != before) == swapped

    again = publish_in_child(new_content, dist, crash_at=None)
    assert again.returncode == 0, again.stderr
    manifest = assert_serves_a_complete_release(dist)
    if swapped:
        assert manifest["release"] == served["release"]  # reused, after verifying it
    assert leftovers(dist) == []
    kept = [p for p in publish.releases_dir(dist).iterdir()]
    assert len(kept) == publish.KEEP_RELEASES


def test_a_kill_while_a_damaged_current_release_is_replaced_never_leaves_it_half_deleted(
    dist, new_content
):
    first = publish_in_child(new_content, dist, crash_at=None)
    assert first.returncode == 0, first.stderr
    damaged = dist.resolve()
    (damaged / release.NQUADS).write_bytes(b"")
    killed = publish_in_child(new_content, dist, crash_at="discarding")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # renamed aside whole: dist points at no folder until the rebuilt one is
    # renamed in, never at a half-deleted one
    assert not dist.exists() and not damaged.exists()
    again = publish_in_child(new_content, dist, crash_at=None)
    assert again.returncode == 0, again.stderr
    assert_serves_a_complete_release(dist)
    assert leftovers(dist) == []


def test_a_release_half_deleted_by_an_older_newsgraph_is_never_kept(dist, new_content):
    """The old pruning deleted in place: a kill left a folder with some files.
    Here the newest one but the current, which plain pruning would keep."""
    releases = publish.releases_dir(dist)
    older = sorted((p for p in releases.iterdir() if p != dist.resolve()),
                   key=lambda p: p.stat().st_mtime)
    victim = older[-1]
    for sst in sorted((victim / release.STORE).glob("*.sst"))[:3]:
        sst.unlink()
    again = publish_in_child(new_content, dist, crash_at=None)
    assert again.returncode == 0, again.stderr
    assert not victim.exists()
    assert leftovers(dist) == []
    assert_serves_a_complete_release(dist)


def test_debris_of_a_build_that_is_still_running_is_left_alone(dist, new_content):
    releases = publish.releases_dir(dist)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = releases / f".0123456789abcdef.tmp-{sleeper.pid}"
        busy.mkdir()
        again = publish_in_child(new_content, dist, crash_at=None)
        assert again.returncode == 0, again.stderr
        assert busy.is_dir()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert publish.remove_debris(dist) == [busy.name]


def test_the_real_build_killed_before_the_link_swap_then_built_again(tmp_path):
    """The same through ``newsgraph build`` itself, seeds to release."""
    dist = tmp_path / "dist"
    code = ("import sys; from newsgraph.pipeline import publish; publish.CRASH_AT = sys.argv[1];"
            "from newsgraph.cli import main; main(sys.argv[2:], prog_name='newsgraph')")
    args = ["--project", str(REPO), "--dist", str(dist), "build"]
    killed = subprocess.run([sys.executable, "-c", code, "before-link-swap", *args],
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not os.path.lexists(dist)
    built = subprocess.run([sys.executable, "-m", "newsgraph", *args], capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert_serves_a_complete_release(dist)
    assert leftovers(dist) == []

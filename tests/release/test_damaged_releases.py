"""A damaged release is never reused nor served: ``serve`` refuses it with one
line naming the file, and the next build rebuilds it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from newsgraph import release

from .conftest import assert_serves_a_complete_release, leftovers, publish_quads, quads_of

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _first_sst(folder: Path) -> Path:
    return sorted((folder / release.STORE).glob("*.sst"))[0]


def truncate_dump(folder: Path) -> str:
    path = folder / release.NQUADS
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return release.NQUADS


def delete_store_file(folder: Path) -> str:
    sst = _first_sst(folder)
    sst.unlink()
    return sst.name


def flip_a_byte_of_the_store(folder: Path) -> str:
    sst = _first_sst(folder)
    body = bytearray(sst.read_bytes())
    body[len(body) // 2] ^= 0xFF
    sst.write_bytes(bytes(body))
    return sst.name


def edit_the_manifest(folder: Path) -> str:
    manifest = json.loads((folder / release.MANIFEST).read_text())
    manifest["quads"] += 1
    (folder / release.MANIFEST).write_text(json.dumps(manifest))
    return release.MANIFEST


def remove_the_ontology(folder: Path) -> str:
    (path,) = (folder / release.ONTOLOGY).glob("*.ttl")
    path.unlink()
    return path.name


def remove_the_manifest(folder: Path) -> str:
    (folder / release.MANIFEST).unlink()
    return release.MANIFEST


def unknown_format_version(folder: Path) -> str:
    manifest = json.loads((folder / release.MANIFEST).read_text())
    manifest["format_version"] = 99
    (folder / release.MANIFEST).write_text(json.dumps(manifest))
    return release.MANIFEST


DAMAGE: list[Callable[[Path], str]] = [
    truncate_dump, delete_store_file, flip_a_byte_of_the_store, edit_the_manifest,
    remove_the_ontology, remove_the_manifest, unknown_format_version,
]


def statistics_of_another_shape(folder: Path) -> str:
    """statistics.json replaced by one the server cannot read, and the manifest
    made to match it (a writer other than newsgraph's build)."""
    body = b"{}\n"
    (folder / release.STATISTICS).write_bytes(body)
    manifest = json.loads((folder / release.MANIFEST).read_text())
    record = manifest["files"][release.STATISTICS]
    record.update(bytes=len(body), sha256=hashlib.sha256(body).hexdigest())
    (folder / release.MANIFEST).write_text(json.dumps(manifest))
    return release.STATISTICS


@pytest.mark.parametrize("damage", [*DAMAGE, statistics_of_another_shape],
                         ids=lambda f: f.__name__)
def test_serve_refuses_a_damaged_release_with_one_line_naming_the_file(
    tmp_path, built_dist, damage
):
    folder = tmp_path / "release"
    shutil.copytree(built_dist.resolve(), folder)
    name = damage(folder)
    result = subprocess.run(
        [sys.executable, "-m", "newsgraph", "--project", str(REPO), "serve", "--no-build",
         "--data", str(folder), "--port", "0"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    # the first line says which project the command uses
    lines = [line for line in result.stderr.strip().splitlines()
             if not line.startswith("project: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert name in lines[0] and "newsgraph build" in lines[0]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_a_damaged_release_is_rebuilt_not_reused(tmp_path, built_nquads, damage):
    """build A, build B, damage A, build A again: A is whole again and served."""
    dist = tmp_path / "dist"
    first = publish_quads(quads_of(built_nquads), dist)
    publish_quads(quads_of(built_nquads, 1), dist)
    damage(first.path)
    again = publish_quads(quads_of(built_nquads), dist)
    assert again.path == first.path and dist.resolve() == first.path
    assert_serves_a_complete_release(dist)
    assert leftovers(dist) == []


def test_a_current_release_that_lost_its_manifest_is_rebuilt_by_the_next_build(tmp_path):
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "newsgraph", "--project", str(REPO), "--dist", str(dist)]
    assert subprocess.run([*build, "build"], capture_output=True, timeout=300).returncode == 0
    remove_the_manifest(dist.resolve())
    result = subprocess.run([*build, "build"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert_serves_a_complete_release(dist)
    assert leftovers(dist) == []

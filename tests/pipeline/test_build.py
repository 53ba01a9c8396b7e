"""newsgraph build: byte-identical output, and nothing lost when anything fails."""

from __future__ import annotations

import errno
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsgraph.config import load_settings
from newsgraph.pipeline import publish
from newsgraph.pipeline.build import run_build

from .conftest import ANNOTATIONS, ENTITIES


def newsgraph(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsgraph", "--project", str(root), *args],
        capture_output=True, text=True, timeout=300,
    )


def snapshot(dist: Path) -> dict[str, object]:
    """What a reader of dist/ sees: the link target, every file's hash but the
    store's, and the manifest without the store's records (RocksDB writes a
    random identity and timestamps into its files, so only those differ
    between two builds of the same input)."""
    folder = dist.resolve()
    out: dict[str, object] = {"->": str(folder)}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and not name.startswith("store/") and name != "manifest.json":
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"] = {k: v for k, v in manifest["files"].items() if v["role"] != "store"}
    out["manifest.json"] = manifest
    return out


@pytest.fixture
def built(project: Path) -> Path:
    result = newsgraph(project, "build")
    assert result.returncode == 0, result.stderr
    return project / "dist"


def test_build_publishes_every_dump_and_the_store(built):
    names = {p.name for p in built.iterdir()}
    assert {"newsgraph.nq", "newsgraph.trig", "newsgraph.ttl", "newsgraph.jsonld",
            "context.jsonld", "manifest.json", "store"} <= names
    assert built.is_symlink()


def test_same_input_builds_byte_identical_dumps(built, tmp_path, project):
    """Dumps, ontology, shapes and context byte for byte; the manifest up to the
    store's files (so the release id too)."""
    first = snapshot(built)
    other = tmp_path / "again"
    result = newsgraph(project, "--dist", str(other), "build")
    assert result.returncode == 0, result.stderr
    second = snapshot(other)
    first.pop("->"), second.pop("->")
    assert first == second


def test_an_annotation_error_stops_the_build_and_keeps_dist(built, project, edit):
    before = snapshot(built)
    edit(ANNOTATIONS, "    location: moscow\n", "    location: moskow\n")
    result = newsgraph(project, "build")
    assert result.returncode == 1
    assert ("seeds/cubaheadlines-309517/annotations.yaml:" in result.stderr
            and "meetings.diaz-canel-xi-jinping-moscow-2025-05-09" in result.stderr
            and "[rule: reference]" in result.stderr)
    assert "Traceback" not in result.stderr
    assert snapshot(built) == before


def test_a_shape_violation_stops_the_build_and_keeps_dist(built, project):
    before = snapshot(built)
    # the annotations allow a posting without an author; the shapes do not
    path = project / ENTITIES
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    author: bruno-rodriguez-parrilla\n", ""), encoding="utf-8")
    result = newsgraph(project, "build")
    assert result.returncode == 1, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("error:"))
    assert "seeds/entities.yaml:" in line
    assert "works.rodriguez-parrilla-x-post-qiu-xiaoqi-2025-06" in line
    assert "Violation" in line and "schema:author" in line and "[shape " in line
    assert snapshot(built) == before


def test_a_tenure_no_article_grounds_stops_the_build(built, project, edit):
    before = snapshot(built)
    edit(ANNOTATIONS, "  qiu-xiaoqi-special-representative:\n"
         "    - Qiu Xiaoqi, China's Special Representative for Latin American Affairs\n", "")
    result = newsgraph(project, "build")
    assert result.returncode == 1, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("error:"))
    assert line.startswith("error: seeds/entities.yaml:")
    assert "tenures.qiu-xiaoqi-special-representative" in line and "[rule: grounded]" in line
    assert snapshot(built) == before


def test_a_tenure_grounded_by_another_article_is_fine(project, tmp_path):
    """Tenures are shared: a second article need not mention every one of them."""
    second = project / "seeds" / "example-second-article"
    second.mkdir()
    (second / "article.txt").write_text("Xi Jinping spoke in Beijing on Monday.",
                                        encoding="utf-8")
    (second / "annotations.yaml").write_text(
        "article:\n  url: https://example.org/news/1\n  published: 2025-08-26\n"
        "  publisher: cubaheadlines\n  language: en\n"
        "mentions:\n  xi-jinping: [Xi Jinping]\n  beijing: [Beijing]\n", encoding="utf-8")
    result = newsgraph(project, "--dist", str(tmp_path / "dist"), "build")
    assert result.returncode == 0, result.stderr


def test_validate_checks_without_writing(project):
    result = newsgraph(project, "validate")
    assert result.returncode == 0, result.stderr
    assert not (project / "dist").exists()
    assert not (project / ".dist.releases").exists()


def test_a_note_about_the_register_is_said_once_however_many_articles(project):
    articles = [p for p in (project / "seeds").iterdir() if (p / "article.txt").is_file()]
    assert len(articles) >= 2  # each is validated with the register
    lines = newsgraph(project, "validate").stderr.splitlines()
    notes = [line for line in lines if line.startswith("info: ")]
    assert any("people.qiu-xiaoqi" in line and "No Wikidata link" in line for line in notes)
    assert len(notes) == len(set(notes)), [n for n in notes if notes.count(n) > 1]


@pytest.mark.parametrize("failing", ["_write_file", "_write_store"])
def test_a_write_failure_part_way_keeps_the_previous_release(built, project, edit, monkeypatch,
                                                              capsys, failing):
    before = snapshot(built)
    edit(ANNOTATIONS, "    name: Meeting of Miguel Díaz-Canel and Xi Jinping in Moscow",
         "    name: Meeting of Miguel Díaz-Canel and Xi Jinping, Moscow")
    calls = {"n": 0}
    real = getattr(publish, failing)

    def disk_full(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 2 or failing == "_write_store":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(publish, failing, disk_full)
    status = run_build(load_settings(root=project), write=True)
    assert status == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "still serves the previous release" in err
    assert snapshot(built) == before
    leftovers = [p.name for p in (project / ".dist.releases").iterdir() if ".tmp-" in p.name]
    assert leftovers == []


def test_a_dist_that_is_not_a_release_link_is_refused(project):
    (project / "dist").mkdir()
    (project / "dist" / "keep.txt").write_text("mine")
    result = newsgraph(project, "build")
    assert result.returncode == 2
    assert "is not a newsgraph release link" in result.stderr
    assert (project / "dist" / "keep.txt").read_text() == "mine"


def test_a_capacity_before_the_tenure_starts_stops_the_build_at_the_meeting(project, edit):
    # the case: a meeting of 2020 with Wang acting as the minister he became in 2022
    edit(ANNOTATIONS, "    date: 2025-08-22\n    date-expression: Last Friday\n",
         "    date: 2020-08-21\n")
    edit(ANNOTATIONS, "      - Last Friday, a meeting took place", "      - a meeting took place")
    result = newsgraph(project, "validate")
    assert result.returncode == 1, result.stderr
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    # Álvarez Casas became minister in November 2020: said too, on its own line
    assert len([x for x in errors if "CapacityTenureShape" in x]) == 2, errors
    (line,) = [x for x in errors if "CapacityTenureShape" in x and "#assoc-wang-xiaohong" in x]
    assert line.startswith(f"error: {ANNOTATIONS}:")
    assert "meetings.wang-xiaohong-alvarez-casas-beijing-2025-08-22" in line
    assert "Wang Xiaohong acts as Minister of Public Security" in line
    assert "(2020-08-21)" in line and "only since 2022-06-24" in line
    assert "Traceback" not in result.stderr


def test_a_capacity_of_an_undated_tenure_is_a_warning(project):
    result = newsgraph(project, "validate")
    assert result.returncode == 0, result.stderr
    warnings = [x for x in result.stderr.splitlines() if "CapacityUndatedShape" in x]
    # Qiu Xiaoqi's tenure as special representative has no start in the register
    assert warnings and all(x.startswith("warning: ") for x in warnings)
    assert any("Qiu Xiaoqi acts as" in x for x in warnings), warnings


def test_validate_lists_findings_by_file_and_line(project):
    lines = [x for x in newsgraph(project, "validate").stderr.splitlines()
             if x.startswith(("error: ", "warning: ", "info: "))]
    assert len(lines) > 5
    keys = []
    for x in lines:
        where = x.split(": ", 2)[1]
        file, _, line = where.partition(":")
        keys.append((file, int(line) if line.isdigit() else 0))
    assert keys == sorted(keys)

"""``newsgraph init`` starts a project that validates and builds as it is, and
every command runs on the project it finds, or says there is none."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from rdflib import Dataset, URIRef
from rdflib.namespace import RDF

from newsgraph.iris import SCHEMA
from newsgraph.project import PROJECT_FILE, init_project
from ports import free_port

from .conftest import REPO, newsgraph

EXAMPLE_BASE = "https://news.example.org/data/"


def tree(folder: Path) -> dict[str, int]:
    """Every path under ``folder`` with its size (links by their target)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        out[rel] = hash(str(path.readlink())) if path.is_symlink() else (
            path.stat().st_size if path.is_file() else -1)
    return out


def repo_top() -> dict[str, object]:
    """What a build writing into the checkout would change."""
    return {p.name: (str(p.readlink()) if p.is_symlink() else p.is_dir())
            for p in REPO.iterdir() if not p.name.startswith((".pytest", ".ruff"))}


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.slow
def test_init_then_validate_and_build_in_the_new_folder_write_nothing_outside(tmp_path):
    outside = tmp_path / "neighbour"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    before_outside, before_repo = tree(outside), repo_top()
    root = tmp_path / "newsroom"

    made = newsgraph(tmp_path, "init", "newsroom")
    assert made.returncode == 0, made.stderr
    assert f"project: {root}" in made.stderr.splitlines()
    assert {PROJECT_FILE, "README.md", ".gitignore", "seeds/entities.yaml"} <= set(tree(root))

    checked = newsgraph(root, "validate")
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.splitlines()[0] == f"project: {root}"
    assert "valid: 1 article(s)" in checked.stderr
    assert not (root / "dist").exists()

    built = newsgraph(root / "seeds", "build")  # from a folder below the project, too
    assert built.returncode == 0, built.stderr
    assert built.stderr.splitlines()[0] == f"project: {root}"
    dump = Dataset(default_union=True)
    dump.parse(root / "dist" / "newsgraph.nq", format="nquads")
    person = URIRef(EXAMPLE_BASE + "id/person/ada-quillfeather")  # newsgraph.toml's base
    assert (person, RDF.type, SCHEMA.Person) in dump

    assert tree(outside) == before_outside
    assert repo_top() == before_repo
    assert set(tree(tmp_path)) == {"newsroom", "neighbour", "neighbour/keep.txt"} | {
        f"newsroom/{rel}" for rel in tree(root)}


def test_init_refuses_a_folder_that_already_holds_a_project(newsroom):
    before = tree(newsroom)
    result = newsgraph(newsroom.parent, "init", str(newsroom))
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert str(newsroom) in line and "already holds a project" in line
    assert tree(newsroom) == before


def test_init_keeps_the_seeds_and_files_a_folder_already_has(tmp_path):
    root = tmp_path / "old-newsroom"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "entities.yaml").write_text("people: {}\n")
    (root / "README.md").write_text("ours")
    written, kept = init_project(root)
    assert Path(PROJECT_FILE) in written
    assert kept == [Path("seeds"), Path("README.md")]
    assert (root / "seeds" / "entities.yaml").read_text() == "people: {}\n"
    assert (root / "README.md").read_text() == "ours"
    assert not (root / "seeds" / "example-harbour-talks").exists()


def test_init_needs_no_project_and_refuses_a_file(tmp_path):
    (tmp_path / "a-file").write_text("x")
    result = newsgraph(tmp_path, "init", "a-file")
    assert result.returncode == 2
    assert "is a file, not a folder" in one_error_line(result.stderr)


COMMANDS = [
    ("build",), ("validate",), ("coverage",), ("link", "--check"),
    ("serve", "--no-build"), ("export", "quickstatements"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_outside_a_project_exits_2_with_one_line(tmp_path, command):
    """No fallback to the checkout or the installed package."""
    before = repo_top()
    result = newsgraph(tmp_path, *command, timeout=60)
    assert result.returncode == 2, result.stderr
    line = one_error_line(result.stderr)
    assert line == (f"error: no {PROJECT_FILE} in {tmp_path.resolve()} or any parent folder; "
                    "run `newsgraph init DIR` to start a project, or give --project DIR")
    assert result.stdout == ""
    assert repo_top() == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["before", "after"])
def test_project_names_the_project_from_anywhere(newsroom, tmp_path, where):
    args = ["--project", str(newsroom), "coverage"] if where == "before" else [
        "coverage", "--project", str(newsroom)]
    result = newsgraph(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"project: {newsroom}"
    assert "Ada Quillfeather" in result.stdout


def test_project_without_newsgraph_toml_is_refused(tmp_path):
    (tmp_path / "seeds").mkdir()  # a folder of seeds alone is not a project
    result = newsgraph(REPO, "--project", str(tmp_path), "validate")
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line == (f"error: no {PROJECT_FILE} in {tmp_path.resolve()}; run "
                    f"`newsgraph init {tmp_path.resolve()}` to make it a project")


@pytest.mark.slow
def test_every_command_prints_the_project_it_uses(newsroom):
    for command in (("validate",), ("coverage",)):
        result = newsgraph(newsroom / "seeds" / "example-harbour-talks", *command)
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines()[0] == f"project: {newsroom}"


def test_the_checkout_is_itself_a_project():
    result = newsgraph(REPO / "docs", "coverage")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"project: {REPO}"


def test_export_with_explicit_data_needs_no_project(tmp_path, built_dist):
    result = newsgraph(tmp_path, "export", "quickstatements", "--data", str(built_dist))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == "project: none found; using the default settings"
    assert "P710" in result.stdout


@pytest.mark.http
def test_serve_with_explicit_data_needs_no_project(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    work = tmp_path / "elsewhere"
    work.mkdir()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsgraph", "serve", "--no-build", "--data",
             str(REPO / "tests" / "fixtures" / "mini.trig"), "--port", str(port),
             "--workers", "1"], cwd=work, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, log.read_text()
        assert "project: none found; using the default settings" in log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_project_that_is_not_a_folder_is_one_line(tmp_path, kind):
    target = tmp_path / "gazette"
    if kind == "file":
        target.write_text("x")
    result = newsgraph(tmp_path, "validate", "--project", str(target))
    assert result.returncode == 2
    what = "not a folder" if kind == "file" else "no such folder"
    assert one_error_line(result.stderr) == f"error: --project {target}: {what}"

"""The whole ``newsgraph validate`` command on the nastiest inputs fuzzing found:
one line per problem on stderr, no traceback, a bounded output, exit 1.

The commands run side by side, each in its own copy of the project, so that the
handful costs about one run's time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import make_project
from .mutations import Op, apply, seed_files

pytestmark = pytest.mark.slow

# name -> plan; files by index into the sorted paths: 0 the first article's
# annotations, 1 its text, 2 the register, 3 the second article's annotations,
# 4 its text
NASTY: dict[str, list[Op]] = {
    "nested 300 deep": [Op("nest", 0, 20, 0, "flow-seq:300")],
    "block nesting": [Op("nest", 2, 30, 0, "block-map:400")],
    "alias bomb in a wrong field": [Op("bomb", 0, 0, 0, "9:10"),
                                    Op("field", 0, 0, 0, "language=*a8")],
    "published 0001-01-01, Last Friday": [Op("calendar", 0, 0, 0, "0001-01-01|Last Friday|")],
    "published 0001-03-01, In June": [Op("calendar", 0, 0, 0, "0001-03-01|In June|")],
    "published 9999-12-31, In December": [Op("calendar", 0, 0, 0,
                                             "9999-12-31|In December|9999-12")],
    "a meeting in 0000-06": [Op("field", 0, 1, 0, "date=0000-06")],
    "python tag": [Op("tag", 2, 12, 0, "!!python/object/apply:os.system ['echo pwned']")],
    "random bytes and a BOM": [Op("bytes", 3, 500, 0, b"\xff\xfe\x00\x80"),
                               Op("unicode", 4, 0, 0, "\ufeff")],
    "a megabyte in a field": [Op("huge", 0, 8, 0, "plain:1000000")],
    "line breaks in a key": [Op("value", 2, 40, 0, '{"a\\u2028b\\nc": d}')],
    "an escaped lone surrogate": [Op("field", 2, 0, 0, 'name="\\ud800 x"')],
    # found by a long run: the first key becomes '' (an explicit key of no name)
    "a key of no name at the top": [Op("unicode", 0, 0, 0, "? ")],
}


def test_validate_prints_one_line_per_problem_and_no_traceback(tmp_path: Path) -> None:
    originals = seed_files(make_project(tmp_path / "seed-copy") / "seeds")
    runs: dict[str, subprocess.Popen[bytes]] = {}
    for i, (name, plan) in enumerate(NASTY.items()):
        project = make_project(tmp_path / f"case-{i}")
        files = apply(plan, originals)
        assert files != originals, name
        for rel, data in files.items():
            (project / rel).write_bytes(data)
        runs[name] = subprocess.Popen(
            [sys.executable, "-m", "newsgraph", "--project", str(project), "validate"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=project,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    for name, process in runs.items():
        out, err = process.communicate(timeout=300)
        text = err.decode("utf-8", "replace")
        assert "Traceback" not in text, f"{name}:\n{text[-3000:]}"
        assert process.returncode == 1, f"{name}: exit {process.returncode}\n{text[-2000:]}"
        assert len(err) < 200_000, f"{name}: {len(err)} bytes on stderr"
        errors = [line for line in text.splitlines() if line.startswith("error: ")]
        assert errors, f"{name}:\n{text[-2000:]}"
        for line in errors:
            assert len(line) < 1000 and "[rule: " in line and "seeds/" in line, line
            assert ": : " not in line, f"{name}: a problem naming no record: {line}"

"""Fixtures for the project tests: a newsroom's project made by ``newsgraph init``
in a temporary folder, and the command run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsgraph.config import Settings, load_settings
from newsgraph.project import init_project, read_project_file

REPO = Path(__file__).resolve().parents[2]


def newsgraph(cwd: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m newsgraph ARGS…`` run in ``cwd``, as a curator would."""
    return subprocess.run([sys.executable, "-m", "newsgraph", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def settings_for(root: Path) -> Settings:
    """What a command run in ``root`` uses (without the command line)."""
    return load_settings(root, read_project_file(root))


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    """A fresh project from the scaffold, as ``newsgraph init`` writes it."""
    root = tmp_path / "newsroom"
    init_project(root)
    return root

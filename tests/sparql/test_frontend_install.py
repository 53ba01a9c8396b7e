"""The query editor is installed from npm once and served by us."""

from __future__ import annotations

import shutil

import pytest

from newsgraph.frontend import FILES, editor_installed, install_editor


def test_install_copies_the_served_files(tmp_path):
    if shutil.which("npm") is None:
        pytest.skip("needs npm (Node.js)")
    notes: list[str] = []
    assert install_editor(notes.append, tmp_path / "vendor")
    assert editor_installed(tmp_path / "vendor")
    assert {p.name for p in (tmp_path / "vendor").iterdir()} == set(FILES.values())
    assert "CodeMirror" in (tmp_path / "vendor" / "codemirror.js").read_text()[:2000]


def test_without_npm_the_page_falls_back_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    notes: list[str] = []
    assert install_editor(notes.append, tmp_path / "vendor") is False
    assert "plain text area" in notes[0]
    assert not (tmp_path / "vendor").exists()

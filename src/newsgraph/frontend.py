"""The query page's editor: CodeMirror 5 from the npm registry, served by us.

The files are installed once, when the dataset is first served (or with
``newsgraph install-editor``), into the package's static folder, which git
ignores; pages never load anything from another host. Without npm the query
page still works, as a plain text area, and says nothing is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

CODEMIRROR_VERSION = "5.65.20"
# file in the npm package -> name served under /static/sparql/vendor/
FILES = {
    "lib/codemirror.js": "codemirror.js",
    "lib/codemirror.css": "codemirror.css",
    "mode/sparql/sparql.js": "sparql-mode.js",
    "LICENSE": "LICENSE-codemirror.txt",
}


def vendor_dir() -> Path:
    return Path(__file__).resolve().parent / "static" / "sparql" / "vendor"


def editor_installed(folder: Path | None = None) -> bool:
    folder = folder or vendor_dir()
    return all((folder / name).is_file() for name in FILES.values())


def install_editor(echo: Callable[[str], None], folder: Path | None = None) -> bool:
    """Install the editor's files with npm; True when they are in place."""
    folder = folder or vendor_dir()
    if editor_installed(folder):
        return True
    npm = shutil.which("npm")
    if npm is None:
        echo("note: npm not found, so the query page uses a plain text area "
             "(install Node.js and run `newsgraph install-editor` for highlighting)")
        return False
    with tempfile.TemporaryDirectory(prefix="newsgraph-editor-") as work:
        try:
            subprocess.run(
                [npm, "install", "--prefix", work, "--no-audit", "--no-fund", "--no-save",
                 "--loglevel=error", f"codemirror@{CODEMIRROR_VERSION}"],
                check=True, capture_output=True, text=True, timeout=300,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            echo(f"note: could not install the query editor with npm ({detail.strip()[:300]}); "
                 "the query page uses a plain text area")
            return False
        package = Path(work) / "node_modules" / "codemirror"
        folder.mkdir(parents=True, exist_ok=True)
        for source, name in FILES.items():
            # copy then rename, so a page never gets half a file
            tmp = folder / f".{name}.tmp"
            shutil.copyfile(package / source, tmp)
            os.replace(tmp, folder / name)
    echo(f"installed the query editor (CodeMirror {CODEMIRROR_VERSION}) from npm")
    return True

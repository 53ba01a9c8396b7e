"""A newsroom's project: a folder with ``newsgraph.toml``, ``seeds/`` and,
optionally, ``shapes/`` of its own.

Every command runs on one project, found by ``newsgraph.toml`` in the working
directory or a parent, or named with ``--project``. There is no fallback: a
command run outside a project says so instead of using some other folder's data.
``newsgraph init`` writes a new project from the scaffold the package ships.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

from newsgraph.config import check_value
from newsgraph.resources import SCAFFOLD_DIR

PROJECT_FILE = "newsgraph.toml"

# newsgraph.toml's tables -> {key: Settings field}; "" is the top level.
SERVER_KEYS = (
    "sparql_timeout_s", "sparql_max_rows", "sparql_max_query_bytes", "sparql_max_body_bytes",
    "sparql_max_nesting", "sparql_max_chain", "sparql_max_answer_bytes",
    "sparql_max_concurrent", "sparql_queue_wait_s", "sparql_memory_max_quads",
    "sparql_worker_memory_mb",
    "sparql_cache_bytes", "sparql_cache_entries", "service_allow_list",
    "reconcile_max_queries", "reconcile_max_text", "reconcile_cpu_s",
    "max_incoming_links", "description_cache_size",
)
FILE_KEYS: dict[str, dict[str, str]] = {
    "": {"base": "base", "data_license": "data_license"},
    "publisher": {"name": "publisher_name", "url": "publisher_url"},
    "server": {key: key for key in SERVER_KEYS},
}

# Scaffold files stored under another name: setuptools leaves dotfiles out of wheels.
_RENAMED = {"gitignore": ".gitignore"}


class ProjectError(Exception):
    """No usable project; the message is one line saying what to do."""


def find_project(start: Path) -> Path | None:
    """The nearest folder from ``start`` upwards that holds newsgraph.toml."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


def locate_project(explicit: Path | None, cwd: Path | None = None) -> Path:
    """The project a command uses: ``explicit`` (``--project``), else found from
    ``cwd``. Raises ProjectError when there is none."""
    if explicit is not None:
        folder = explicit.resolve()
        if not folder.is_dir():
            what = "not a folder" if folder.exists() else "no such folder"
            raise ProjectError(f"--project {folder}: {what}")
        if not (folder / PROJECT_FILE).is_file():
            raise ProjectError(f"no {PROJECT_FILE} in {folder}; run `newsgraph init {folder}` "
                               "to make it a project")
        return folder
    here = (cwd or Path.cwd()).resolve()
    found = find_project(here)
    if found is None:
        raise ProjectError(f"no {PROJECT_FILE} in {here} or any parent folder; run "
                           "`newsgraph init DIR` to start a project, or give --project DIR")
    return found


def _unknown(label: str, key: str, known: list[str]) -> ProjectError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(known)
    return ProjectError(f"{label}: unknown key {key!r} ({hint})")


def read_project_file(project: Path) -> dict[str, object]:
    """The settings ``project``'s newsgraph.toml gives, as Settings fields.

    Unknown keys and wrong types raise ProjectError naming the file and the key.
    """
    label = PROJECT_FILE
    try:
        raw = (project / PROJECT_FILE).read_bytes()
    except OSError as exc:
        raise ProjectError(f"{label}: cannot read it: {exc.strerror or exc}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ProjectError(f"{label}: starts with a byte order mark; save it as UTF-8 without one")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{label}: invalid UTF-8 at byte {exc.start}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{label}: not valid TOML: {exc}") from None
    out: dict[str, object] = {}
    tables: dict[str, dict[str, object]] = {"": {}}
    for key, value in data.items():
        if key in FILE_KEYS and key:
            if not isinstance(value, dict):
                raise ProjectError(f"{label}: {key}: expected a table ([{key}] on a line of "
                                   f"its own, then its keys: {', '.join(FILE_KEYS[key])})")
            tables[key] = value
        elif isinstance(value, dict) and key not in FILE_KEYS[""]:
            raise _unknown(label, key, [k for k in FILE_KEYS if k] + list(FILE_KEYS[""]))
        else:
            tables[""][key] = value
    for table, values in tables.items():
        keys = FILE_KEYS[table]
        for key, value in values.items():
            dotted = f"{table}.{key}" if table else key
            if key not in keys:
                raise _unknown(label, dotted, [f"{table}.{k}" if table else k for k in keys])
            try:
                out[keys[key]] = check_value(keys[key], value)
            except ValueError as exc:
                raise ProjectError(f"{label}: {dotted}: expected {exc}, got {value!r}") from None
    if "publisher_url" in out and "publisher_name" not in out:
        raise ProjectError(f"{label}: publisher.url needs publisher.name as well")
    return out


def _scaffold() -> list[tuple[Path, Path]]:
    """(file in the package, path relative to the new project) of every scaffold file."""
    files = []
    for source in sorted(SCAFFOLD_DIR.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            rel = source.relative_to(SCAFFOLD_DIR)
            files.append((source, rel.with_name(_RENAMED.get(rel.name, rel.name))))
    return files


def init_project(target: Path) -> tuple[list[Path], list[Path]]:
    """Write a new project into ``target`` (created if missing).

    Never overwrites: a folder that already holds newsgraph.toml is refused, a
    file that exists is kept, and so is an existing ``seeds/`` (its articles
    become the project's, with no example added). Returns (written, kept), both
    relative to ``target``.
    """
    target = target.resolve()
    if target.exists() and not target.is_dir():
        raise ProjectError(f"{target} is a file, not a folder; give a folder for the project")
    if (target / PROJECT_FILE).exists():
        raise ProjectError(f"{target} already holds a project ({PROJECT_FILE}); "
                           "nothing was changed")
    keep_seeds = (target / "seeds").exists()
    written: list[Path] = []
    kept: list[Path] = [Path("seeds")] if keep_seeds else []
    # newsgraph.toml last: a run that fails part-way leaves no project to refuse a retry
    for source, rel in sorted(_scaffold(), key=lambda item: item[1] == Path(PROJECT_FILE)):
        if keep_seeds and rel.parts[0] == "seeds":
            continue
        dest = target / rel
        if dest.exists():
            kept.append(rel)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(source.read_bytes())
        written.append(rel)
    return written, kept

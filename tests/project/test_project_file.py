"""newsgraph.toml: every key checked, one line for a bad one, and the order
defaults < newsgraph.toml < NEWSGRAPH_* < command line."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

from newsgraph.config import DEFAULT_BASE, Settings, SettingsError, load_settings
from newsgraph.project import FILE_KEYS, PROJECT_FILE, ProjectError, read_project_file
from newsgraph.resources import ONTOLOGY_DIR, SCAFFOLD_DIR, SHAPES_DIR

from .conftest import REPO, newsgraph, settings_for


def write(root: Path, text: str) -> Path:
    root.mkdir(exist_ok=True)
    (root / PROJECT_FILE).write_text(text, encoding="utf-8")
    return root


def test_the_scaffold_sets_base_publisher_and_licence(newsroom):
    settings = settings_for(newsroom)
    assert settings.root == newsroom
    assert settings.base == "https://news.example.org/data/"
    assert (settings.publisher_name, settings.publisher_url) == (
        "Example Gazette", "https://news.example.org/")
    assert settings.data_license == "https://creativecommons.org/licenses/by/4.0/"
    assert settings.seeds == newsroom / "seeds" and settings.dist_dir == newsroom / "dist"


def test_every_key_is_read(tmp_path):
    root = write(tmp_path / "p", """
        base = "https://data.example.net/news"
        data_license = "https://example.net/licence"
        [publisher]
        name = "Gazette"
        url = "https://example.net/"
        [server]
        sparql_timeout_s = 3
        sparql_max_rows = 50
        service_allow_list = ["https://query.wikidata.org/sparql"]
        sparql_cache_bytes = 0
    """)
    settings = load_settings(root, read_project_file(root))
    assert settings.base == "https://data.example.net/news/"  # paths are appended to it
    assert settings.data_license == "https://example.net/licence"
    assert settings.sparql_timeout_s == 3.0 and isinstance(settings.sparql_timeout_s, float)
    assert settings.sparql_max_rows == 50 and settings.sparql_cache_bytes == 0
    assert settings.service_allow_list == ("https://query.wikidata.org/sparql",)
    assert settings.sparql_max_nesting == Settings().sparql_max_nesting  # untouched default


@pytest.mark.parametrize(("text", "message"), [
    ('bsae = "https://x.example/"',
     "newsgraph.toml: unknown key 'bsae' (did you mean 'base'?)"),
    ('[server]\nsparql_rows = 5',
     "newsgraph.toml: unknown key 'server.sparql_rows' (did you mean 'server.sparql_max_rows'?)"),
    ('[servr]\nsparql_max_rows = 5',
     "newsgraph.toml: unknown key 'servr' (did you mean 'server'?)"),
    ('ontology_dir = "elsewhere"', "newsgraph.toml: unknown key 'ontology_dir'"),
    ('[server]\nsparql_max_rows = "many"',
     "newsgraph.toml: server.sparql_max_rows: expected a whole number of at least 1, "
     "got 'many'"),
    ('[server]\nsparql_max_rows = 0',
     "newsgraph.toml: server.sparql_max_rows: expected a whole number of at least 1, got 0"),
    ('[server]\nsparql_timeout_s = true',
     "newsgraph.toml: server.sparql_timeout_s: expected a number above 0, got True"),
    ('[server]\nservice_allow_list = "https://q.example/"',
     "newsgraph.toml: server.service_allow_list: expected a list of strings"),
    ('base = "ftp://x.example/"', "newsgraph.toml: base: expected an absolute http(s) IRI"),
    ('data_license = "CC-BY"', "newsgraph.toml: data_license: expected an absolute http(s) IRI"),
    ('publisher = "Gazette"', "newsgraph.toml: publisher: expected a table ([publisher]"),
    ('[publisher]\nurl = "https://x.example/"',
     "newsgraph.toml: publisher.url needs publisher.name as well"),
    ('base = "https://x.example/', "newsgraph.toml: not valid TOML: "),
])
def test_a_bad_key_or_value_is_one_line_naming_the_file_and_the_key(tmp_path, text, message):
    root = write(tmp_path / "p", text)
    with pytest.raises(ProjectError) as caught:
        read_project_file(root)
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_project_file_stops_every_command_with_exit_2(tmp_path):
    root = write(tmp_path / "p", '[server]\nsparql_max_rows = "many"\n')
    result = newsgraph(root, "validate")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"project: {root}",
        "error: newsgraph.toml: server.sparql_max_rows: expected a whole number of at least 1, "
        "got 'many'"]


def test_a_byte_order_mark_is_refused(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / PROJECT_FILE).write_bytes(b'\xef\xbb\xbfbase = "https://x.example/"\n')
    with pytest.raises(ProjectError, match="byte order mark"):
        read_project_file(root)


def test_precedence_defaults_file_environment_command_line(tmp_path, monkeypatch):
    root = write(tmp_path / "p", '[server]\nsparql_max_rows = 5\nsparql_max_nesting = 9\n'
                                 'max_incoming_links = 3\n')
    from_file = read_project_file(root)
    monkeypatch.setenv("NEWSGRAPH_SPARQL_MAX_ROWS", "7")
    monkeypatch.setenv("NEWSGRAPH_MAX_INCOMING_LINKS", "4")
    settings = load_settings(root, from_file, max_incoming_links=2)
    assert settings.sparql_max_nesting == 9  # the file over the default
    assert settings.sparql_max_rows == 7  # the environment over the file
    assert settings.max_incoming_links == 2  # the command line over both
    assert settings.sparql_timeout_s == Settings().sparql_timeout_s  # the default


def test_base_from_the_command_line_wins_and_is_checked(newsroom, monkeypatch):
    monkeypatch.setenv("NEWSGRAPH_BASE", "https://env.example/")
    from_file = read_project_file(newsroom)
    assert load_settings(newsroom, from_file).base == "https://env.example/"
    assert load_settings(newsroom, from_file, base="https://cli.example").base == (
        "https://cli.example/")
    with pytest.raises(SettingsError, match="--base nonsense: expected an absolute"):
        load_settings(newsroom, from_file, base="nonsense")


def test_a_bad_environment_value_is_one_line_naming_the_variable(newsroom):
    result = newsgraph(newsroom, "validate", env={"NEWSGRAPH_SPARQL_MAX_ROWS": "lots"})
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "error: NEWSGRAPH_SPARQL_MAX_ROWS='lots': expected a whole number of at least 1")


def test_the_ontology_and_shipped_shapes_cannot_be_set_from_outside(newsroom, monkeypatch):
    monkeypatch.setenv("NEWSGRAPH_ONTOLOGY_DIR", str(newsroom))
    monkeypatch.setenv("NEWSGRAPH_SHAPES_DIR", str(newsroom))
    monkeypatch.setenv("NEWSGRAPH_ROOT", str(REPO))
    settings = settings_for(newsroom)
    assert (settings.ontology_dir, settings.shapes_dir) == (ONTOLOGY_DIR, SHAPES_DIR)
    assert settings.root == newsroom


def test_without_a_project_the_defaults_apply_and_project_paths_are_refused():
    settings = load_settings()
    assert settings.base == DEFAULT_BASE and settings.root is None
    with pytest.raises(SettingsError, match="needs a project folder"):
        _ = settings.seeds


def test_the_repository_is_a_project_with_the_published_base():
    settings = settings_for(REPO)
    assert settings.base == DEFAULT_BASE
    # its top-level shapes/ are the ones the package ships, not additions
    assert settings.shape_folders() == (SHAPES_DIR,)


def test_every_key_is_documented():
    doc = (REPO / "docs" / "projects.md").read_text(encoding="utf-8")
    for table, keys in FILE_KEYS.items():
        for key in keys:
            dotted = f"{table}.{key}" if table else key
            assert re.search(rf"`{re.escape(key)}`", doc), f"{dotted} is not in docs/projects.md"


def test_the_scaffold_lists_only_known_keys_and_every_server_key():
    text = (SCAFFOLD_DIR / PROJECT_FILE).read_text(encoding="utf-8")
    uncommented = tomllib.loads(re.sub(r"(?m)^# (\w+ = )", r"\1", text))
    assert set(uncommented["server"]) == set(FILE_KEYS["server"])
    root_defaults = Settings()
    for key, value in uncommented["server"].items():
        assert getattr(root_defaults, key) == (tuple(value) if isinstance(value, list)
                                               else value), key


def test_every_scaffold_file_goes_into_the_wheel():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["newsgraph"]
    package = SCAFFOLD_DIR.parents[1]
    for path in SCAFFOLD_DIR.rglob("*"):
        if path.is_file():
            rel = path.relative_to(package).as_posix()
            assert any(fnmatch.fnmatch(rel, g) and rel.count("/") == g.count("/")
                       for g in globs), f"{rel} is not in [tool.setuptools.package-data]"


def test_the_publisher_comes_from_the_environment_too(newsroom, monkeypatch):
    monkeypatch.setenv("NEWSGRAPH_PUBLISHER_NAME", "Night Desk")
    monkeypatch.setenv("NEWSGRAPH_PUBLISHER_URL", "https://night.example/")
    settings = settings_for(newsroom)
    assert (settings.publisher_name, settings.publisher_url) == (
        "Night Desk", "https://night.example/")

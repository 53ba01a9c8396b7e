"""The package as a newsroom gets it: a wheel (and an sdist) that carries everything
newsgraph runs on, installed into a fresh virtual environment that cannot see this
checkout, then ``init -> validate -> build -> serve`` from an empty folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from pathlib import Path

import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic

from ports import free_port

pytestmark = [pytest.mark.xdist_group("packaging"), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
# what the package runs on, by where it must sit inside it
SHIPPED = [
    "newsgraph/resources/context.jsonld",
    *(f"newsgraph/resources/ontology/{p.name}" for p in sorted((REPO / "ontology").glob("*.ttl"))),
    *(f"newsgraph/resources/shapes/{p.name}" for p in sorted((REPO / "shapes").glob("*.ttl"))),
    *(f"newsgraph/{p.relative_to(REPO / 'src/newsgraph').as_posix()}"
      for p in sorted((REPO / "src/newsgraph/server/web").rglob("*"))
      if p.is_file() and p.suffix in (".html", ".css", ".js", ".svg", ".txt")),
]
SERVER_START_TIMEOUT = 60.0


def parse_turtle(response: requests.Response) -> Graph:
    assert response.headers["Content-Type"].startswith("text/turtle"), response.headers
    return Graph().parse(data=response.content, format="turtle")


def clean_env() -> dict[str, str]:
    """The environment without anything that would lead Python to this checkout."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PYTHON", "NEWSGRAPH_", "VIRTUAL_ENV"))}


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An sdist built from a copy of this checkout by the project's build backend,
    and the wheel built from that sdist, as pip and `python -m build` do."""
    tmp = tmp_path_factory.mktemp("dists")
    source, out = tmp / "source", tmp / "out"
    # a copy: setuptools stages the sdist inside the source folder, so two builds
    # there (another test run, another worker) would trip over each other
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "dist", ".dist.releases", ".dist.link-*", "node_modules",
        "__pycache__", "*.egg-info", "build", "wheels"))
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_the_wheel_carries_everything_newsgraph_runs_on(dists):
    with zipfile.ZipFile(dists["wheel"]) as whl:
        names = set(whl.namelist())
        missing = [name for name in SHIPPED if name not in names]
        assert not missing, missing
        # the shipped ontology and shapes are the top-level files, byte for byte
        for folder in ("ontology", "shapes"):
            for source in (REPO / folder).glob("*.ttl"):
                assert whl.read(f"newsgraph/resources/{folder}/{source.name}") \
                    == source.read_bytes()
    assert any(name.endswith("vendor/LICENSE-codemirror.txt") for name in names)


def test_the_sdist_carries_the_same_files_as_real_files(dists):
    with tarfile.open(dists["sdist"]) as sdist:
        members = {m.name.split("/", 1)[1]: m for m in sdist.getmembers() if "/" in m.name}
        for name in SHIPPED:
            member = members.get(f"src/{name}")
            assert member is not None and member.isfile(), f"src/{name} missing or a link"


@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the wheel (and its dependencies) in it."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.create(env_dir, with_pip=True)
    result = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q",
         "--disable-pip-version-check", str(dists["wheel"])],
        capture_output=True, text=True, timeout=900, env=clean_env(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return env_dir


def run(venv_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv_dir / "bin" / "newsgraph"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env=clean_env())


def test_the_installed_package_is_not_the_checkout(installed, tmp_path):
    result = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import newsgraph, newsgraph.resources as r; print(newsgraph.__file__); "
         "print(r.ONTOLOGY_DIR.resolve())"],
        cwd=tmp_path, capture_output=True, text=True, env=clean_env(), timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert Path(line).resolve().is_relative_to(installed.resolve()), line


def wait_until_serving(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url + "/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail(f"server did not answer within {SERVER_START_TIMEOUT}s:\n{log.read_text()}")


def test_init_validate_build_serve_from_an_empty_folder(installed, tmp_path):
    home = tmp_path / "newsroom"
    home.mkdir()
    before = set(installed.rglob("*"))

    result = run(installed, home, "init", "news")
    assert result.returncode == 0, result.stderr
    project = home / "news"
    assert (project / "newsgraph.toml").is_file() and (project / "seeds").is_dir()

    for command in ("validate", "build"):
        result = run(installed, project, command)
        assert result.returncode == 0, f"{command}: {result.stderr}"
        assert str(project.resolve()) in result.stderr  # says which project it used
    assert (project / "dist" / "manifest.json").is_file()
    # nothing was written into the installed package
    assert set(installed.rglob("*")) == before

    # served from a folder that is neither the project nor a checkout, and the
    # same release served by this checkout's code, for comparison
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    installed_cmd = [str(installed / "bin" / "newsgraph")]
    checkout_cmd = [sys.executable, "-m", "newsgraph"]
    servers = [start(cmd, project / "dist", cwd, tmp_path / f"serve-{i}.log")
               for i, (cmd, cwd) in enumerate(((installed_cmd, elsewhere), (checkout_cmd, REPO)))]
    (url, _), (checkout_url, _) = servers
    try:
        for path, folder in (("/def.ttl", "ontology"), ("/shapes.ttl", "shapes")):
            r = requests.get(url + path, timeout=30)
            assert r.status_code == 200, path
            shipped = Graph()
            for source in (REPO / folder).glob("*.ttl"):
                shipped.parse(source, format="turtle")
            assert len(shipped) > 0 and isomorphic(parse_turtle(r), shipped), path
        # every thing of the dataset dereferences, on the base the project chose
        base = json.loads((project / "dist" / "manifest.json").read_text())["base"]
        query = ("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s a ?t } "
                 f'FILTER(STRSTARTS(STR(?s), "{base}id/")) }}')
        r = requests.get(url + "/sparql", params={"query": query},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert r.status_code == 200
        things = [b["s"]["value"] for b in r.json()["results"]["bindings"]]
        local = sorted(iri[len(base):] for iri in things)
        assert local, things
        for path in local:
            r = requests.get(f"{url}/{path}", headers={"Accept": "text/turtle"}, timeout=30)
            assert r.status_code == 200 and len(parse_turtle(r)), path
        # the installed package answers exactly as the checkout does, byte for byte
        docs = [path.replace("id/", "doc/", 1) for path in local]
        paths = ["/", "/def.ttl", "/def", "/shapes.ttl", "/shapes", "/dataset.ttl",
                 *(f"/{doc}.{ext}" for doc in docs for ext in ("ttl", "jsonld", "nt", "html"))]
        for path in paths:
            ours, theirs = (requests.get(u + path, timeout=30) for u in (url, checkout_url))
            assert ours.status_code == theirs.status_code == 200, path
            assert ours.content == theirs.content, path
    finally:
        for _, process in servers:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def start(command: list[str], data: Path, cwd: Path, log: Path
          ) -> tuple[str, subprocess.Popen[bytes]]:
    """``newsgraph serve --data DATA`` from ``cwd`` on a free port, once it answers."""
    port = free_port()
    env = clean_env()
    if command[0] == sys.executable:  # this checkout's code
        env["PYTHONPATH"] = str(REPO / "src")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "serve", "--no-build", "--data", str(data), "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(process, url, log)
    return url, process

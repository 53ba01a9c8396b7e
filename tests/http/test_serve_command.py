"""``newsgraph serve``: one command builds what is missing and serves it; bad
data stops it with a clear message; a new release is picked up without a restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from ports import free_port
from waiting import wait_until

pytestmark = pytest.mark.http

REPO = Path(__file__).resolve().parents[2]


def _serve(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsgraph", "--project", str(REPO), *args],
        capture_output=True, text=True, timeout=timeout, cwd=REPO,
    )


def test_serve_builds_the_dataset_when_it_is_missing_and_prints_the_url(tmp_path):
    dist = tmp_path / "dist"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsgraph", "--project", str(REPO), "--dist", str(dist), "serve",
         "--port", str(port), "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            lines.append(line)
            if f"http://127.0.0.1:{port}/" in line:
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}/" in output, output
        assert (dist / "store").is_dir() and (dist / "manifest.json").is_file()
        r = requests.get(f"http://127.0.0.1:{port}/id/person/wang-xiaohong",
                         headers={"Accept": "text/turtle"}, allow_redirects=False, timeout=30)
        assert r.status_code == 303
        assert r.headers["Server"].startswith("gunicorn")  # not Flask's development server
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.ttl", "<http://a> <http://b> .\n", "not valid"),
        ("broken.nq", "this is not rdf\n", "not valid"),
        ("bom.ttl", "\ufeff<http://a> <http://b> <http://c> .\n", None),
        ("data.txt", "<http://a> <http://b> <http://c> .\n", "cannot tell the format"),
        ("data.jsonld", '{"@context": "http://example.org/remote"}', "cannot tell the format"),
    ],
)
def test_bad_data_stops_serve_with_a_clear_message(tmp_path, name, content, message):
    data = tmp_path / name
    data.write_text(content, encoding="utf-8")
    result = _serve("serve", "--no-build", "--data", str(data), "--port", str(free_port()))
    if message is None:
        # a byte-order mark may be accepted or refused, but never with a trace
        if result.returncode == 0:
            return
    else:
        assert message in result.stderr
    assert result.returncode == 2
    assert str(data) in result.stderr or name in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_without_a_build_and_with_no_build_says_what_to_do(tmp_path):
    result = _serve("--dist", str(tmp_path / "nothing"), "serve", "--no-build",
                    "--port", str(free_port()))
    assert result.returncode == 2
    assert "newsgraph build" in result.stderr
    assert "Traceback" not in result.stderr


def _second_release(built: Path, target: Path) -> Path:
    """Another release of the built data with one quad more, published as the build does."""
    import pyoxigraph as ox

    from newsgraph.config import load_settings
    from newsgraph.pipeline.publish import publish

    settings = load_settings()
    quads = list(ox.parse(path=str(built / "newsgraph.nq"), format=ox.RdfFormat.N_QUADS))
    quads.append(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                         ox.Literal("more"), ox.NamedNode(settings.base + "graph/extra")))
    quads.sort(key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                              str(q.object)))
    return publish(quads, target, settings.base, ontology_dir=settings.ontology_dir,
                   shape_folders=settings.shape_folders()).path


def _release_id(folder: Path) -> str:
    import json

    return json.loads((folder / "manifest.json").read_text())["release"]


def test_a_new_release_is_served_without_a_restart_and_no_request_fails(
    tmp_path, built_dist, start_server
):
    first = tmp_path / "releases" / built_dist.resolve().name
    shutil.copytree(built_dist.resolve(), first)
    second = _second_release(built_dist, tmp_path / "other" / "dist")
    dist = tmp_path / "dist"
    dist.symlink_to(first)
    server = start_server(dist)
    path = "/doc/person/wang-xiaohong.ttl"
    old_tag, new_tag = f'"{_release_id(first)}-', f'"{_release_id(second)}-'
    assert server.get(path).headers["ETag"].startswith(old_tag)

    failures: list[str] = []
    stop = threading.Event()
    sizes = {(r / "newsgraph.nq").stat().st_size for r in (first, second)}

    def reader() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                for p in (path, "/dumps/newsgraph.nq", "/"):
                    r = session.get(server.url + p, timeout=30)
                    if r.status_code != 200:
                        failures.append(f"{p}: {r.status_code}")
                    elif p.startswith("/dumps/") and len(r.content) not in sizes:
                        failures.append(f"{p}: {len(r.content)} bytes, not one of {sizes}")

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        link = tmp_path / "dist.new"
        link.symlink_to(second)
        os.replace(link, dist)  # how publishing swaps releases
        # every worker: six requests reach both
        assert wait_until(lambda: all(server.get(path).headers["ETag"].startswith(new_tag)
                                      for _ in range(6)), 60), \
            "the server kept serving the old release"
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not failures, failures[:5]

"""Fixtures for the Wikidata tests: recorded answers, stand-in servers on
127.0.0.1, a copy of the register to edit; the built dataset and the server on
it are tests/conftest.py's. No test here reaches any other host."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsgraph.cli import main
from ports import free_port

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = FIXTURES / "recorded"


def confirmed_qids() -> dict[str, str | None]:
    """Our register id -> its confirmed QID (None where the facts found none)."""
    with (FIXTURES / "confirmed_qids.csv").open(encoding="utf-8") as fh:
        return {row["id"]: row["qid"] or None for row in csv.DictReader(fh)}


def known_wrong_qids() -> set[str]:
    with (FIXTURES / "known_wrong_qids.csv").open(encoding="utf-8") as fh:
        return {row["qid"] for row in csv.DictReader(fh)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project (newsgraph.toml, the register and the articles) that a
    test may change."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy2(REPO / "newsgraph.toml", root / "newsgraph.toml")
    return root


@pytest.fixture
def register(project: Path) -> Path:
    return project / "seeds" / "entities.yaml"


@pytest.fixture
def run(project: Path) -> Callable[..., Result]:
    """Run ``newsgraph --project <copy> ARGS…`` in-process; returns click's Result."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, ["--project", str(project), *args], input=input,
                                  catch_exceptions=False)

    return invoke


class StandIn:
    """An HTTP server on 127.0.0.1 answering from a function; records each request."""

    def __init__(self, answer: Callable[[dict], tuple[int, dict[str, str], bytes]]) -> None:
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                req = {"method": self.command, "path": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": self.rfile.read(length) if length else b""}
                stand_in.requests.append(req)
                status, headers, body = answer(req)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in() -> Iterator[Callable[..., StandIn]]:
    started: list[StandIn] = []

    def start(answer: Callable[[dict], tuple[int, dict[str, str], bytes]]) -> StandIn:
        server = StandIn(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def json_answer(data: object, status: int = 200,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(
        data).encode()


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: "
                               f"{proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start within {timeout:g} s")


def start_server(dist: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """``newsgraph serve`` on a free 127.0.0.1 port, as a separate process."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsgraph", "--project", str(REPO), "--dist", str(dist), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-build", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/reconcile", proc)
    except Exception:
        proc.kill()
        raise
    return proc, url


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def server(live_server) -> str:
    """Base URL of ``newsgraph serve`` over the built dataset (the session's
    ``live_server``, built and started once for every suite)."""
    return live_server.url


@pytest.fixture
def edit_register(register: Path) -> Callable[[str, str], None]:
    """Set (or add) ``wikidata:`` of one record of the copied register, by text."""
    from newsgraph.curation.wikidata.yamledit import set_wikidata

    def set_link(entity_id: str, qid: str) -> None:
        import yaml

        text = register.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        section = next(s for s, recs in data.items() if isinstance(recs, dict)
                       and entity_id in recs)
        register.write_text(set_wikidata(text, section, entity_id, qid), encoding="utf-8")

    return set_link

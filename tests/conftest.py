"""Shared fixtures: the real dataset built once, and real server processes.

HTTP behaviour is tested over real sockets against ``newsgraph serve`` (gunicorn)
started as a subprocess on a free 127.0.0.1 port:

* ``built_dist`` — the project's dataset built once per session into a tmp dir;
* ``live_server`` — serves ``built_dist``;
* ``mini_server`` — serves ``tests/fixtures/mini.trig``, a small graph with
  hostile literals (``<script>`` in a name and in the article text);
* ``start_server`` — start another server (other data, other settings); it is
  stopped at the end of the session.

What the Flask app decides by itself (a page's content, the answer to one
request, its headers, 404/406 bodies) is tested in-process, without a socket or
a process, through the same ``get``/``request`` interface:

* ``live_app`` — the app of ``serve.py`` on ``built_dist``;
* ``mini_app`` — the same on ``tests/fixtures/mini.trig``;
* ``start_app`` — an app on other data or with other settings.

See docs/testing.md for which tests use which, and why.

Other suites add their own fixtures below; keep these as they are.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from ports import free_port

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
MINI_DATA = FIXTURES / "mini.trig"
SERVER_START_TIMEOUT = 60.0


@dataclass
class Server:
    """A running ``newsgraph serve`` process and how to talk to it."""

    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def get(self, path: str, **kwargs: object) -> requests.Response:
        """GET without following redirects (tests look at each hop)."""
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return requests.get(self.url + path, **kwargs)  # type: ignore[arg-type]

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.url + path, **kwargs)  # type: ignore[arg-type]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def launch_server(
    data: Path,
    log_dir: Path,
    *,
    cli_args: tuple[str, ...] = (),
    serve_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    own_group: bool = False,
    cwd: Path = REPO,
    port: int | None = None,
) -> Server:
    """Start ``python -m newsgraph … serve --no-build --data DATA --port P`` and
    wait until it answers; fail with the server's log if it does not.

    ``own_group`` starts it in a process group of its own, which a test can
    signal as a terminal does on Ctrl-C without reaching pytest. ``port``: one
    chosen beforehand (from ``free_port``), for a server that must know its own URL."""
    port = port or free_port()
    log = log_dir / f"server-{port}.log"
    cmd = [
        sys.executable, "-m", "newsgraph", "--project", str(REPO), *cli_args,
        "serve", "--no-build", "--data", str(data), "--host", "127.0.0.1",
        "--port", str(port), *serve_args,
    ]
    full_env = {**os.environ, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env,
                                   cwd=cwd, process_group=0 if own_group else None)
    server = Server(f"http://127.0.0.1:{port}", port, process, log)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{server.log_tail()}")
        try:
            if requests.get(server.url + "/", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.stop()
    pytest.fail(f"server did not answer within {SERVER_START_TIMEOUT}s:\n{server.log_tail()}")


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's dataset, built once per session (``newsgraph build``)."""
    dist = tmp_path_factory.mktemp("built") / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "newsgraph", "--project", str(REPO), "--dist", str(dist), "build"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"newsgraph build failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return dist


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """A function starting servers that are all stopped when the session ends."""
    started: list[Server] = []
    log_dir = tmp_path_factory.mktemp("server-logs")

    def start(data: Path, **kwargs: object) -> Server:
        server = launch_server(data, log_dir, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def live_server(built_dist: Path, start_server: Callable[..., Server]) -> Server:
    """A server on the real built dataset."""
    return start_server(built_dist)


@pytest.fixture(scope="session")
def mini_server(start_server: Callable[..., Server]) -> Server:
    """A server on tests/fixtures/mini.trig (hostile literals included)."""
    return start_server(MINI_DATA)


# ------------------------------------------------------------------ in-process app

# what requests sends when a test gives no header of that name: the in-process
# answers are those to the same request as over HTTP
_REQUESTS_DEFAULTS = dict(requests.utils.default_headers())


class AppResponse:
    """A Flask test response read the way a test reads a ``requests`` one."""

    def __init__(self, response: object, url: str) -> None:
        self.status_code: int = response.status_code  # type: ignore[attr-defined]
        self.url = url
        # requests joins a repeated header into one value, separated by commas
        headers: requests.structures.CaseInsensitiveDict[str] = (
            requests.structures.CaseInsensitiveDict())
        for name, value in response.headers.items():  # type: ignore[attr-defined]
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.headers = headers
        self.content: bytes = response.get_data()  # type: ignore[attr-defined]
        response.close()  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        encoding = requests.utils.get_encoding_from_headers(self.headers) or "utf-8"
        return self.content.decode(encoding, errors="replace")

    def json(self) -> object:
        return json.loads(self.content)

    @property
    def links(self) -> dict[str, dict[str, str]]:
        found = {}
        for link in requests.utils.parse_header_links(self.headers.get("Link", "")):
            found[link.get("rel") or link.get("url")] = link
        return found


class AppClient:
    """The Flask app ``newsgraph serve`` runs, called in-process (no socket,
    no gunicorn), with the interface of :class:`Server`."""

    url = "http://127.0.0.1"

    def __init__(self, app: object) -> None:
        self.app = app
        self.client = app.test_client()  # type: ignore[attr-defined]

    def get(self, path: str, **kwargs: object) -> AppResponse:
        return self.request("GET", path, **kwargs)

    def request(self, method: str, path: str, *, params: object = None, data: object = None,
                headers: dict[str, str] | None = None, allow_redirects: bool = False,
                timeout: float | None = None) -> AppResponse:
        if params is not None and "?" in path:  # requests adds them to the path's own
            path, params = f"{path}&{urlencode(params, doseq=True)}", None
        sent = requests.structures.CaseInsensitiveDict(_REQUESTS_DEFAULTS)
        sent.update(headers or {})
        if isinstance(data, dict) and "Content-Type" not in sent:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.client.open(
            path, method=method, query_string=params, data=data, headers=dict(sent),
            follow_redirects=allow_redirects, base_url=self.url,
        )
        return AppResponse(response, self.url + path)


def make_app(data: Path, **overrides: object) -> object:
    """The app ``serve.py`` builds for ``data`` (see ``run_server``): a release is
    served with the base it was built for, a single file with the project's."""
    from newsgraph.config import load_settings
    from newsgraph.server.store import open_data
    from newsgraph.server.web import create_app

    settings = load_settings(root=REPO)
    opened = open_data(data, full_check=True)
    settings = settings.with_overrides(base=opened.base or settings.base, **overrides)
    del opened
    return create_app(settings, data, fallback=data.resolve() if data.is_dir() else None)


@pytest.fixture(scope="session")
def start_app() -> Iterator[Callable[..., AppClient]]:
    """A function building in-process apps on other data or with other settings
    (``Settings`` fields as keywords); their query processes end with the session."""
    yield lambda data, **overrides: AppClient(make_app(data, **overrides))
    from newsgraph.server.sparql import pool

    pool.close_all()  # an app that answered a query started processes for it


@pytest.fixture(scope="session")
def live_app(built_dist: Path, start_app: Callable[..., AppClient]) -> AppClient:
    """The app on the real built dataset, in-process."""
    return start_app(built_dist)


@pytest.fixture(scope="session")
def mini_app(start_app: Callable[..., AppClient]) -> AppClient:
    """The app on tests/fixtures/mini.trig (hostile literals included), in-process."""
    return start_app(MINI_DATA)


# ------------------------------------------------------------------ headless Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless ``chromium`` driven by Selenium through ``chromedriver``,
    with a fresh profile and no background traffic to other hosts."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="newsgraph-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1280,1600"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def assert_same_origin_and_no_errors(driver: object, origin: str) -> None:
    """Nothing was fetched from another origin and the console shows no error."""
    resources = driver.execute_script(  # type: ignore[attr-defined]
        "return performance.getEntriesByType('resource').map(e => e.name)")
    for url in resources:
        assert url.startswith(origin), f"fetched from elsewhere: {url}"
    errors = [entry["message"] for entry in driver.get_log("browser")  # type: ignore[attr-defined]
              if entry["level"] == "SEVERE"]
    assert not errors, errors


@pytest.fixture
def same_origin_only() -> Callable[[object, str], None]:
    """Check that a page fetched nothing from another origin and logged no error."""
    return assert_same_origin_and_no_errors

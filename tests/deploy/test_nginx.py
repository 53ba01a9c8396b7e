"""The reverse-proxy recipe of docs/deploy.md, run: Debian's nginx (installed by
scripts/test) with docs/nginx.conf, the file the doc shows, in front of a real
``newsgraph serve``. Only its ports, certificate (self-signed, made with
openssl here) and log paths are replaced; nginx runs unprivileged-style from a
tmp dir (pid, logs, temp files) on free 127.0.0.1 ports.

Checked through the proxy: the 301 to HTTPS, 303 dereferencing and content
negotiation, a SPARQL POST, the access log; and that slowloris, one-byte and
idle connections held open against nginx leave other clients answered, most
of them while nginx sends none of the slow ones away (what starving would
show, whatever the machine's speed; latencies are printed, not asserted).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import requests

from deploy.slow_clients import (
    KINDS,
    SlowClients,
    percentiles,
    probe_while,
    raise_open_file_limit,
    wait_until,
)
from ports import free_port

pytestmark = [pytest.mark.http, pytest.mark.xdist_group("slow-clients"), pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "docs" / "nginx.conf"
EACH = 200
HOLD_S = 15.0  # beyond nginx's client_header_timeout (10 s): it closes them, they come back
PAGE = "/doc/person/wang-xiaohong.ttl"
THING = "/id/person/wang-xiaohong"


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    assert found, "nginx is not installed (scripts/test installs Debian's nginx)"
    return found


def _replace(text: str, old: str, new: str, count: int) -> str:
    # the recipe is what the doc shows: if it changes, the test must follow
    assert text.count(old) == count, f"docs/nginx.conf no longer has {count} × {old!r}"
    return text.replace(old, new)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=news.example.org",
         "-addext", "subjectAltName=DNS:news.example.org,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


class Nginx:
    def __init__(self, folder: Path, backend_port: int) -> None:
        self.folder = folder
        self.http_port, self.https_port = free_port(), free_port()
        self.cert, key = _self_signed(folder)
        site = RECIPE.read_text()
        site = _replace(site, "server 127.0.0.1:8080;", f"server 127.0.0.1:{backend_port};", 1)
        site = _replace(site, "listen 80;", f"listen 127.0.0.1:{self.http_port};", 1)
        site = _replace(site, "listen 443 ssl;", f"listen 127.0.0.1:{self.https_port} ssl;", 1)
        site = _replace(site, "/etc/letsencrypt/live/news.example.org/fullchain.pem",
                        str(self.cert), 1)
        site = _replace(site, "/etc/letsencrypt/live/news.example.org/privkey.pem", str(key), 1)
        site = _replace(site, "/var/log/nginx/", f"{folder}/", 3)
        temp = "\n".join(f"    {kind}_temp_path {folder}/{kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # the main config Debian's nginx.conf would give, with everything in folder
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach folder
        main = (f"{user}worker_processes 2;\npid {folder}/nginx.pid;\n"
                f"error_log {folder}/error.log warn;\n"
                "events { worker_connections 4096; }\n"
                f"http {{\n{temp}\n    access_log off;\n{site}\n}}\n")
        self.config = folder / "nginx.conf"
        self.config.write_text(main)
        self.access_log = folder / "newsgraph.access.log"
        self.error_log = folder / "error.log"
        checked = subprocess.run([_nginx(), "-t", "-p", str(folder), "-c", str(self.config)],
                                 capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            [_nginx(), "-p", str(folder), "-c", str(self.config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=(folder / "stderr.log").open("wb"))
        if not wait_until(lambda: self._listening() or self.process.poll() is not None, 30) \
                or self.process.poll() is not None:
            self.stop()
            pytest.fail(f"nginx did not start:\n{(folder / 'stderr.log').read_text()}")
        self.url = f"https://127.0.0.1:{self.https_port}"

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # nginx: graceful stop
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def nginx(built_dist, start_server, tmp_path):
    server = start_server(built_dist)
    proxy = Nginx(tmp_path, server.port)
    yield proxy
    proxy.stop()


def test_the_documented_recipe_is_this_file():
    doc = (REPO / "docs" / "deploy.md").read_text()
    assert "docs/nginx.conf" in doc or "(nginx.conf)" in doc
    # the doc shows the recipe as it is, line for line
    assert RECIPE.read_text().strip() in doc


def test_requests_pass_through_nginx(nginx):
    tls = str(nginx.cert)
    r = requests.get(f"http://127.0.0.1:{nginx.http_port}{THING}", allow_redirects=False,
                     timeout=30)
    assert r.status_code == 301
    assert r.headers["Location"] == f"https://127.0.0.1{THING}"

    for accept in ("text/turtle", "text/html"):
        r = requests.get(nginx.url + THING, headers={"Accept": accept}, allow_redirects=False,
                         verify=tls, timeout=30)
        assert r.status_code == 303, (accept, r.status_code)
        assert r.headers["Location"].endswith("/doc/person/wang-xiaohong")
        followed = requests.get(nginx.url + THING, headers={"Accept": accept}, verify=tls,
                                timeout=30)
        assert followed.status_code == 200
        assert followed.headers["Content-Type"].startswith(accept)
        assert "Accept" in followed.headers.get("Vary", "")

    r = requests.post(nginx.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"},
                      headers={"Accept": "application/sparql-results+json"}, verify=tls,
                      timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["boolean"] is True
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")

    # a body beyond the SPARQL limit is refused by nginx already
    r = requests.post(nginx.url + "/sparql", data={"query": "#" * 300_000}, verify=tls,
                      timeout=30)
    assert r.status_code == 413

    assert wait_until(lambda: "POST /sparql" in nginx.access_log.read_text(), 10)
    assert f"GET {THING} " in nginx.access_log.read_text()


def test_slow_clients_at_nginx_do_not_starve_others(nginx):
    raise_open_file_limit(4 * EACH * len(KINDS))
    context = ssl.create_default_context(cafile=str(nginx.cert))
    with SlowClients(nginx.https_port, EACH, tls=context) as slow:
        assert slow.all_open(), f"could not open the slow connections: {slow.open_now} " \
            f"{slow.errors}"
        latencies, statuses, fewest_held, unhindered = probe_while(
            slow, HOLD_S, nginx.https_port, PAGE, tls=context)
        assert not slow.errors, slow.errors
    p50, p99 = percentiles(latencies)
    print(f"\nnginx held {EACH} each of {', '.join(KINDS)} over TLS (never fewer than "
          f"{fewest_held} open); {len(latencies)} probes over TLS in {HOLD_S:.0f} s: "
          f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")
    print(f"closed by nginx: {dict(slow.closed_by_server)}; answers: {dict(slow.answers)}; "
          f"{unhindered} probes answered while no slow connection was sent away")
    assert statuses == Counter({200: len(latencies)}), statuses
    assert unhindered * 2 >= len(latencies), (unhindered, len(latencies))
    assert fewest_held >= EACH * len(KINDS) * 0.9, fewest_held

"""A static site (`newsgraph export site`) served by real nginx on 127.0.0.1:
Debian's nginx with its njs module, both installed by scripts/test."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.slow_clients import wait_until
from newsgraph.config import Settings
from newsgraph.server.static_site import Exported, export_site
from ports import free_port

JS_MODULE = Path("/usr/lib/nginx/modules/ngx_http_js_module.so")


@contextmanager
def static_site(data: Path, folder: Path, settings: Settings) -> Iterator[tuple[str, Exported]]:
    """Export ``data`` under ``folder`` and serve it; yields the site's URL."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    assert nginx and JS_MODULE.exists(), \
        "needs Debian's nginx and libnginx-mod-http-js (scripts/test installs both)"
    port = free_port()
    done = export_site(data, folder / "site", settings, listen=f"127.0.0.1:{port}")
    run = folder / "run"
    run.mkdir()
    temp = " ".join(f"{k}_temp_path {run}/{k};" for k in
                    ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (run / "main.conf").write_text(
        f"load_module {JS_MODULE};\nuser root;\nworker_processes 1;\npid {run}/nginx.pid;\n"
        f"error_log {run}/error.log warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{ {temp} access_log off; include {done.config}; }}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(run), "-c", str(run / "main.conf")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([nginx, "-p", str(run), "-c", str(run / "main.conf"),
                                "-g", "daemon off;"], stderr=subprocess.PIPE)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    assert wait_until(lambda: listening() or process.poll() is not None, 30) and \
        process.poll() is None, process.stderr.read().decode() if process.stderr else ""
    try:
        yield f"http://127.0.0.1:{port}", done
    finally:
        process.terminate()
        process.wait(timeout=30)

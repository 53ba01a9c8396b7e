"""``newsgraph serve``: serve a built dataset under gunicorn (not Flask's
development server); the command builds it first where it is missing.

gthread workers suit the load: pyoxigraph releases the GIL while it reads, so
threads of one worker answer concurrently; each worker opens the store itself
after the fork. The URL to open is printed once the socket listens.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from newsgraph.config import Settings
from newsgraph.release import looks_like_release
from newsgraph.server.store import DataError, open_data

THREADS_PER_WORKER = 4


class NewsgraphServer(BaseApplication):  # type: ignore[misc]
    """gunicorn run programmatically with our options (no command line, no config file)."""

    def __init__(self, settings: Settings, data: Path, options: dict[str, Any]) -> None:
        self.settings = settings
        self.data = data
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        # called in each worker after the fork (preload_app is off)
        from newsgraph.server.web import create_app

        app = create_app(self.settings, self.data)
        # open the data now rather than on the first request
        app.extensions["newsgraph"].data.current()
        return app


def _announce(host: str) -> Any:
    def when_ready(server: Any) -> None:
        for listener in server.LISTENERS:
            port = listener.sock.getsockname()[1]
            shown = f"[{host}]" if ":" in host else host
            print(f"newsgraph is serving at http://{shown}:{port}/  (Ctrl-C to stop)", flush=True)

    return when_ready


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": [bind],
        "workers": max(1, workers),
        "worker_class": "gthread",
        "threads": THREADS_PER_WORKER,
        "preload_app": False,
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        # request limits before Flask sees anything (gunicorn answers 400/414)
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "when_ready": _announce(host),
        "proc_name": "newsgraph",
    }


def has_dataset(source: Path) -> bool:
    """Whether ``source`` claims to be a dataset (the build makes one where not);
    whether it is an intact one, :func:`run_server` checks."""
    return source.is_file() or looks_like_release(source)


def run_server(settings: Settings, host: str, port: int, data: Path | None, workers: int,
               asked_base: str | None = None) -> int:
    """Serve ``data`` (default: the built dist/); exit status 2 when it cannot be served.

    A release is verified fully (every file against its SHA-256) and served
    with the base IRI it was built for; ``asked_base``, a base the user gave,
    must agree with it. A single RDF file has no manifest: it is served with
    ``asked_base``, else the settings' base.
    """
    source = data if data is not None else settings.dist_dir
    try:
        # open once here so bad data fails now with a clear message, not in each worker
        opened = open_data(source, full_check=True)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = opened.base or asked_base or settings.base
    del opened  # the store must not cross the fork: each worker opens its own
    if asked_base is not None and asked_base != base:
        print(f"error: {source} was built for base {base}, not {asked_base}; rebuild it for "
              f"that base (newsgraph --base {asked_base} build) or serve without --base",
              file=sys.stderr)
        return 2
    settings = settings.with_overrides(base=base)
    print(f"Serving {source} with base IRI {base}", file=sys.stderr)
    NewsgraphServer(settings, source, gunicorn_options(host, port, workers)).run()
    return 0

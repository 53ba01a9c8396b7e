"""``newsgraph serve``: serve a built dataset under gunicorn (not Flask's
development server); the command builds it first where it is missing.

gthread workers suit the load: pyoxigraph releases the GIL while it reads, so
threads of one worker answer concurrently; each worker opens the store itself
after the fork. The URL to open is printed once the socket listens.

Stopping (issue 8: within 2 s, nothing but a clean exit in the log). SIGTERM
is a graceful stop: no new connection, requests in flight get
``WORKER_DRAIN_S`` to finish, a SPARQL query ``QUERY_STOP_GRACE_S`` before its
query process is killed and it is answered 503. SIGINT (Ctrl-C) and SIGQUIT
stop at once. Either way each worker kills and reaps its query processes,
gives answers being written ``EXIT_ANSWERS_S`` to finish and leaves with
``os._exit``: a forked worker must not run the C exit handlers it inherited
from the master (RocksDB's, once the master has opened a store, join
background threads that exist only in the master: SIGSEGV).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from newsgraph.config import Settings
from newsgraph.release import looks_like_release
from newsgraph.server.sparql import pool
from newsgraph.server.store import DataError, open_data

THREADS_PER_WORKER = 4
# The stop budget is 2 s. A SPARQL query may go on for this long after SIGTERM...
QUERY_STOP_GRACE_S = 0.5
# ...and any request for this long (kept-alive idle connections close then);
# at exit, answers still being written get this long more...
WORKER_DRAIN_S = 1
EXIT_ANSWERS_S = 0.5
# ...while the master waits this long before it SIGKILLs a worker that is still
# there (whose query processes then exit by themselves, see worker.py).
# gunicorn takes whole seconds here.
GRACEFUL_TIMEOUT_S = 2
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


class NewsgraphServer(BaseApplication):  # type: ignore[misc]
    """gunicorn run programmatically with our options (no command line, no config file)."""

    def __init__(self, settings: Settings, data: Path, options: dict[str, Any],
                 verified: Path | None = None) -> None:
        self.settings = settings
        self.data = data
        self.options = options
        self.verified = verified
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        # called in each worker after the fork (preload_app is off)
        from newsgraph.server.web import create_app

        app = create_app(self.settings, self.data, fallback=self.verified)
        # open the data now rather than on the first request
        app.extensions["newsgraph"].data.current()
        return app


class StoppingWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker, stopping within the budget above."""

    def init_process(self) -> None:
        # Runs in the forked worker, so this changes the worker's copy only: it
        # must finish draining before the master's (longer) deadline.
        self.cfg.set("graceful_timeout", WORKER_DRAIN_S)
        super().init_process()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """SIGTERM: stop gracefully; running queries get a short grace."""
        super().handle_exit(sig, frame)
        # off the signal handler: stopping kills and reaps processes
        threading.Thread(target=pool.stop_all, args=(QUERY_STOP_GRACE_S,), daemon=True,
                         name="sparql-stop").start()

    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        """SIGINT, SIGQUIT: stop now."""
        # Ctrl-C reaches the worker and the master, which then sends SIGQUIT:
        # that second signal must not interrupt the exit under way.
        _ignore_stop_signals()
        super().handle_quit(sig, frame)


def _ignore_stop_signals() -> None:
    # A handler that does nothing rather than SIG_IGN: a signal already caught
    # but not yet handled would otherwise be reported "ignored due to race condition".
    for sig in _STOP_SIGNALS:
        signal.signal(sig, _do_nothing)


def _do_nothing(sig: int, frame: FrameType | None) -> None:
    pass


def _worker_exit(server: Any, worker: Any) -> None:
    """A worker's last act: kill its query processes, flush the log, leave."""
    if os.getpid() != worker.pid:
        return  # gunicorn calls this in the master too, for a worker found dead
    _ignore_stop_signals()
    pool.close_all()  # their callers answer 503 at once
    _let_answers_finish(time.monotonic() + EXIT_ANSWERS_S)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    # The status gunicorn's worker code is exiting with (the master reads it:
    # 3 and 4 mean the app could not boot or load).
    error = sys.exc_info()[1]
    if isinstance(error, SystemExit):
        code = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
    else:
        code = 0 if error is None else 1
    os._exit(code)


def _let_answers_finish(deadline: float) -> None:
    """Wait, until ``deadline`` at most, for the threads still answering requests.

    Leaving at once would cut an answer being written (a 503 for a stopped
    query, a page) in the middle; the interpreter's own exit would wait for
    them without a limit. The request threads are the only non-daemon ones.
    """
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))


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
        "worker_class": StoppingWorker,
        "threads": THREADS_PER_WORKER,
        "preload_app": False,
        "timeout": 60,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": 5,
        # request limits before Flask sees anything (gunicorn answers 400/414)
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "when_ready": _announce(host),
        "worker_exit": _worker_exit,
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
              f'that base (base = "{asked_base}" in newsgraph.toml, or newsgraph --base '
              f"{asked_base} build) or serve without --base",
              file=sys.stderr)
        return 2
    settings = settings.with_overrides(base=base)
    print(f"Serving {source} with base IRI {base}", file=sys.stderr)
    # the release folder verified here: a worker that starts after dist has moved
    # to a bad release serves this one
    verified = source.resolve() if source.is_dir() else None
    NewsgraphServer(settings, source, gunicorn_options(host, port, workers), verified).run()
    return 0

"""``newsgraph serve``: serve a built dataset under gunicorn (not Flask's
development server); the command builds it first where it is missing.

gthread workers suit the load: pyoxigraph releases the GIL while it reads, so
threads of one worker answer concurrently; each worker opens the store itself
after the fork. The URL to open is printed once the socket listens.

Slow clients (issue 12): gunicorn's gthread worker hands a connection to a
thread as soon as its first byte arrives, and the thread then blocks until the
request is complete; a few connections sending a byte now and then held every
thread. :class:`StoppingWorker` reads requests in the worker's event loop
instead (non-blocking, with deadlines) and gives a thread only a complete
request: its head, and its body when it has a length within the largest body
the app accepts. A connection that sends nothing is closed after
``KEEPALIVE_S``, one whose request is not complete ``REQUEST_READ_TIMEOUT_S``
after its first byte is answered 408 and closed.

Requests gunicorn refuses before the app sees them (a malformed request line
or header, a line or head over the limits, an HTTP version it does not speak)
are answered by :func:`refusal` as the app answers its own 4xx: short
``text/plain`` naming the rule broken, with the right status, instead of
gunicorn's HTML page echoing the input.

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

import datetime
import errno
import logging
import os
import re
import resource
import selectors
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.http.wsgi import Response as GunicornResponse
from gunicorn.http.wsgi import default_environ
from gunicorn.workers.gthread import TConn, ThreadWorker

from newsgraph.config import Settings
from newsgraph.external import ExternalStoreError, dialect_named, find_credentials, open_client
from newsgraph.release import looks_like_release
from newsgraph.server.backends import check_store_holds, other_graphs
from newsgraph.server.sparql import pool
from newsgraph.server.store import DataError, RemoteSpec, open_data

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

# A connection may wait this long for its first request, or for the next one
# on a kept-alive connection (gunicorn's keepalive setting)...
KEEPALIVE_S = 5
# ...and a request must be complete this long after its first byte (nginx's
# client_header_timeout is 60 s; a request here is a line and a few headers,
# or a SPARQL form of at most 256 KiB).
REQUEST_READ_TIMEOUT_S = 10
# Read from a client at most this much at once in the event loop...
_RECV_BYTES = 64 * 1024
# ...and buffer a request head up to this size: beyond it, the head is handed
# to gunicorn's parser as it is, which answers 400/414/431 when a limit is broken.
_HEAD_BUFFER_BYTES = 64 * 1024
# A request whose body is not buffered (chunked, or longer than the app takes)
# is read by its thread with this timeout on every socket operation, so a
# client that stops sending it frees the thread.
UNBUFFERED_SOCKET_TIMEOUT_S = 30
# After a last answer, wait this long for the client to close (gunicorn's
# close_graceful waits as long).
_LINGER_S = 2.0
# How often a worker looks for connections past their deadline.
_SWEEP_EVERY_S = 0.2
# Open files a process may have: a worker holds a socket per client.
_NOFILE_WANTED = 65536
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"\ncontent-length[ \t]*:[ \t]*([0-9]{1,12})[ \t]*\r?\n",
                             re.IGNORECASE)
_TRANSFER_ENCODING = re.compile(rb"\ntransfer-encoding[ \t]*:", re.IGNORECASE)
_TIMED_OUT_BODY = b"The request was not sent in time.\n"
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
              b"Content-Type: text/plain; charset=utf-8\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (len(_TIMED_OUT_BODY), _TIMED_OUT_BODY))


# gunicorn's own errors for requests it could not parse, as (status, reason,
# message); the first class that matches answers. Nothing of the request is
# echoed: the rule is named, with the limit where there is one.
_REFUSALS: tuple[tuple[type[Exception], int, str, str], ...] = (
    (http_errors.LimitRequestLine, 414, "URI Too Long",
     "The request line is longer than {cfg.limit_request_line} bytes, the most this server "
     "reads; a SPARQL query that long can be sent with POST."),
    (http_errors.InvalidRequestMethod, 400, "Bad Request",
     "The request method is not a valid HTTP method (letters, digits and a few symbols, "
     "such as GET or POST)."),
    (http_errors.InvalidRequestLine, 400, "Bad Request",
     "The request line is malformed: expected a method, a path and HTTP/1.1, separated "
     "by single spaces and ended by CRLF."),
    (http_errors.InvalidHeaderName, 400, "Bad Request",
     "A header name holds a character that header names may not (a space, a bracket, a "
     "non-ASCII byte...)."),
    (http_errors.ObsoleteFolding, 400, "Bad Request",
     "A header value is folded over several lines (obsolete line folding), which is "
     "refused: send each header on one line."),
    # 400 rather than RFC 9112's 501, as for HTTP versions (see refusal)
    (http_errors.UnsupportedTransferCoding, 400, "Bad Request",
     "The request's Transfer-Encoding is not one this server decodes (only chunked)."),
    (http_errors.InvalidHeader, 400, "Bad Request",
     "A header is malformed: a line without a colon, a value holding a control "
     "character, a bare LF, or a Content-Length or Transfer-Encoding that is invalid or "
     "contradicts another."),
    (http_errors.ExpectationFailed, 417, "Expectation Failed",
     "The request's Expect header asks for something other than 100-continue."),
    (http_errors.InvalidSchemeHeaders, 400, "Bad Request",
     "The request's headers give contradictory schemes (http and https)."),
    (http_errors.InvalidChunkSize, 400, "Bad Request",
     "The request body's chunked encoding is malformed (a chunk size that is not hex)."),
    (http_errors.ChunkMissingTerminator, 400, "Bad Request",
     "The request body's chunked encoding is malformed (a chunk not ended by CRLF)."),
    (http_errors.InvalidChunkExtension, 400, "Bad Request",
     "The request body's chunked encoding is malformed (an invalid chunk extension)."),
    (http_errors.InvalidProxyLine, 400, "Bad Request", "The PROXY protocol line is malformed."),
    (http_errors.ForbiddenProxyRequest, 403, "Forbidden",
     "PROXY protocol lines are not accepted from this address."),
    (http_errors.InvalidH2CPreface, 400, "Bad Request", "The HTTP/2 preface is malformed."),
)


def refusal(error: BaseException, cfg: Any) -> tuple[int, str, str] | None:
    """What to answer a request gunicorn's parser refused with ``error``: status,
    reason and message; None if ``error`` is not the client's fault."""
    if isinstance(error, http_errors.InvalidHTTPVersion):
        # 400 even for a well-formed HTTP/2.0 or 9.9, where RFC 9110 allows 505:
        # no input gets a 5xx that is not the server's fault or a busy answer
        if isinstance(error.version, tuple):
            return (400, "Bad Request", "This server speaks HTTP/1.0 and HTTP/1.1 (HTTP/2 "
                    "only through a front proxy).")
        return (400, "Bad Request",
                "The request line's HTTP version is malformed (expected HTTP/1.1).")
    if isinstance(error, http_errors.LimitRequestHeaders):
        if "fields size" in str(error):
            return (431, "Request Header Fields Too Large",
                    f"A header line is longer than {cfg.limit_request_field_size} bytes, the "
                    "most this server reads.")
        if "fields" in str(error):
            return (431, "Request Header Fields Too Large",
                    f"The request has more than {cfg.limit_request_fields} header fields, the "
                    "most this server reads.")
        return (431, "Request Header Fields Too Large",
                "The request's headers (or its body's trailer) are larger than this server "
                "reads.")
    if isinstance(error, (http_errors.InvalidResponseHeader,
                          http_errors.InvalidResponseHeaderName)):
        return None  # the application's fault: a 500
    for kind, status, reason, message in _REFUSALS:
        if isinstance(error, kind):
            return status, reason, message.format(cfg=cfg)
    return None


def refusal_bytes(status: int, reason: str, message: str) -> bytes:
    """A whole response for a refused request, closing the connection: plain text
    like the app's own 4xx (``404 Not Found: ...``), and no Server header."""
    body = f"{status} {reason}: {message}\n".encode()
    return (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body


class NewsgraphServer(BaseApplication):  # type: ignore[misc]
    """gunicorn run programmatically with our options (no command line, no config file)."""

    def __init__(self, settings: Settings, data: Path, options: dict[str, Any],
                 verified: Path | None = None, remote: RemoteSpec | None = None) -> None:
        self.settings = settings
        self.data = data
        self.options = options
        self.verified = verified
        self.remote = remote
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        # called in each worker after the fork (preload_app is off)
        from newsgraph.server.web import create_app

        app = create_app(self.settings, self.data, fallback=self.verified, remote=self.remote)
        # open the data now rather than on the first request
        app.extensions["newsgraph"].data.current()
        return app


class BufferedConn(TConn):  # type: ignore[misc]
    """A connection whose request the event loop reads before a thread serves it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.received = bytearray()
        self.deadline = 0.0
        # where the request's head ends in received, once it has, and the
        # length of body to wait for after it
        self.head_end: int | None = None
        self.body_wanted = 0
        self.unbuffered = False

    def init(self) -> None:
        # in the request's thread: gunicorn's parser reads what the loop
        # buffered before it reads the socket
        super().init()
        if self.received:
            self.parser.unreader.unread(bytes(self.received))
            self.received = bytearray()
        if self.unbuffered:
            # handle() has just made the socket blocking without a timeout
            self.sock.settimeout(UNBUFFERED_SOCKET_TIMEOUT_S)


class StoppingWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker reading requests in its event loop (see the
    module's docstring), and stopping within the budget above."""

    def init_process(self) -> None:
        # Runs in the forked worker, so this changes the worker's copy only: it
        # must finish draining before the master's (longer) deadline.
        self.cfg.set("graceful_timeout", WORKER_DRAIN_S)
        # connections whose next request the loop reads, and those it closes
        # (insertion-ordered sets)
        self.reading: dict[BufferedConn, None] = {}
        self.closing: dict[BufferedConn, None] = {}
        self.max_body = self.app.settings.sparql_max_body_bytes
        self.next_sweep = 0.0
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

    def handle_error(self, req: Any, client: socket.socket, addr: Any,
                     exc: BaseException) -> None:
        """A request gunicorn could not parse or serve: answered as :func:`refusal`
        says, in plain text, rather than with gunicorn's HTML page (which echoed
        the input); anything else is a plain 500, logged with its traceback as
        gunicorn does (the app's own errors never come here: Flask answers them)."""
        addr = addr or ("", -1)  # a unix socket
        known = refusal(exc, self.cfg)
        if known is None:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
            status, reason = 500, "Internal Server Error"
            message = "The server failed to answer this request; the error is in its log."
        else:
            status, reason, message = known
            self.log.warning("Invalid request from ip=%s: %s", addr[0], str(exc)[:200])
        if req is None and isinstance(exc, (http_errors.InvalidHeader,
                                            http_errors.InvalidHeaderName)):
            req = getattr(exc, "req", None)  # the request so far, for the access log
        if req is not None:  # the access log, as gunicorn writes it
            try:
                environ = default_environ(req, client, self.cfg)
                environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
                resp = GunicornResponse(req, client, self.cfg)
                resp.status = f"{status} {reason}"
                resp.response_length = len(message)
                self.log.access(resp, req, environ, datetime.timedelta(0))
            except Exception:  # a half-parsed request: the answer matters more than its log line
                self.log.debug("no access log line for a refused request", exc_info=True)
        try:  # without blocking, as gunicorn does: a client that cannot take it misses it
            gunicorn_util.write_nonblock(client, refusal_bytes(status, reason, message))
        except OSError:
            pass

    # The event loop's side. gunicorn calls these on the loop's thread only.

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_request(BufferedConn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn: BufferedConn, client: socket.socket) -> None:
        # a kept-alive connection: its next request is read here too (it stays
        # registered, with another callback: no system call for that)
        self.keepalived_conns.remove(conn)
        self._read_request(conn, registered=True)
        self._on_readable(conn, client)

    def finish_request(self, conn: BufferedConn, fs: Any) -> None:
        done = not fs.cancelled() and fs.exception() is None
        keep = done and fs.result()
        if keep and self.alive and conn.parser.unreader.buf.getvalue():
            # A body drain can read ahead into the next request: gunicorn would
            # hand that to a thread at once, which then blocks on the rest of it.
            self._read_request(conn, conn.parser.unreader.take_buffered())
        elif done and not keep:
            # gunicorn's graceful close waits up to 2 s for the client to close
            # too, on this thread: a client that does not would stop the loop
            self.nr_conns -= 1
            self._linger(conn)
        else:
            super().finish_request(conn, fs)

    def _linger(self, conn: BufferedConn) -> None:
        """Close after the answer as gunicorn does (RFC 9112, 9.6: the FIN
        first, then read what the client still sends, so that the kernel does
        not reset the connection under the answer), waiting in the loop."""
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            conn.close()
            return
        conn.deadline = time.monotonic() + _LINGER_S
        self.closing[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_closing, conn))

    def _on_closing(self, conn: BufferedConn, client: socket.socket) -> None:
        if conn not in self.closing:
            return  # closed earlier in the same turn of the loop
        try:
            if client.recv(_RECV_BYTES):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._close_now(conn)

    def _close_now(self, conn: BufferedConn) -> None:
        del self.closing[conn]
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        conn.close()

    def _read_request(self, conn: BufferedConn, received: bytes = b"",
                      registered: bool = False) -> None:
        conn.received = bytearray(received)
        conn.head_end = None
        conn.body_wanted = 0
        conn.unbuffered = False
        conn.data_ready = True  # handle() must not wait for data itself
        conn.sock.setblocking(False)
        conn.deadline = time.monotonic() + (REQUEST_READ_TIMEOUT_S if received else KEEPALIVE_S)
        self.reading[conn] = None
        callback = partial(self._on_readable, conn)
        if registered:
            self.poller.modify(conn.sock, selectors.EVENT_READ, callback)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)
        if received:
            self._dispatch_if_complete(conn, 0)

    def _on_readable(self, conn: BufferedConn, client: socket.socket) -> None:
        if conn not in self.reading:
            return  # dropped earlier in the same turn of the loop
        try:
            data = client.recv(_RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(conn)
            return
        if not conn.received:
            conn.deadline = time.monotonic() + REQUEST_READ_TIMEOUT_S
        scanned = len(conn.received)
        conn.received += data
        self._dispatch_if_complete(conn, scanned)

    def _dispatch_if_complete(self, conn: BufferedConn, scanned: int) -> None:
        """Hand the request to a thread once it is complete: its head up to the
        empty line, and a body of stated length within the app's limit.

        A head too long to wait for, or a body that is chunked or longer than
        the app accepts, goes to the thread as it is (read with a socket
        timeout): gunicorn's parser and the app answer those (400/414/431, 413).
        """
        received = conn.received
        if conn.head_end is None:
            # only what is new (and the 3 bytes before it) is searched: a head
            # sent a byte at a time must not cost its length squared
            end = _HEAD_END.search(received, max(0, scanned - 3))
            if end is None:
                if len(received) > _HEAD_BUFFER_BYTES:
                    self._dispatch(conn, unbuffered=True)
                return
            conn.head_end = end.end()
            head = bytes(received[:conn.head_end])
            if _TRANSFER_ENCODING.search(head):
                self._dispatch(conn, unbuffered=True)
                return
            length = _CONTENT_LENGTH.search(head)
            conn.body_wanted = int(length.group(1)) if length else 0
            if conn.body_wanted > self.max_body:
                self._dispatch(conn, unbuffered=True)
                return
        if len(received) - conn.head_end >= conn.body_wanted:
            self._dispatch(conn, unbuffered=False)

    def _dispatch(self, conn: BufferedConn, unbuffered: bool) -> None:
        conn.unbuffered = unbuffered
        self._stop_reading(conn)
        self.enqueue_req(conn)

    def _stop_reading(self, conn: BufferedConn) -> None:
        del self.reading[conn]
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def _drop(self, conn: BufferedConn, answer: bytes = b"") -> None:
        self._stop_reading(conn)
        self.nr_conns -= 1
        if answer:
            try:
                conn.sock.send(answer)  # non-blocking: a client that cannot take it misses it
            except OSError:
                pass
        conn.close()

    def murder_pending(self) -> None:
        # gunicorn calls this on every turn of its loop, stopping or not; the
        # deadlines are whole seconds, so a look at every connection now and
        # then is enough (not on each of thousands of turns a second)
        super().murder_pending()
        now = time.monotonic()
        if now < self.next_sweep:
            return
        self.next_sweep = now + _SWEEP_EVERY_S
        for conn in [c for c in self.reading if c.deadline <= now]:
            self._drop(conn, _TIMED_OUT if conn.received else b"")
        for conn in [c for c in self.closing if c.deadline <= now]:
            self._close_now(conn)


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
        "keepalive": KEEPALIVE_S,
        # connections per worker, slow ones included (they cost a socket and a
        # buffer each, no thread)
        "worker_connections": 1000,
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


def _raise_open_file_limit() -> None:
    """Let each worker hold a socket per client: the soft limit is often 1024,
    which a worker's store files and a few hundred clients come close to."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _NOFILE_WANTED if hard == resource.RLIM_INFINITY else min(_NOFILE_WANTED, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def has_dataset(source: Path) -> bool:
    """Whether ``source`` claims to be a dataset (the build makes one where not);
    whether it is an intact one, :func:`run_server` checks."""
    return source.is_file() or looks_like_release(source)


@dataclass(frozen=True)
class StoreOptions:
    """``serve --store URL`` and its companions, as given on the command line."""

    url: str
    dialect: str = "auto"
    gsp_url: str | None = None
    credentials: Path | None = None
    max_rows: int | None = None


def remote_spec(options: StoreOptions, timeout_s: float) -> RemoteSpec:
    """The store to read from, its dialect recognised now (once, not per worker)."""
    dialect = None if options.dialect == "auto" else dialect_named(options.dialect)
    credentials = find_credentials(options.credentials)
    # serve never writes: the update endpoint is never used, only told to the client
    gsp = options.gsp_url or options.url if dialect is None or dialect.name == "generic" \
        else options.gsp_url
    with open_client(options.url, dialect=dialect, update_url=options.url,
                     gsp_url=gsp, timeout_s=timeout_s, max_rows=options.max_rows) as probe:
        dialect = probe.dialect
    if dialect.name == "generic" and options.gsp_url is None:
        raise ExternalStoreError(f"the store at {options.url} is served with the generic "
                                 "dialect, which knows no Graph Store Protocol endpoint: give "
                                 "--gsp URL (or name its engine with --dialect)")
    return RemoteSpec(options.url, dialect, credentials, options.gsp_url, timeout_s)


def check_remote(spec: RemoteSpec, manifest: dict[str, Any]) -> str | None:
    """Why the store cannot serve the release of ``manifest`` (None: it can):
    each of the release's graphs must hold the manifest's count of quads. A
    store holding other graphs too is served, with a warning."""
    try:
        with spec.backend(manifest).client as client:
            differ = check_store_holds(client, manifest)
            others = 0 if differ else other_graphs(client, manifest)
    except ExternalStoreError as exc:
        return str(exc)
    if others:
        print(f"warning: the store at {spec.query_url} holds {others} graph(s) besides the "
              "release's; their triples are part of the default graph (the union) that "
              "pages and SPARQL queries read: serve from a store that holds this release "
              "alone", file=sys.stderr)
    if not differ:
        return None
    return (f"the store at {spec.query_url} does not hold release {manifest['release']} "
            f"({len(differ)} of {len(manifest['graphs'])} graphs differ, e.g. {differ[0]}); "
            f"run `newsgraph publish --to {spec.query_url}` first")


def run_server(settings: Settings, host: str, port: int, data: Path | None, workers: int,
               asked_base: str | None = None, store: StoreOptions | None = None) -> int:
    """Serve ``data`` (default: the built dist/); exit status 2 when it cannot be served.

    A release is verified fully (every file against its SHA-256) and served
    with the base IRI it was built for; ``asked_base``, a base the user gave,
    must agree with it. A single RDF file has no manifest: it is served with
    ``asked_base``, else the settings' base.

    With ``store``, the release's data is read from that external store, which
    must hold it (every graph's quad count as the manifest says); the release
    folder gives only its small files, and no local store is opened.
    """
    source = data if data is not None else settings.dist_dir
    remote = None
    try:
        if store is not None:
            if not source.is_dir():
                raise DataError(f"{source}: serve --store needs the release folder that was "
                                "published (--data DIR), not a single file")
            # the HTTP wait of a page's queries; SPARQL queries get their own limit
            remote = remote_spec(store, max(30.0, settings.sparql_timeout_s))
        # open once here so bad data fails now with a clear message, not in each worker
        opened = open_data(source, full_check=True, remote=remote)
    except (DataError, ExternalStoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if remote is not None:
        why = check_remote(remote, opened.manifest)
        if why is not None:
            print(f"error: {why}", file=sys.stderr)
            return 2
    base = opened.base or asked_base or settings.base
    del opened  # the store must not cross the fork: each worker opens its own (or its client)
    if asked_base is not None and asked_base != base:
        print(f"error: {source} was built for base {base}, not {asked_base}; rebuild it for "
              f'that base (base = "{asked_base}" in newsgraph.toml, or newsgraph --base '
              f"{asked_base} build) or serve without --base",
              file=sys.stderr)
        return 2
    settings = settings.with_overrides(base=base)
    print(f"Serving {source} with base IRI {base}"
          + (f" from the store at {remote.query_url} ({remote.dialect.name})" if remote else ""),
          file=sys.stderr)
    # the release folder verified here: a worker that starts after dist has moved
    # to a bad release serves this one
    verified = source.resolve() if source.is_dir() else None
    _raise_open_file_limit()  # the workers inherit it
    NewsgraphServer(settings, source, gunicorn_options(host, port, workers), verified,
                    remote).run()
    return 0

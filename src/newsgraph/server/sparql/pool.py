"""A pool of query worker processes that can be killed at the time limit.

Each web process (gunicorn worker) owns one pool per data release. A query
borrows an idle worker, sends it the query and waits for the answer until the
time limit; past the limit the worker is killed with SIGKILL, which stops the
work itself (not just the wait), and a fresh worker is started in the
background. Other queries keep running on the other workers meanwhile.

Admission: at most ``slots`` queries run at once; a few more may wait up to
``queue_wait_s`` for a free worker; beyond that a query is turned away at
once (``Busy``), so load cannot pile up behind a slow query.

A worker that dies *after* acknowledging a query was killed by that query.
The pool says how from its exit: out of the memory a query may use (the
engine aborts on a failed allocation, or the worker's own out-of-memory exit)
is a 400 naming the cap, like the row and byte caps; a SIGKILL it did not send
(the kernel's OOM killer, an operator) is a 503 to retry; anything else (an
engine crash) stays a 500. Either way the worker is replaced and nothing is
retried: the query would kill the next one too.

Workers never outlive the web process: it kills them at exit, and each worker
also exits by itself the moment its parent is gone (see ``worker.py``). When
the server stops, ``stop_all`` turns new queries away and gives running ones a
short grace before their workers are killed, so that a stop stays quick.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from newsgraph.server.sparql import frames

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0


class PoolError(Exception):
    """A query could not be run; ``status`` and ``retry_after`` shape the answer."""

    status = 503
    retry_after: int | None = None

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retry_after is not None:
            self.retry_after = retry_after


class Busy(PoolError):
    """Every worker is busy and the waiting line is full or too slow."""

    def __init__(self, message: str, status: int, retry_after: int = 1) -> None:
        super().__init__(message, retry_after)
        self.status = status


class QueryTimeout(PoolError):
    """The query ran past the time limit; its worker was killed."""

    status = 503


class WorkerFailed(PoolError):
    """The worker died or could not start (crash, bad data)."""

    status = 500


class WorkerKilled(WorkerFailed):
    """Something else (the OOM killer, an operator) killed the worker mid-query."""

    status = 503
    retry_after = 1


class OutOfMemory(PoolError):
    """The query needed more memory than a query process may allocate; it was stopped."""

    status = 400


class Stopping(PoolError):
    """The server is stopping: the query was not started, or was cut short."""

    status = 503
    retry_after = 1

    def __init__(self) -> None:
        super().__init__("The server is stopping or restarting; try again in a moment.")


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker serves: an on-disk store (``kind="store"``) or an RDF file."""

    kind: str
    path: str
    sandbox: bool = True  # forbid Internet sockets (no SERVICE allowed at all)
    dump: str | None = None  # N-Quads of the same data: serve it from memory
    quads: int | None = None  # how many quads the dump must load to
    prefixes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    memory_mb: int = 0  # what a query may allocate on top of the data (0: no cap)


class Worker:
    """One child process and its pipes."""

    def __init__(self, spec: WorkerSpec) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN")}
        # a query past the memory cap makes the engine abort; a backtrace would only
        # repeat that, and printing one allocates (at the cap it can hang instead)
        env["RUST_BACKTRACE"] = "0"
        # the worker imports newsgraph from where this process did
        # (the folder holding newsgraph/: four levels up from newsgraph/server/sparql/pool.py)
        package_parent = str(Path(__file__).resolve().parents[3])
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_parent, env.get("PYTHONPATH", "")) if p
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsgraph.server.sparql.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            close_fds=True,
            start_new_session=True,  # terminal signals go to the server, which stops us
            env=env,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._out = self.proc.stdin
        self._in = self.proc.stdout
        self._fd = self._in.fileno()
        self._out_fd = self._out.fileno()
        self.graphs: list[str] = []
        self.sandboxed = False
        try:
            self.send(
                {"kind": spec.kind, "path": spec.path, "sandbox": spec.sandbox,
                 "dump": spec.dump, "quads": spec.quads, "prefixes": spec.prefixes,
                 "memory_mb": spec.memory_mb}
            )
            header, _ = self.receive(time.monotonic() + START_TIMEOUT_S)
        except (PoolError, OSError) as error:
            self.kill()
            raise WorkerFailed(f"the query worker did not start: {error}") from error
        if not header.get("ready"):
            self.kill()
            raise WorkerFailed(header.get("message") or "the query worker did not start")
        self.graphs = list(header.get("graphs") or [])
        self.sandboxed = bool(header.get("sandboxed"))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, header: dict, body: bytes = b"") -> None:
        data = memoryview(frames.encode(header, body))
        while data:
            data = data[os.write(self._out_fd, data):]

    def _read(self, n: int, deadline: float) -> bytes:
        chunks, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimeout("time limit reached")
            ready, _, _ = select.select([self._fd], [], [], left)
            if not ready:
                raise QueryTimeout("time limit reached")
            chunk = os.read(self._fd, min(n - got, 1 << 20))
            if not chunk:
                raise WorkerFailed("the query worker stopped unexpectedly")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def receive(self, deadline: float) -> tuple[dict, bytes]:
        frame = frames.decode(
            lambda n: self._read(n, deadline),
            # the answer is complete on the worker's side: give it time to arrive
            lambda n: self._read(n, max(deadline, time.monotonic() + 30)),
        )
        assert frame is not None  # _read raises rather than return a short read
        return frame

    def acknowledged(self, deadline: float) -> bool:
        """Whether the worker took the query just sent (False: it died first)."""
        try:
            return self._read(1, deadline) == frames.RECEIVED
        except WorkerFailed:
            return False

    def exit_status(self, timeout: float) -> int | None:
        """The process's exit status once it has ended by itself (None if it has not
        within ``timeout``: a pipe closed by a dying process comes just before its exit)."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Stop the process now (SIGKILL: the work stops too) and reap it."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
            log.error("query worker %s did not die", self.proc.pid)
        for stream in (self._out, self._in):
            try:
                stream.close()
            except OSError:
                pass


class QueryPool:
    """``slots`` workers serving one data release inside one web process."""

    def __init__(
        self,
        spec: WorkerSpec,
        slots: int,
        queue_wait_s: float,
        max_waiting: int | None = None,
    ) -> None:
        self.spec = spec
        self.slots = max(1, slots)
        self.queue_wait_s = queue_wait_s
        self.max_waiting = max_waiting if max_waiting is not None else 4 * self.slots
        self.owner = os.getpid()
        # None in the queue wakes the callers waiting for a worker when the pool closes
        self._idle: queue.Queue[Worker | None] = queue.Queue()
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._waiting = 0
        self._closed = False
        self._stopping = False  # closed because the server stops (not a new release)
        self._ready = threading.Event()
        self._start_error: str | None = None
        self.graphs: frozenset[str] = frozenset()
        self.sandboxed = False
        for _ in range(self.slots):
            self._spawn_later()
        _LIVE_POOLS.add(self)

    # -- workers coming and going -------------------------------------------------
    def _spawn_later(self, delay: float = 0.0) -> None:
        threading.Thread(target=self._spawn, args=(delay,), daemon=True,
                         name="sparql-worker-start").start()

    def _spawn(self, delay: float) -> None:
        if delay:
            time.sleep(delay)
        if self._closed:
            return
        try:
            worker = Worker(self.spec)
        except WorkerFailed as error:
            log.error("%s", error.message)
            self._start_error = error.message
            self._ready.set()  # waiting callers learn of the failure
            self._spawn_later(min(30.0, 1.0 + delay * 2))
            return
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
            self.graphs = frozenset(worker.graphs)
            self.sandboxed = worker.sandboxed
            self._start_error = None
        self._idle.put(worker)
        self._ready.set()

    def _discard(self, worker: Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
        if not self._closed:
            self._spawn_later()

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Block until a first worker is up (or its start failed)."""
        if not self._ready.wait(timeout):
            raise Busy("the query service is still starting; try again shortly", 503, 2)
        if not self._all and self._start_error:
            raise WorkerFailed(f"the query service cannot start: {self._start_error}")

    # -- running a query ---------------------------------------------------------
    def run(self, request: dict, timeout_s: float) -> tuple[dict, bytes]:
        """Run one query request on a worker; raise a ``PoolError`` if it cannot.

        A worker that died while idle (killed, out of memory) is replaced and the
        query handed to a live one instead, so the caller never sees the dead
        one: it never had the query, so nothing is run twice.
        """
        if self._closed:
            raise self._closed_error()
        self.wait_ready()
        worker = self._borrow(self.queue_wait_s)
        # every idle worker may have died at once (the OOM killer, a kill by hand):
        # each is replaced, and the query waits for a live one
        for _ in range(self.slots):
            if self._hand_over(worker, request, timeout_s):
                return self._answer(worker, timeout_s)
            # the replacement may still be loading the data: wait for it (or
            # another) as long as the query itself could have run
            worker = self._borrow(max(self.queue_wait_s, timeout_s), admitted=True)
        if self._hand_over(worker, request, timeout_s):
            return self._answer(worker, timeout_s)
        raise WorkerFailed("Every query worker was found dead; try again in a moment.",
                           retry_after=1)

    def _borrow(self, wait_s: float, admitted: bool = False) -> Worker:
        """An idle worker, waiting up to ``wait_s``; ``Busy`` when the line is full."""
        with self._lock:
            if self._waiting >= self.max_waiting and not admitted:
                raise Busy(
                    f"Too many queries at once: {self.slots} run and {self._waiting} wait "
                    "already here; try again in a moment.",
                    429,
                )
            self._waiting += 1
        try:
            worker = self._idle.get(timeout=wait_s)
        except queue.Empty:
            raise Busy(
                f"All {self.slots} query slots stayed busy for {wait_s:g} s; "
                "try again in a moment.",
                503,
            ) from None
        finally:
            with self._lock:
                self._waiting -= 1
        if worker is None:
            self._idle.put(None)  # for the next caller waiting
            raise self._closed_error()
        return worker

    def _hand_over(self, worker: Worker, request: dict, timeout_s: float) -> bool:
        """Send the query; False (the worker discarded) if it was found dead.

        A worker killed while idle can still look alive for a moment (its other
        threads are exiting, its pipes still open), so a query counts as handed
        over only once the worker has acknowledged it.
        """
        if worker.proc.poll() is None:
            try:
                worker.send(request)
                if worker.acknowledged(time.monotonic() + timeout_s):
                    return True
            except OSError:  # it died just now: EPIPE, the query never reached it
                pass
            except QueryTimeout:  # alive but not reading: as good as dead
                pass
        log.warning("query worker %s was dead while idle (exit %s); replacing it",
                    worker.pid, worker.proc.poll())
        self._discard(worker)
        return False

    def _answer(self, worker: Worker, timeout_s: float) -> tuple[dict, bytes]:
        try:
            header, body = worker.receive(time.monotonic() + timeout_s)
        except QueryTimeout:
            self._discard(worker)
            raise QueryTimeout(
                f"The query ran longer than the {timeout_s:g} s time limit and was stopped. "
                "Narrow it (a more selective pattern, LIMIT) and try again.",
                retry_after=max(1, int(timeout_s)),
            ) from None
        except (WorkerFailed, OSError, ValueError) as error:
            code = worker.exit_status(timeout=5.0)
            self._discard(worker)
            if self._stopping:  # killed by stop(), not by the query
                raise Stopping() from None
            raise self._killed_by_query(worker, code, error) from None
        if self._closed or header.get("retire"):
            self._discard(worker)
        else:
            self._idle.put(worker)
        return header, body

    def _killed_by_query(self, worker: Worker, code: int | None, error: Exception) -> PoolError:
        """What to tell the caller of a query whose worker died after taking it."""
        memory_mb = self.spec.memory_mb
        log.warning("query worker %s died evaluating a query (exit %s)", worker.pid, code)
        if memory_mb and code in (-signal.SIGABRT, frames.EXIT_OUT_OF_MEMORY):
            # the engine aborts when an allocation fails; the cap is what fails it
            return OutOfMemory(frames.out_of_memory_message(memory_mb))
        if code == -signal.SIGKILL:
            return WorkerKilled(  # 503: the next try may well fit
                "The process evaluating the query was killed while it ran (the server may "
                "be short of memory); try again in a moment, or narrow the query."
            )
        return WorkerFailed(
            "The query stopped the worker evaluating it (it may have exhausted the "
            f"engine's stack): {error} (exit {code})"
        )

    def _closed_error(self) -> PoolError:
        if self._stopping:
            return Stopping()
        return Busy("the data is being replaced; try again", 503, 1)

    def close(self, busy_too: bool = True) -> None:
        """Stop the workers. With ``busy_too=False`` (a new release replacing this
        one) a query still running finishes on its worker, which stops after it."""
        with self._lock:
            self._closed = True
        idle: list[Worker] = []
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker is not None:
                idle.append(worker)
        self._idle.put(None)  # callers waiting for a worker learn at once
        self._ready.set()  # and so do those waiting for the first one to start
        with self._lock:
            doomed = list(self._all) if busy_too else idle
            self._all.difference_update(doomed)
        for worker in doomed:
            worker.kill()

    def stop(self, grace_s: float) -> None:
        """The server is stopping: no new query starts, idle workers stop now, and
        a query still running after ``grace_s`` is killed (its caller gets ``Stopping``)."""
        self._stopping = True
        self.close(busy_too=False)
        if grace_s <= 0:
            self.close()
            return
        timer = threading.Timer(grace_s, self.close)
        timer.daemon = True
        timer.name = "sparql-stop"
        timer.start()

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._all)


_LIVE_POOLS: weakref.WeakSet[QueryPool] = weakref.WeakSet()


def _own_pools() -> list[QueryPool]:
    # a forked child inherits its parent's pools but not their processes
    return [pool for pool in list(_LIVE_POOLS) if pool.owner == os.getpid()]


def stop_all(grace_s: float) -> None:
    """Stop every pool of this process, giving running queries ``grace_s`` to finish."""
    for pool in _own_pools():
        pool.stop(grace_s)


@atexit.register
def close_all() -> None:
    """The process ends: kill every query worker of it now and reap it."""
    stop_all(0)

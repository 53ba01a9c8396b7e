"""Validate articles in worker processes: on this machine, or on a Dask cluster.

Validating an article is independent of every other article (it reads its own
graph and the register), so the build hands chunks of articles to workers. A
worker receives the job once (the register as N-Triples, the trusted shapes
and ontology, the base IRI), parses the register once, and then validates each
article of a chunk from its graph's N-Triples. Results come back in the order
the articles were sent, so the output does not depend on the number of workers
or on which worker ran what.

The trusted shapes are sent as parsed, not read again by each worker: a worker
on another machine may not have the same files, and the blank nodes of the
shapes (which name anonymous shapes in findings) stay those of the build.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import Graph

if TYPE_CHECKING:
    from newsgraph.pipeline.validation import Finding, Trusted

# Articles per task: enough that sending a task costs little against ~40 ms of
# validation per article, few enough that two workers finish at about the same time.
CHUNK = 16


class ExecutorError(Exception):
    """The workers cannot be started or reached; the message is one line."""


@dataclass
class Job:
    """What every worker needs, sent once per worker."""

    register: str  # the register's graph, N-Triples
    trusted: Trusted
    token: str = field(default="")  # tells two jobs apart in a long-lived worker

    def __post_init__(self) -> None:
        if not self.token:
            self.token = hashlib.sha256(self.register.encode("utf-8")).hexdigest()


# per worker process: the job it last ran and that job's register, parsed once
_WORKER: dict[str, Any] = {}


def _register(job: Job) -> Graph:
    if _WORKER.get("token") != job.token:
        from newsgraph.pipeline.cache import read_graph

        _WORKER.clear()
        _WORKER.update(token=job.token, register=read_graph(job.register))
        # the register lives as long as the worker: left out of the garbage
        # collector's full passes, which would walk it again and again
        gc.freeze()
    return _WORKER["register"]


def validate_chunk(job: Job, graphs: Sequence[str]) -> list[list[Finding]]:
    """Each article's findings (see build.validate_article), from its graph's text."""
    from newsgraph.pipeline.build import validate_article
    from newsgraph.pipeline.cache import read_graph

    register = _register(job)
    return [validate_article(register, read_graph(text), job.trusted) for text in graphs]


def validate_register(job: Job) -> list[Finding]:
    from newsgraph.pipeline.validation import validate_with

    return validate_with(_register(job), job.trusted).findings


# ------------------------------------------------------------- on this machine

_FORKED: Job | None = None  # the job a forked worker inherits instead of unpickling


def _init_forked() -> None:
    # What the worker inherited from the build (the whole dataset, the corpus) is
    # never freed here; left to the garbage collector, each full pass would walk
    # it (and copy its pages), a cost that grew with the corpus.
    gc.freeze()
    if _FORKED is not None:
        _register(_FORKED)


def _chunk_forked(graphs: Sequence[str]) -> list[list[Finding]]:
    assert _FORKED is not None
    return validate_chunk(_FORKED, graphs)


def _register_forked() -> list[Finding]:
    assert _FORKED is not None
    return validate_register(_FORKED)


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _chunks(graphs: Sequence[Graph]) -> list[list[str]]:
    """The graphs as N-Triples, CHUNK to a task."""
    from newsgraph.pipeline.cache import graph_text

    texts = [graph_text(g) for g in graphs]
    return [texts[i:i + CHUNK] for i in range(0, len(texts), CHUNK)]


class Runner:
    """Runs a build's validation: the register's and each article's findings."""

    def register(self) -> Callable[[], list[Finding]]:
        """Start validating the register; the returned function waits for its findings."""
        raise NotImplementedError

    def articles(self, graphs: Sequence[Graph]) -> Iterator[list[Finding]]:
        """Each graph's findings, in the order of ``graphs``."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class InProcess(Runner):
    """``--jobs 1``: everything in this process, nothing sent anywhere."""

    def __init__(self, register: Graph, trusted: Trusted):
        self._register, self._trusted = register, trusted

    def register(self) -> Callable[[], list[Finding]]:
        from newsgraph.pipeline.validation import validate_with

        return lambda: validate_with(self._register, self._trusted).findings

    def articles(self, graphs: Sequence[Graph]) -> Iterator[list[Finding]]:
        from newsgraph.pipeline.build import validate_article

        for graph in graphs:
            yield validate_article(self._register, graph, self._trusted)


class LocalPool(Runner):
    """``--jobs N``: N worker processes on this machine."""

    def __init__(self, job: Job, jobs: int):
        global _FORKED
        self._job = job
        # forked workers inherit the job instead of receiving a pickled copy;
        # elsewhere (spawn) it is sent with each task
        self._forked = "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux"
        if self._forked:
            _FORKED = job
            self._pool: Executor = ProcessPoolExecutor(
                max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                initializer=_init_forked)
        else:
            self._pool = ProcessPoolExecutor(max_workers=jobs)

    def register(self) -> Callable[[], list[Finding]]:
        future = (self._pool.submit(_register_forked) if self._forked
                  else self._pool.submit(validate_register, self._job))
        return future.result

    def articles(self, graphs: Sequence[Graph]) -> Iterator[list[Finding]]:
        chunks = _chunks(graphs)
        if self._forked:
            futures = [self._pool.submit(_chunk_forked, c) for c in chunks]
        else:
            futures = [self._pool.submit(validate_chunk, self._job, c) for c in chunks]
        for future in futures:
            yield from future.result()

    def close(self) -> None:
        global _FORKED
        self._pool.shutdown(wait=True, cancel_futures=True)
        _FORKED = None


class DaskCluster(Runner):
    """``--executor dask --scheduler ADDR``: the workers of a Dask cluster."""

    def __init__(self, job: Job, scheduler: str, timeout_s: float = 10.0):
        try:
            from distributed import Client
        except ImportError:
            raise ExecutorError("--executor dask needs Dask distributed: "
                                "pip install 'newsgraph[cluster]'") from None
        try:
            self._client = Client(scheduler, timeout=timeout_s, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: "
                                f"{reason}") from None
        # once to every worker, not once per task
        [self._job] = self._client.scatter([job], broadcast=True, hash=False)

    def register(self) -> Callable[[], list[Finding]]:
        return self._client.submit(validate_register, self._job, pure=False).result

    def articles(self, graphs: Sequence[Graph]) -> Iterator[list[Finding]]:
        futures = [self._client.submit(validate_chunk, self._job, c, pure=False)
                   for c in _chunks(graphs)]
        for future in futures:
            yield from future.result()

    def close(self) -> None:
        self._client.close()


def make_runner(register: Graph, register_text: Callable[[], str], trusted: Trusted,
                jobs: int, executor: str = "local", scheduler: str | None = None) -> Runner:
    """The runner a build asked for. ``register_text``: the register as N-Triples,
    computed only if workers need it."""
    if executor == "dask":
        if not scheduler:
            raise ExecutorError("--executor dask needs --scheduler ADDR "
                                "(such as tcp://10.0.0.5:8786)")
        return DaskCluster(Job(register_text(), trusted), scheduler)
    if executor != "local":
        raise ExecutorError(f"unknown executor {executor!r}: local or dask")
    if jobs <= 1:
        return InProcess(register, trusted)
    return LocalPool(Job(register_text(), trusted), jobs)


"""Map and validate articles in worker processes: on this machine, or on a Dask cluster.

An article's work is independent of every other article's: its graph is made
from its own annotations and the kind of every id of the corpus, and validated
with the part of the register it needs. So the build hands chunks of articles
to workers, and each worker, for each article of a chunk, maps it, writes its
graph as canonical N-Quads (what the publisher takes) and validates it, in one
task (an article whose graph is cached but whose findings are not is only
validated, from its cached N-Quads). The main process never holds the
articles' graphs. Results come back in the order the articles were sent, so the
output does not depend on the number of workers or on which worker ran what.

What every article needs (the register, the trusted shapes and ontology, the
kinds, the base IRI) reaches a worker once: local workers are forked from the
build and inherit it, the register already parsed, and are sent each article
as its index in the corpus they inherited; a Dask worker receives it once (the
register as N-Triples, parsed there once) and is sent each article's parsed
annotations, pickled. Pickled annotations rather than the article's files:
the files are read and checked against the whole corpus (unique ids,
references) by the build before any article is mapped, and a worker would only
parse them again.

The trusted shapes are sent as parsed, not read again by each worker: a worker
on another machine may not have the same files, and the blank nodes of the
shapes (which name anonymous shapes in findings) stay those of the build.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rdflib import Graph

from newsgraph import iris
from newsgraph.iris import NG

if TYPE_CHECKING:
    from newsgraph.pipeline.annotations import ArticleAnnotations
    from newsgraph.pipeline.cache import RegisterIndex
    from newsgraph.pipeline.validation import Finding, Trusted

# Articles per task: enough that sending a task costs little against ~50 ms of
# work per article, few enough that two workers finish at about the same time.
CHUNK = 16


class ExecutorError(Exception):
    """The workers cannot be started or reached; the message is one line."""


class Context:
    """What the work on any article reads; made once per process.

    When the build passes the register as N-Triples (it took it from its
    cache), nothing is parsed until an article needs it, and then an article's
    validation reads it through a :class:`~newsgraph.pipeline.cache.RegisterIndex`
    (each record parsed when first read); only the register's own run makes it
    a whole rdflib graph. When the build has just mapped it, the graph itself
    is used (forked workers inherit it).
    """

    def __init__(self, register: Graph | str, records: frozenset[str], trusted: Trusted,
                 kinds: dict[str, str], base: str):
        self._register = register
        self._index: RegisterIndex | None = None
        self.records = records  # the register's records (cache.register_records)
        self.trusted = trusted
        self.kinds = kinds  # every id of the corpus and its kind (mapping.corpus_kinds)
        self.base = base

    @property
    def register(self) -> Graph:
        """The whole register, as an rdflib graph."""
        if isinstance(self._register, str):
            from newsgraph.pipeline.cache import read_graph

            self._register = read_graph(self._register)
        return self._register

    @property
    def lookup(self) -> Graph | RegisterIndex:
        """The register as an article's validation reads it."""
        if isinstance(self._register, Graph):
            return self._register
        if self._index is None:
            from newsgraph.pipeline.cache import RegisterIndex

            self._index = RegisterIndex(self._register)
        return self._index

    def register_text(self) -> str:
        """The register as N-Triples (what a worker that does not inherit it is sent)."""
        if isinstance(self._register, str):
            return self._register
        from newsgraph.pipeline.cache import graph_text

        return graph_text(self._register)


@dataclass
class ArticleResult:
    """One article's work, as it comes back to the build."""

    nquads: bytes | None  # its graph, canonical N-Quads (None: it was given the cached one)
    records: list[str]  # the register records its graph names
    evidenced: list[str]  # the nodes it gives ng:evidence for
    findings: list[Finding]
    map_s: float  # CPU seconds mapping (and writing the N-Quads), then validating
    validate_s: float


def work_on_article(ctx: Context, slug: str, article: ArticleAnnotations | None,
                    nquads: bytes | None) -> ArticleResult:
    """Map ``article`` and validate its graph; or, with ``nquads`` (its cached
    graph), only validate."""
    from newsgraph.pipeline.build import ntriples_of_part, validate_article
    from newsgraph.pipeline.cache import named_records, read_graph
    from newsgraph.pipeline.mapping import article_graph
    from newsgraph.pipeline.publish import part_from_graph

    started = time.process_time()
    name = iris.article_graph(slug, ctx.base)
    made: bytes | None = None
    if nquads is None:
        assert article is not None
        graph = article_graph(article, ctx.kinds, ctx.base)
        made = part_from_graph(name, graph).nquads  # type: ignore[assignment]
    else:
        graph = read_graph(ntriples_of_part(nquads, name))
    mapped = time.process_time()
    findings = validate_article(ctx.lookup, graph, ctx.trusted)
    evidenced = {str(s) for s in graph.subjects(NG.evidence, None, unique=True)}
    return ArticleResult(made, named_records(graph, ctx.records), sorted(evidenced), findings,
                         mapped - started, time.process_time() - mapped)


def register_findings(ctx: Context) -> list[Finding]:
    from newsgraph.pipeline.validation import validate_with

    return validate_with(ctx.register, ctx.trusted).findings


# ------------------------------------------------------------- sent to a worker


@dataclass
class Job:
    """What every worker that does not inherit the build needs, sent once."""

    register: str  # the register's graph, N-Triples
    trusted: Trusted
    kinds: dict[str, str]
    base: str
    token: str = field(default="")  # tells two jobs apart in a long-lived worker

    def __post_init__(self) -> None:
        if not self.token:
            self.token = hashlib.sha256(b"\0".join([
                self.register.encode("utf-8"), self.base.encode("utf-8"),
                json.dumps(self.kinds, sort_keys=True).encode("utf-8")])).hexdigest()


# per worker process: the job it last ran and that job's context, made once
_WORKER: dict[str, Any] = {}


def _job_context(job: Job) -> Context:
    if _WORKER.get("token") != job.token:
        from newsgraph.pipeline.cache import read_graph, register_records

        _WORKER.clear()
        register = read_graph(job.register)
        _WORKER.update(token=job.token, context=Context(
            register, register_records(register), job.trusted, job.kinds, job.base))
        # the register lives as long as the worker: left out of the garbage
        # collector's full passes, which would walk it again and again
        gc.freeze()
    return _WORKER["context"]


Item = tuple[str, "ArticleAnnotations | None", "bytes | None"]  # slug, annotations, N-Quads


def chunk_of_job(job: Job, items: Sequence[Item]) -> list[ArticleResult]:
    ctx = _job_context(job)
    return [work_on_article(ctx, *item) for item in items]


def register_of_job(job: Job) -> list[Finding]:
    return register_findings(_job_context(job))


# ------------------------------------------------------------- on this machine

# what a forked worker inherits instead of unpickling: the context and the articles
_FORKED: tuple[Context, Sequence[ArticleAnnotations]] | None = None


def _init_forked() -> None:
    # What the worker inherited from the build (the corpus, the register) is
    # never freed here; left to the garbage collector, each full pass would walk
    # it (and copy its pages), a cost that grew with the corpus.
    gc.freeze()


def _chunk_forked(items: Sequence[tuple[int, bytes | None]]) -> list[ArticleResult]:
    assert _FORKED is not None
    ctx, articles = _FORKED
    return [work_on_article(ctx, articles[i].slug, articles[i], nquads)
            for i, nquads in items]


def _register_forked() -> list[Finding]:
    assert _FORKED is not None
    return register_findings(_FORKED[0])


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


Waiter = Callable[[], list["ArticleResult"]]


class Runner:
    """Runs a build's per-article work and the register's validation."""

    def __init__(self, articles: Sequence[ArticleAnnotations]):
        self._articles = articles

    def register(self) -> Callable[[], list[Finding]]:
        """Start validating the register; the returned function waits for its findings."""
        raise NotImplementedError

    def start(self, items: Sequence[tuple[int, bytes | None]]) -> Waiter:
        """Start the work on a chunk of articles, each given by its index in the
        corpus and, if only its validation is to be done, its cached N-Quads; the
        returned function waits for their results, in the order of ``items``."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def _sent(self, items: Sequence[tuple[int, bytes | None]]) -> list[Item]:
        """The items as a worker that did not inherit the corpus needs them."""
        return [(self._articles[i].slug, self._articles[i] if nquads is None else None, nquads)
                for i, nquads in items]


class InProcess(Runner):
    """``--jobs 1``: everything in this process, nothing sent anywhere; the work
    is done when it is waited for."""

    def __init__(self, ctx: Context, articles: Sequence[ArticleAnnotations]):
        super().__init__(articles)
        self._ctx = ctx

    def register(self) -> Callable[[], list[Finding]]:
        return lambda: register_findings(self._ctx)

    def start(self, items: Sequence[tuple[int, bytes | None]]) -> Waiter:
        articles = self._articles
        return lambda: [work_on_article(self._ctx, articles[i].slug, articles[i], nquads)
                        for i, nquads in items]


class LocalPool(Runner):
    """``--jobs N``: N worker processes on this machine."""

    def __init__(self, ctx: Context, articles: Sequence[ArticleAnnotations],
                 job: Callable[[], Job], jobs: int):
        global _FORKED
        super().__init__(articles)
        # forked workers inherit the context and the corpus instead of receiving
        # a pickled copy; elsewhere (spawn) the job is sent with each task
        self._forked = "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux"
        if self._forked:
            _FORKED = (ctx, articles)
            self._pool: Executor = ProcessPoolExecutor(
                max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                initializer=_init_forked)
        else:
            self._job = job()
            self._pool = ProcessPoolExecutor(max_workers=jobs)

    def register(self) -> Callable[[], list[Finding]]:
        future = (self._pool.submit(_register_forked) if self._forked
                  else self._pool.submit(register_of_job, self._job))
        return future.result

    def start(self, items: Sequence[tuple[int, bytes | None]]) -> Waiter:
        if self._forked:
            return self._pool.submit(_chunk_forked, list(items)).result
        return self._pool.submit(chunk_of_job, self._job, self._sent(items)).result

    def close(self) -> None:
        global _FORKED
        self._pool.shutdown(wait=True, cancel_futures=True)
        _FORKED = None


class DaskCluster(Runner):
    """``--executor dask --scheduler ADDR``: the workers of a Dask cluster."""

    def __init__(self, articles: Sequence[ArticleAnnotations], job: Job, scheduler: str,
                 timeout_s: float = 10.0):
        super().__init__(articles)
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
        return self._client.submit(register_of_job, self._job, pure=False).result

    def start(self, items: Sequence[tuple[int, bytes | None]]) -> Waiter:
        return self._client.submit(chunk_of_job, self._job, self._sent(items),
                                   pure=False).result

    def close(self) -> None:
        self._client.close()


def make_runner(ctx: Context, articles: Sequence[ArticleAnnotations], jobs: int,
                executor: str = "local", scheduler: str | None = None) -> Runner:
    """The runner a build asked for."""
    def job() -> Job:
        return Job(ctx.register_text(), ctx.trusted, ctx.kinds, ctx.base)

    if executor == "dask":
        if not scheduler:
            raise ExecutorError("--executor dask needs --scheduler ADDR "
                                "(such as tcp://10.0.0.5:8786)")
        return DaskCluster(articles, job(), scheduler)
    if executor != "local":
        raise ExecutorError(f"unknown executor {executor!r}: local or dask")
    if jobs <= 1:
        return InProcess(ctx, articles)
    return LocalPool(ctx, articles, job, jobs)

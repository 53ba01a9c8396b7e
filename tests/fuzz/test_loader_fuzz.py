"""Fuzzing the annotation loader: no input gives anything but one line per problem.

The real seeds are copied into a temporary project and mutated by plans of a few
operations (:mod:`mutations`: lines deleted, duplicated, re-indented or swapped,
values swapped or replaced, unicode and random bytes inserted, huge and deeply
nested values, anchors, aliases and alias bombs, tags, dates and date words at
the edges of the calendar). Each case runs ``load_corpus`` in a worker process
(:mod:`worker`) capped at 500 MB of address space and 10 s of CPU time (60 s of
wall time where no signal reaches it); a case fails on any
exception but ``AnnotationError``, on a hang or on memory over the cap, and on a
refusal whose lines are not one short line each (:func:`harness.failure`).

The run in CI is seeded and stops after ``NEWSGRAPH_FUZZ_SECONDS`` (default 35)
or ``NEWSGRAPH_FUZZ_EXAMPLES`` cases (default 600), whichever comes first; on a
failure hypothesis shrinks the plan and prints it. A long run, with a new seed
each time unless ``NEWSGRAPH_FUZZ_SEED`` is given::

    NEWSGRAPH_FUZZ_LONG=1 python3 -m pytest -s tests/fuzz/test_loader_fuzz.py

runs for an hour (``NEWSGRAPH_FUZZ_SECONDS`` to change it) and, with
``NEWSGRAPH_FUZZ_KEEP_GOING=1``, counts every failing case by kind instead of
stopping at the first.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from .harness import MEMORY_BYTES, Worker, failure, make_project, signature
from .mutations import Op, apply, plans, seed_files

pytestmark = pytest.mark.slow

LONG = os.environ.get("NEWSGRAPH_FUZZ_LONG") == "1"
# 35 s of cases, the worker's start and the last case: within a minute when busy
SECONDS = float(os.environ.get("NEWSGRAPH_FUZZ_SECONDS", 3600 if LONG else 35))
# at most this many cases; a case drawn past the deadline ends the run (_TimeUp)
EXAMPLES = int(os.environ.get("NEWSGRAPH_FUZZ_EXAMPLES", 10_000_000 if LONG else 600))
KEEP_GOING = os.environ.get("NEWSGRAPH_FUZZ_KEEP_GOING") == "1"
SEED = int(os.environ.get("NEWSGRAPH_FUZZ_SEED") or
           (random.SystemRandom().randrange(1 << 32) if LONG else 20261201))


# a long run prints its figures this often, so that one stopped early leaves them
PROGRESS_EVERY_S = 60.0


class _TimeUp(Exception):
    """Raised by a case drawn after the deadline: hypothesis stops drawing. (A
    case that only returned would let a long run's ten million be drawn, for
    hours, after the last one ran.)"""


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    running = Worker(make_project(tmp_path / "project"), tmp_path / "worker.log")
    yield running
    running.close()


def test_mutated_seeds_give_one_line_per_problem_never_a_traceback(worker: Worker) -> None:
    originals = seed_files(worker.project / "seeds")
    deadline = time.monotonic() + SECONDS
    outcomes: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    examples: dict[str, list[Op]] = {}
    peak_kb = 0
    slowest = 0.0
    slowest_plan: list[Op] = []
    found = False
    next_progress = time.monotonic() + PROGRESS_EVERY_S

    def summary() -> str:
        return (f"loader fuzz: seed {SEED}, {sum(outcomes.values())} cases {dict(outcomes)}, "
                f"{len(failures)} kinds of failure in {sum(failures.values())} cases, worker "
                f"started {worker.started} time(s), slowest case {slowest:.2f}s of CPU, peak "
                f"RSS {peak_kb // 1024} MB (cap {MEMORY_BYTES // 2**20} MB of address space)")

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.generate] if KEEP_GOING else [Phase.generate, Phase.shrink])
    @given(plan=plans())
    def case(plan: list[Op]) -> None:
        nonlocal peak_kb, slowest, found, next_progress
        now = time.monotonic()
        if now > deadline:
            if found:  # shrinking the failure found: the remaining cases just pass
                return
            raise _TimeUp
        if LONG and now > next_progress:
            print(f"\n[{time.strftime('%H:%M:%S')}] {summary()}", flush=True)
            next_progress = now + PROGRESS_EVERY_S
        files = apply(plan, originals)
        changed = {rel: data for rel, data in files.items() if data != originals[rel]}
        answer = worker.run(changed)
        outcomes[answer["outcome"]] += 1
        peak_kb = max(peak_kb, answer.get("maxrss_kb", 0))
        if answer.get("cpu_seconds", 0) > slowest:
            slowest = answer["cpu_seconds"]
            slowest_plan[:] = plan
        why = failure(answer)
        if why is None:
            return
        if not KEEP_GOING:
            found = True
            raise AssertionError(f"plan {plan!r}: {why}")
        kind = signature(why)
        failures[kind] += 1
        examples.setdefault(kind, plan)

    try:
        case()
    except _TimeUp:
        pass
    print(f"\n{summary()}\nslowest: {slowest_plan!r}")
    assert sum(outcomes.values()) >= (20 if not LONG else 1), "the run tried almost nothing"
    assert not failures, "\n\n".join(f"{n} case(s): {kind}\n  e.g. {examples[kind]!r}"
                                     for kind, n in failures.most_common())

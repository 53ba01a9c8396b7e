"""The fuzz tests' child process: runs the loader on one mutated project at a time.

Started as ``python worker.py PROJECT MEMORY_BYTES CPU_S WALL_S`` by the fuzz
tests (:mod:`harness`). It caps its own address space (RLIMIT_AS) so that a case
that needs more memory fails here, not on the machine. Each case may take CPU_S
seconds of CPU time, counted by the kernel (ITIMER_PROF), so that a busy machine
does not make a fast case look slow: past that the case is stopped where it is,
with its traceback. A case stuck in C code, which no signal interrupts, is ended
by ``faulthandler`` after WALL_S seconds of wall time, printing where it hung;
the parent keeps its own deadline besides.

Protocol, over stdin and stdout: each request is a length-prefixed pickle of
``{relative path: bytes}`` (the files that differ from the seeds); each answer a
length-prefixed pickle of a dict: ``outcome`` ("valid", "refused" or "crash"),
``seconds``, and ``problems`` (the refused lines) or ``error`` (a traceback).
The pickles pass only between this test and its own child.
"""

from __future__ import annotations

import copy
import faulthandler
import pickle
import resource
import signal
import struct
import sys
import time
import traceback
from pathlib import Path
from typing import Any, BinaryIO


def _read(stream: BinaryIO) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        return None
    (size,) = struct.unpack("<Q", head)
    return pickle.loads(stream.read(size))  # noqa: S301 - our own parent's message


def _write(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _peak_kb() -> int:
    """The process's peak resident memory. Not ru_maxrss, which Linux carries over
    from the process that started this one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class CaseTooSlow(BaseException):
    """Raised in the case's own frames when it has used up its CPU time; a
    BaseException, so that no ``except Exception`` in the code under test keeps it."""


def _too_slow(_signum: int, _frame: object) -> None:
    raise CaseTooSlow


def main() -> int:
    project, memory = Path(sys.argv[1]), int(sys.argv[2])
    cpu_limit, wall_limit = float(sys.argv[3]), float(sys.argv[4])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    signal.signal(signal.SIGPROF, _too_slow)
    from newsgraph.pipeline import annotations

    seeds = project / "seeds"
    originals = {p.relative_to(project).as_posix(): p.read_bytes()
                 for p in seeds.rglob("*") if p.is_file()}
    # The seeds as shipped are parsed once and copied after: most cases change one
    # file, and parsing the unchanged ones again would only slow the search. A
    # changed file is read by the real read_yaml every time.
    real_read_yaml = annotations.read_yaml
    parsed: dict[tuple[str, str], Any] = {}

    def read_yaml(path: Path, label: str, cache: object = None) -> Any:
        # the build's parsed-file cache is not used here: this copy is the cache
        rel = path.relative_to(project).as_posix()
        if path.read_bytes() != originals.get(rel):
            return real_read_yaml(path, label)
        key = (rel, label)
        if key not in parsed:
            parsed[key] = real_read_yaml(path, label)
        return copy.deepcopy(parsed[key])

    annotations.read_yaml = read_yaml
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # nothing else may write to the protocol's stream
    sys.stdout = sys.stderr
    changed: set[str] = set()
    while True:
        files = _read(stdin)
        if files is None:
            return 0
        for rel in changed - set(files):
            (project / rel).write_bytes(originals[rel])
        for rel, data in files.items():
            (project / rel).write_bytes(data)
        changed = set(files)
        faulthandler.dump_traceback_later(wall_limit, exit=True)
        started, cpu_started = time.perf_counter(), time.process_time()
        answer: dict[str, Any]
        try:
            signal.setitimer(signal.ITIMER_PROF, cpu_limit)
            annotations.load_corpus(seeds)
            answer = {"outcome": "valid"}
        except annotations.AnnotationError as exc:
            answer = {"outcome": "refused", "problems": [str(p) for p in exc.problems],
                      "fields": [(p.file, p.line, p.record, p.rule) for p in exc.problems]}
        except CaseTooSlow:
            answer = {"outcome": "crash", "error": f"more than {cpu_limit:.0f}s of CPU time "
                      f"(a hang), stopped in:\n{traceback.format_exc(limit=-12)}"}
        except BaseException:  # noqa: B036 - anything else is what we are looking for
            answer = {"outcome": "crash", "error": traceback.format_exc(limit=-12)}
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            faulthandler.cancel_dump_traceback_later()
        answer["seconds"] = time.perf_counter() - started
        answer["cpu_seconds"] = time.process_time() - cpu_started
        answer["maxrss_kb"] = _peak_kb()
        try:
            _write(stdout, answer)
        except MemoryError:
            _write(stdout, {"outcome": "crash", "error": "MemoryError while answering",
                            "seconds": answer["seconds"]})


if __name__ == "__main__":
    sys.exit(main())

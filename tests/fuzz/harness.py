"""The parent side of the loader's fuzz tests: a worker process to run cases in,
and what counts as a failure.

A case fails when the loader raises anything but ``AnnotationError``, takes more
than :data:`CASE_SECONDS` of CPU time (or :data:`CASE_WALL_SECONDS` of wall time,
for a case stuck where no signal reaches it), needs more than
:data:`MEMORY_BYTES` of address space
(the worker's RLIMIT_AS: Python raises MemoryError there, or the process dies),
or refuses the input with a line that is not one line naming file, record and
rule, or is longer than :data:`LINE_LIMIT` characters (a value echoed whole).
"""

from __future__ import annotations

import os
import pickle
import select
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("worker.py")
REPO = Path(__file__).resolve().parents[2]
CASE_SECONDS = 10.0
# Wall time is what a busy machine stretches: only a case stuck in C code, which
# CPU time cannot stop, is left to this.
CASE_WALL_SECONDS = 60.0
MEMORY_BYTES = 500 * 1024 * 1024
# The longest refusal line we accept. A message names a file, a record and a rule
# and echoes a few values, each cut short: well under this even for long quotes.
LINE_LIMIT = 1000


def make_project(root: Path) -> Path:
    """A copy of the repository's project to mutate."""
    shutil.copytree(REPO / "seeds", root / "seeds")
    shutil.copy2(REPO / "newsgraph.toml", root / "newsgraph.toml")
    return root


class Worker:
    """One worker process, restarted after a case that killed it."""

    def __init__(self, project: Path, log: Path):
        self.project = project
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0

    def _start(self) -> subprocess.Popen[bytes]:
        self.started += 1
        with self.log.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, str(WORKER), str(self.project), str(MEMORY_BYTES),
                 str(CASE_SECONDS), str(CASE_WALL_SECONDS)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
            )
        return self.process

    def _read_exactly(self, fd: int, size: int, deadline: float) -> bytes | None:
        chunks: list[bytes] = []
        while size:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def run(self, files: dict[str, bytes]) -> dict[str, Any]:
        """The worker's answer for one case; a dead or silent worker is a crash."""
        process = self.process if self.process and self.process.poll() is None else self._start()
        assert process.stdin and process.stdout
        data = pickle.dumps(files)
        started = time.monotonic()
        try:
            process.stdin.write(struct.pack("<Q", len(data)) + data)
            process.stdin.flush()
        except BrokenPipeError:
            return self._died(started)
        # faulthandler in the worker ends a hung case at CASE_SECONDS; this is the
        # deadline for a worker that cannot even do that
        deadline = started + CASE_WALL_SECONDS + 20
        fd = process.stdout.fileno()
        head = self._read_exactly(fd, 8, deadline)
        body = head and self._read_exactly(fd, struct.unpack("<Q", head)[0], deadline)
        if not body:
            return self._died(started)
        return pickle.loads(body)  # noqa: S301 - our own child's answer

    def _died(self, started: float) -> dict[str, Any]:
        seconds = time.monotonic() - started
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        tail = self.log.read_text(errors="replace")[-3000:]
        hung = "Timeout" in tail or seconds >= CASE_WALL_SECONDS
        what = "hung" if hung else "died"
        return {"outcome": "crash", "seconds": seconds,
                "error": f"worker {what} (exit {self.process.returncode}) after "
                         f"{seconds:.1f}s:\n{tail}"}

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            assert self.process.stdin
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def failure(answer: dict[str, Any]) -> str | None:
    """Why an answer is a failure, or None."""
    if answer["outcome"] == "crash":
        return answer["error"]
    if answer.get("cpu_seconds", 0) > CASE_SECONDS:
        return f"took {answer['cpu_seconds']:.1f}s of CPU time"
    for line, (file, _line, record, rule) in zip(answer.get("problems", []),
                                                 answer.get("fields", []), strict=True):
        if len(line.splitlines()) != 1:
            return f"a problem is not one line: {line[:300]!r}"
        if len(line) > LINE_LIMIT:
            return f"a problem line of {len(line)} characters: {line[:300]!r}…"
        if not (file.startswith("seeds") and record and rule):
            return f"a problem without its file, record or rule: {line[:300]!r}"
    return None


def signature(error: str) -> str:
    """What a crash is, for counting distinct ones: its last frame and exception."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    frames = [line for line in lines if line.startswith("File ")]
    if "Timeout" in error and frames:
        # faulthandler's dump of a hung case: the innermost frame comes first
        return f"hung in {frames[0]}"[:300]
    return f"{frames[-1] if frames else ''} {lines[-1] if lines else ''}"[:300]

"""Waiting for something to happen: a condition, never a fixed time.

A test that sleeps for a fixed time and then looks is a test that fails on a
busy machine (the thing took longer) or passes by luck (it had not happened
yet). These wait for the condition itself, up to a generous bound that only a
real failure reaches, and look at a process's state rather than at how long
something took.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def wait_until(predicate: Callable[[], object], timeout: float = 10.0,
               interval: float = 0.05) -> bool:
    """Whether ``predicate()`` became true within ``timeout`` seconds (polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def thread_states(pid: int) -> list[str]:
    """The scheduler state of each thread of a process (R running or runnable,
    S sleeping, D waiting on a disk, Z zombie...); empty once it is gone."""
    states = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        try:
            raw = (task / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces
        states.append(raw[raw.rindex(")") + 2])
    return states


def is_waiting(pid: int) -> bool:
    """The process exists and none of its threads is computing: each is asleep
    (blocked on a read, a lock, a timer). A process running a query never is."""
    states = thread_states(pid)
    return bool(states) and all(s in "SI" for s in states)

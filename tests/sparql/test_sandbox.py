"""The second lock: a query process may not open Internet sockets at all."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64"),
    reason="the seccomp filter is written for Linux on x86_64 and aarch64",
)

PROGRAM = textwrap.dedent(
    """
    import os, socket, sys
    import pyoxigraph as ox
    from newsgraph.server.sparql.sandbox import deny_internet_sockets
    port = int(sys.argv[1])
    assert deny_internet_sockets()
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.socket(family, socket.SOCK_STREAM)
        except PermissionError:
            print("inet refused", family)
    a, b = socket.socketpair()
    a.send(b"x")
    print("unix ok", b.recv(1))
    r, w = os.pipe()
    os.write(w, b"y")
    print("pipe ok", os.read(r, 1))
    store = ox.Store()
    try:
        list(store.query(f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"))
    except PermissionError as error:
        print("engine refused", error)
    print("query ok", bool(store.query("ASK {}")))
    """
)


def test_a_sandboxed_process_cannot_reach_the_network_but_still_works(canary):
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(canary.port)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("inet refused") == 2
    assert "unix ok b'x'" in out and "pipe ok b'y'" in out
    assert "engine refused" in out
    assert "query ok True" in out
    assert canary.connections == 0

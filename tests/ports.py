"""A free TCP port on 127.0.0.1, for a server a test starts: the one helper
the tests share (tests/external/engines.py keeps its own, as bench/ imports it
without the tests' folder on its path)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now (the OS picks it; a server started next
    binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

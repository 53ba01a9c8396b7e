"""The framing between the query pool and its worker processes, written once.

A frame is a 4-byte big-endian length, a JSON header of that length, then
``header["size"]`` bytes of body. Both ends read with a ``read(n)`` callable
that returns exactly ``n`` bytes or ``None`` at end of stream, so the pool can
read with a deadline and the worker from a blocking pipe.

Every query frame is acknowledged by one ``RECEIVED`` byte before the worker
starts on it: a worker that dies before sending it never had the query, so the
pool may hand the query to another worker without running anything twice; one
that dies after it was killed by the query.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

_LENGTH = struct.Struct(">I")
RECEIVED = b"\x06"
# the exit status of a worker that ran out of memory where it could not answer
# (writing the answer): the pool reads it as "the query needed more memory"
EXIT_OUT_OF_MEMORY = 86

Reader = Callable[[int], "bytes | None"]


def encode(header: dict, body: bytes = b"") -> bytes:
    raw = json.dumps({**header, "size": len(body)}, ensure_ascii=False).encode("utf-8")
    return _LENGTH.pack(len(raw)) + raw + body


def decode(read: Reader, read_body: Reader | None = None) -> tuple[dict, bytes] | None:
    """One frame from ``read``; ``None`` if the stream ends before a whole frame.

    ``read_body`` (default ``read``) reads the body, so the pool can give a body
    whose header has arrived more time than the header had.
    """
    raw = read(_LENGTH.size)
    if raw is None:
        return None
    head = read(_LENGTH.unpack(raw)[0])
    if head is None:
        return None
    header = json.loads(head)
    size = int(header.get("size") or 0)
    if not size:
        return header, b""
    body = (read_body or read)(size)
    if body is None:
        return None
    return header, body


def out_of_memory_message(memory_mb: int) -> str:
    """What a query that needed more than the query process may allocate is told,
    by the worker (Python ran out) or by the pool (the engine did, and the worker died)."""
    return (
        f"The query needed more than {memory_mb} MB of memory, the most one query may use "
        "on this endpoint, and was stopped; nothing was returned. Build shorter values "
        "(CONCAT, REPEAT-like nesting), use a more selective pattern or LIMIT, or "
        "download the dataset's dumps."
    )

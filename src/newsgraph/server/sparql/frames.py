"""The framing between the query pool and its worker processes, written once.

A frame is a 4-byte big-endian length, a JSON header of that length, then
``header["size"]`` bytes of body. Both ends read with a ``read(n)`` callable
that returns exactly ``n`` bytes or ``None`` at end of stream, so the pool can
read with a deadline and the worker from a blocking pipe.

Every query frame is acknowledged by one ``RECEIVED`` byte before the worker
starts on it: a worker that dies before sending it never had the query, so the
pool may hand the query to another worker without running anything twice.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

_LENGTH = struct.Struct(">I")
RECEIVED = b"\x06"

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

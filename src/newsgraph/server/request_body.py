"""The request body as the application reads it: transfer-coding errors become 400/413.

gunicorn decodes ``Transfer-Encoding: chunked`` itself, lazily, while the
application reads ``wsgi.input``; a malformed chunk raises gunicorn's own
``ParseException`` (or ``NoMoreData``) out of that read, in the middle of a
view, where it was a 500 with a traceback in the log (issue 12). And a chunk
may announce any size (``ffffffffffffffff``): gunicorn then waits for that many
bytes, so a body limit enforced by counting what arrives comes too late.

This is the one place both are mapped: ``wrap`` gives the application an input
stream whose read errors are werkzeug's ``BadRequest`` (400) and
``RequestEntityTooLarge`` (413), answered as plain text like any HTTP error,
and refuses a chunk larger than the body limit as soon as its size line is read.
Outside gunicorn (the test client, another server) the stream is passed on as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge

try:  # gunicorn is how we serve, but the application does not need it
    from gunicorn.http.body import ChunkedReader
    from gunicorn.http.errors import NoMoreData, ParseException
except ImportError:  # pragma: no cover - gunicorn is a dependency
    ChunkedReader = None  # type: ignore[assignment,misc]
    ParseException = NoMoreData = ()  # type: ignore[assignment,misc]


class ChunkTooLarge(RequestEntityTooLarge):
    pass


class _CheckedInput:
    """``wsgi.input`` with the server's parse errors turned into HTTP errors."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, name)(*args)
        except (BadRequest, RequestEntityTooLarge):
            raise
        except NoMoreData:
            raise ClientDisconnected("The request body ended before its last chunk.") from None
        except ParseException as error:
            raise BadRequest(f"The request body's chunked encoding is malformed: "
                             f"{str(error)[:120]}") from None

    def read(self, size: int | None = -1) -> bytes:
        return self._call("read", -1 if size is None else size)

    def readline(self, size: int | None = None) -> bytes:
        return self._call("readline", size)

    def readlines(self, hint: int | None = None) -> list[bytes]:
        return self._call("readlines", hint)

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _limit_chunks(stream: Any, limit: int) -> None:
    """Make gunicorn's chunked reader refuse a chunk announced larger than ``limit``."""
    reader = getattr(stream, "reader", None)
    if ChunkedReader is None or not isinstance(reader, ChunkedReader):
        return
    parse_size = reader.parse_chunk_size

    def parse_chunk_size(unreader: Any, data: bytes | None = None) -> tuple[int, Any]:
        size, rest = parse_size(unreader, data)
        if size > limit:
            raise ChunkTooLarge(f"A chunk of the request body announces {size} bytes; the "
                                f"whole body may have at most {limit}.")
        return size, rest

    # the decoding generator looks the method up on the instance when it starts,
    # which is at the application's first read, after this
    reader.parse_chunk_size = parse_chunk_size


def wrap(app: Callable[..., Iterable[bytes]], max_body_bytes: int
         ) -> Callable[..., Iterable[bytes]]:
    """A WSGI application like ``app`` whose request bodies are read as above."""

    def checked_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        stream = environ.get("wsgi.input")
        if stream is not None and ChunkedReader is not None and \
                isinstance(getattr(stream, "reader", None), ChunkedReader):
            _limit_chunks(stream, max_body_bytes)
            environ["wsgi.input"] = _CheckedInput(stream)
        return app(environ, start_response)

    return checked_app

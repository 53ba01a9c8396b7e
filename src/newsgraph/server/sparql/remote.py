"""The SPARQL endpoint's queries when the data is in an external store.

The same interface as :class:`newsgraph.server.sparql.pool.QueryPool`
(``graphs``, ``wait_ready``, ``run``), but no worker processes: the web
process forwards each query, once the guard has passed it, to the store and
waits at most the time limit. Worker processes exist because pyoxigraph
cannot stop a running query; here the work is the engine's, so the HTTP
timeout ends the wait, and the engine is asked to stop the work too where
its dialect knows how (Virtuoso's ``timeout``; Oxigraph server only has a
server-wide ``--timeout-s``). A worker process would also have to be let
through the Internet-socket sandbox to the store's address, for nothing: the
store is reached by the web process anyway, and SERVICE is refused by the
guard before anything is sent (the engine would otherwise make the call).

Answers are written by the same code as the workers' (``worker.execute``:
the row and byte caps, the result writers), so they come out byte for byte
as the embedded store's would for the same solutions.
"""

from __future__ import annotations

import threading

from newsgraph.external import (
    AnswerTooLarge,
    ExternalStoreError,
    QueryRejected,
    StoreTimeout,
    TruncatedAnswer,
)
from newsgraph.server.backends import RemoteStore
from newsgraph.server.sparql import worker
from newsgraph.server.sparql.pool import Busy, QueryTimeout

# A store's SPARQL JSON answer is longer than what the endpoint writes of it
# (a TSV row of two IRIs is a quarter of its JSON): the most read from the
# store is this many times the endpoint's answer cap, so the web worker holds
# a bounded answer, and an answer over the cap is still refused by its writer.
READ_FACTOR = 4


class RemoteQueries:
    """At most ``slots`` queries at once are forwarded to ``backend``; one more
    waits up to ``queue_wait_s`` for a turn, then is turned away (503)."""

    def __init__(self, backend: RemoteStore, prefixes: dict[str, str], slots: int,
                 queue_wait_s: float) -> None:
        self.backend = backend
        self.prefixes = prefixes
        self.queue_wait_s = queue_wait_s
        self._slots = threading.BoundedSemaphore(max(1, slots))
        self.graphs = backend.graph_names()
        # the release's counts, which serve --store checked against the store
        self.sizes: dict[str, int | None] = dict(backend.graphs)

    def wait_ready(self, timeout: float = 0.0) -> None:
        """Nothing to start: the store was checked when the server started."""

    def run(self, request: dict, timeout_s: float) -> tuple[dict, bytes]:
        if not self._slots.acquire(timeout=self.queue_wait_s):
            raise Busy("Too many queries are running; try again in a moment.", 503)
        try:
            limit = int(request.get("max_bytes") or worker.DEFAULT_MAX_BYTES)
            return worker.execute(self.backend, {**request}, self.prefixes,
                                  timeout_s=timeout_s, read_bytes=limit * READ_FACTOR)
        except StoreTimeout:
            raise QueryTimeout(f"The query ran past the time limit of {timeout_s:g} s and "
                               "was stopped; nothing was answered.", retry_after=5) from None
        except AnswerTooLarge:
            return worker.too_large(int(request.get("max_bytes") or worker.DEFAULT_MAX_BYTES))
        except TruncatedAnswer as cut:
            return {"ok": False, "status": 400, "message": (
                f"The result is longer than the data store returns in one answer ({cut}); "
                "nothing was cut: add LIMIT and OFFSET to fetch it in pages, or download "
                "the dataset's dumps.")}, b""
        except QueryRejected as rejected:
            return {"ok": False, "status": 400,
                    "message": f"The data store refused the query: {rejected}"}, b""
        except ExternalStoreError as error:
            return {"ok": False, "status": 502,
                    "message": f"The data store behind this endpoint failed: {error}"}, b""
        finally:
            self._slots.release()

    def close(self, busy_too: bool = True) -> None:
        """Nothing to stop (the pool's interface)."""

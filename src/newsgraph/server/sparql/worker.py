"""A query worker: a child process that runs SPARQL queries and can be killed.

pyoxigraph has no query timeout, and a running query cannot be interrupted
from Python; so queries run here, one at a time, and the web process kills the
whole process when the time limit passes (see ``pool.py``). The store is
opened read-only; Internet sockets are forbidden (``sandbox.py``) unless the
server allows some SERVICE endpoint.

Frames on stdin/stdout are those of ``frames.py``. The first frame in is the
worker's spec; the first frame out says it is ready and which named graphs the
store holds. Each query after that is acknowledged by one byte before it runs.

Once the data is in, what the process may allocate beyond it is capped
(``memory_mb`` of the spec, RLIMIT_DATA): a query that needs more gets an
answer saying so when Python runs out (``MemoryError``), or kills the process
when the engine does (Rust aborts on a failed allocation, SIGABRT), and the pool
tells its caller which it was (``pool.py``).

Run as ``python -m newsgraph.server.sparql.worker`` (started by the pool, never by hand).
"""

from __future__ import annotations

import os
import resource
import select
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, BinaryIO, NoReturn

import pyoxigraph as ox

from newsgraph.server.sparql import frames, results
from newsgraph.server.sparql.sandbox import deny_internet_sockets
from newsgraph.server.store import FILE_FORMATS

if TYPE_CHECKING:
    from newsgraph.server.backends import DataStore

# the answer byte cap when a request names none (Settings.sparql_max_answer_bytes)
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


def write_frame(out: BinaryIO, header: dict, body: bytes = b"") -> None:
    out.write(frames.encode(header, body))
    out.flush()


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> tuple[dict, bytes] | None:
    return frames.decode(lambda n: _read_exactly(stream, n))


def open_store(kind: str, path: str, dump: str | None = None, quads: int | None = None
               ) -> ox.Store:
    """The store to query: an on-disk store read-only, or an RDF file loaded in memory.

    With ``dump`` (the release's N-Quads of the same data, ``quads`` long) an
    on-disk store is served from memory instead, if the dump loads to exactly
    that many quads; otherwise from disk.
    """
    if kind == "store":
        if dump and quads is not None:
            memory = ox.Store()
            try:
                memory.bulk_load(path=dump, format=ox.RdfFormat.N_QUADS)
                if len(memory) == quads:
                    return memory
            except (OSError, SyntaxError):
                pass
            del memory
        return ox.Store.read_only(path)
    store = ox.Store()
    suffix = os.path.splitext(path)[1].lower()
    fmt = FILE_FORMATS.get(suffix)
    if fmt is None:
        raise ValueError(f"cannot serve {path}: expected one of {', '.join(FILE_FORMATS)}")
    store.bulk_load(path=path, format=fmt)
    return store


def _graph_names(store: ox.Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def _nodes(iris: list[str] | None) -> list[ox.NamedNode] | None:
    return None if iris is None else [ox.NamedNode(i) for i in iris]


def cap_memory(memory_mb: int) -> int | None:
    """Let this process allocate at most ``memory_mb`` MiB more than it holds now;
    the limit in bytes, or None where there is no cap (0, or no ``/proc``).

    RLIMIT_DATA rather than RLIMIT_AS: the address space counts what is reserved
    but never used (glibc's 64 MiB arena per thread, thread stacks, mapped
    files) -- 523 MiB of it for a query process on the on-disk store whose data
    segment is 97 MiB and RSS 40 MiB, 124 MiB against 24 MiB in memory -- so a cap
    on it would measure RocksDB's threads, not the query. The data limit counts
    private writable memory (heap and anonymous mappings, Linux 4.7 and later),
    which is where a query's strings and tables go.
    """
    held = data_bytes()
    if memory_mb <= 0 or held is None:
        return None
    limit = held + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    return limit


def data_bytes() -> int | None:
    """What RLIMIT_DATA counts for this process now (VmData), None if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def out_of_memory(memory_mb: int) -> dict:
    """The answer to a query that needed more than the process may allocate."""
    return {
        "ok": False,
        "status": 400,
        "retire": True,  # what is left of the heap is not worth keeping: start afresh
        "message": frames.out_of_memory_message(memory_mb),
    }


def execute(store: ox.Store | DataStore, request: dict, prefixes: dict[str, str],
            memory_mb: int = 0, timeout_s: float | None = None,
            read_bytes: int | None = None) -> tuple[dict, bytes]:
    """Run one query request; the header says ``ok`` or carries a status and message.

    ``store``: the worker's pyoxigraph store, or (``sparql/remote.py``) the
    external store's backend, which is also given the time limit ``timeout_s``
    and the longest answer it may read from the store, ``read_bytes``.
    """
    kwargs: dict = {"base_iri": request.get("base")}
    if timeout_s is not None:
        kwargs["timeout_s"] = timeout_s
    if read_bytes is not None:
        kwargs["max_bytes"] = read_bytes
    default_graphs = request.get("default_graphs")
    named_graphs = request.get("named_graphs")
    if default_graphs is not None or named_graphs is not None:
        # The protocol's dataset replaces the query's; a part not given is empty.
        kwargs["default_graph"] = _nodes(default_graphs or [])
        kwargs["named_graphs"] = _nodes(named_graphs or [])
    elif request.get("union"):
        kwargs["use_default_graph_as_union"] = True
    fmt = request["format"]
    max_rows = int(request["max_rows"])
    # counted as the answer is gathered, before any writer copies it: the process
    # holds about this much of answer at most (issue 12: a 64 MiB answer took one
    # to 500 MB), then the written body is checked against it too
    max_bytes = int(request.get("max_bytes") or DEFAULT_MAX_BYTES)
    started = time.perf_counter()
    try:
        answer = store.query(request["query"], **kwargs)
        if isinstance(answer, ox.QueryBoolean):
            body = results.boolean(bool(answer), fmt)
            rows = 1
        elif isinstance(answer, ox.QuerySolutions):
            variables = [v.value for v in answer.variables]
            width = len(variables)
            table = []
            size = sum(len(v) for v in variables)
            for solution in answer:
                if len(table) == max_rows:
                    return _too_many(max_rows, "rows")
                row = [solution[i] for i in range(width)]
                size += sum(term_bytes(term) for term in row)
                if size > max_bytes:
                    return too_large(max_bytes)
                table.append(row)
            body = results.SELECT_WRITERS[fmt](variables, table)
            rows = len(table)
        else:
            triples = []
            size = 0
            for triple in answer:
                if len(triples) == max_rows:
                    return _too_many(max_rows, "triples")
                size += term_bytes(triple)
                if size > max_bytes:
                    return too_large(max_bytes)
                triples.append(triple)
            body = results.graph(triples, fmt, prefixes)
            rows = len(triples)
        if len(body) > max_bytes:  # the format's own syntax and escapes made it larger
            return too_large(max_bytes)
    except MemoryError:
        return out_of_memory(memory_mb), b""
    except SyntaxError as error:
        return {"ok": False, "status": 400, "message": f"Query syntax error: {error}"}, b""
    except PermissionError as error:
        # the sandbox stopped an outbound connection the guard did not see
        return {"ok": False, "status": 400,
                "message": f"The query tried to reach the network, which is refused: {error}"}, b""
    except (RuntimeError, ValueError, TypeError) as error:
        return {"ok": False, "status": 400, "message": f"Query evaluation error: {error}"}, b""
    except OSError as error:
        return {"ok": False, "status": 500, "message": f"Store error: {error}"}, b""
    elapsed = time.perf_counter() - started
    return {"ok": True, "rows": rows, "seconds": round(elapsed, 6)}, body


def term_bytes(term: object) -> int:
    """About what ``term`` takes once written: its text, datatype or language,
    and the few bytes of syntax around it."""
    if term is None:
        return 0
    if isinstance(term, ox.Triple):
        return term_bytes(term.subject) + term_bytes(term.predicate) + term_bytes(term.object)
    if isinstance(term, ox.Literal):
        extra = len(term.language) if term.language else len(term.datatype.value)
        return len(term.value.encode("utf-8")) + extra + 16
    value = getattr(term, "value", "")
    return len(value.encode("utf-8")) + 16


def too_large(limit: int) -> tuple[dict, bytes]:
    return {
        "ok": False,
        "status": 400,
        "message": (
            f"The answer would be larger than {limit} bytes, the most this endpoint returns "
            "in one answer; nothing was cut: ask for fewer or shorter values (LIMIT, "
            "SUBSTR), fetch it in pages with LIMIT and OFFSET, or download the dataset's dumps."
        ),
    }, b""


def _too_many(limit: int, what: str) -> tuple[dict, bytes]:
    return {
        "ok": False,
        "status": 400,
        "message": (
            f"The result has more than {limit} {what}, the most this endpoint returns in one "
            "answer; nothing was cut: add LIMIT and OFFSET to fetch it in pages, or download "
            "the dataset's dumps."
        ),
    }, b""


def _watch_parent(fd: int) -> None:
    """Exit the moment the web process that started us is gone, even mid-query.

    Only that process holds the other end of our stdin, so the pipe hangs up
    exactly when it ends, however it ends (SIGKILL too). ``PR_SET_PDEATHSIG``
    would not do: it fires when the parent's *thread* that started us ends,
    and the pool starts workers from short-lived threads.
    """
    poller = select.poll()
    poller.register(fd, 0)  # no events asked: POLLHUP and POLLERR come anyway
    while True:
        for _, event in poller.poll():
            if event & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                _parent_gone()


def _parent_gone() -> NoReturn:
    # Nothing to save (the store is read-only), and nobody left to answer.
    os._exit(0)


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the pool, not the terminal, stops us
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Nothing else may write on the frame channel.
    sys.stdout = sys.stderr
    first = read_frame(stdin)
    if first is None:
        return 0
    spec = first[0]
    threading.Thread(target=_watch_parent, args=(stdin.fileno(),), daemon=True,
                     name="watch-parent").start()
    sandboxed = deny_internet_sockets() if spec.get("sandbox", True) else False
    try:
        store = open_store(spec["kind"], spec["path"], spec.get("dump"), spec.get("quads"))
        graphs = _graph_names(store)
    except (OSError, ValueError, SyntaxError) as error:
        _answer(stdout, {"ready": False, "message": f"cannot open the data: {error}"})
        return 1
    memory_mb = int(spec.get("memory_mb") or 0)
    # after the data is in, so that the cap is the queries' alone
    capped = cap_memory(memory_mb) is not None
    _answer(stdout, {"ready": True, "graphs": graphs, "sandboxed": sandboxed,
                     "pid": os.getpid(), "memory_capped": capped})
    prefixes = spec.get("prefixes") or {}
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return 0
        _acknowledge(stdout)
        try:
            header, body = execute(store, frame[0], prefixes, memory_mb)
            _answer(stdout, header, body)
        except MemoryError:
            # out of memory outside the query (writing the answer): no
            # traceback, an exit status the pool understands
            os._exit(frames.EXIT_OUT_OF_MEMORY)
        if header.get("retire"):
            return 0


def _acknowledge(out: BinaryIO) -> None:
    try:
        out.write(frames.RECEIVED)
        out.flush()
    except BrokenPipeError:
        _parent_gone()


def _answer(out: BinaryIO, header: dict, body: bytes = b"") -> None:
    try:
        write_frame(out, header, body)
    except BrokenPipeError:  # the web process went away while we worked
        _parent_gone()


if __name__ == "__main__":
    sys.exit(main())

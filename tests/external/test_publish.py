"""``newsgraph publish`` into real engines: every graph with the manifest's
counts, idempotent, resumable after a kill, verified, errors in one line."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsgraph import release
from newsgraph.external.client import StoreClient
from newsgraph.external.dialects import Virtuoso
from newsgraph.external.nquads import GraphBody

from .conftest import publish
from .engines import REPO, Engine, free_port
from .releases import synthetic_nquads, write_release

pytestmark = pytest.mark.xdist_group("external")


def _graphs(client: StoreClient, iris: list[str]) -> set[tuple[str, ...]]:
    """Every quad of the graphs ``iris`` in one query (refused if the store cut
    it), blank nodes left out: their labels are the engine's."""
    quads = set()
    for start in range(0, len(iris), 10):  # far below Virtuoso's 10,000 rows an answer
        rows = client.select("SELECT ?g ?s ?p ?o WHERE { VALUES ?g { "
                             + " ".join(f"<{i}>" for i in iris[start:start + 10])
                             + " } GRAPH ?g { ?s ?p ?o } "
                             "FILTER(!isBlank(?s) && !isBlank(?o)) }", union=False)
        quads |= {tuple(json.dumps(row[k], sort_keys=True) for k in "gspo") for row in rows}
    return quads


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def test_publish_loads_every_graph_with_its_manifest_count(engine: Engine, seed_release: Path,
                                                           tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = publish(engine, seed_release, state)
    assert first.returncode == 0, first.stderr
    _no_traceback(first)
    manifest = release.verify(seed_release)
    assert len(manifest["graphs"]) > 2  # articles, the register, the ontology
    with engine.client() as client:
        assert client.graph_counts(sorted(manifest["graphs"])) == manifest["graphs"]
        before = _graphs(client, sorted(manifest["graphs"]))

        again = publish(engine, seed_release, state)
        assert again.returncode == 0, again.stderr
        assert "0 sent" in again.stderr  # nothing changed, nothing sent
        # without its state every graph is sent again: replaced, never appended to
        # (the ontology's blank nodes would be doubled by an append)
        state.unlink()
        third = publish(engine, seed_release, state)
        assert third.returncode == 0, third.stderr
        assert f"{len(manifest['graphs'])} sent" in third.stderr
        assert client.graph_counts(sorted(manifest["graphs"])) == manifest["graphs"]
        assert _graphs(client, sorted(manifest["graphs"])) == before


def test_a_publish_killed_halfway_is_finished_by_the_next(engine: Engine,
                                                          tmp_path: Path) -> None:
    folder = write_release(tmp_path / "release", synthetic_nquads(30))
    manifest = release.verify(folder)
    graphs = sorted(manifest["graphs"])
    state = tmp_path / "state.json"
    with engine.client() as client:
        client.drop_graphs(graphs)
        # one graph a request, so the state grows graph by graph while we watch
        process = subprocess.Popen(
            [sys.executable, "-m", "newsgraph", "publish", "--to", engine.query, "--release",
             str(folder), "--state", str(state), "--batch-quads", "1"],
            env=engine.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        loaded = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                loaded = len(json.loads(state.read_text())["graphs"])
            except (OSError, ValueError, KeyError):
                loaded = 0
            if loaded >= 3:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)  # polling a condition: graphs recorded as loaded
        process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
        counts = client.graph_counts(graphs)
        assert sum(1 for g in graphs if counts[g] == manifest["graphs"][g]) < len(graphs), \
            "the publish finished before it could be killed"

        rerun = publish(engine, folder, state)
        assert rerun.returncode == 0, rerun.stderr
        assert client.graph_counts(graphs) == manifest["graphs"]
        resumed = _graphs(client, graphs)

        # the same as a publish that was never interrupted
        client.drop_graphs(graphs)
        state.unlink()
        clean = publish(engine, folder, state)
        assert clean.returncode == 0, clean.stderr
        assert _graphs(client, graphs) == resumed


def test_republishing_one_changed_article_sends_that_graph_and_drops_removed_ones(
        oxigraph: Engine, tmp_path: Path) -> None:
    body = synthetic_nquads(6)
    first = write_release(tmp_path / "one", body)
    state = tmp_path / "state.json"
    assert publish(oxigraph, first, state).returncode == 0
    graphs = sorted(release.verify(first)["graphs"])
    changed, removed = graphs[1], graphs[2]
    lines = [line for line in body.decode().splitlines(keepends=True)
             if not line.endswith(f"<{removed}> .\n")]
    at = next(i for i, line in enumerate(lines) if line.endswith(f"<{changed}> .\n"))
    lines.insert(at, f"<{changed}#new> <https://schema.org/name> \"new\" <{changed}> .\n")
    second = write_release(tmp_path / "two", "".join(lines).encode())
    result = publish(oxigraph, second, state)
    assert result.returncode == 0, result.stderr
    assert "(1 sent" in result.stderr
    assert f"dropped graph <{removed}>" in result.stderr
    with oxigraph.client() as client:
        assert not client.has_graph(removed)
        assert client.graph_counts(graphs) == {**release.verify(second)["graphs"], removed: 0}


def test_counts_that_differ_after_loading_fail_with_one_line_each(engine: Engine,
                                                                  tmp_path: Path) -> None:
    # a dump that repeats a quad: the manifest counts it twice, a store once
    body = synthetic_nquads(3).decode().splitlines(keepends=True)
    repeated = [body[0], *body]
    folder = write_release(tmp_path / "release", "".join(repeated).encode())
    graph = body[0].rsplit(" ", 2)[-2][1:-1]
    want = release.verify(folder)["graphs"][graph]
    result = publish(engine, folder, tmp_path / "state.json")
    assert result.returncode == 1, result.stderr
    _no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: graph")]
    assert errors == [f"error: graph <{graph}>: {want - 1} quads in the store, {want} in "
                      "the release"]


def test_errors_are_one_line_without_a_traceback(engine: Engine, seed_release: Path,
                                                 tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/query"
    env = engine.env()
    unreachable = subprocess.run(
        [sys.executable, "-m", "newsgraph", "publish", "--to", nowhere, "--dialect",
         engine.name, "--release", str(seed_release), "--state", str(tmp_path / "s")],
        capture_output=True, text=True, env=env, timeout=120)
    assert unreachable.returncode == 2
    _no_traceback(unreachable)
    assert unreachable.stderr.strip().splitlines()[-1].startswith(
        f"error: cannot reach the store at http://127.0.0.1:{nowhere.split(':')[2]}")

    # bodies the engine refuses: Oxigraph 400 to its bulk load; Virtuoso 400 to
    # its update, 500 to a PUT (the way of a graph with blank nodes)
    cases = {"oxigraph": [(b"<urn:x:s>", "answered 400 to bulk-load 1 graphs")],
             "virtuoso": [(b"<urn:x:s>", "answered 400 to replace graph <urn:x:g>: Virtuoso "
                                         "37000 Error SP030"),
                          (b"_:b", "answered 500 to replace graph <urn:x:g>: The PUT request "
                                   "for graph <urn:x:g> is rejected")]}[engine.name]
    for number, (subject, message) in enumerate(cases):
        bad = write_release(tmp_path / f"bad{number}",
                            subject + b' <urn:x:p> "unterminated <urn:x:g> .\n', store_nquads=b"")
        refused = publish(engine, bad, tmp_path / "state.json")
        assert refused.returncode == 2
        _no_traceback(refused)
        last = refused.stderr.strip().splitlines()[-1]
        assert message in last, last
        assert last.startswith("error: ") and len(last) < 400


def test_virtuoso_refuses_wrong_credentials_in_one_line(virtuoso: Engine, seed_release: Path,
                                                        tmp_path: Path) -> None:
    secret = tmp_path / "credentials"
    secret.write_text("dba:not-the-password\n")
    secret.chmod(0o600)
    env = {k: v for k, v in virtuoso.env().items() if not k.startswith("NEWSGRAPH_STORE")}
    wrong = publish(virtuoso, seed_release, tmp_path / "state.json", "--credentials",
                    str(secret), env=env)
    assert wrong.returncode == 2
    _no_traceback(wrong)
    assert "refused to replace graph" in wrong.stderr and "(401)" in wrong.stderr
    assert "not-the-password" not in wrong.stderr

    none = publish(virtuoso, seed_release, tmp_path / "state.json", env=env)
    assert none.returncode == 2
    assert "give credentials in NEWSGRAPH_STORE_USER" in none.stderr

    secret.write_text(f"{virtuoso.credentials.user}:{virtuoso.credentials.password}\n")
    secret.chmod(0o644)
    shared = publish(virtuoso, seed_release, tmp_path / "state.json", "--credentials",
                     str(secret), env=env)
    assert shared.returncode == 2
    assert "can be read by others" in shared.stderr
    secret.chmod(0o600)
    good = publish(virtuoso, seed_release, tmp_path / "state.json", "--credentials",
                   str(secret), env=env)
    assert good.returncode == 0, good.stderr


def _run_on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    master, slave = pty.openpty()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=slave, env=env, cwd=REPO)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def test_progress_shows_on_a_terminal_only(oxigraph: Engine, seed_release: Path,
                                           tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "newsgraph", "publish", "--to", oxigraph.query, "--release",
            str(seed_release), "--state", str(tmp_path / "tty.json")]
    status, shown = _run_on_a_terminal(argv, oxigraph.env())
    assert status == 0, shown
    graphs = len(release.verify(seed_release)["graphs"])
    assert f"\r{graphs}/{graphs} graphs" in shown
    piped = publish(oxigraph, seed_release, tmp_path / "pipe.json")
    assert piped.returncode == 0
    assert "\r" not in piped.stderr and "graphs, " not in piped.stderr


class _SmallUpdates(Virtuoso):
    """Virtuoso with updates of 40 quads: a graph of a few hundred goes in parts."""

    def bulk_batch_quads(self) -> int:
        return 40


def _body(iri: str, n: int) -> GraphBody:
    lines = sorted(f'<https://example.org/thing/{i}> <https://schema.org/name> "thing {i}"'
                   f' <{iri}> .\n' for i in range(n))
    return GraphBody(iri, "".join(lines).encode("utf-8"), n)


def test_a_graph_too_long_for_one_update_is_replaced_in_parts(virtuoso: Engine) -> None:
    iri = "https://example.org/graph/long-register"
    with virtuoso.client(dialect=_SmallUpdates()) as client:
        asked: list[str] = []
        request = client._request

        def counted(method: str, url: str, what: str, **kwargs: object):  # type: ignore[no-untyped-def]
            asked.append(f"{method} {what}")
            return request(method, url, what, **kwargs)

        client._request = counted  # type: ignore[method-assign]
        for n in (230, 230, 97):  # twice the same: replaced, not appended; then shorter
            client.replace_graphs([_body(iri, n), _body(f"{iri}-short", 7)])
            assert client.graph_counts([iri, f"{iri}-short"]) == {iri: n, f"{iri}-short": 7}
        names = {row["o"]["value"] for row in client.select(
            f"SELECT ?o WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}", union=False)}
        assert names == {f"thing {i}" for i in range(97)}
        assert f"POST replace graph <{iri}> (part 6 of 6)" in asked  # 230 quads, 40 a part
        assert not any(w.startswith("PUT") for w in asked)
        client.drop_graphs([iri, f"{iri}-short"])


def test_every_graph_is_counted_page_after_page(virtuoso: Engine, seed_release: Path,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Virtuoso counts every graph at once, a page of graphs a query, each page
    starting after the last graph of the one before (an OFFSET past 10,000
    rows is refused by it): one graph a page here, so every page is used."""
    from newsgraph.external import client as client_module

    done = publish(virtuoso, seed_release, tmp_path / "state.json")
    assert done.returncode == 0, done.stderr
    manifest = release.verify(seed_release)
    monkeypatch.setattr(client_module, "COUNT_PAGE", 1)
    with virtuoso.client() as client:
        counts = client.graph_counts(sorted(manifest["graphs"]))
    assert counts == manifest["graphs"]

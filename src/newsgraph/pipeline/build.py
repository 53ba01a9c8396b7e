"""``newsgraph build`` and ``newsgraph validate``: seeds in, checked dataset out.

Steps: read and check the annotations -> ground the evidence -> map to RDF ->
validate each article with the trusted shapes -> publish atomically. Any problem
stops the run before anything is written, with one line per problem naming the
file, the record and the rule, and a non-zero exit status.
"""

from __future__ import annotations

import gc
import hashlib
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from newsgraph import iris
from newsgraph.config import Settings
from newsgraph.iris import NG, ORG
from newsgraph.pipeline.annotations import (
    ENTITIES_FILE,
    REGISTER,
    AnnotationError,
    ArticleAnnotations,
    Corpus,
    load_corpus,
)
from newsgraph.pipeline.cache import (
    BuildCache,
    ParsedYaml,
    RegisterHashes,
    RegisterIndex,
    cache_folder,
    code_version,
    files_version,
    findings_from_json,
    findings_to_json,
)
from newsgraph.pipeline.mapping import corpus_kinds, map_register
from newsgraph.pipeline.publish import (
    GraphPart,
    PublishError,
    ontology_part,
    part_count,
    part_from_graph,
    publish,
)
from newsgraph.pipeline.workers import Context, ExecutorError, Runner, Waiter, make_runner
from newsgraph.rdf_files import RdfFileError, read_folder

if TYPE_CHECKING:
    from newsgraph.pipeline.validation import Finding, Trusted

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_WRITE_FAILED = 2


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# (wall, cpu) seconds per phase of the last run, summed over its steps; read by
# bench/bench_build.py, which needs the split and cannot see inside run_build
PHASES: dict[str, list[float]] = {}
# the articles the last run mapped and validated, and how many it took from the
# cache instead (tests and the benchmark read them)
CACHE_COUNTS: dict[str, list[str] | int] = {}


def _cpu() -> float:
    """CPU seconds of this process and of its workers that have ended."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@contextmanager
def step(label: str, echo: Callable[[str], None] | None,
         phase: str | None = None) -> Iterator[None]:
    """Progress on a terminal: the step's name, then how long it took."""
    started = time.perf_counter()
    cpu = _cpu()
    if echo:
        echo(f"{label} …")
    yield
    if phase is not None:
        spent = PHASES.setdefault(phase, [0.0, 0.0])
        spent[0] += time.perf_counter() - started
        spent[1] += _cpu() - cpu
    if echo:
        echo(f"{label}: done in {time.perf_counter() - started:.2f} s")


@dataclass(frozen=True)
class Located:
    file: str
    line: int | None
    record: str


def locate(corpus: Corpus, iri: str, base: str,
           files: dict[str, str] | None = None) -> Located | None:
    """Which annotation file and record a node of the graph came from; ``files``:
    each article's file by slug, if the caller has it (else it is looked up)."""
    thing = iris.split_thing(iri, base)
    if thing is None:
        return None
    kind, slug = thing
    if kind == "article":
        file = (files if files is not None else {a.slug: a.file for a in corpus.articles}
                ).get(slug)
        return Located(file, None, "article") if file is not None else None
    record = corpus.entities.get(slug)
    if record is None:
        return None
    return Located(record.file, record.line, f"{record.section}.{record.id}")


def article_data(ds: Dataset, article_graph: str, base: str) -> Graph:
    """What one article's validation sees: the register plus that article's graph."""
    data = Graph()
    for name in (iris.entities_graph(base), article_graph):
        for triple in ds.graph(URIRef(name)):
            data.add(triple)
    return data


def _describe(register: Graph | RegisterIndex, node: Node, into: Graph, seen: set[Node]
              ) -> list[Node]:
    """Copy the register's triples about ``node`` and its own sub-nodes (a tenure's
    ``#interval``, ``#begin``, ``#end``) into ``into``; returns the other register
    nodes they point to."""
    if node in seen:
        return []
    seen.add(node)
    pointed: list[Node] = []
    prefix = f"{node}#"
    for triple in register.triples((node, None, None)):
        into.add(triple)
        obj = triple[2]
        if isinstance(obj, URIRef) and (obj, None, None) in register:
            if str(obj).startswith(prefix):
                pointed += _describe(register, obj, into, seen)
            else:
                pointed.append(obj)
    return pointed


def register_context(register: Graph | RegisterIndex, article: Graph) -> Graph:
    """The part of the register one article's validation needs.

    The register is validated once on its own; an article is validated with
    only the register nodes it names (its *seeds*) and what the shapes read
    from there: each seed's own triples, and those of every register node a seed
    points to (types for ``sh:class``, names and labels for messages, the
    holder's ``org:holds`` for the post's ``org:heldBy``, a tenure's post and
    organisation), plus the tenures of seeded people and posts with their
    intervals and dates (a capacity is checked against them). Two levels are
    enough for the shapes shipped: no path from an article node or a seed reads
    further (tests/pipeline/test_linear_validation.py runs every shape fixture
    both ways). Findings about register nodes the article does not speak about
    are the register run's: see :func:`article_findings`.
    """
    context = Graph()
    seen: set[Node] = set()
    nodes = {n for triple in article for n in (triple[0], triple[2])
             if isinstance(n, URIRef)}
    seeds = [n for n in nodes if (n, None, None) in register]
    second: list[Node] = []
    for seed in seeds:
        second += _describe(register, seed, context, seen)
        for predicate in (ORG.member, NG.post):
            second += register.subjects(predicate, seed)
    for node in second:
        _describe(register, node, context, seen)
    return context


def article_findings(findings: Iterable[Finding], article: Graph,
                     register: Graph | RegisterIndex) -> list[Finding]:
    """The findings of an article's run that are the article's to report: about
    its own nodes, or about register nodes it adds triples to (a mention's
    ``ng:evidence``). A register node the article only points at is seen with
    part of its neighbourhood here; the register run, which sees all of it,
    reports on it."""
    subjects = {str(s) for s in article.subjects(unique=True)}
    return [f for f in findings
            if f.focus in subjects or (URIRef(f.focus), None, None) not in register]


def validate_article(register: Graph | RegisterIndex, graph: Graph, trusted: Trusted
                     ) -> list[Finding]:
    """An article's findings: its graph validated with the part of the register it
    needs (:func:`register_context`), kept as :func:`article_findings` says.

    The shipped shapes do not take as a focus node a register node the article
    adds nothing to: what they would say of it is not the article's to report
    (the register run reports on it), so the run skips that work. Such a node is
    still read wherever the article's own nodes reach it.
    """
    from newsgraph.pipeline.validation import validate_with

    context = register_context(register, graph)
    for triple in graph:
        context.add(triple)
    own = set(graph.subjects(unique=True))
    skip = frozenset(n for triple in context for n in (triple[0], triple[2])
                     if isinstance(n, URIRef) and n not in own and (n, None, None) in register)
    return article_findings(validate_with(context, trusted, skip_focus=skip).findings, graph,
                            register)


def ungrounded_tenures(grounded: set[str], corpus: Corpus, base: str) -> list[Located]:
    """Register tenures that no article's graph gives ``ng:evidence`` for;
    ``grounded``: the nodes the articles give it for (each article's work says
    which, :class:`newsgraph.pipeline.workers.ArticleResult`).

    Checked over all articles at once: a tenure is shared, and any article may
    ground it, so validating one article at a time cannot decide this.
    """
    out = []
    for record in corpus.entities.values():
        if record.kind == "tenure" and iris.entity("tenure", record.id, base) not in grounded:
            out.append(Located(record.file, record.line, f"{record.section}.{record.id}"))
    return out


def corpus_register_file(corpus: Corpus) -> str:
    """The register's file as a curator finds it (``seeds/entities.yaml``)."""
    for record in corpus.entities.values():
        if record.section in REGISTER:
            return record.file
    return f"seeds/{ENTITIES_FILE}"


Validated = Iterator[tuple["ArticleAnnotations | None", "list[Finding]"]]


def validate_corpus(ds: Dataset, corpus: Corpus, settings: Settings, trusted: Trusted
                    ) -> Validated:
    """Every finding of a mapped dataset, in this process: the register's (article
    None), validated once, then each article's, validated with the part of the
    register it needs (:func:`validate_article`, what the build's workers run).
    Linear in the corpus. For tests and benchmarks, which hold a dataset; the
    build never holds the articles' graphs (:func:`build_articles`)."""
    from newsgraph.pipeline.validation import validate_with

    register = ds.graph(URIRef(iris.entities_graph(settings.base)))
    yield None, validate_with(register, trusted).findings
    for article in corpus.articles:
        graph = ds.graph(URIRef(iris.article_graph(article.slug, settings.base)))
        yield article, validate_article(register, graph, trusted)


def validate_corpus_whole_register(ds: Dataset, corpus: Corpus, settings: Settings,
                                   trusted: Trusted) -> Validated:
    """The earlier way, kept as the reference the linear one is tested and
    benchmarked against: each article validated with the whole register, so a
    build is quadratic in the number of articles."""
    from newsgraph.pipeline.validation import validate_with

    for article in corpus.articles:
        graph_name = iris.article_graph(article.slug, settings.base)
        yield article, validate_with(article_data(ds, graph_name, settings.base),
                                     trusted).findings


@dataclass
class Built:
    """What the articles' work gave the build: the findings of the register and
    of each article (in the corpus' order), each article's graph as a part for
    the publisher, and the register nodes the articles give evidence for."""

    findings: list[tuple[ArticleAnnotations | None, list[Finding]]]
    parts: list[GraphPart]
    grounded: set[str]


@dataclass
class Register:
    """The register's graph as the build needs it: as a part for the publisher,
    as N-Triples or a graph for the validation, and its per-record hashes."""

    part: GraphPart
    graph: Graph | str  # the graph if it was just mapped, else its N-Triples
    hashes: RegisterHashes


def register_with_cache(corpus: Corpus, settings: Settings, cache: BuildCache) -> Register:
    """The register mapped, or, while its file and the kinds of the ids it refers
    to are unchanged, its canonical N-Quads and record hashes read from the cache
    (a rebuild then never makes the register an rdflib graph in this process)."""
    name = iris.entities_graph(settings.base)
    key = cache.register_graph_key(settings.seeds, corpus) if cache.folder else ""
    entry = cache.load("register-graph") if key else {}
    data = cache.intact_nquads("register", entry.get("nquads", "")) if (
        entry.get("key") == key) else None
    if data is not None:
        path = cache.nquads_path("register")
        assert path is not None
        return Register(GraphPart(name, path), ntriples_of_part(data, name),
                        RegisterHashes.from_json(entry["hashes"]))
    graph = map_register(None, corpus, settings.base)
    cache.register_mapped = True
    part = part_from_graph(name, graph)
    hashes = RegisterHashes(graph)
    if key:
        assert isinstance(part.nquads, bytes)
        cache.store_nquads("register", part.nquads)
        cache.store("register-graph", {"key": key,
                                       "nquads": hashlib.sha256(part.nquads).hexdigest(),
                                       "hashes": hashes.to_json()})
    return Register(part, graph, hashes)


def ntriples_of_part(nquads: bytes, name: str) -> str:
    """A graph's N-Triples from its part's N-Quads: every line ends with the
    graph's name (the publisher checks that of every part)."""
    return nquads.replace(f" <{name}> .\n".encode(), b" .\n").decode("utf-8")


def build_articles(corpus: Corpus, settings: Settings, hashes: RegisterHashes,
                   cache: BuildCache, runner: Runner,
                   echo: Callable[[str], None] | None = None) -> Built:
    """Map and validate every article whose cached work is stale, in the
    runner's workers, and take the rest from the cache.

    An article whose graph key and findings key both match its entry costs
    this process hashing its two files and its cached N-Quads and reading its
    small entry; any other is sent to a worker (mapped and validated, or only
    validated if its graph is cached), CHUNK articles to a task, while this
    process goes on with the next articles' keys. No article's graph is held
    here: each comes back as canonical N-Quads, written to its cache file, and
    is published from there.
    """
    from newsgraph.pipeline.workers import CHUNK

    register_key = cache.register_key(hashes)
    entry = cache.load("register") if cache.folder else {}
    pending = None
    if entry.get("key") == register_key:
        found = findings_from_json(entry["findings"])
        cache.reused_findings += 1
    else:
        pending = runner.register()  # runs alongside the articles where it can
    # per article: its graph key, its entry if its graph is reused, and its part
    keys: list[str] = []
    entries: list[dict] = []
    parts: list[GraphPart] = []
    results: list[list[Finding] | None] = []
    grounded: set[str] = set()
    waiting: list[tuple[list[int], Waiter]] = []
    chunk: list[tuple[int, bytes | None]] = []

    def send() -> None:
        if chunk:
            waiting.append(([i for i, _ in chunk], runner.start(list(chunk))))
            chunk.clear()

    with step("hashing and sending the articles", echo, "validate"):
        for number, article in enumerate(corpus.articles):
            name = iris.article_graph(article.slug, settings.base)
            key = cache.graph_key(settings.seeds, article, corpus)
            entry = cache.load(f"articles/{article.slug}") if cache.folder else {}
            data = (cache.intact_nquads(f"articles/{article.slug}", entry.get("nquads", ""))
                    if entry.get("key") == key else None)
            keys.append(key)
            parts.append(GraphPart(name, cache.nquads_path(f"articles/{article.slug}") or b""))
            if data is None:  # mapped and validated
                entries.append({})
                results.append(None)
                chunk.append((number, None))
            else:
                entries.append(entry)
                cache.reused_graphs += 1
                grounded.update(entry["evidenced"])
                if entry.get("findings_key") == cache.findings_key(
                        key, hashes.needed_by(entry["records"])):
                    results.append(findings_from_json(entry["findings"]))
                    cache.reused_findings += 1
                else:  # only validated, from the cached graph
                    results.append(None)
                    chunk.append((number, data))
            if len(chunk) >= CHUNK:
                send()
        send()
    with step("mapping and validating the articles", echo, "validate"):
        for numbers, wait in waiting:
            for number, result in zip(numbers, wait(), strict=True):
                article = corpus.articles[number]
                PHASES.setdefault("worker map", [0.0, 0.0])[1] += result.map_s
                results[number] = result.findings
                grounded.update(result.evidenced)
                cache.validated.append(article.slug)
                body = entries[number]
                if result.nquads is not None:
                    cache.mapped.append(article.slug)
                    if cache.folder is None:
                        parts[number] = GraphPart(parts[number].name, result.nquads)
                    cache.store_nquads(f"articles/{article.slug}", result.nquads)
                    body = {"key": keys[number],
                            "nquads": hashlib.sha256(result.nquads).hexdigest(),
                            "records": result.records, "evidenced": result.evidenced}
                body = {**body, "findings_key": cache.findings_key(
                            keys[number], hashes.needed_by(body["records"])),
                        "findings": findings_to_json(result.findings)}
                cache.store(f"articles/{article.slug}", body)
        if pending is not None:
            found = pending()
            cache.store("register", {"key": register_key, "findings": findings_to_json(found)})
    cache.prune_articles(a.slug for a in corpus.articles)
    findings: list[tuple[ArticleAnnotations | None, list[Finding]]] = [(None, found)]
    findings += [(a, r or []) for a, r in zip(corpus.articles, results, strict=True)]
    return Built(findings, parts, grounded)


def run_build(settings: Settings, write: bool = True, echo: Callable[[str], None] | None = None,
              jobs: int = 1, executor: str = "local", scheduler: str | None = None) -> int:
    """Run the pipeline; returns the exit status. Messages go to stderr.

    ``jobs``: worker processes mapping and validating articles on this machine
    (1: none); ``executor="dask"`` with a ``scheduler`` address: the workers of
    a Dask cluster instead. The output is the same either way. ``write`` False
    (``newsgraph validate``): the same work, nothing published."""
    try:
        return _run_build(settings, write, echo, jobs, executor, scheduler)
    finally:
        gc.unfreeze()  # what the build froze may go once it is unreachable


def _run_build(settings: Settings, write: bool, echo: Callable[[str], None] | None,
               jobs: int, executor: str, scheduler: str | None) -> int:
    from newsgraph.pipeline.validation import (
        TrustedFilesError,
        format_finding,
        load_trusted,
    )

    if echo is None and sys.stderr.isatty():
        echo = _stderr
    PHASES.clear()
    folder = cache_folder(settings.project)
    parsed = ParsedYaml(folder, code_version())
    try:
        with step("reading seeds/", echo, "read"):
            corpus = load_corpus(settings.seeds, parsed)
    except AnnotationError as exc:
        for problem in exc.problems:
            _stderr(f"error: {problem}")
        _stderr(f"{len(exc.problems)} problem(s) in the annotations; nothing was written")
        return EXIT_INVALID
    except OSError as exc:
        _stderr(f"error: cannot read {settings.seeds.name}/: {exc.strerror or exc}")
        return EXIT_INVALID

    try:
        ontology = read_folder(settings.ontology_dir)
        trusted = load_trusted(settings)  # read once here, so a bad file is one clear line
    except RdfFileError as exc:
        _stderr(f"error: the ontology newsgraph ships: {exc}")
        return EXIT_INVALID
    except TrustedFilesError as exc:
        _stderr(f"error: {exc}")
        return EXIT_INVALID
    own_ontology = settings.project / "ontology"
    if own_ontology.is_dir() and own_ontology.resolve() != settings.ontology_dir.resolve():
        _stderr("note: ontology/ of the project is not read: the vocabulary is newsgraph's "
                "own; a project may add shapes/ of its own")
    if len(trusted.project_shapes):
        _stderr(f"checking with the project's own shapes too: {settings.project / 'shapes'}")

    cache = BuildCache(folder, settings.base,
                       files_version((settings.ontology_dir, *settings.shape_folders())))
    with step("mapping the register", echo, "map"):
        register = register_with_cache(corpus, settings, cache)
        ctx = Context(register.graph, frozenset(register.hashes.hashes), trusted,
                      corpus_kinds(corpus), settings.base)
    # What this process holds from here on (the corpus, the register) lives until
    # the build ends: left out of the garbage collector's full passes, which
    # would walk it again and again (and forked workers would copy its pages).
    gc.freeze()
    CACHE_COUNTS.clear()
    try:
        runner = make_runner(ctx, corpus.articles, jobs, executor, scheduler)
    except ExecutorError as exc:
        _stderr(f"error: {exc}")
        return EXIT_INVALID
    try:
        built = build_articles(corpus, settings, register.hashes, cache, runner, echo)
    except ExecutorError as exc:
        _stderr(f"error: {exc}")
        return EXIT_INVALID
    finally:
        # the workers' CPU time is counted (in the phase) once they have ended
        with step("stopping the workers", echo, "validate"):
            runner.close()
    # the workers' mapping, counted in the validation's steps, is the mapping's
    mapped_s = PHASES.pop("worker map", [0.0, 0.0])[1]
    PHASES.setdefault("map", [0.0, 0.0])[1] += mapped_s
    PHASES["validate"][1] -= mapped_s
    validated = built.findings

    violations = 0
    infos = 0
    # A finding can come back from several runs (a register node several articles
    # speak about): say it once.
    said: set[Finding] = set()
    # (file, line, text): printed sorted by file and line once every article is
    # checked, so a curator reads them in the order of the files
    lines: list[tuple[str, int, str]] = []
    files = {a.slug: a.file for a in corpus.articles}
    for article, findings in validated:
        fallback = article.file if article is not None else corpus_register_file(corpus)
        for finding in findings:
            if finding in said:
                continue
            said.add(finding)
            level = "error" if finding.severity == "Violation" else finding.severity.lower()
            if level == "info" and write:
                infos += 1  # notes for curators; `newsgraph validate` lists them
                continue
            where = locate(corpus, finding.focus, settings.base, files)
            prefix = (f"{where.file}:{where.line}: {where.record}: " if where and where.line
                      else f"{where.file}: {where.record}: " if where
                      else f"{fallback}: ")
            lines.append((where.file if where else fallback,
                          (where.line or 0) if where else 0,
                          f"{level}: {prefix}{format_finding(finding)}"))
            violations += finding.severity == "Violation"
    CACHE_COUNTS.update(mapped=list(cache.mapped), validated=list(cache.validated),
                        parsed_files=parsed.parsed_files,
                        reused_graphs=cache.reused_graphs,
                        register_mapped=cache.register_mapped,
                        reused_findings=cache.reused_findings)
    ungrounded = ungrounded_tenures(built.grounded, corpus, settings.base)
    for where in ungrounded:
        lines.append((where.file, where.line or 0,
                      f"error: {where.file}:{where.line}: {where.record}: no article gives "
                      "evidence for this office holding; add a mention of it to an article "
                      "[rule: grounded]"))
    for _, _, line in sorted(lines):
        _stderr(line)
    if violations or ungrounded:
        _stderr(f"{violations + len(ungrounded)} violation(s); nothing was written")
        return EXIT_INVALID

    if infos:
        _stderr(f"{infos} note(s) for curators, such as missing Wikidata links: "
                "`newsgraph validate` lists them")
    # one part per named graph; an article's is its file in the cache, read
    # only when the release is written
    quads = [register.part, *built.parts, ontology_part(ontology)]
    if not write:
        _stderr(f"valid: {len(corpus.articles)} article(s), {part_count(quads)} quads; "
                "nothing written")
        return EXIT_OK
    try:
        with step("publishing", echo, "publish"):
            release = publish(quads, settings.dist_dir, settings.base,
                              ontology_dir=settings.ontology_dir,
                              shape_folders=settings.shape_folders(),
                              license=settings.data_license)
    except PublishError as exc:
        _stderr(f"error: {exc}")
        return EXIT_WRITE_FAILED
    _stderr(f"published release {release.release_id}: {release.manifest['quads']} quads in "
            f"{len(release.manifest['graphs'])} graphs -> {settings.dist_dir}")
    return EXIT_OK

"""``newsgraph build`` and ``newsgraph validate``: seeds in, checked dataset out.

Steps: read and check the annotations -> ground the evidence -> map to RDF ->
validate each article with the trusted shapes -> publish atomically. Any problem
stops the run before anything is written, with one line per problem naming the
file, the record and the rule, and a non-zero exit status.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rdflib import Dataset, Graph, URIRef

from newsgraph import iris
from newsgraph.config import Settings
from newsgraph.iris import NG
from newsgraph.pipeline.annotations import AnnotationError, Corpus, load_corpus
from newsgraph.pipeline.mapping import map_corpus
from newsgraph.pipeline.publish import PublishError, publish, sorted_quads
from newsgraph.rdf_files import RdfFileError, read_folder

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_WRITE_FAILED = 2


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def step(label: str, echo: Callable[[str], None] | None) -> Iterator[None]:
    """Progress on a terminal: the step's name, then how long it took."""
    started = time.perf_counter()
    if echo:
        echo(f"{label} …")
    yield
    if echo:
        echo(f"{label}: done in {time.perf_counter() - started:.2f} s")


@dataclass(frozen=True)
class Located:
    file: str
    line: int | None
    record: str


def locate(corpus: Corpus, iri: str, base: str) -> Located | None:
    """Which annotation file and record a node of the graph came from."""
    thing = iris.split_thing(iri, base)
    if thing is None:
        return None
    kind, slug = thing
    if kind == "article":
        for article in corpus.articles:
            if article.slug == slug:
                return Located(article.file, None, "article")
        return None
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


def ungrounded_tenures(ds: Dataset, corpus: Corpus, base: str) -> list[Located]:
    """Register tenures that no article's graph gives ``ng:evidence`` for.

    Checked over all articles at once: a tenure is shared, and any article may
    ground it, so validating one article at a time cannot decide this.
    """
    grounded = {str(s) for g in ds.graphs() if str(g.identifier) != iris.entities_graph(base)
                for s in g.subjects(NG.evidence, None)}
    out = []
    for record in corpus.entities.values():
        if record.kind == "tenure" and iris.entity("tenure", record.id, base) not in grounded:
            out.append(Located(record.file, record.line, f"{record.section}.{record.id}"))
    return out


def run_build(settings: Settings, write: bool = True, echo: Callable[[str], None] | None = None
              ) -> int:
    """Run the pipeline; returns the exit status. Messages go to stderr."""
    from newsgraph.pipeline.validation import (
        Finding,
        TrustedFilesError,
        format_finding,
        load_trusted,
        validate,
    )

    if echo is None and sys.stderr.isatty():
        echo = _stderr
    try:
        with step("reading seeds/", echo):
            corpus = load_corpus(settings.seeds)
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

    with step("mapping", echo):
        ds = map_corpus(corpus, settings.base)

    violations = 0
    infos = 0
    # Each article is validated with the register, so a finding about the register
    # (a missing Wikidata link, say) comes back once per article: say it once.
    said: set[Finding] = set()
    # (file, line, text): printed sorted by file and line once every article is
    # checked, so a curator reads them in the order of the files
    lines: list[tuple[str, int, str]] = []
    for article in corpus.articles:
        graph_name = iris.article_graph(article.slug, settings.base)
        with step(f"validating {article.slug}", echo):
            report = validate(article_data(ds, graph_name, settings.base), settings)
        for finding in report.findings:
            if finding in said:
                continue
            said.add(finding)
            where = locate(corpus, finding.focus, settings.base)
            prefix = (f"{where.file}:{where.line}: {where.record}: " if where and where.line
                      else f"{where.file}: {where.record}: " if where
                      else f"{article.file}: ")
            level = "error" if finding.severity == "Violation" else finding.severity.lower()
            if level == "info" and write:
                infos += 1  # notes for curators; `newsgraph validate` lists them
                continue
            lines.append((where.file if where else article.file,
                          (where.line or 0) if where else 0,
                          f"{level}: {prefix}{format_finding(finding)}"))
            violations += finding.severity == "Violation"
    ungrounded = ungrounded_tenures(ds, corpus, settings.base)
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
    quads = sorted_quads(ds, ontology)
    if not write:
        _stderr(f"valid: {len(corpus.articles)} article(s), {len(quads)} quads; nothing written")
        return EXIT_OK
    try:
        with step("publishing", echo):
            release = publish(quads, settings.dist_dir, settings.base,
                              ontology_dir=settings.ontology_dir,
                              shape_folders=settings.shape_folders())
    except PublishError as exc:
        _stderr(f"error: {exc}")
        return EXIT_WRITE_FAILED
    _stderr(f"published release {release.release_id}: {release.manifest['quads']} quads in "
            f"{len(release.manifest['graphs'])} graphs -> {settings.dist_dir}")
    return EXIT_OK

"""The build's cache: what mapping and validating each article gave last time.

It lives in the project, in ``.newsgraph-cache/`` (ignored by git, safe to
delete at any time: the next build recomputes everything). Each article has
two files in ``articles/``: ``SLUG.nq``, its graph as canonical N-Quads (the
form the publisher takes, read by it only when it writes the release), and
``SLUG.json``, a small entry holding

* the graph's key, which hashes the code, the base IRI, the article's two files
  and the kind of every id it refers to (an id's IRI names its kind), and the
  SHA-256 of ``SLUG.nq``;
* the register records the graph names and the register nodes it gives
  ``ng:evidence`` for (so neither the findings key nor the tenure grounding
  check reads the graph);
* the findings and their key, which hashes the graph's key, the ontology and
  shapes the build validates with, and the hashes of the register records the
  article is validated with (see :class:`RegisterHashes`), so editing a
  register record re-validates exactly the articles whose validation reads it.

An entry is used only if its own SHA-256 and its key match and ``SLUG.nq`` has
the SHA-256 it records; a damaged, foreign or stale one is recomputed and
overwritten, never trusted. The register's findings are cached the same way,
keyed by every record's hash, and ``yaml/`` keeps what each YAML file parsed to
(:class:`ParsedYaml`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.parsers.ntriples import W3CNTriplesParser
from rdflib.plugins.serializers.nt import _nt_row
from rdflib.term import Node

from newsgraph import __version__, iris
from newsgraph.iris import NG, ORG
from newsgraph.pipeline.annotations import ENTITIES_FILE, REGISTER, ArticleAnnotations, Corpus
from newsgraph.pipeline.validation import Finding

CACHE_DIR = ".newsgraph-cache"
# how a tenure points at the person and the post it joins (see register_context)
_POINTED_BY = frozenset({ORG.member, NG.post})
FORMAT = 2  # 2: an article's graph in a file of its own, as canonical N-Quads
# the code whose output is cached: a change to any of them invalidates every entry
_CODE = ("annotations.py", "dates.py", "grounding.py", "mapping.py", "validation.py",
         "build.py", "cache.py", "workers.py")


def _sha(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))  # no two part lists hash alike
        digest.update(data)
    return digest.hexdigest()


# libraries whose output is cached: another version may parse, map or validate
# differently (pyshacl's findings, PyYAML's reading)
_LIBRARIES = ("rdflib", "pyshacl", "pyyaml")


def _library_versions() -> list[str]:
    found = []
    for name in _LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} ?")
    return found


def code_version() -> str:
    here = Path(__file__).parent
    return _sha(__version__, iris.__file__ and Path(iris.__file__).read_bytes(),
                *((here / name).read_bytes() for name in _CODE), *_library_versions())


def files_version(folders: Sequence[Path]) -> str:
    """Hash of every ``*.ttl`` in the folders (the ontology and the shapes)."""
    parts: list[bytes | str] = []
    for number, folder in enumerate(folders):
        for path in sorted(folder.glob("*.ttl")):
            parts += [f"{number}/{path.name}", path.read_bytes()]
    return _sha(*parts)


def graph_text(graph: Graph) -> str:
    """Sorted N-Triples: the same triples, the same text."""
    return "".join(sorted(_nt_row(t) for t in graph))


def read_graph(text: str, into: Graph | None = None) -> Graph:
    """The triples of N-Triples ``text``, added to ``into`` (a new graph if None).

    Parsed by Oxigraph, which is several times faster than rdflib's parser, then
    made rdflib terms as rdflib's parser makes them. Where the two could differ
    (a literal typed xsd:string, which Oxigraph does not tell from a plain one;
    a language tag with capitals, which Oxigraph lower-cases; blank nodes)
    rdflib's parser reads the text instead."""
    graph = Graph() if into is None else into
    try:
        parsed = [] if (_XSD_STRING in text or "_:" in text or _UPPER_TAG.search(text)
                        ) else list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError:  # stricter than rdflib about what an IRI may hold
        parsed = []
    if not parsed and text.strip():
        W3CNTriplesParser(_Sink(graph)).parsestring(text)
        return graph
    uris: dict[str, URIRef] = {}

    def uri(node: ox.NamedNode) -> URIRef:
        value = node.value
        term = uris.get(value)
        if term is None:
            term = uris[value] = URIRef(value)
        return term

    add = graph.add
    for triple in parsed:
        o = triple.object
        if isinstance(o, ox.NamedNode):
            obj: Node = uri(o)
        elif o.language:
            obj = Literal(o.value, lang=o.language)
        elif o.datatype == _OX_STRING:
            obj = Literal(o.value)
        else:
            obj = Literal(o.value, datatype=uri(o.datatype))
        add((uri(triple.subject), uri(triple.predicate), obj))
    return graph


class RegisterIndex:
    """The register as an article's validation reads it
    (:func:`newsgraph.pipeline.build.register_context`): a subject's triples,
    whether a node is a subject, and the tenures pointing at a node, from the
    register's sorted N-Triples, each subject's lines made rdflib terms only
    when asked. A worker that validates a few articles then never builds the
    whole register as an rdflib graph (2.8 s at 10,000 articles, 198,000
    triples, against 0.2 s to index the lines). It yields what
    :func:`read_graph` of the same text would, in the same order. The register
    has no blank nodes (the publisher refuses them), so every subject is an IRI
    at the start of its line."""

    def __init__(self, text: str):
        self._lines: dict[str, list[str]] = {}
        self._pointing: dict[tuple[str, str], list[str]] = {}  # (predicate, object) -> subjects
        pointers = [(str(p), f"> <{p}> <") for p in _POINTED_BY]
        for line in text.splitlines(keepends=True):
            if not line.startswith("<"):
                continue
            subject = line[1:line.index(">")]
            self._lines.setdefault(subject, []).append(line)
            for predicate, infix in pointers:
                at = line.find(infix)
                if at >= 0:
                    start = at + len(infix)
                    obj = line[start:line.index(">", start)]
                    self._pointing.setdefault((predicate, obj), []).append(subject)
        self._parsed: dict[str, Graph] = {}

    def _graph(self, subject: str) -> Graph:
        graph = self._parsed.get(subject)
        if graph is None:
            graph = self._parsed[subject] = read_graph("".join(self._lines.get(subject, [])))
        return graph

    def triples(self, pattern: tuple[Node, None, None]) -> Iterable[tuple[Node, Node, Node]]:
        subject, predicate, obj = pattern
        if predicate is not None or obj is not None:
            raise ValueError("the register index answers (subject, None, None) only")
        return self._graph(str(subject)).triples(pattern) if str(subject) in self._lines else ()

    def __contains__(self, pattern: tuple[Node, None, None]) -> bool:
        subject, predicate, obj = pattern
        if predicate is not None or obj is not None:
            raise ValueError("the register index answers (subject, None, None) only")
        return isinstance(subject, URIRef) and str(subject) in self._lines

    def subjects(self, predicate: Node, obj: Node) -> list[URIRef]:
        if str(predicate) not in {str(p) for p in _POINTED_BY}:
            raise ValueError(f"the register index does not index {predicate}")
        return [URIRef(s) for s in dict.fromkeys(self._pointing.get((str(predicate), str(obj)),
                                                                     []))]


_XSD_STRING = "<http://www.w3.org/2001/XMLSchema#string>"
_UPPER_TAG = re.compile(r'"@[A-Za-z0-9-]*[A-Z]')
_OX_STRING = ox.NamedNode(_XSD_STRING[1:-1])


class _Sink:
    def __init__(self, graph: Graph):
        self.graph = graph

    def triple(self, s, p, o):  # type: ignore[no-untyped-def]
        self.graph.add((s, p, o))


def _walk_refs(value: Any, found: set[str]) -> None:
    """Add to ``found`` every id a field's value refers to (the loader makes a
    reference an (id, kinds) pair)."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], tuple):
        found.add(value[0])
    elif isinstance(value, list | tuple):
        for item in value:
            _walk_refs(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _walk_refs(item, found)


def referenced_ids(article: ArticleAnnotations) -> set[str]:
    """Every id the article's annotations refer to."""
    found: set[str] = set(article.mentions)
    _walk_refs(article.meta, found)
    for record in article.records.values():
        found.add(record.id)
        _walk_refs(record.fields, found)
    _walk_refs(article.corrections, found)
    return found


def _record(node: Node | str) -> str:
    """A register node's record: a node and its own sub-nodes (a tenure's
    ``#interval``, ``#begin``, ``#end``) are one record."""
    return str(node).split("#", 1)[0]


def register_records(register: Graph) -> frozenset[str]:
    """The records of the register: those of its subjects."""
    return frozenset(_record(s) for s in register.subjects(unique=True))


def named_records(graph: Graph, records: frozenset[str]) -> list[str]:
    """The register records ``graph`` names (as subject or object), sorted."""
    named = {_record(n) for triple in graph for n in (triple[0], triple[2])
             if isinstance(n, URIRef)}
    return sorted(named & records)


class RegisterHashes:
    """Per-record hashes of the register, computed once per build.

    The part of the register an article is validated with
    (:func:`newsgraph.pipeline.build.register_context`) is made of whole records:
    those the article names, those they point to, and the tenures that point
    at them. An article's findings key hashes those records' hashes, so no
    article walks the register for its key, and editing a record re-validates
    the articles whose validation reads it.
    """

    def __init__(self, register: Graph):
        rows: dict[str, list[str]] = {}
        self.points_to: dict[str, set[str]] = {}
        self.pointed_by: dict[str, set[str]] = {}  # tenures, by org:member and ng:post
        subjects = set(register.subjects(unique=True))
        for triple in register:
            s, p, o = triple
            record = _record(s)
            rows.setdefault(record, []).append(_nt_row(triple))
            if isinstance(o, URIRef) and o in subjects:
                other = _record(o)
                if other != record:
                    self.points_to.setdefault(record, set()).add(other)
                    if p in _POINTED_BY:
                        self.pointed_by.setdefault(other, set()).add(record)
        self.hashes = {record: _sha(*sorted(lines)) for record, lines in rows.items()}
        self.whole = _sha(*(f"{r} {h}" for r, h in sorted(self.hashes.items())))

    def to_json(self) -> dict[str, Any]:
        return {"hashes": self.hashes,
                "points_to": {r: sorted(o) for r, o in sorted(self.points_to.items())},
                "pointed_by": {r: sorted(o) for r, o in sorted(self.pointed_by.items())}}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RegisterHashes:
        """The hashes :meth:`to_json` gave (a build cache's entry)."""
        self = cls.__new__(cls)
        self.hashes = dict(body["hashes"])
        self.points_to = {r: set(o) for r, o in body["points_to"].items()}
        self.pointed_by = {r: set(o) for r, o in body["pointed_by"].items()}
        self.whole = _sha(*(f"{r} {h}" for r, h in sorted(self.hashes.items())))
        return self

    def needed_by(self, named: Iterable[str]) -> str:
        """The hash of every register record the validation of an article that
        names the records ``named`` (:func:`named_records`) may read."""
        seeds = set(named) & self.hashes.keys()
        needed = set(seeds)
        for record in seeds:
            needed |= self.points_to.get(record, set())
            needed |= self.pointed_by.get(record, set())
        return _sha(*(f"{r} {self.hashes[r]}" for r in sorted(needed)))


class BuildCache:
    """The cache of one project; ``None`` folder: nothing is kept."""

    def __init__(self, folder: Path | None, base: str, trusted_version: str):
        self.folder = folder
        self.code = _sha(code_version(), base)
        self.trusted = trusted_version
        self.mapped: list[str] = []  # slugs of the articles mapped (not taken from here)
        self.validated: list[str] = []
        self.reused_graphs = self.reused_findings = 0
        self.register_mapped = False  # the register's graph was not taken from here

    # ------------------------------------------------------------- keys

    def graph_key(self, seeds: Path, article: ArticleAnnotations, corpus: Corpus) -> str:
        folder = seeds / article.slug
        kinds = sorted((i, corpus.entities[i].kind) for i in referenced_ids(article)
                       if i in corpus.entities)
        return _sha(self.code, article.slug, (folder / "article.txt").read_bytes(),
                    (folder / "annotations.yaml").read_bytes(), json.dumps(kinds))

    def register_graph_key(self, seeds: Path, corpus: Corpus) -> str:
        """What the register's graph is made from: its file and the kind of every
        id its records refer to."""
        register = [r for r in corpus.entities.values() if r.section in REGISTER]
        found: set[str] = set()
        for record in register:
            found.add(record.id)
            _walk_refs(record.fields, found)
        kinds = sorted((i, corpus.entities[i].kind) for i in found if i in corpus.entities)
        # an article's meeting or statement is never mapped into the register
        defined = sorted(r for a in corpus.articles for r in a.records if r in found)
        return _sha(self.code, (seeds / ENTITIES_FILE).read_bytes(), json.dumps(kinds),
                    json.dumps(defined))

    def findings_key(self, graph_key: str, needed: str) -> str:
        """``needed``: :meth:`RegisterHashes.needed_by` of the article's graph."""
        return _sha(graph_key, self.trusted, needed)

    def register_key(self, hashes: RegisterHashes) -> str:
        return _sha(self.code, self.trusted, hashes.whole)

    # ------------------------------------------------------------- entries

    def _path(self, name: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{name}.json"

    def nquads_path(self, name: str) -> Path | None:
        """Where a graph's canonical N-Quads are kept: ``articles/SLUG`` for an
        article's, ``register`` for the register's (None: no cache)."""
        return None if self.folder is None else self.folder / f"{name}.nq"

    def intact_nquads(self, name: str, sha256: str) -> bytes | None:
        """The graph's N-Quads file if its SHA-256 is ``sha256``, else None."""
        path = self.nquads_path(name)
        try:
            data = path.read_bytes() if path is not None else None
        except OSError:
            return None
        return data if data is not None and hashlib.sha256(data).hexdigest() == sha256 else None

    def store_nquads(self, name: str, data: bytes) -> None:
        path = self.nquads_path(name)
        if path is not None:
            _write(path, data)

    def prune_articles(self, slugs: Iterable[str]) -> None:
        """Drop the entries of articles that are no longer in the corpus."""
        if self.folder is None or not (self.folder / "articles").is_dir():
            return
        keep = {f"{slug}{suffix}" for slug in slugs for suffix in (".json", ".nq")}
        for path in (self.folder / "articles").iterdir():
            if path.name not in keep and not path.name.startswith("."):
                with contextlib.suppress(OSError):
                    path.unlink()

    def load(self, name: str) -> dict[str, Any]:
        """The entry's content if it is intact, else an empty one."""
        path = self._path(name)
        if path is None:
            return {}
        try:
            entry = json.loads(path.read_bytes())
            body = entry["body"]
            if (entry.get("format") != FORMAT or not isinstance(body, dict)
                    or entry.get("sha256") != _sha(json.dumps(body, sort_keys=True))):
                return {}
            return body
        except (OSError, ValueError, KeyError, TypeError):
            return {}

    def store(self, name: str, body: dict[str, Any]) -> None:
        path = self._path(name)
        if path is None:
            return
        entry = {"format": FORMAT, "sha256": _sha(json.dumps(body, sort_keys=True)),
                 "body": body}
        _write(path, json.dumps(entry, sort_keys=True).encode("utf-8"))


class _Unpickler(pickle.Unpickler):
    """Builds only what the annotation loader builds: strings, and its mappings
    and lists that remember their line. Anything else in an entry is refused
    (a cache file is not trusted to name code to run)."""

    _ALLOWED = {("newsgraph.pipeline.annotations", "_Map"),
                ("newsgraph.pipeline.annotations", "_Seq")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed")
        return super().find_class(module, name)


class ParsedYaml:
    """What each YAML file of ``seeds/`` parsed to, by the hash of its bytes.

    Reading an unchanged annotation file is then unpickling what the loader
    built, not parsing YAML again (parsing was most of reading ``seeds/``); the
    checks that follow run on it as on a fresh parse. An entry is used only if
    its key (the code and the file's bytes) and its own SHA-256 match.
    """

    def __init__(self, folder: Path | None, code: str):
        self.folder = folder
        self.code = code
        self.parsed_files = 0  # how many were parsed rather than taken from here

    def parsed(self, label: str, raw: bytes, parse: Callable[[], Any]) -> Any:
        path = None if self.folder is None else (
            self.folder / "yaml" / f"{hashlib.sha256(label.encode()).hexdigest()[:32]}.pickle")
        key = _sha(self.code, label, raw).encode("ascii")
        if path is not None:
            try:
                stored_key, digest, payload = path.read_bytes().split(b"\n", 2)
                if stored_key == key and digest == hashlib.sha256(payload).hexdigest().encode():
                    return _Unpickler(io.BytesIO(payload)).load()
            except (OSError, ValueError, pickle.UnpicklingError, EOFError, AttributeError,
                    TypeError, IndexError):
                pass  # recomputed below
        value = parse()
        self.parsed_files += 1
        if path is not None:
            # pickled before anyone changes it (the loader takes unreviewed records out)
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            _write(path, key + b"\n" + hashlib.sha256(payload).hexdigest().encode() + b"\n"
                   + payload)
        return value


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a reader sees the old entry or the new one
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()  # a cache that cannot be written only costs time


def findings_to_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [asdict(f) for f in findings]


def findings_from_json(rows: list[dict[str, Any]]) -> list[Finding]:
    return [Finding(**row) for row in rows]


def cache_folder(project: Path) -> Path:
    return project / CACHE_DIR

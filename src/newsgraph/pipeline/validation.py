"""Validate a data graph against the trusted shapes and ontology.

The shapes and the ontology are the package's; a project may add shapes of its
own (``shapes/*.ttl``), checked in a run of their own so that they can only add
findings. All are parsed once per process, and are handed to pyshacl
explicitly, so nothing in the data can add or change a constraint: pyshacl would
otherwise read shapes from the data graph, and the data could widen the class
hierarchy that ``sh:class`` relies on. Data triples that speak about shapes or
vocabulary are therefore refused (reported as Violations) and left out of the
validation. No ``owl:imports`` is followed and no SPARQL constraint may name a
remote graph or endpoint.
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from newsgraph.config import Settings
from newsgraph.iris import ONTOLOGY, SH, SHAPES
from newsgraph.iris import curie as compact
from newsgraph.rdf_files import RdfFileError, parse_file

SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}
_RANK = {"Violation": 0, "Warning": 1, "Info": 2}

# The validator's own check that data does not carry vocabulary (see _split_vocabulary).
TRUSTED_INPUT_SHAPE = f"{SHAPES}#TrustedInput"

# Predicates through which data could change what the shapes check: a new
# subclass satisfies sh:class, a new shape adds targets. owl:sameAs is data.
_VOCABULARY_PREDICATES = frozenset(
    {RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range}
)
_DATA_OWL_PREDICATES = frozenset({OWL.sameAs})

# A SPARQL constraint may read only the data graph it is given.
_REMOTE_KEYWORDS = re.compile(r"\b(FROM|SERVICE|LOAD)\b", re.IGNORECASE)

# rdflib's SPARQL parser is not thread-safe (SECURITY.md, hazard 1).
_LOCK = threading.Lock()


class TrustedFilesError(Exception):
    """The shapes or ontology files are missing or unsafe to use."""


@dataclass(frozen=True)
class Finding:
    severity: str  # "Violation" | "Warning" | "Info"
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str

    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        return (
            _RANK.get(self.severity, 3),
            self.focus,
            self.path or "",
            self.value or "",
            self.message,
            self.shape,
        )


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool  # no Violations
    findings: list[Finding]

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Warning"]

    def counts(self) -> dict[str, int]:
        out = {"Violation": 0, "Warning": 0, "Info": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out


def format_finding(f: Finding) -> str:
    """One line a curator can act on."""
    where = f"{f.focus} {f.path}" if f.path else f.focus
    value = ""
    if f.value is not None and f.value not in f.message:
        shown = f.value if len(f.value) <= 120 else f.value[:117] + "..."
        value = f" (value: {shown})"
    return f"{f.severity}: {where}: {f.message}{value} [shape {compact(f.shape)}]"


# --------------------------------------------------------------------------
# The trusted shapes and ontology, parsed once per process
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Trusted:
    shapes: Graph  # the shapes the package ships
    ontology: Graph
    # property shape -> the node shape holding it, to name findings after the latter
    owners: dict[Node, Node]
    # the project's own shapes, validated on their own (see validate_with); empty if none
    project_shapes: Graph = field(default_factory=Graph)


def _signature(folder: Path, required: bool = True) -> tuple[tuple[str, int, int], ...]:
    if not folder.is_dir():
        if not required:
            return ()
        raise TrustedFilesError(f"{folder}: folder not found")
    files = sorted(folder.glob("*.ttl"))
    if not files and required:
        raise TrustedFilesError(f"{folder}: no *.ttl files")
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def _label(path: Path) -> str:
    """``shapes/extra.ttl``: the file as a curator finds it in the project."""
    return f"{path.parent.name}/{path.name}"


def _parse_one(name: str) -> Graph:
    path = Path(name)
    try:
        return parse_file(path)  # the one reader: no BOM, no owl:imports, nothing fetched
    except RdfFileError as exc:
        raise TrustedFilesError(f"{path.parent.name}/{exc}") from None


def _parse(files: Iterable[tuple[str, int, int]]) -> Graph:
    graph = Graph()
    for name, _, _ in files:
        graph += _parse_one(name)
    return graph


def _check_sparql(shapes: Graph, where: str = "") -> None:
    for pred in (SH.select, SH.ask, SH.construct, SH.update):
        for node, text in shapes.subject_objects(pred):
            match = _REMOTE_KEYWORDS.search(str(text))
            if match:
                owner = shapes.value(predicate=SH.sparql, object=node) or node
                raise TrustedFilesError(
                    f"{where}a SPARQL constraint of {owner} uses {match.group(1).upper()}: "
                    "shapes may read only the data graph"
                )


def _shipped_node(node: Node, shipped: Graph) -> bool:
    return isinstance(node, URIRef) and (
        str(node).startswith(SHAPES) or (node, None, None) in shipped)


def _project_file(name: str, shipped: Graph) -> Graph:
    """One project shapes file, refused if it speaks about a shipped shape.

    Validated on their own, project shapes could not change the shipped ones
    anyway; refusing such statements says so instead of silently ignoring an
    ``sh:deactivated`` or ``sh:severity`` meant for a shipped shape.
    """
    graph = _parse_one(name)
    label = _label(Path(name))
    for triple in graph:
        node = next((n for n in (triple[0], triple[2]) if _shipped_node(n, shipped)), None)
        if node is not None:
            raise TrustedFilesError(
                f"{label}: speaks about {compact(str(node))}, which newsgraph ships; a "
                "project's shapes add checks of their own and cannot change, switch off or "
                "refer to the shipped ones: give the shape an IRI of your own")
    _check_sparql(graph, f"{label}: ")
    return graph


def _owners(*graphs: Graph) -> dict[Node, Node]:
    owners: dict[Node, Node] = {}
    for shapes in graphs:
        for node_shape, prop_shape in shapes.subject_objects(SH.property):
            owners.setdefault(prop_shape, node_shape)
    return owners


@lru_cache(maxsize=8)
def _load(shapes_sig: tuple, ontology_sig: tuple, project_sig: tuple) -> Trusted:
    shapes = _parse(shapes_sig)
    ontology = _parse(ontology_sig)
    _check_sparql(shapes)
    project = Graph()
    for name, _, _ in project_sig:
        project += _project_file(name, shapes)
    return Trusted(shapes=shapes, ontology=ontology, owners=_owners(shapes, project),
                   project_shapes=project)


def load_trusted(settings: Settings) -> Trusted:
    """The shipped shapes and ontology, and the project's own shapes, of
    ``settings``; parsed again only if a file changed."""
    project = settings.project_shapes()
    return _load(_signature(settings.shapes_dir), _signature(settings.ontology_dir),
                 _signature(project, required=False) if project else ())


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _triples(data: Graph) -> Iterable[tuple[Node, Node, Node]]:
    """The data's triples; of a dataset, the union of its graphs except the
    published ontology graph, whose place the trusted ontology takes."""
    if isinstance(data, (Dataset, ConjunctiveGraph)):
        ontology_graph = URIRef(ONTOLOGY)
        for s, p, o, graph in data.quads((None, None, None, None)):
            name = graph.identifier if isinstance(graph, Graph) else graph
            if name != ontology_graph:
                yield s, p, o
    else:
        yield from data


def _is_vocabulary(p: Node, o: Node) -> bool:
    if str(p).startswith(str(SH)):
        return True
    if p == RDF.type and str(o).startswith(str(SH)):
        return True
    if p in _VOCABULARY_PREDICATES:
        return True
    return str(p).startswith(str(OWL)) and p not in _DATA_OWL_PREDICATES


class _PreparedQueryGraph(Graph):
    """A graph that parses each distinct SPARQL text once.

    pyshacl sends a constraint's query once per focus node, with the same text
    and ``$this`` passed as a binding; parsing dominated validation time (about
    10 ms a query), so parsed queries are kept for the life of the process.
    """

    _prepared: dict[str, Query] = {}

    def query(self, query_object, *args, **kwargs):  # type: ignore[override]
        if isinstance(query_object, str):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def _split_vocabulary(data: Graph, ontology: Graph) -> tuple[Graph, list[Finding]]:
    """A copy of the data without vocabulary triples, and a Violation for each one
    that is not already in the trusted ontology."""
    clean = _PreparedQueryGraph()
    refused: list[Finding] = []
    for s, p, o in _triples(data):
        if _is_vocabulary(p, o):
            if (s, p, o) not in ontology:
                refused.append(
                    Finding(
                        severity="Violation",
                        focus=str(s),
                        path=compact(str(p)),
                        value=_show(o),
                        message=(
                            "Data may not define shapes or vocabulary (this triple would change "
                            "what validation checks): remove it, or move it to ontology/ or "
                            "shapes/ if it is meant."
                        ),
                        shape=TRUSTED_INPUT_SHAPE,
                    )
                )
            continue
        clean.add((s, p, o))
    return clean, refused


def _show(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, Literal):
        if node.language:
            return f'"{node}"@{node.language}'
        if node.datatype is not None:
            return f'"{node}"^^{compact(str(node.datatype))}'
        return f'"{node}"'
    return str(node)


def _path_text(graph: Graph, path: Node | None) -> str | None:
    """SHACL property path as SPARQL path syntax, with prefixed names."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return compact(str(path))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + (_path_text(graph, inverse) or "?")
    for pred, op in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(path, pred)
        if inner is not None:
            return f"({_path_text(graph, inner)}){op}"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        options = (_path_text(graph, p) or "?" for p in Collection(graph, alternatives))
        return "(" + "|".join(options) + ")"
    if (path, RDF.first, None) in graph:
        return "/".join(_path_text(graph, p) or "?" for p in Collection(graph, path))
    return str(path)


def _message(report: Graph, result: Node) -> str:
    messages = list(report.objects(result, SH.resultMessage))
    english = [m for m in messages if isinstance(m, Literal) and m.language in (None, "en")]
    chosen = sorted({str(m) for m in (english or messages)})
    return " ".join(chosen) if chosen else "(no message)"


def _shape_name(trusted: Trusted, shape: Node | None) -> str:
    if shape is None:
        return "(unknown shape)"
    # results name the (often anonymous) property shape; report its node shape
    seen = set()
    while isinstance(shape, BNode) and shape in trusted.owners and shape not in seen:
        seen.add(shape)
        shape = trusted.owners[shape]
    return str(shape) if not isinstance(shape, BNode) else f"_:{shape}"


def _findings(report: Graph, trusted: Trusted) -> list[Finding]:
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        focus = report.value(result, SH.focusNode)
        value = report.value(result, SH.value)
        path = _path_text(report, report.value(result, SH.resultPath))
        if path is None and value == focus:
            value = None  # node-level results repeat the focus node as the value
        found.append(
            Finding(
                severity=SEVERITY_NAMES.get(severity, str(severity)),
                focus=str(focus),
                path=path,
                value=_show(value),
                message=_message(report, result),
                shape=_shape_name(trusted, report.value(result, SH.sourceShape)),
            )
        )
    return found


# --------------------------------------------------------------------------
# Speed: what is the same for every run is done once per process
# --------------------------------------------------------------------------
#
# A build validates thousands of small graphs with the same shapes. Profiled on
# a synthetic corpus, a pyshacl.validate call spent about half its time on work
# that does not depend on the data: harvesting the shapes, copying the ontology
# into the data (pyshacl's "inoculation", the same triples every time), and, per
# SPARQL constraint and focus node, collecting the shapes' prefixes and checking
# and rewriting the same query text with regular expressions. The helpers below
# keep each of those results for the process. They are memoised versions of
# pyshacl's own functions (pinned in pyproject.toml), so the results are the
# same; tests/pipeline/test_linear_validation.py compares every shape fixture
# with the reference path.

# nodes a run must not take as focus nodes of a top-level shape (see _run)
_SKIP_FOCUS: contextvars.ContextVar[frozenset[Node] | None] = contextvars.ContextVar(
    "newsgraph_skip_focus", default=None)
_PATCHED = False


def _patch_pyshacl() -> None:
    """Memoise pyshacl's data-independent helpers, and let a run skip focus nodes."""
    global _PATCHED
    if _PATCHED:
        return
    _PATCHED = True
    from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper
    from pyshacl.shape import Shape

    check_invalid = SPARQLQueryHelper.check_invalid_sparql
    collect_prefixes = SPARQLQueryHelper.collect_prefixes
    pre_bind = SPARQLQueryHelper.pre_bind_variables
    focus_nodes = Shape.focus_nodes
    checked: set[tuple] = set()
    prefixes: dict[tuple, tuple[Graph, dict]] = {}
    bound: dict[tuple, tuple[Graph, tuple[bool, bool, bool, str]]] = {}

    def check_invalid_sparql(self, sparql_text, valuenode=None, extravars=None):  # type: ignore[no-untyped-def]
        # a pure function of its arguments' text; it raises on a bad query, and
        # only a query that passed is remembered
        key = (sparql_text, valuenode is not None, frozenset(extravars or ()))
        if key not in checked:
            check_invalid(self, sparql_text, valuenode=valuenode, extravars=extravars)
            checked.add(key)
        return True

    def memo_collect_prefixes(self):  # type: ignore[no-untyped-def]
        graph = self.shape.sg.graph
        key = (id(graph), self.node)
        if key not in prefixes:
            collect_prefixes(self)
            # the graph is kept with its entry, so its id is not reused
            prefixes[key] = (graph, dict(self.prefixes))
        else:
            self.prefixes.update(prefixes[key][1])

    def pre_bind_variables(self, thisnode, valuenode=None, extravars=None):  # type: ignore[no-untyped-def]
        graph = self.shape.sg.graph
        key = (id(graph), self.node, self.shape.node, self.select_text,
               valuenode is not None, bool(valuenode), frozenset(extravars or ()))
        entry = bound.get(key)
        if entry is None:
            self.check_invalid_sparql(self.select_text, valuenode=valuenode,
                                      extravars=extravars)
            binds, text = pre_bind(self, thisnode, valuenode=valuenode, extravars=extravars)
            flags = ("this" in binds, "value" in binds, "currentShape" in binds)
            bound[key] = entry = (graph, (*flags, text))
        has_this, has_value, has_shape, text = entry[1]
        binds = {}
        if has_this:
            binds["this"] = thisnode
        if has_value:
            binds["value"] = valuenode
        if has_shape:
            binds["currentShape"] = self.shape.node
        return binds, text

    def filtered_focus_nodes(self, target_graph, debug=False):  # type: ignore[no-untyped-def]
        found = focus_nodes(self, target_graph, debug=debug)
        skip = _SKIP_FOCUS.get()
        return found if skip is None else {n for n in found if n not in skip}

    SPARQLQueryHelper.check_invalid_sparql = check_invalid_sparql
    SPARQLQueryHelper.collect_prefixes = memo_collect_prefixes
    SPARQLQueryHelper.pre_bind_variables = pre_bind_variables
    Shape.focus_nodes = filtered_focus_nodes


@dataclass
class _Engine:
    """pyshacl's view of one shapes graph, built once: its harvested shapes, and
    the ontology triples pyshacl would copy into every data graph."""

    shapes: object  # pyshacl.shapes_graph.ShapesGraph
    source: Graph
    ontology: list[tuple[Node, Node, Node]]
    has_rules: bool


_ENGINES: dict[tuple[int, int], tuple[Graph, Graph, _Engine]] = {}
_LOGGER = logging.getLogger("newsgraph.validation")


def _engine(shapes: Graph, ontology: Graph) -> _Engine:
    key = (id(shapes), id(ontology))
    entry = _ENGINES.get(key)
    if entry is None:
        from pyshacl.graph_abstraction import DataGraph
        from pyshacl.rdfutil.inoculate import inoculate
        from pyshacl.shapes_graph import ShapesGraph

        _patch_pyshacl()
        mixed = inoculate(DataGraph.from_rdflib(Graph()), ontology)
        engine = _Engine(shapes=ShapesGraph(shapes, False, _LOGGER), source=shapes,
                         ontology=list(mixed.impl),
                         has_rules=(None, SH.rule, None) in shapes)
        # the graphs are kept with the entry, so their ids are not reused
        _ENGINES[key] = entry = (shapes, ontology, engine)
    return entry[2]


def _run(data: Graph, shapes: Graph, ontology: Graph, inplace: bool,
         skip_focus: frozenset[Node] | None = None) -> Graph:
    """pyshacl's report for ``data``, as ``pyshacl.validate`` would give it with
    these options. ``skip_focus``: nodes no top-level shape takes as its focus
    (their findings would be dropped by the caller anyway); a node is still
    checked where another node's shape reaches it (sh:node, sh:class ...).
    Ignored for shapes with SHACL rules, whose targets say where rules apply."""
    from pyshacl.graph_abstraction import DataGraph
    from pyshacl.validator import Validator

    engine = _engine(shapes, ontology)
    with _LOCK:
        target = data if inplace else _PreparedQueryGraph()
        if not inplace:
            for triple in data:
                target.add(triple)
        for triple in engine.ontology:
            target.add(triple)
        validator = Validator(
            DataGraph.from_rdflib(target),
            shacl_graph=shapes,
            ont_graph=None,
            options={"inference": "none", "advanced": True, "allow_infos": True,
                     "allow_warnings": True, "abort_on_first": False, "inplace": True,
                     "use_js": False, "logger": _LOGGER},
        )
        validator.shacl_graph = engine.shapes  # harvested once, not once per run
        token = _SKIP_FOCUS.set(skip_focus if skip_focus and not engine.has_rules else None)
        try:
            _, report, _ = validator.run()
        finally:
            _SKIP_FOCUS.reset(token)
    return report


def validate_with(data: Graph, trusted: Trusted,
                  skip_focus: frozenset[Node] | None = None) -> ValidationReport:
    """Validate ``data`` with the shipped shapes, then, on their own, the project's.

    Two runs, so that no statement in a project file can remove, weaken or
    retarget a shipped shape: the shipped run is exactly what it would be
    without a project. The report is the union of both runs' findings.
    ``skip_focus``: nodes the shipped shapes need not report on (see ``_run``).
    """
    clean, refused = _split_vocabulary(data, trusted.ontology)
    # `clean` is our own copy: the ontology is added to it in place
    reports = [_run(clean, trusted.shapes, trusted.ontology, inplace=True,
                    skip_focus=skip_focus)]
    if len(trusted.project_shapes):
        # a copy: the project's SHACL rules (sh:rule) may add triples to what they see
        reports.append(_run(clean, trusted.project_shapes, trusted.ontology, inplace=False))
    found = [f for report in reports for f in _findings(report, trusted)]
    findings = sorted(set(found + refused), key=Finding.sort_key)
    conforms = not any(f.severity == "Violation" for f in findings)
    return ValidationReport(conforms=conforms, findings=findings)


def validate(data: Graph, settings: Settings) -> ValidationReport:
    """Validate ``data`` with the trusted shapes and ontology of ``settings``.

    ``data`` is a graph, or a dataset taken as the union of its graphs (its
    ontology graph left out). Vocabulary triples in the data that are not in the
    trusted ontology are reported as Violations and not used.
    """
    return validate_with(data, load_trusted(settings))

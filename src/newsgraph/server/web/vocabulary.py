"""Documentation of the vocabulary (``/def``) and the shapes (``/shapes``), read
from the release's copies of the ontology and the shapes (pyLODE's idea: one
profile per kind of document over a small shared core; nothing about a term is
written twice).

* the core loads a folder of Turtle into a small in-memory store and answers
  "what does this node say" questions;
* the OWL profile lists the ontology's classes, properties and individuals with
  label, definition, domain/range, hierarchy and examples from the served data;
* the SHACL profile lists node shapes with their targets, property constraints,
  SPARQL constraints and messages.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from newsgraph import iris
from newsgraph.iris import PREFIXES, curie
from newsgraph.server.store import DataError, OpenRelease, sparql_term
from newsgraph.server.web.describe import best_literal, labels_for

RDF, RDFS, OWL, SKOS, DCT, SH, VANN = (
    PREFIXES[p] for p in ("rdf", "rdfs", "owl", "skos", "dcterms", "sh", "vann"))

CLASS_TYPES = (f"{OWL}Class", f"{RDFS}Class")
PROPERTY_TYPES = {
    f"{OWL}ObjectProperty": "object property",
    f"{OWL}DatatypeProperty": "datatype property",
    f"{OWL}AnnotationProperty": "annotation property",
    f"{RDF}Property": "property",
}
EXAMPLES_PER_TERM = 3

Term = ox.NamedNode | ox.BlankNode | ox.Literal


# ------------------------------------------------------------------ the core


@dataclass(eq=False)
class TurtleFolder:
    """Every ``*.ttl`` of a folder, parsed once into one in-memory graph."""

    store: ox.Store
    triples: list[ox.Triple]
    fingerprint: str
    files: list[str]

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        if isinstance(subject, ox.Literal):
            return []
        return [
            q.object for q in self.store.quads_for_pattern(subject, ox.NamedNode(predicate), None)
        ]

    def one(self, subject: Term, predicate: str) -> Term | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def text(self, subject: Term, predicate: str) -> str | None:
        return best_literal(self.objects(subject, predicate))

    def subjects_of_type(self, *types: str) -> list[ox.NamedNode]:
        found: set[ox.NamedNode] = set()
        for t in types:
            for q in self.store.quads_for_pattern(
                None, ox.NamedNode(f"{RDF}type"), ox.NamedNode(t)
            ):
                if isinstance(q.subject, ox.NamedNode):
                    found.add(q.subject)
        return sorted(found, key=lambda n: n.value)

    def rdf_list(self, head: Term) -> list[Term]:
        items: list[Term] = []
        seen = set()
        while (
            isinstance(head, ox.NamedNode | ox.BlankNode)
            and head.value != f"{RDF}nil"
            and head not in seen
        ):
            seen.add(head)
            first = self.one(head, f"{RDF}first")
            if first is None:
                break
            items.append(first)
            head = self.one(head, f"{RDF}rest")  # type: ignore[assignment]
        return items


def load_turtle(files: Sequence[Path]) -> TurtleFolder:
    """Turtle files parsed into one graph (a release's ontology, or its shapes)."""
    store = ox.Store()
    digest = hashlib.sha256()
    labels: dict[ox.BlankNode, ox.BlankNode] = {}

    def stable(term: Term) -> Term:
        # the parser names blank nodes at random; numbered in the order they
        # appear, the same files give the same answers in every process
        if isinstance(term, ox.BlankNode):
            return labels.setdefault(term, ox.BlankNode(f"b{len(labels)}"))
        return term

    for path in files:
        body = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + body)
        try:
            # no base IRI: a relative IRI is an error, never a file:// IRI of this machine
            parsed = list(ox.parse(body, format=ox.RdfFormat.TURTLE))
        except SyntaxError as exc:
            raise DataError(f"{path}: not valid Turtle: {exc}") from exc
        store.extend(ox.Quad(stable(q.subject), q.predicate, stable(q.object)) for q in parsed)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in store]
    return TurtleFolder(store, triples, digest.hexdigest()[:16], [p.name for p in files])


def anchor(iri: str) -> str:
    """The fragment a term is documented under: our own terms by their local
    name (so ``/def#Meeting`` is the term's own IRI), reused ones by CURIE."""
    for ns in (PREFIXES["ng"], PREFIXES["ngsh"]):
        if iri.startswith(ns):
            return iri[len(ns) :]
    return curie(iri)


def inline(folder: TurtleFolder, term: Term, depth: int = 0) -> str:
    """A value written compactly as Turtle would: CURIEs, lists, nested ``[ … ]``."""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return curie(term.value)
    if folder.one(term, f"{RDF}first") is not None:
        return "( " + " ".join(inline(folder, t, depth + 1) for t in folder.rdf_list(term)) + " )"
    if depth > 4:
        return "[ … ]"
    parts = [
        f"{curie(q.predicate.value)} {inline(folder, q.object, depth + 1)}"
        for q in folder.store.quads_for_pattern(term, None, None)
    ]
    return "[ " + " ; ".join(sorted(parts)) + " ]"


# ------------------------------------------------------------------ OWL profile


@dataclass
class Example:
    subject: str
    subject_label: str
    value: str | None = None  # the object, for a property's example
    value_label: str = ""
    value_is_iri: bool = False


@dataclass
class TermDoc:
    iri: str
    curie: str
    anchor: str
    label: str
    kind: str
    definition: str | None
    comment: str | None
    defined_by: str | None
    types: list[str] = field(default_factory=list)
    relations: list[tuple[str, list[str]]] = field(default_factory=list)  # (caption, [iri])
    examples: list[Example] = field(default_factory=list)

    @property
    def own(self) -> bool:
        return self.iri.startswith(str(iris.NG))


@dataclass
class OntologyDoc:
    iri: str
    metadata: list[tuple[str, list[Term]]]
    title: str
    description: str | None
    classes: list[TermDoc]
    properties: list[TermDoc]
    individuals: list[TermDoc]
    prefixes: dict[str, str]

    @property
    def documented(self) -> set[str]:
        return {t.iri for t in (*self.classes, *self.properties, *self.individuals)}


def documented_terms(folder: TurtleFolder) -> frozenset[str]:
    """The IRIs ``/def`` has a section for: every typed term but the ontology itself."""
    typed = {
        q.subject.value
        for q in folder.store.quads_for_pattern(None, ox.NamedNode(f"{RDF}type"), None)
        if isinstance(q.subject, ox.NamedNode)
    }
    return frozenset(typed - {o.value for o in folder.subjects_of_type(f"{OWL}Ontology")})


def _iris(terms: list[Term]) -> list[str]:
    return sorted(t.value for t in terms if isinstance(t, ox.NamedNode))


def _inverse(folder: TurtleFolder, obj: ox.NamedNode, predicate: str) -> list[str]:
    return sorted(
        q.subject.value
        for q in folder.store.quads_for_pattern(None, ox.NamedNode(predicate), obj)
        if isinstance(q.subject, ox.NamedNode)
    )


def _term(folder: TurtleFolder, node: ox.NamedNode, kind: str) -> TermDoc:
    label = (
        folder.text(node, f"{RDFS}label")
        or folder.text(node, f"{SKOS}prefLabel")
        or anchor(node.value)
    )
    defined_by = folder.one(node, f"{RDFS}isDefinedBy")
    doc = TermDoc(
        iri=node.value,
        curie=curie(node.value),
        anchor=anchor(node.value),
        label=label,
        kind=kind,
        definition=folder.text(node, f"{SKOS}definition"),
        comment=folder.text(node, f"{RDFS}comment"),
        defined_by=defined_by.value if isinstance(defined_by, ox.NamedNode) else None,
        types=_iris(folder.objects(node, f"{RDF}type")),
    )
    rel: list[tuple[str, list[str]]] = []
    if kind == "class":
        rel += [
            ("subclass of", _iris(folder.objects(node, f"{RDFS}subClassOf"))),
            ("superclass of", _inverse(folder, node, f"{RDFS}subClassOf")),
            ("in the domain of", _inverse(folder, node, f"{RDFS}domain")),
            ("in the range of", _inverse(folder, node, f"{RDFS}range")),
            (
                "disjoint union of",
                [
                    t.value
                    for lst in folder.objects(node, f"{OWL}disjointUnionOf")
                    for t in folder.rdf_list(lst)
                    if isinstance(t, ox.NamedNode)
                ],
            ),
        ]
    elif kind != "individual":
        rel += [
            ("domain", _iris(folder.objects(node, f"{RDFS}domain"))),
            ("range", _iris(folder.objects(node, f"{RDFS}range"))),
            ("sub-property of", _iris(folder.objects(node, f"{RDFS}subPropertyOf"))),
            (
                "inverse of",
                _iris(folder.objects(node, f"{OWL}inverseOf"))
                + _inverse(folder, node, f"{OWL}inverseOf"),
            ),
        ]
    else:
        rel += [("in scheme", _iris(folder.objects(node, f"{SKOS}inScheme")))]
    doc.relations = [(caption, values) for caption, values in rel if values]
    return doc


def _class_examples(release: OpenRelease, cls: str) -> list[str]:
    rows = release.select(
        f"""SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s a {sparql_term(ox.NamedNode(cls))} }}
              FILTER(isIRI(?s) && ?g != {sparql_term(ox.NamedNode(iris.ONTOLOGY))}) }}
            ORDER BY ?s LIMIT {EXAMPLES_PER_TERM}"""
    )
    return [r["s"].value for r in rows]


def _property_examples(release: OpenRelease, prop: str) -> list[tuple[str, Term]]:
    rows = release.select(
        f"""SELECT ?s ?o WHERE {{ GRAPH ?g {{ ?s {sparql_term(ox.NamedNode(prop))} ?o }}
              FILTER(isIRI(?s) && ?g != {sparql_term(ox.NamedNode(iris.ONTOLOGY))}) }}
            ORDER BY ?s ?o LIMIT {EXAMPLES_PER_TERM}"""
    )
    return [(r["s"].value, r["o"]) for r in rows]


def _individual_examples(release: OpenRelease, value: str) -> list[str]:
    rows = release.select(
        f"""SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s ?p {sparql_term(ox.NamedNode(value))} }}
              FILTER(isIRI(?s) && ?g != {sparql_term(ox.NamedNode(iris.ONTOLOGY))}) }}
            ORDER BY ?s LIMIT {EXAMPLES_PER_TERM}"""
    )
    return [r["s"].value for r in rows]


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ontology_doc(folder: TurtleFolder, release: OpenRelease) -> OntologyDoc:
    onto = next(iter(folder.subjects_of_type(f"{OWL}Ontology")), ox.NamedNode(iris.ONTOLOGY))
    metadata = [
        (caption, folder.objects(onto, pred))
        for caption, pred in (
            ("IRI", None),
            ("version IRI", f"{OWL}versionIRI"),
            ("version", f"{OWL}versionInfo"),
            ("creator", f"{DCT}creator"),
            ("created", f"{DCT}created"),
            ("modified", f"{DCT}modified"),
            ("licence", f"{DCT}license"),
            ("preferred prefix", f"{VANN}preferredNamespacePrefix"),
            ("namespace", f"{VANN}preferredNamespaceUri"),
            ("see also", f"{RDFS}seeAlso"),
        )
        if pred is not None
    ]
    metadata.insert(0, ("IRI", [onto]))
    classes = [_term(folder, n, "class") for n in folder.subjects_of_type(*CLASS_TYPES)]
    class_iris = {c.iri for c in classes}
    properties = []
    for node in folder.subjects_of_type(*PROPERTY_TYPES):
        if node.value in class_iris:
            continue
        types = [t for t in _iris(folder.objects(node, f"{RDF}type")) if t in PROPERTY_TYPES]
        properties.append(_term(folder, node, PROPERTY_TYPES[types[0]]))
    known = class_iris | {p.iri for p in properties} | {onto.value}
    individuals = []
    for q in folder.store.quads_for_pattern(None, ox.NamedNode(f"{RDF}type"), None):
        node = q.subject
        if isinstance(node, ox.NamedNode) and node.value not in known:
            known.add(node.value)
            individuals.append(_term(folder, node, "individual"))
    individuals.sort(key=lambda t: t.iri)

    linked: set[str] = set()
    for t in classes:
        t.examples = [Example(s, "") for s in _class_examples(release, t.iri)]
    for t in properties:
        for s, o in _property_examples(release, t.iri):
            if isinstance(o, ox.NamedNode):
                t.examples.append(Example(s, "", o.value, "", True))
                linked.add(o.value)
            else:
                t.examples.append(Example(s, "", _shorten(o.value)))
    for t in individuals:
        t.examples = [Example(s, "") for s in _individual_examples(release, t.iri)]
    subjects = {e.subject for t in (*classes, *properties, *individuals) for e in t.examples}
    labels = labels_for(release, sorted(subjects | linked))
    for t in (*classes, *properties, *individuals):
        for e in t.examples:
            e.subject_label = _shorten(labels.get(e.subject) or e.subject.rsplit("/", 1)[-1])
            if e.value_is_iri and e.value:
                e.value_label = _shorten(labels.get(e.value) or curie(e.value))

    # our own terms first, then the reused ones, each alphabetically
    def order(t: TermDoc) -> tuple[bool, str]:
        return (not t.own, t.curie.casefold())

    return OntologyDoc(
        iri=onto.value,
        metadata=[(c, v) for c, v in metadata if v],
        title=folder.text(onto, f"{DCT}title") or "newsgraph vocabulary",
        description=folder.text(onto, f"{DCT}description"),
        classes=sorted(classes, key=order),
        properties=sorted(properties, key=order),
        individuals=sorted(individuals, key=order),
        prefixes=dict(iris.PREFIXES),
    )


# ------------------------------------------------------------------ SHACL profile


@dataclass
class Constraint:
    name: str  # CURIE of the constraint parameter
    value: str


@dataclass
class PropertyDoc:
    path: str
    name: str | None
    constraints: list[Constraint]
    message: str | None
    severity: str | None


@dataclass
class SparqlDoc:
    message: str | None
    query: str
    severity: str | None


@dataclass
class ShapeDoc:
    iri: str
    curie: str
    anchor: str
    label: str
    comment: str | None
    targets: list[Constraint]
    constraints: list[Constraint]
    properties: list[PropertyDoc]
    sparql: list[SparqlDoc]
    message: str | None
    severity: str | None


@dataclass
class ShapesDoc:
    iri: str
    title: str
    description: str | None
    shapes: list[ShapeDoc]


TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
NOT_CONSTRAINTS = {
    f"{SH}{p}"
    for p in (
        *TARGETS,
        "property",
        "sparql",
        "message",
        "severity",
        "path",
        "name",
        "description",
        "declare",
        "deactivated",
    )
}


def path_text(folder: TurtleFolder, path: Term) -> str:
    """A SHACL property path in SPARQL's notation (``^p``, ``p/q``, ``p|q``, ``p*``)."""
    if isinstance(path, ox.NamedNode):
        return curie(path.value)
    if isinstance(path, ox.Literal):
        return path.value
    if folder.one(path, f"{RDF}first") is not None:
        return "/".join(path_text(folder, p) for p in folder.rdf_list(path))
    for pred, fmt in (
        (f"{SH}inversePath", "^{}"),
        (f"{SH}zeroOrMorePath", "({})*"),
        (f"{SH}oneOrMorePath", "({})+"),
        (f"{SH}zeroOrOnePath", "({})?"),
    ):
        inner = folder.one(path, pred)
        if inner is not None:
            return fmt.format(path_text(folder, inner))
    alt = folder.one(path, f"{SH}alternativePath")
    if alt is not None:
        return "(" + "|".join(path_text(folder, p) for p in folder.rdf_list(alt)) + ")"
    return inline(folder, path)


def _constraints(folder: TurtleFolder, node: Term) -> list[Constraint]:
    out = []
    if isinstance(node, ox.Literal):
        return out
    for q in folder.store.quads_for_pattern(node, None, None):
        pred = q.predicate.value
        if pred.startswith(SH) and pred not in NOT_CONSTRAINTS:
            out.append(Constraint(curie(pred), inline(folder, q.object)))
    return sorted(out, key=lambda c: (c.name, c.value))


def _severity(folder: TurtleFolder, node: Term) -> str | None:
    sev = folder.one(node, f"{SH}severity")
    return curie(sev.value) if isinstance(sev, ox.NamedNode) else None


XSD = PREFIXES["xsd"]
INTEGER_TYPES = frozenset(
    f"{XSD}{t}"
    for t in (
        "integer",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)


def integer_datatypes(folder: TurtleFolder) -> dict[str, str]:
    """Property -> the integer datatype the shapes require of its values, where
    every property shape on that (plain) path agrees on one."""
    found: dict[str, set[str]] = {}
    for q in folder.store.quads_for_pattern(None, ox.NamedNode(f"{SH}path"), None):
        if not isinstance(q.object, ox.NamedNode):
            continue
        for dt in folder.objects(q.subject, f"{SH}datatype"):
            if isinstance(dt, ox.NamedNode) and dt.value in INTEGER_TYPES:
                found.setdefault(q.object.value, set()).add(dt.value)
    return {prop: next(iter(types)) for prop, types in found.items() if len(types) == 1}


def shapes_doc(folder: TurtleFolder) -> ShapesDoc:
    header = next(iter(folder.subjects_of_type(f"{OWL}Ontology")), ox.NamedNode(iris.SHAPES))
    shapes = []
    for node in folder.subjects_of_type(f"{SH}NodeShape"):
        props = []
        for prop in folder.objects(node, f"{SH}property"):
            path = folder.one(prop, f"{SH}path")
            props.append(
                PropertyDoc(
                    path=path_text(folder, path) if path is not None else "?",
                    name=folder.text(prop, f"{SH}name"),
                    constraints=_constraints(folder, prop),
                    message=folder.text(prop, f"{SH}message"),
                    severity=_severity(folder, prop),
                )
            )
        sparql = []
        for constraint in folder.objects(node, f"{SH}sparql"):
            select = folder.one(constraint, f"{SH}select")
            sparql.append(
                SparqlDoc(
                    folder.text(constraint, f"{SH}message"),
                    textwrap.dedent(select.value).strip() if isinstance(select, ox.Literal) else "",
                    _severity(folder, constraint),
                )
            )
        shapes.append(
            ShapeDoc(
                iri=node.value,
                curie=curie(node.value),
                anchor=anchor(node.value),
                label=folder.text(node, f"{RDFS}label") or anchor(node.value),
                comment=folder.text(node, f"{RDFS}comment"),
                targets=[
                    Constraint(
                        f"sh:{t}",
                        curie(v.value) if isinstance(v, ox.NamedNode) else inline(folder, v),
                    )
                    for t in TARGETS
                    for v in folder.objects(node, f"{SH}{t}")
                ],
                constraints=_constraints(folder, node),
                properties=sorted(props, key=lambda p: p.path),
                sparql=sparql,
                message=folder.text(node, f"{SH}message"),
                severity=_severity(folder, node),
            )
        )
    return ShapesDoc(
        iri=header.value,
        title=folder.text(header, f"{DCT}title") or "newsgraph shapes",
        description=folder.text(header, f"{DCT}description"),
        shapes=sorted(shapes, key=lambda s: s.anchor.casefold()),
    )

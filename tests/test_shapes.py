"""The shapes accept data that follows the vocabulary contract and reject each
kind of break with a finding from the shape responsible, and only that shape.

Broken fixtures are patches on ``fixtures/shapes/valid.ttl``: for every
(subject, predicate) a patch mentions, the valid data's values are replaced by
the patch's; the object ``ngt:none`` removes them. A patch is named
``<ShapeLocalName>--<what is broken>.ttl`` after the shape that must reject it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from functools import cache
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF

from newsgraph import release
from newsgraph.config import Settings
from newsgraph.iris import SH, SHAPES
from newsgraph.pipeline.validation import (
    TRUSTED_INPUT_SHAPE,
    Finding,
    TrustedFilesError,
    ValidationReport,
    format_finding,
    load_trusted,
    validate,
)
from shape_fixtures import BROKEN, FIXTURES, VALID, load, patched

ROOT = Path(__file__).resolve().parents[1]
SHAPES_NS = f"{SHAPES}#"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(root=ROOT)


@cache
def report_for(patch_path: Path) -> ValidationReport:
    """Validated once per session: two tests read each fixture's report."""
    return validate(patched(patch_path), Settings(root=ROOT))


def expected_shape(patch_path: Path) -> str:
    return SHAPES_NS + patch_path.name.split("--", 1)[0]


def serious(report: ValidationReport) -> list[Finding]:
    return [f for f in report.findings if f.severity in ("Violation", "Warning")]


def test_valid_fixture_conforms_without_violations_or_warnings(settings):
    report = validate(load(VALID), settings)
    assert report.conforms, "\n".join(map(format_finding, report.findings))
    assert serious(report) == []


def test_missing_wikidata_links_are_only_info(settings):
    report = validate(load(VALID), settings)
    infos = [f for f in report.findings if f.severity == "Info"]
    assert {f.focus.rsplit("/", 1)[1] for f in infos} >= {"reuters", "test-outlet"}
    assert all(f.path == "owl:sameAs" for f in infos)


@pytest.mark.parametrize("patch_path", BROKEN, ids=lambda p: p.stem)
def test_broken_fixture_is_rejected_by_its_shape_only(settings, patch_path):
    shape = expected_shape(patch_path)
    report = report_for(patch_path)
    found = serious(report)
    assert [f for f in found if f.shape == shape], (
        f"{shape} did not reject {patch_path.name}; findings:\n"
        + "\n".join(map(format_finding, report.findings))
    )
    others = [f for f in found if f.shape != shape]
    assert others == [], "other shapes also objected:\n" + "\n".join(map(format_finding, others))


def _shape_severity(shapes: Graph, shape: URIRef) -> str:
    severity = shapes.value(shape, SH.severity)
    return str(severity).rsplit("#", 1)[1] if severity is not None else "Violation"


# --------------------------------------------------------------------------
# What a shape's severity does to `newsgraph build`
# --------------------------------------------------------------------------

# Breaks of the scaffold's seeds (``newsgraph init``) that the annotation
# loader lets through and a shape catches: (file, old text, new text, the record
# the finding names, its section and id in that file, the shape).
ENTITIES = "seeds/entities.yaml"
MEETINGS = "seeds/example-harbour-talks/annotations.yaml"
MEETING = ("meetings", "quillfeather-marrowgate-port-alder-2026-03-03")
WORKS_HEAD = "works:                               # sources of facts the article does not state\n"
VIOLATIONS = {
    "posting-without-author": (
        ENTITIES, WORKS_HEAD,
        WORKS_HEAD + "  marrowgate-post:\n    type: social-media-posting\n"
        "    name: A post by Tobias Marrowgate\n",
        ENTITIES, ("works", "marrowgate-post"), "ngsh:SocialMediaPostingShape"),
    "capacity-before-the-tenure": (
        # the tenure now starts the day after the meeting (still before publication)
        ENTITIES, "    start: 2024-06-01 ", "    start: 2026-03-04 ",
        MEETINGS, MEETING, "ngsh:CapacityTenureShape"),
}
WARNINGS = {
    "tenure-without-dates": (
        ENTITIES, "    start: 2025-01-15\n", "",
        MEETINGS, MEETING, "ngsh:CapacityUndatedShape"),
    "city-without-country": (
        ENTITIES, "    type: city\n    in: westmarch\n", "    type: city\n",
        ENTITIES, ("places", "port-alder"), "ngsh:CityShape"),
}


def _build(root: Path) -> tuple[int, str]:
    """``newsgraph --project ROOT build``, run as the command runs: its exit
    status and what it wrote to stderr."""
    from newsgraph.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exited:
        main(["--project", str(root), "build"])
    return exited.value.code, err.getvalue()


def _release_state(root: Path) -> dict[str, str]:
    """Where dist points, and every file of every release with its hash."""
    dist = root / "dist"
    state = {"->": str(dist.resolve())}
    for path in sorted((root / ".dist.releases").rglob("*")):
        if path.is_file():
            state[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def _record_lines(text: str, section: str, key: str) -> range:
    """The lines (1-based) of a record of a YAML seed file: its key and fields."""
    lines = text.splitlines()
    top = lines.index(next(x for x in lines if x.split("#")[0].rstrip() == f"{section}:"))
    first = next(i for i in range(top + 1, len(lines)) if lines[i].startswith(f"  {key}:"))
    last = first
    for i in range(first + 1, len(lines)):
        if lines[i].startswith("    "):
            last = i
        elif lines[i].strip():
            break
    return range(first + 1, last + 2)


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project made by ``newsgraph init``, built once: it has a release."""
    from newsgraph.project import init_project

    root = tmp_path_factory.mktemp("shapes-build") / "newsroom"
    init_project(root)
    status, err = _build(root)
    assert status == 0, err
    return root


def _broken(root: Path, file: str, old: str, new: str):
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (file, old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, text


@pytest.mark.xdist_group("shapes-build")
@pytest.mark.parametrize("case", list(VIOLATIONS))
def test_a_violation_stops_the_build_with_one_line_and_keeps_the_release(scaffold, case):
    file, old, new, where, (section, key), shape = VIOLATIONS[case]
    before = _release_state(scaffold)
    path, text = _broken(scaffold, file, old, new)
    try:
        status, err = _build(scaffold)
        named = (scaffold / where).read_text(encoding="utf-8")
    finally:
        path.write_text(text, encoding="utf-8")
    assert status == 1, err
    assert "Traceback" not in err
    errors = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(errors) == 1, err
    match = re.match(rf"error: {re.escape(where)}:(\d+): {section}\.{key}: Violation: .+ "
                     rf"\[shape {shape}\]$", errors[0])
    assert match, errors[0]
    assert int(match.group(1)) in _record_lines(named, section, key), errors[0]
    assert "nothing was written" in err
    assert _release_state(scaffold) == before


@pytest.mark.xdist_group("shapes-build")
@pytest.mark.parametrize("case", list(WARNINGS))
def test_a_warning_is_said_and_the_build_publishes(scaffold, case):
    file, old, new, where, (section, key), shape = WARNINGS[case]
    before = (scaffold / "dist").resolve()
    path, text = _broken(scaffold, file, old, new)
    try:
        status, err = _build(scaffold)
        named = (scaffold / where).read_text(encoding="utf-8")
    finally:
        path.write_text(text, encoding="utf-8")
    assert status == 0, err
    assert not [x for x in err.splitlines() if x.startswith("error:")], err
    (line,) = [x for x in err.splitlines() if f"[shape {shape}]" in x]
    match = re.match(rf"warning: {re.escape(where)}:(\d+): {section}\.{key}: Warning: ", line)
    assert match, line
    assert int(match.group(1)) in _record_lines(named, section, key), line
    published = (scaffold / "dist").resolve()
    assert published != before
    release.verify(published, full=True)


def test_every_shape_has_a_broken_fixture(settings):
    shapes = load_trusted(settings).shapes
    named = {
        str(s)
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if isinstance(s, URIRef)
    }
    covered = {expected_shape(p) for p in BROKEN}
    assert named - covered == set()
    # and no fixture names a shape that does not exist
    assert covered - named == {TRUSTED_INPUT_SHAPE}


def test_every_violation_shape_has_a_fixture_with_a_violation(settings):
    shapes = load_trusted(settings).shapes
    by_shape: dict[str, set[str]] = {}
    for patch_path in BROKEN:
        shape = expected_shape(patch_path)
        report = report_for(patch_path)
        by_shape.setdefault(shape, set()).update(
            f.severity for f in report.findings if f.shape == shape
        )
    for shape, severities in by_shape.items():
        if shape != TRUSTED_INPUT_SHAPE and _shape_severity(shapes, URIRef(shape)) == "Violation":
            assert "Violation" in severities, shape


# --------------------------------------------------------------------------
# The real build
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(built_dist) -> Dataset:
    dataset = Dataset()
    dataset.parse(built_dist / "newsgraph.nq", format="nquads")
    return dataset


def _graph(dataset: Dataset, *names: str) -> Graph:
    union = Graph()
    for name in names:
        for triple in dataset.graph(URIRef(name)):
            union.add(triple)
    return union


def test_each_built_article_conforms_with_the_entity_register(built, settings):
    base = "https://w3id.org/newsgraph/"
    names = {str(g.identifier) for g in built.graphs() if len(g)}
    articles = sorted(
        n for n in names if n.startswith(f"{base}graph/") and n != f"{base}graph/entities"
    )
    assert f"{base}graph/cubaheadlines-309517" in articles
    for article in articles:
        report = validate(_graph(built, f"{base}graph/entities", article), settings)
        assert report.violations == [], "\n".join(map(format_finding, report.violations))


def test_the_whole_built_dataset_with_its_ontology_graph_conforms(built, settings):
    report = validate(built, settings)
    assert report.violations == [], "\n".join(map(format_finding, report.violations))


def test_vocabulary_smuggled_into_a_dataset_graph_is_refused(built, settings):
    dataset = Dataset()
    for quad in built.quads((None, None, None, None)):
        dataset.add(quad)
    article = dataset.graph(URIRef("https://w3id.org/newsgraph/graph/cubaheadlines-309517"))
    article.add((URIRef("https://schema.org/Place"),
                 URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
                 URIRef("http://www.w3.org/ns/prov#Agent")))
    report = validate(dataset, settings)
    assert [f.shape for f in report.violations] == [TRUSTED_INPUT_SHAPE]


def test_a_wrong_anchor_in_the_built_data_is_caught(built, settings):
    base = "https://w3id.org/newsgraph/"
    graph = _graph(built, f"{base}graph/entities", f"{base}graph/cubaheadlines-309517")
    anchor = URIRef("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#anchorOf")
    span, _, text = next(iter(graph.triples((None, anchor, None))))
    graph.set((span, anchor, Literal(str(text)[1:] + " ")))
    report = validate(graph, settings)
    assert [(f.focus, f.path) for f in report.violations] == [(str(span), "nif:anchorOf")]


# --------------------------------------------------------------------------
# What the findings say
# --------------------------------------------------------------------------


def test_anchor_mismatch_names_the_text_at_the_offsets():
    report = report_for(FIXTURES / "broken" / "SpanShape--anchor-mismatch.ttl")
    (finding,) = report.violations
    assert finding.focus.endswith("#char=93,106")
    assert finding.path == "nif:anchorOf"
    assert '"Wang Xiaohon"' in finding.message and '"Wang Xiaohong"' in finding.message


def test_utf16_offsets_are_caught_because_offsets_count_code_points():
    report = report_for(FIXTURES / "broken" / "SpanShape--utf16-offsets.ttl")
    assert any(
        f.focus.endswith("#char=95,108") and f.path == "nif:anchorOf" for f in report.violations
    )


def test_meeting_after_publication_names_both_dates():
    report = report_for(FIXTURES / "broken" / "MeetingShape--dated-after-article.ttl")
    messages = {f.message for f in report.violations}
    assert any("2025-08-24" in m and "2025-08-23" in m for m in messages)
    assert {f.path for f in report.violations} == {"schema:startDate", "time:hasTime"}


def test_statement_kinds_are_named_in_the_finding():
    report = report_for(FIXTURES / "broken" / "StatementShape--two-kinds.ttl")
    (finding,) = report.violations
    assert "DirectQuote" in finding.message and "IndirectQuote" in finding.message


def test_format_finding_is_one_readable_line():
    finding = Finding(
        severity="Violation",
        focus="https://w3id.org/newsgraph/id/meeting/x",
        path="schema:attendee",
        value=None,
        message="A meeting needs at least two attendees.",
        shape=f"{SHAPES_NS}MeetingShape",
    )
    assert format_finding(finding) == (
        "Violation: https://w3id.org/newsgraph/id/meeting/x schema:attendee: "
        "A meeting needs at least two attendees. [shape ngsh:MeetingShape]"
    )


def test_findings_are_sorted_worst_first_and_the_same_every_run(settings):
    graph = patched(FIXTURES / "broken" / "MeetingShape--one-attendee.ttl")
    graph.remove((URIRef("https://w3id.org/newsgraph/id/place/beijing"), None, None))
    first = validate(graph, settings).findings
    assert first == validate(graph, settings).findings
    ranks = [("Violation", "Warning", "Info").index(f.severity) for f in first]
    assert ranks == sorted(ranks)
    assert {"Violation", "Info"} <= {f.severity for f in first}


# --------------------------------------------------------------------------
# Only the trusted shapes and ontology decide
# --------------------------------------------------------------------------


def test_shapes_in_the_data_are_refused_and_not_applied():
    report = report_for(FIXTURES / "broken" / "TrustedInput--data-declares-shape.ttl")
    assert not report.conforms
    assert {f.shape for f in report.violations} == {TRUSTED_INPUT_SHAPE}
    # the smuggled shape forbade names on people; no person was reported
    assert not [f for f in report.findings if "/person/" in f.focus]


def test_a_subclass_declared_in_the_data_does_not_make_a_city_an_agent(settings):
    graph = patched(FIXTURES / "broken" / "TrustedInput--data-declares-subclass.ttl")
    assoc = URIRef("https://w3id.org/newsgraph/id/meeting/test-meeting#assoc-wang-xiaohong")
    graph.set((assoc, URIRef("http://www.w3.org/ns/prov#agent"),
               URIRef("https://w3id.org/newsgraph/id/place/beijing")))
    report = validate(graph, settings)
    shapes = {f.shape for f in report.violations}
    assert f"{SHAPES_NS}AssociationShape" in shapes
    assert TRUSTED_INPUT_SHAPE in shapes


def test_the_ontology_itself_in_the_data_is_accepted(settings):
    graph = load(VALID) + load_trusted(settings).ontology
    report = validate(graph, settings)
    assert report.conforms, "\n".join(map(format_finding, report.violations))


def test_a_dataset_is_validated_as_the_union_of_its_graphs(settings):
    valid = load(VALID)
    dataset = Dataset()
    entities = dataset.graph(URIRef("https://w3id.org/newsgraph/graph/entities"))
    article = dataset.graph(URIRef("https://w3id.org/newsgraph/graph/test-article"))
    for s, p, o in valid:
        target = entities if "/id/person/" in str(s) or "/id/place/" in str(s) else article
        target.add((s, p, o))
    assert validate(dataset, settings).conforms
    # and a break in one named graph is seen
    article.remove((URIRef("https://w3id.org/newsgraph/id/meeting/test-meeting"),
                    URIRef("https://schema.org/attendee"), None))
    assert not validate(dataset, settings).conforms


def _project_copy(tmp_path: Path) -> Settings:
    """Settings whose shipped ontology and shapes are copies a test may break."""
    shipped = tmp_path / "shipped"
    for folder in ("ontology", "shapes"):
        (shipped / folder).mkdir(parents=True)
        for source in (ROOT / folder).glob("*.ttl"):
            (shipped / folder / source.name).write_bytes(source.read_bytes())
    (tmp_path / "project").mkdir()
    return Settings(root=tmp_path / "project", ontology_dir=shipped / "ontology",
                    shapes_dir=shipped / "shapes")


def test_a_shape_that_calls_a_remote_endpoint_is_refused(tmp_path):
    settings = _project_copy(tmp_path)
    extra = """
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:example:remote> a sh:NodeShape ; sh:targetNode <urn:example:x> ;
            sh:sparql [ sh:select
                "SELECT $this WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }" ] .
    """
    (settings.shapes_dir / "extra.ttl").write_text(extra, encoding="utf-8")
    with pytest.raises(TrustedFilesError, match="SERVICE"):
        validate(Graph(), settings)


def test_owl_imports_in_the_ontology_are_refused(tmp_path):
    settings = _project_copy(tmp_path)
    with (settings.ontology_dir / "newsgraph.ttl").open("a", encoding="utf-8") as fh:
        fh.write("\n<https://w3id.org/newsgraph/def> owl:imports <http://127.0.0.1:9/o.ttl> .\n")
    with pytest.raises(TrustedFilesError, match="owl:imports"):
        validate(Graph(), settings)


def test_missing_shapes_folder_is_a_clear_error(tmp_path):
    with pytest.raises(TrustedFilesError, match="folder not found"):
        validate(Graph(), Settings(root=tmp_path, shapes_dir=tmp_path / "missing"))


def test_trusted_files_are_parsed_once(settings):
    assert load_trusted(settings) is load_trusted(settings)


def test_shape_sparql_reads_only_the_data_graph(settings):
    shapes = load_trusted(settings).shapes
    queries = [str(q) for q in shapes.objects(None, SH.select)]
    assert len(queries) >= 15
    for query in queries:
        assert not re.search(r"\b(FROM|SERVICE|LOAD|GRAPH)\b", query, re.IGNORECASE), query


def test_every_shape_message_is_english_and_every_sparql_constraint_has_one(settings):
    shapes = load_trusted(settings).shapes
    for constraint in shapes.subjects(SH.select, None):
        messages = list(shapes.objects(constraint, SH.message))
        assert messages, constraint
    for message in shapes.objects(None, SH.message):
        assert isinstance(message, Literal) and message.language == "en", message


def test_a_wikidata_iri_with_a_trailing_newline_is_refused(settings):
    # `$` in a Python pattern also matches before a final newline (SECURITY.md, hazard 10)
    graph = load(VALID)
    beijing = URIRef("https://w3id.org/newsgraph/id/place/beijing")
    same_as = URIRef("http://www.w3.org/2002/07/owl#sameAs")
    graph.set((beijing, same_as, URIRef("http://www.wikidata.org/entity/Q956\n")))
    report = validate(graph, settings)
    assert [(f.focus, f.shape) for f in report.violations] == [
        (str(beijing), f"{SHAPES_NS}WikidataLinkShape")
    ]


# --------------------------------------------------------------------------
# Offices over time
# --------------------------------------------------------------------------

TIME_NS = "http://www.w3.org/2006/time#"
WANG_BEGIN = URIRef("https://w3id.org/newsgraph/id/tenure/"
                    "wang-xiaohong-minister-of-public-security#begin")
IN_XSD_DATE = URIRef(f"{TIME_NS}inXSDDate")
CAPACITY_TENURE = f"{SHAPES_NS}CapacityTenureShape"


def _date(text: str) -> Literal:
    return Literal(text, datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))


def test_a_capacity_outside_the_tenure_names_the_meeting_person_post_and_dates():
    report = report_for(
        FIXTURES / "broken" / "CapacityTenureShape--meeting-before-tenure-starts.ttl")
    (finding,) = report.violations
    assert finding.focus.endswith("/meeting/test-meeting#assoc-wang-xiaohong")
    assert finding.path == "ng:capacity"
    assert finding.value.endswith("/post/minister-of-public-security-china")
    for words in ("Meeting of Wang Xiaohong and Lázaro Alberto Álvarez Casas in Beijing",
                  "(2025-08-22)", "Wang Xiaohong acts as Minister of Public Security",
                  "only since 2025-08-23"):
        assert words in finding.message, finding.message


def test_an_ended_tenure_is_named_with_its_end():
    report = report_for(
        FIXTURES / "broken" / "CapacityTenureShape--meeting-after-tenure-ended.ttl")
    (finding,) = report.violations
    assert "since 2023-03-12 until 2025-08-21" in finding.message, finding.message


def _second_wang_tenure(graph: Graph, begin: str, end: str) -> None:
    """An earlier tenure of the same post (a minister reappointed), with both bounds."""
    ns = "https://w3id.org/newsgraph/id/"
    tenure = URIRef(f"{ns}tenure/wang-xiaohong-minister-of-public-security-earlier")
    data = f"""
        @prefix ng: <https://w3id.org/newsgraph/def#> .
        @prefix org: <http://www.w3.org/ns/org#> .
        @prefix prov: <http://www.w3.org/ns/prov#> .
        @prefix time: <http://www.w3.org/2006/time#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <{tenure}> a org:Membership ; org:member <{ns}person/wang-xiaohong> ;
            org:organization <{ns}organization/ministry-of-public-security-china> ;
            ng:post <{ns}post/minister-of-public-security-china> ;
            org:memberDuring <{tenure}#interval> .
        <{tenure}#interval> a time:Interval ; prov:wasDerivedFrom <{ns}work/test-tenure-source> ;
            time:hasBeginning <{tenure}#begin> ; time:hasEnd <{tenure}#end> .
        <{tenure}#begin> a time:Instant ; time:inXSDDate "{begin}"^^xsd:date .
        <{tenure}#end> a time:Instant ; time:inXSDDate "{end}"^^xsd:date .
    """
    graph.parse(data=data, format="turtle")


def test_a_meeting_within_either_of_two_tenures_of_a_post_conforms(settings):
    graph = load(VALID)
    _second_wang_tenure(graph, "2013-01-01", "2016-01-01")
    assert serious(validate(graph, settings)) == []
    # the later tenure now starts after the meeting, and the earlier one ended before
    graph.set((WANG_BEGIN, IN_XSD_DATE, _date("2025-09-01")))
    (finding,) = validate(graph, settings).violations
    assert finding.shape == CAPACITY_TENURE
    assert "until 2016-01-01" in finding.message and "since 2025-09-01" in finding.message


def test_a_meeting_known_to_the_month_counts_if_any_day_is_within_the_tenure(settings):
    graph = load(VALID)
    meeting = "https://w3id.org/newsgraph/id/meeting/test-meeting"
    graph.set((URIRef(f"{meeting}#begin"), IN_XSD_DATE, _date("2025-08-01")))
    graph.set((URIRef(f"{meeting}#end"), IN_XSD_DATE, _date("2025-08-31")))
    graph.set((WANG_BEGIN, IN_XSD_DATE, _date("2025-08-15")))
    assert [f for f in validate(graph, settings).violations if f.shape == CAPACITY_TENURE] == []

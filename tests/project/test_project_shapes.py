"""A project's own shapes add checks; they can never remove or weaken the
shipped ones, and they pass the same safety checks."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef

from newsgraph import iris
from newsgraph.iris import SH, SHAPES
from newsgraph.pipeline.annotations import load_corpus
from newsgraph.pipeline.build import article_data, run_build
from newsgraph.pipeline.mapping import map_corpus
from newsgraph.pipeline.validation import load_trusted, validate_with

from .conftest import newsgraph, settings_for

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ngsh: <https://w3id.org/newsgraph/shapes#> .
@prefix gz: <https://news.example.org/shapes#> .
"""

# every person needs a Wikidata link: the example's invented people have none
NEEDS_WIKIDATA = PREFIXES + """
gz:PersonNeedsWikidata a sh:NodeShape ;
    sh:targetClass schema:Person ;
    sh:property [ sh:path owl:sameAs ; sh:minCount 1 ;
                  sh:message "Our newsroom links every person to Wikidata."@en ] .
"""

# a social media posting without its author: a Violation of a shipped shape
POSTING_WITHOUT_AUTHOR = """
works:
  marrowgate-post:
    type: social-media-posting
    name: A post by Tobias Marrowgate
"""


def add_shapes(root: Path, name: str, text: str) -> None:
    (root / "shapes").mkdir(exist_ok=True)
    (root / "shapes" / name).write_text(text, encoding="utf-8")


def break_a_shipped_shape(root: Path) -> None:
    path = root / "seeds" / "entities.yaml"
    text = path.read_text(encoding="utf-8")
    # the scaffold's register has works (the sources of its tenures): add to them
    broken, n = re.subn(r"\nworks:[^\n]*\n", POSTING_WITHOUT_AUTHOR, text, count=1)
    assert n == 1
    path.write_text(broken, encoding="utf-8")


def test_a_project_shape_makes_a_build_fail_that_passed_before(newsroom, capsys):
    assert run_build(settings_for(newsroom), write=False) == 0
    capsys.readouterr()
    add_shapes(newsroom, "wikidata.ttl", NEEDS_WIKIDATA)
    settings = settings_for(newsroom)
    assert settings.shape_folders() == (settings.shapes_dir, newsroom / "shapes")
    assert run_build(settings, write=True) == 1
    errors = [line for line in capsys.readouterr().err.splitlines()
              if line.startswith("error:")]
    assert any(line.startswith("error: seeds/entities.yaml:") and "people.ada-quillfeather" in line
               and "Our newsroom links every person to Wikidata." in line
               and "[shape https://news.example.org/shapes#PersonNeedsWikidata]" in line
               for line in errors), errors
    assert not (newsroom / "dist").exists()


def test_a_project_shape_that_passes_changes_nothing(newsroom, capsys):
    add_shapes(newsroom, "names.ttl", PREFIXES + """
        gz:PersonHasName a sh:NodeShape ; sh:targetClass schema:Person ;
            sh:property [ sh:path schema:name ; sh:minCount 1 ] .
    """)
    assert run_build(settings_for(newsroom), write=True) == 0
    assert (newsroom / "dist" / "manifest.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("attempt", [
    "ngsh:SocialMediaPostingShape sh:deactivated true .",
    "ngsh:SocialMediaPostingShape sh:severity sh:Info .",
    "ngsh:SocialMediaPostingShape sh:property [ sh:path schema:author ; sh:severity sh:Info ] .",
    "ngsh:SocialMediaPostingShape sh:targetClass schema:Nothing .",
    "gz:Mine a sh:NodeShape ; sh:targetClass schema:Person ; sh:node ngsh:PersonShape .",
], ids=["deactivate", "severity", "property-severity", "retarget", "reuse"])
def test_a_project_file_about_a_shipped_shape_is_refused_and_the_violation_stays(
        newsroom, attempt):
    break_a_shipped_shape(newsroom)
    add_shapes(newsroom, "relax.ttl", PREFIXES + attempt)
    result = newsgraph(newsroom, "build")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("error: shapes/relax.ttl: speaks about ngsh:")
    assert "which newsgraph ships" in errors[0]
    assert not (newsroom / "dist").exists()
    # without the refused file, the shipped Violation is what stops the build
    (newsroom / "shapes" / "relax.ttl").unlink()
    again = newsgraph(newsroom, "build")
    assert again.returncode == 1
    assert "[shape ngsh:SocialMediaPostingShape]" in again.stderr


def _posting_data(root: Path) -> tuple[Graph, object]:
    settings = settings_for(root)
    corpus = load_corpus(settings.seeds)
    ds = map_corpus(corpus, settings.base)
    graph_name = iris.article_graph(corpus.articles[0].slug, settings.base)
    return article_data(ds, graph_name, settings.base), settings


def test_shipped_shapes_are_checked_apart_so_no_project_statement_weakens_them(newsroom):
    """By construction: even statements that slipped past the file check, naming
    the shipped nodes themselves, cannot touch the shipped run."""
    break_a_shipped_shape(newsroom)
    data, settings = _posting_data(newsroom)
    trusted = load_trusted(settings)
    posting = URIRef(f"{SHAPES}#SocialMediaPostingShape")
    author_shape = next(p for p in trusted.shapes.objects(posting, SH.property)
                        if trusted.shapes.value(p, SH.path) == iris.SCHEMA.author)
    assert isinstance(author_shape, BNode)
    hostile = Graph()
    hostile.add((posting, SH.deactivated, Literal(True)))
    hostile.add((author_shape, SH.severity, SH.Info))

    # the attack is real: merged into one shapes graph, it silences the Violation
    _, merged, _ = pyshacl.validate(data, shacl_graph=trusted.shapes + hostile,
                                    ont_graph=trusted.ontology, advanced=True,
                                    allow_infos=True, allow_warnings=True)
    assert (None, SH.sourceShape, author_shape) not in merged

    report = validate_with(data, dataclasses.replace(trusted, project_shapes=hostile))
    assert not report.conforms
    assert any(f.severity == "Violation" and f.shape == str(posting) and f.path == "schema:author"
               for f in report.findings), report.findings


@pytest.mark.parametrize(("text", "message"), [
    (PREFIXES + """gz:Remote a sh:NodeShape ; sh:targetClass schema:Person ;
        sh:sparql [ sh:select
            "SELECT $this WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }" ] .
     """, "shapes/remote.ttl: a SPARQL constraint of https://news.example.org/shapes#Remote "
          "uses SERVICE"),
    (PREFIXES + "<https://news.example.org/shapes> owl:imports <http://127.0.0.1:9/x.ttl> .",
     "shapes/remote.ttl: owl:imports refused"),
    ("\ufeff" + NEEDS_WIKIDATA, "shapes/remote.ttl: starts with a byte order mark"),
    (PREFIXES + "gz:Broken a sh:NodeShape ;", "shapes/remote.ttl: cannot parse as turtle"),
])
def test_project_shapes_pass_the_same_safety_checks(newsroom, capsys, text, message):
    add_shapes(newsroom, "remote.ttl", text)
    assert run_build(settings_for(newsroom), write=True) == 1
    err = capsys.readouterr().err
    assert f"error: {message}" in err, err
    assert "Traceback" not in err
    assert not (newsroom / "dist").exists()


def test_files_other_than_turtle_in_shapes_are_not_read(newsroom):
    add_shapes(newsroom, "README.md", "Our newsroom's extra checks.")
    settings = settings_for(newsroom)
    assert settings.shape_folders() == (settings.shapes_dir,)
    assert run_build(settings, write=False) == 0


def test_a_copy_of_the_shipped_shapes_is_not_taken_for_the_projects_own(newsroom):
    """A checkout of newsgraph run with an installed package holds the shipped
    shapes in its shapes/: those add nothing, and must not be refused as edits."""
    shipped = settings_for(newsroom).shapes_dir
    (newsroom / "shapes").mkdir()
    for source in shipped.glob("*.ttl"):
        (newsroom / "shapes" / source.name).write_bytes(source.read_bytes())
    assert settings_for(newsroom).project_shapes() is None
    first = sorted((newsroom / "shapes").glob("*.ttl"))[0]
    first.write_bytes(first.read_bytes() + b"\n# changed\n")
    assert settings_for(newsroom).project_shapes() == newsroom / "shapes"

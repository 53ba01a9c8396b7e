"""Every field docs/annotations.md offers is one the loader reads and maps to a
term the ontology declares: a curator who follows the docs never gets data the
vocabulary does not know (``headline:`` did, once, as undeclared ``schema:headline``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from newsgraph.config import load_settings
from newsgraph.iris import ONTOLOGY
from newsgraph.pipeline import annotations as ann
from newsgraph.pipeline.build import run_build
from newsgraph.pipeline.mapping import map_corpus

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "annotations.md"
EVERY_FIELD = ROOT / "tests" / "fixtures" / "annotations" / "every-field"

_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
# "  key:" at the start of a line, perhaps after "- "; and "{key: …, key: …}"
_LINE_KEY = re.compile(r"^(\s*(?:-\s+)?)([a-z0-9][a-z0-9-]*):(?=\s|$)")
_FLOW_KEY = re.compile(r"[{,]\s*([a-z][a-z-]*):\s")
# sections whose keys are ids, not fields
_BY_ID = {*ann.REGISTER, *ann.ARTICLE_SECTIONS, "mentions"}


def documented_keys() -> set[str]:
    """Every field the YAML examples of the annotation docs write (ids left out)."""
    keys: set[str] = set()
    for block in _BLOCK.findall(DOC.read_text(encoding="utf-8")):
        parents: list[tuple[int, str]] = []  # (indent, key) of the enclosing keys
        for line in block.splitlines():
            line = re.sub(r"\s#.*", "", line)
            match = _LINE_KEY.match(line)
            if match:
                indent, key = len(match.group(1)), match.group(2)
                while parents and parents[-1][0] >= indent:
                    parents.pop()
                if not (parents and parents[-1][1] in _BY_ID):
                    keys.add(key)
                parents.append((indent, key))
            keys.update(_FLOW_KEY.findall(line))
    return keys


def _known_keys() -> set[str]:
    keys = {"quote", "occurrence", "article", "mentions", "corrections"}
    for sections in (ann.REGISTER, ann.ARTICLE_SECTIONS):
        for section, (_, spec) in sections.items():
            keys.add(section)
            keys.update(spec)
    for spec in (ann.ARTICLE_META, ann.PARTICIPANT, ann.CORRECTION):
        keys.update(spec)
    return keys


def _keys_used(value: Any, ids: set[str]) -> set[str]:
    if isinstance(value, dict):
        out = set()
        for k, v in value.items():
            if k not in ids:
                out.add(k)
            out |= _keys_used(v, ids)
        return out
    if isinstance(value, list):
        return set().union(*(_keys_used(v, ids) for v in value)) if value else set()
    return set()


def _fixture_keys() -> set[str]:
    used: set[str] = set()
    for path in sorted((EVERY_FIELD / "seeds").rglob("*.yaml")):
        data = ann.read_yaml(path, path.name)
        ids = set()
        for section, block in data.items():
            if isinstance(block, dict) and section not in ("article",):
                ids |= set(block)  # records by id, and mentions by id
        used |= _keys_used(data, ids)
    return used


def test_the_docs_offer_only_fields_the_loader_reads():
    documented = documented_keys()
    assert {"headline", "date-expression", "capacity", "end", "occurrence"} <= documented
    assert documented - _known_keys() == set()


def test_every_field_the_loader_reads_is_documented():
    assert _known_keys() - documented_keys() == set()


def test_the_every_field_fixture_uses_every_documented_field():
    assert documented_keys() - _fixture_keys() == set()


@pytest.fixture(scope="module")
def mapped() -> Graph:
    corpus = ann.load_corpus(EVERY_FIELD / "seeds")
    graph = Graph()
    for s, p, o, _ in map_corpus(corpus).quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def test_every_documented_field_maps_to_a_declared_term(mapped):
    ontology = Graph().parse(ROOT / "ontology" / "newsgraph.ttl", format="turtle")
    declared = {s for s in ontology.subjects() if isinstance(s, URIRef)}
    used = ({p for p in mapped.predicates()} - {RDF.type, OWL.sameAs}) | set(
        mapped.objects(None, RDF.type))
    assert URIRef("https://schema.org/headline") in used
    assert used - declared == set()
    assert (URIRef(ONTOLOGY), None, None) not in mapped


def test_an_article_using_every_documented_field_validates_without_warnings(tmp_path, capsys):
    shutil.copytree(EVERY_FIELD / "seeds", tmp_path / "seeds")
    shutil.copy2(ROOT / "newsgraph.toml", tmp_path / "newsgraph.toml")
    assert run_build(load_settings(root=tmp_path), write=False) == 0
    err = capsys.readouterr().err
    assert not [x for x in err.splitlines() if x.startswith(("error:", "warning:"))], err

"""Adding a class follows the checklist of docs/ontology.md ("Adding a class"),
and nothing else: in a temporary copy of the code, ontology and shapes, a new
kind is added by editing only what the checklist names, a tiny article uses
it, and the thing is published, dereferences, and appears in the lists."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKLIST_HEADING = "## Adding a class"

# what the copy is served with, run by the copy's own code (a separate process:
# this process has already imported the real newsgraph)
SERVE_CHECK = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from newsgraph.config import load_settings
    from newsgraph.project import read_project_file
    from newsgraph.server.web import create_app

    root = Path(sys.argv[1])
    client = create_app(load_settings(root, read_project_file(root)),
                        data=root / "dist").test_client()
    queries = json.dumps({"q0": {"query": "Harbour Accord", "type": "agreement"}})
    answers = {
        "id": client.get("/id/agreement/harbour-accord", headers={"Accept": "text/turtle"}),
        "ttl": client.get("/doc/agreement/harbour-accord.ttl"),
        "page": client.get("/doc/agreement/harbour-accord", headers={"Accept": "text/html"}),
        "landing": client.get("/"),
        "def": client.get("/def", headers={"Accept": "text/html"}),
        "shapes": client.get("/shapes", headers={"Accept": "text/html"}),
        "reconcile": client.get("/reconcile", query_string={"queries": queries}),
    }
    print(json.dumps({name: [r.status_code, r.headers.get("Location"), r.get_data(as_text=True)]
                      for name, r in answers.items()}))
""")


def _edit(path: Path, anchor: str, text: str, before: bool = False) -> None:
    body = path.read_text("utf-8")
    assert body.count(anchor) == 1, f"{path.name}: the checklist's anchor {anchor!r} moved"
    path.write_text(body.replace(anchor, text + anchor if before else anchor + text), "utf-8")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8") + textwrap.dedent(text), "utf-8")


def _run(args: list[str], cwd: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_checklist_names_the_files_this_test_edits():
    doc = (REPO / "docs/ontology.md").read_text("utf-8")
    checklist = doc.split(CHECKLIST_HEADING, 1)[1].split("\n## ", 1)[0]
    for named in ("ontology/newsgraph.ttl", "shapes/newsgraph-shapes.ttl", "KIND_TABLE",
                  "REGISTER_FIELDS", "tests/"):
        assert named in checklist, named


@pytest.fixture(scope="module")
def copy_with_a_new_kind(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the copy's src/, a project built by it whose article names an agreement)."""
    tmp = tmp_path_factory.mktemp("new-kind")
    tree = tmp / "tree"
    for part in ("src", "ontology", "shapes"):
        shutil.copytree(REPO / part, tree / part, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    # 1. the ontology term
    _append(tree / "ontology/newsgraph.ttl", """
        ng:Agreement
            a owl:Class ;
            rdfs:label "agreement"@en ;
            skos:definition "A written accord between agents, as reported by a news article."@en ;
            rdfs:subClassOf schema:CreativeWork ;
            rdfs:isDefinedBy <https://w3id.org/newsgraph/def> .
        """)
    # 2. its shape
    _append(tree / "shapes/newsgraph-shapes.ttl", """
        ngsh:AgreementShape
            a sh:NodeShape ;
            rdfs:label "agreement"@en ;
            sh:targetClass ng:Agreement ;
            sh:property [
                sh:path schema:name ; sh:minCount 1 ; sh:maxCount 1 ;
                sh:datatype rdf:langString ;
                sh:message "An agreement needs exactly one schema:name tagged @en."@en ;
            ] .
        """)
    # 3. one row in the registry of kinds, at its end
    _edit(tree / "src/newsgraph/iris.py", "\n)\nKIND_BY_NAME",
          '\n    Kind("agreement", "Agreement", "Agreements",'
          '\n         ("ng:Agreement", "schema:CreativeWork"), 11,'
          '\n         section="agreements", reconcile="Agreement"),', before=True)
    # 4. its annotation fields
    _edit(tree / "src/newsgraph/pipeline/annotations.py",
          "REGISTER_FIELDS: dict[str, dict[str, tuple[bool, Callable[[Any], Any]]]] = {\n",
          '    "agreement": {"name": (True, name_value), "wikidata": (False, qid_value)},\n')
    # a tiny article that names one
    project = tmp / "gazette"
    made = _run(["-m", "newsgraph", "init", str(project)], tmp, tree / "src")
    assert made.returncode == 0, made.stderr
    seeds = project / "seeds"
    with (seeds / "entities.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\nagreements:\n  harbour-accord:\n    name: Harbour Accord\n")
    (article,) = [p for p in seeds.iterdir() if p.is_dir()]
    with (article / "article.txt").open("a", encoding="utf-8") as fh:
        fh.write(" Both signed the Harbour Accord.")
    _edit(article / "annotations.yaml", "mentions:\n",
          "  harbour-accord:\n    - the Harbour Accord\n")
    built = _run(["-m", "newsgraph", "build"], project, tree / "src")
    assert built.returncode == 0, built.stderr[-3000:]
    return tree / "src", project


@pytest.fixture(scope="module")
def served(copy_with_a_new_kind: tuple[Path, Path]) -> dict[str, list]:
    src, project = copy_with_a_new_kind
    script = project.parent / "serve_check.py"
    script.write_text(SERVE_CHECK, "utf-8")
    checked = _run([str(script), str(project)], project, src)
    assert checked.returncode == 0, checked.stderr[-3000:]
    return json.loads(checked.stdout)


def test_the_new_kind_is_published(copy_with_a_new_kind):
    _, project = copy_with_a_new_kind
    dump = (project / "dist" / "newsgraph.nq").read_text("utf-8")
    base = json.loads((project / "dist" / "manifest.json").read_text("utf-8"))["base"]
    thing = f"<{base}id/agreement/harbour-accord>"
    assert f"{thing} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> " \
           "<https://w3id.org/newsgraph/def#Agreement>" in dump
    assert re.search(re.escape(thing) + r' <https://schema.org/name> "Harbour Accord"@en', dump)


def test_the_new_kind_dereferences(served):
    status, location, _ = served["id"]
    assert (status, location) == (303, "/doc/agreement/harbour-accord")
    status, _, turtle = served["ttl"]
    assert status == 200 and "ng:Agreement" in turtle and '"Harbour Accord"@en' in turtle
    status, _, page = served["page"]
    assert status == 200 and "Harbour Accord" in page and "Agreement" in page


def test_the_new_kind_appears_in_the_lists(served):
    status, _, landing = served["landing"]
    assert status == 200
    assert 'href="#agreement">Agreements</a>' in landing
    assert 'href="/id/agreement/harbour-accord"' in landing
    status, _, answer = served["reconcile"]
    (result,) = json.loads(answer)["q0"]["result"]
    assert result["id"] == "agreement/harbour-accord"
    assert result["type"] == [{"id": "agreement", "name": "Agreement"}]


def test_the_new_class_and_shape_are_documented(served):
    assert served["def"][0] == 200 and "Agreement" in served["def"][2]
    assert served["shapes"][0] == 200 and "AgreementShape" in served["shapes"][2]

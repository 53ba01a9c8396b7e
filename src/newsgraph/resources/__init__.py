"""What the package ships and every step runs on: the ontology, the SHACL shapes
and the JSON-LD context; and the scaffold ``newsgraph init`` copies into a new
project.

``ontology/`` and ``shapes/`` here are links to the repository's top-level
folders, the one source of truth; building the wheel or the sdist copies their
files into the package, so an installed newsgraph needs no checkout.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ONTOLOGY_DIR = HERE / "ontology"
SHAPES_DIR = HERE / "shapes"
CONTEXT_FILE = HERE / "context.jsonld"
SCAFFOLD_DIR = HERE / "scaffold"
